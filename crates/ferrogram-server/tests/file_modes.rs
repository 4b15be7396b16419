//! Secrets on disk are the server user's only, whatever the umask: with umask 022 (which would
//! make new files 0644 and dirs 0755) the data dir is 0700, the database with its WAL and
//! shared-memory files and the codes file are 0600, and only the public key stays 0644. Looser
//! files and dirs from before are tightened.
//!
//! Alone in its test binary: the umask is per process, and no other test may race it.
#![cfg(unix)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::*;
use ferrogram_server::codes::CODES_FILE_NAME;
use ferrogram_server::net::keys::PUBLIC_KEY_FILE;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::store::DB_FILE_NAME;
use rustix::fs::Mode;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

#[track_caller]
fn assert_mode(path: &Path, expected: u32) {
    assert_eq!(mode(path), expected, "{}: {:o}, expected {expected:o}", path.display(), mode(path));
}

fn companion(dir: &Path, suffix: &str) -> std::path::PathBuf {
    dir.join(format!("{DB_FILE_NAME}{suffix}"))
}

/// The files a server with codes issued has in `dir`, checked while it runs (the WAL and
/// shared-memory files exist while the database is open).
fn assert_private(dir: &Path) {
    assert_mode(dir, 0o700);
    assert_mode(&dir.join(DB_FILE_NAME), 0o600);
    assert_mode(&companion(dir, "-wal"), 0o600);
    assert_mode(&companion(dir, "-shm"), 0o600);
    assert_mode(&dir.join(CODES_FILE_NAME), 0o600);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_on_disk_are_private_whatever_the_umask() {
    rustix::process::umask(Mode::from_raw_mode(0o022));
    let base = tempfile::tempdir().unwrap();

    // A new data dir (and a missing parent), as `ferrogram serve --data-dir` makes it.
    let dir = base.path().join("parent").join("data");
    let server = LocalServer::start(ServerOptions { data_dir: Some(dir.clone()), ..ServerOptions::ephemeral() })
        .await
        .expect("the server starts");
    let api = server.api();
    let ctx = new_key(api, 2, 1);
    send_code(api, &ctx, TEST_PHONE_DC2);
    assert_private(&dir);
    assert_mode(&dir.join(PUBLIC_KEY_FILE), 0o644);
    server.shutdown().await;

    // A data dir and files left loose (by an older version, or by hand) are tightened.
    let loose = base.path().join("loose");
    std::fs::create_dir(&loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o755)).unwrap();
    for name in [DB_FILE_NAME, CODES_FILE_NAME] {
        std::fs::write(loose.join(name), b"").unwrap();
        std::fs::set_permissions(loose.join(name), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let api = api_on(&loose, 3);
    let ctx = new_key(&api, 2, 1);
    send_code(&api, &ctx, TEST_PHONE_DC2);
    assert_private(&loose);
}
