//! A session file holds authorization keys: with umask 022 (which would make new files 0644) the
//! file SqliteSession creates, and the rollback journal SQLite writes beside it, are 0600; a
//! session file left 0644 is tightened when opened.
//!
//! Alone in its test binary: the umask is per process, and no other test may race it.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ferrogram::session::{AuthKey, DcEntry, SessionData, SessionStore, SqliteSession};
use rustix::fs::Mode;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o777
}

fn fresh_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ferrogram-session-modes");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}-{}.session", std::process::id()));
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn signed_in_data() -> SessionData {
    let mut data = SessionData { home_dc: Some(2), ..Default::default() };
    data.set_dc(DcEntry::new(2, "127.0.0.1", 443).with_auth_key(AuthKey::from_bytes([7; 256])));
    data
}

#[test]
fn session_files_are_private_whatever_the_umask() {
    rustix::process::umask(Mode::from_raw_mode(0o022));

    // A new session file, as `ferrogram login` creates ferrogram.session.
    let path = fresh_path("new");
    let session = SqliteSession::open(&path).unwrap();
    session.store(&signed_in_data()).unwrap();
    assert_eq!(mode(&path), 0o600);

    // The journal SQLite creates while a transaction writes gets the file's permissions.
    let journal = PathBuf::from(format!("{}-journal", path.display()));
    let writer = rusqlite::Connection::open(&path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE; DELETE FROM dc;").unwrap();
    assert_eq!(mode(&journal), 0o600, "the rollback journal");
    writer.execute_batch("ROLLBACK").unwrap();
    drop(writer);
    assert_eq!(session.load().unwrap(), signed_in_data());

    // A session file left readable by others is tightened on open.
    let loose = fresh_path("loose");
    drop(SqliteSession::open(&loose).unwrap());
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    let reopened = SqliteSession::open(&loose).unwrap();
    assert_eq!(mode(&loose), 0o600);
    reopened.store(&signed_in_data()).unwrap();
}
