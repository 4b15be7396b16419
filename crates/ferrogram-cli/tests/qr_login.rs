//! `ferrogram login --qr` against `ferrogram serve --memory`: it draws the QR code and prints
//! the link, `ferrogram accept-login` in a signed-in session accepts it, and the waiting login
//! ends signed in to that account; a malformed link is refused with a clear error.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ferrogram");

/// How long a step may take before the test counts as hung.
const DEADLINE: Duration = Duration::from_secs(60);

/// A child process, killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(info_dir: &Path) -> Killed {
    let child = Command::new(BIN)
        .args(["serve", "--memory", "--listen", "127.0.0.1:0", "--info-dir"])
        .arg(info_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferrogram serve starts");
    let served = Killed(child);
    // The server writes server.json once it listens; nothing else says so to another process.
    let deadline = Instant::now() + DEADLINE;
    while !info_dir.join("server.json").exists() {
        assert!(Instant::now() < deadline, "no server.json after a minute");
        std::thread::sleep(Duration::from_millis(50));
    }
    served
}

fn run(args: &[&str], dir: &Path) -> Output {
    Command::new(BIN).args(args).current_dir(dir).output().expect("ferrogram runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The `(id N` of `ferrogram whoami`'s answer.
fn user_id(whoami: &Output) -> String {
    let out = text(whoami);
    let start = out.find("(id ").unwrap_or_else(|| panic!("no id in {out}")) + 4;
    out[start..].chars().take_while(char::is_ascii_digit).collect()
}

#[test]
fn login_by_qr_code_accepted_from_another_session() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let info_dir = dir.path().join("info");
    let _server = serve(&info_dir);
    let info = info_dir.join("server.json").display().to_string();

    let phone = run(
        &["login", "--server-info", &info, "--session", "phone.session", "--phone", "+9996620072", "--code", "22222"],
        dir.path(),
    );
    assert!(phone.status.success(), "{}", text(&phone));
    let phone_id = user_id(&run(&["whoami", "--server-info", &info, "--session", "phone.session"], dir.path()));

    let mut waiting = Killed(
        Command::new(BIN)
            .args(["login", "--qr", "--server-info", &info, "--session", "qr.session"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("ferrogram login --qr starts"),
    );
    let stdout = waiting.0.stdout.take().expect("piped stdout");
    let (lines, printed) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut drawing = Vec::new();
    let url = loop {
        let line = printed.recv_timeout(DEADLINE).expect("login --qr prints its link");
        if let Some(url) = line.strip_prefix("URL: ") {
            break url.to_owned();
        }
        drawing.push(line);
    };
    assert!(url.starts_with("tg://login?token="), "{url}");
    // A QR code of half blocks, with its quiet zone, came before the link.
    assert!(drawing.iter().filter(|l| l.contains('\u{2588}')).count() > 10, "{drawing:#?}");

    // Malformed links are refused with a clear error before anything is sent.
    for (bad, says) in [("https://example.com/login", "not a QR-login link"), ("tg://login?token=*!*", "not base64url")]
    {
        let refused = run(&["accept-login", "--server-info", &info, "--session", "phone.session", bad], dir.path());
        assert!(!refused.status.success(), "{}", text(&refused));
        assert!(text(&refused).contains(says), "{}", text(&refused));
    }

    let accepted = run(&["accept-login", "--server-info", &info, "--session", "phone.session", &url], dir.path());
    assert!(accepted.status.success(), "{}", text(&accepted));
    assert!(text(&accepted).contains("accepted"), "{}", text(&accepted));

    let signed_in = loop {
        let line = printed.recv_timeout(DEADLINE).expect("login --qr reports the sign-in");
        if line.starts_with("signed in as") {
            break line;
        }
    };
    assert!(signed_in.contains(&format!("(id {phone_id})")), "{signed_in}");
    let status = waiting.0.wait().expect("login --qr exits");
    assert!(status.success());
    // The session was saved: it is signed in to the phone's account.
    let whoami = run(&["whoami", "--server-info", &info, "--session", "qr.session"], dir.path());
    assert_eq!(user_id(&whoami), phone_id, "{}", text(&whoami));

    // The link is used up now.
    let again = run(&["accept-login", "--server-info", &info, "--session", "phone.session", &url], dir.path());
    assert!(!again.status.success());
    assert!(text(&again).contains("AUTH_TOKEN_INVALID"), "{}", text(&again));
}
