//! `ferrogram serve --memory` publishes where it is (server.json, its key) for clients and
//! `ferrogram admin`, which makes users and injects faults a `ferrogram` client then meets.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{run, serve, text, Served, BIN};

#[test]
fn a_memory_server_is_found_through_its_info_file_and_admin_faults_reach_a_client() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let info_dir = dir.path().join("info");
    let _server = serve(&info_dir);
    let info = info_dir.join("server.json").display().to_string();
    assert!(info_dir.join("server-public.pem").exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&info).expect("exists").permissions().mode();
        assert_eq!(mode & 0o077, 0, "server.json holds the admin token: owner only");
    }

    let made = run(
        &["admin", "--server-info", &info, "create-user", "--phone", "+9996620071", "--first-name", "Ann"],
        dir.path(),
    );
    assert!(made.status.success(), "{}", text(&made));
    assert!(text(&made).contains("\"id\": \"1000001\""), "{}", text(&made));
    let again = run(
        &["admin", "--server-info", &info, "create-user", "--phone", "9996620071", "--first-name", "Ann"],
        dir.path(),
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("already registered"), "{}", text(&again));

    // A flood to an account nobody is signed in to: stored, pushed to no device.
    let bob = run(
        &["admin", "--server-info", &info, "create-user", "--phone", "+9996620072", "--first-name", "Bob"],
        dir.path(),
    );
    assert!(bob.status.success(), "{}", text(&bob));
    let flood = run(
        &[
            "admin",
            "--server-info",
            &info,
            "flood-messages",
            "--from",
            "+9996620071",
            "--to",
            "+9996620072",
            "--count",
            "50",
        ],
        dir.path(),
    );
    assert!(flood.status.success(), "{}", text(&flood));
    assert!(text(&flood).contains("\"messages\": 50") && text(&flood).contains("\"devices\": 0"), "{}", text(&flood));

    let login = run(&["login", "--server-info", &info, "--phone", "+9996620071", "--code", "22222"], dir.path());
    assert!(login.status.success(), "{}", text(&login));
    let codes = run(&["admin", "--data-dir", &info_dir.display().to_string(), "codes"], dir.path());
    assert!(text(&codes).contains("9996620071 22222"), "{}", text(&codes));

    let fault = run(
        &[
            "admin",
            "--server-info",
            &info,
            "fail-method",
            "users.getUsers",
            "PEER_ID_INVALID",
            "--phone",
            "+9996620071",
        ],
        dir.path(),
    );
    assert!(fault.status.success(), "{}", text(&fault));
    let whoami = run(&["whoami", "--server-info", &info], dir.path());
    assert!(!whoami.status.success() && text(&whoami).contains("PEER_ID_INVALID"), "{}", text(&whoami));
    let whoami = run(&["whoami", "--server-info", &info], dir.path());
    assert!(whoami.status.success() && text(&whoami).contains("Ann"), "{}", text(&whoami));

    let unknown = run(&["admin", "--server-info", &info, "fail-method", "no.method", "INTERNAL"], dir.path());
    assert!(!unknown.status.success() && text(&unknown).contains("no method"), "{}", text(&unknown));
    let nowhere = run(&["admin", "--server-info", "/nonexistent/server.json", "codes"], dir.path());
    assert!(!nowhere.status.success());
    assert!(text(&nowhere).contains("cannot use the server info file /nonexistent/server.json"), "{}", text(&nowhere));
}

#[test]
fn on_a_data_dir_with_no_server_users_are_made_in_the_store_and_faults_need_the_server() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data").display().to_string();
    let made = run(
        &["admin", "--data-dir", &data, "create-user", "--phone", "+9996620081", "--first-name", "Eve"],
        dir.path(),
    );
    assert!(made.status.success(), "{}", text(&made));
    let fault = run(&["admin", "--data-dir", &data, "drop-connections", "--phone", "+9996620081"], dir.path());
    assert!(!fault.status.success(), "{}", text(&fault));
    assert!(text(&fault).contains("server.json"), "says why: {}", text(&fault));

    // The server started on that data dir knows the account.
    let child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", &data])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ferrogram serve starts");
    let _server = Served(child);
    let info = Path::new(&data).join("server.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !info.exists() {
        assert!(Instant::now() < deadline, "no server.json after a minute");
        std::thread::sleep(Duration::from_millis(50));
    }
    let login = run(&["login", "--data-dir", &data, "--phone", "+9996620081", "--code", "22222"], dir.path());
    assert!(login.status.success() && text(&login).contains("Eve"), "{}", text(&login));
}
