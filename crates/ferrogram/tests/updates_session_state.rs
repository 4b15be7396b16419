//! The update state in sessions: SQLite files of schema 1 gain it when opened, string sessions
//! written before it still load, and both keep it across a store and a load.

use std::path::PathBuf;

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use ferrogram::session::{string, AuthKey, DcEntry, SessionData, SessionStore, SignedInUser, SqliteSession};
use ferrogram::{StringSession, UpdateState};

/// URL-safe base64, padded or not, as string sessions are read.
const URL_SAFE_NO_PAD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false).with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ferrogram-update-state");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

fn state() -> UpdateState {
    let mut state = UpdateState { pts: 120, qts: 3, date: 1_700_000_000, seq: 9, ..UpdateState::default() };
    state.channels.insert(1_000_000_001, 55);
    state.channels.insert(-7, i32::MAX);
    state
}

fn signed_in() -> SessionData {
    let mut data =
        SessionData { home_dc: Some(2), user: Some(SignedInUser { id: 42, bot: false }), ..Default::default() };
    data.set_dc(DcEntry::new(2, "127.0.0.1", 8443).with_auth_key(AuthKey::from_bytes([7; 256])));
    data
}

#[test]
fn a_schema_1_file_is_migrated_and_keeps_its_session() {
    let path = temp_path("v1");
    {
        // A file as schema 1 wrote it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), home_dc INTEGER, user_id INTEGER,
                                   user_is_bot INTEGER NOT NULL DEFAULT 0 CHECK (user_is_bot IN (0, 1)));
             CREATE TABLE dc (id INTEGER PRIMARY KEY, host TEXT NOT NULL,
                              port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
                              auth_key BLOB CHECK (auth_key IS NULL OR length(auth_key) = 256),
                              server_salt INTEGER, time_offset INTEGER);
             INSERT INTO session VALUES (1, 2, 42, 0);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        conn.execute("INSERT INTO dc VALUES (2, '127.0.0.1', 8443, ?1, NULL, NULL)", [vec![7u8; 256]]).unwrap();
    }
    let session = SqliteSession::open(&path).unwrap();
    assert_eq!(session.load().unwrap(), signed_in());
    let version: i64 =
        rusqlite::Connection::open(&path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 3);

    let with_state = SessionData { updates: Some(state()), ..signed_in() };
    session.store(&with_state).unwrap();
    drop(session);
    let reopened = SqliteSession::open(&path).unwrap();
    assert_eq!(reopened.load().unwrap(), with_state);
    // And it goes again with a store without one (a log-out).
    reopened.store(&signed_in()).unwrap();
    assert_eq!(reopened.load().unwrap().updates, None);
}

#[test]
fn string_sessions_carry_the_state_and_old_strings_still_load() {
    let old = string::encode(&signed_in());
    let bytes = URL_SAFE_NO_PAD.decode(&old[3..]).unwrap();
    assert_eq!(bytes[0] & 0b1000, 0, "no state, no flag: the string is what version 1 always wrote");
    assert_eq!(StringSession::new(&old).unwrap().load().unwrap(), signed_in());

    let with_state = SessionData { updates: Some(state()), ..signed_in() };
    let saved = StringSession::from_data(with_state.clone()).save();
    assert!(saved.starts_with("fg1"));
    assert_eq!(StringSession::new(&saved).unwrap().load().unwrap(), with_state);
    // The state is the documented tail: four i32, a u16 count, (i64, i32) per channel.
    let tail = URL_SAFE_NO_PAD.decode(&saved[3..]).unwrap().split_off(bytes.len());
    assert_eq!(tail.len(), 16 + 2 + 2 * 12);
    assert_eq!(&tail[..4], &120i32.to_be_bytes());
    assert_eq!(&tail[16..18], &2u16.to_be_bytes());
    // Cut anywhere inside the state: an error, not a session without it.
    let full = URL_SAFE_NO_PAD.decode(&saved[3..]).unwrap();
    for cut in bytes.len()..full.len() {
        assert!(string::decode(&format!("fg1{}", URL_SAFE_NO_PAD.encode(&full[..cut]))).is_err(), "{cut}");
    }
}

#[test]
fn signing_out_forgets_the_state() {
    let mut data = SessionData { updates: Some(state()), ..signed_in() };
    data.sign_out();
    assert_eq!(data.updates, None);
}
