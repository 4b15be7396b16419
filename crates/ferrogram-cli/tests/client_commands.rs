//! The client commands as a new user meets them: where they connect, what they say about the
//! session, what they leave behind, and `listen`.

mod common;

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{run, serve, stdout, text, BIN};
use serde_json::Value;

/// The port of DC 2 in a `server.json`.
fn dc2_port(info: &Path) -> u16 {
    let json: Value = serde_json::from_str(&std::fs::read_to_string(info).expect("server.json")).expect("JSON");
    let dc = json["dcs"].as_array().expect("dcs").iter().find(|dc| dc["id"] == 2).expect("DC 2");
    dc["port"].as_u64().expect("a port") as u16
}

#[test]
fn without_a_server_nothing_is_contacted_and_no_session_file_is_left() {
    let dir = tempfile::tempdir().expect("a temp dir");
    for args in [
        &["login", "--phone", "+9996620091", "--code", "22222"][..],
        &["invoke", "help.getConfig"][..],
        &["listen"][..],
        &["whoami"][..],
    ] {
        let out = run(args, dir.path());
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        let said = text(&out);
        assert!(said.contains("--production") || said.contains("not signed in"), "{args:?} says why: {said}");
        assert!(!dir.path().join("ferrogram.session").exists(), "{args:?} left a session file");
    }
    // A session of Telegram's needs --production too.
    let telegram = ferrogram::SessionData {
        home_dc: Some(2),
        dcs: [(2, ferrogram::DcEntry::new(2, "149.154.167.51", 443))].into(),
        ..Default::default()
    };
    let path = dir.path().join("telegram.session");
    ferrogram::SessionStore::store(&ferrogram::SqliteSession::open(&path).expect("opens"), &telegram).expect("stored");
    let out = run(&["invoke", "help.getConfig", "--session", "telegram.session"], dir.path());
    assert!(!out.status.success() && text(&out).contains("pass --production"), "{}", text(&out));
}

#[test]
fn a_signed_in_session_is_kept_and_said_so() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let info_dir = dir.path().join("info");
    let _server = serve(&info_dir);
    let info = info_dir.join("server.json");
    let pem = info_dir.join("server-public.pem").display().to_string();
    let port = dc2_port(&info);

    // A host name, not only an IP literal; the login code's delivery is said in words.
    let server = format!("localhost:{port}");
    let mut login = Command::new(BIN)
        .args(["login", "--server", &server, "--server-key", &pem, "--phone", "+9996620092"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("login runs");
    login.stdin.take().expect("stdin").write_all(b"22222\n").expect("the code is typed");
    let login = login.wait_with_output().expect("login ends");
    assert!(login.status.success(), "{}", text(&login));
    let said = text(&login);
    assert!(said.contains(&format!("server localhost:{port} (DC 2)")), "the target is said: {said}");
    assert!(
        said.contains("login code for 9996620092 (sent ") || said.contains("login code for +9996620092 (sent "),
        "{said}"
    );
    assert!(!said.contains("SentCodeType"), "no Debug text: {said}");

    // Later commands find the server in the session, and say so.
    let whoami = run(&["whoami"], dir.path());
    assert!(whoami.status.success(), "{}", text(&whoami));
    assert!(text(&whoami).contains("stored in ferrogram.session"), "{}", text(&whoami));

    for other in [&["--phone", "+9996620093", "--code", "22222"][..], &["--bot-token", "1:x"][..]] {
        let again = run(&[&["login"][..], other].concat(), dir.path());
        assert!(!again.status.success(), "{}", text(&again));
        assert!(text(&again).contains("already signed in as ferrogram user"), "{}", text(&again));
    }

    // Another server for this signed-in session is refused with the reason.
    let elsewhere = dir.path().join("elsewhere.json");
    let moved = std::fs::read_to_string(&info).expect("info").replace(&port.to_string(), &(port ^ 1).to_string());
    std::fs::write(&elsewhere, moved).expect("written");
    let refused = run(&["whoami", "--server-info", "elsewhere.json"], dir.path());
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains(&format!("is signed in on localhost:{port} (DC 2)")), "{}", text(&refused));

    // Import does not overwrite it without --force.
    let string = ferrogram::session::string::encode(&ferrogram::SessionData {
        home_dc: Some(2),
        dcs: [(2, ferrogram::DcEntry::new(2, "127.0.0.1", 1))].into(),
        ..Default::default()
    });
    let import = run(&["import-session", &string], dir.path());
    assert!(!import.status.success() && text(&import).contains("--force"), "{}", text(&import));
    let import = run(&["import-session", "--session", "imported.session", &string], dir.path());
    assert!(import.status.success(), "{}", text(&import));
    let import = run(&["import-session", "--session", "imported.session", "--force", &string], dir.path());
    assert!(import.status.success(), "a session with no key may be replaced: {}", text(&import));

    // 64-bit values are strings unless asked otherwise; parameters come from a file.
    std::fs::write(dir.path().join("params.json"), r#"{"id": [{"_": "inputUserSelf"}]}"#).expect("written");
    let users = run(&["invoke", "users.getUsers", "--json", "@params.json"], dir.path());
    assert!(users.status.success(), "{}", text(&users));
    let users: Value = serde_json::from_str(&stdout(&users)).expect("JSON");
    assert!(users[0]["access_hash"].is_string() && users[0]["id"] == "1000001", "{users}");
    let numbers = run(&["invoke", "users.getUsers", "--json", "@params.json", "--long-numbers"], dir.path());
    let numbers: Value = serde_json::from_str(&stdout(&numbers)).expect("JSON");
    assert_eq!(numbers[0]["id"], 1000001, "{numbers}");
    assert_eq!(numbers[0]["access_hash"].as_i64().map(|h| h.to_string()).as_deref(), users[0]["access_hash"].as_str());

    let logout = run(&["logout"], dir.path());
    assert!(logout.status.success(), "{}", text(&logout));
    let whoami = run(&["whoami"], dir.path());
    assert!(!whoami.status.success(), "{}", text(&whoami));
    assert!(text(&whoami).contains("not signed in"), "{}", text(&whoami));
    assert!(!text(&whoami).contains("RSA"), "{}", text(&whoami));

    // A failed first login leaves no file; the error is said once.
    let failed = run(
        &["login", "--session", "new.session", "--server-info", &info.display().to_string(), "--phone", "12"],
        dir.path(),
    );
    assert!(!failed.status.success(), "{}", text(&failed));
    assert!(!dir.path().join("new.session").exists(), "a failed first login left its session file");
    let error = String::from_utf8_lossy(&failed.stderr).lines().find(|l| l.starts_with("error: ")).map(str::to_owned);
    let error = error.expect("an error line");
    assert_eq!(error.matches("PHONE_NUMBER_INVALID").count(), 1, "{error}");
}

#[test]
fn listen_prints_each_incoming_message_as_a_json_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let info_dir = dir.path().join("info");
    let _server = serve(&info_dir);
    let info = info_dir.join("server.json").display().to_string();
    let made = run(
        &["admin", "--server-info", &info, "create-user", "--phone", "+9996620095", "--first-name", "Bea"],
        dir.path(),
    );
    assert!(made.status.success(), "{}", text(&made));
    let login = run(&["login", "--server-info", &info, "--phone", "+9996620094", "--code", "22222"], dir.path());
    assert!(login.status.success(), "{}", text(&login));

    let mut listen = Command::new(BIN)
        .args(["listen", "--count", "2"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("listen runs");
    let stderr = BufReader::new(listen.stderr.take().expect("stderr"));
    let (ready_tx, ready) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if line.starts_with("listening") {
                let _ = ready_tx.send(line.clone());
            }
        }
    });
    let ready = ready.recv_timeout(Duration::from_secs(60)).expect("listen says it listens");
    assert!(ready.contains("ferrogram user"), "{ready}");

    let stdout = BufReader::new(listen.stdout.take().expect("stdout"));
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    // Each line comes while listen still runs: the second message is sent after the first line.
    let mut texts = Vec::new();
    for message in ["first", "second 😀"] {
        let sent = run(
            &["admin", "--server-info", &info, "send-message", "--from", "+9996620095", "--to", "+9996620094", message],
            dir.path(),
        );
        assert!(sent.status.success(), "{}", text(&sent));
        let line = lines.recv_timeout(Duration::from_secs(60)).expect("an update line");
        let update: Value = serde_json::from_str(&line).expect("each line is JSON");
        assert_eq!(update["update"], "new_message", "{line}");
        assert_eq!(update["message"]["sender_id"], "1000001", "ids are strings: {line}");
        assert_eq!(update["message"]["peer"], serde_json::json!({"type": "user", "id": "1000001"}), "{line}");
        assert_eq!(update["message"]["out"], false, "{line}");
        texts.push(update["message"]["text"].as_str().expect("a text").to_owned());
    }
    assert_eq!(texts, ["first", "second 😀"]);
    let status = listen.wait().expect("listen ends");
    assert!(status.success(), "listen --count 2 stops by itself");
}
