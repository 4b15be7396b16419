//! Sessions: memory, SQLite (atomic stores, reopening), ferrogram's string format, and the import
//! of GramJS and Telethon string sessions from strings built here by hand from their formats.

use std::path::PathBuf;

use base64::alphabet;
use base64::engine::{Engine, GeneralPurpose, GeneralPurposeConfig};
use ferrogram::session::string::{self, StringSessionError};
use ferrogram::session::{
    AuthKey, DcEntry, MemorySession, SessionData, SessionError, SessionStore, SignedInUser, SqliteSession,
    StringSession,
};

const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new());
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, GeneralPurposeConfig::new());

/// A key whose bytes cover 0..=255, so its base64 has `+`/`/` (or `-`/`_`) in it.
fn key(seed: u8) -> [u8; 256] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
}

fn full_session() -> SessionData {
    let mut data = SessionData {
        home_dc: Some(2),
        user: Some(SignedInUser { id: 7_000_000_001, bot: true }),
        ..Default::default()
    };
    let mut dc2 = DcEntry::new(2, "149.154.167.51", 443).with_auth_key(AuthKey::from_bytes(key(1)));
    dc2.server_salt = Some(-0x1234_5678_9abc_def0);
    dc2.time_offset = Some(-3);
    data.set_dc(dc2);
    data.set_dc(DcEntry::new(4, "2001:67c:4e8:f004::b", 80));
    data.set_dc(DcEntry::new(10_003, "dc3.example.test", 65535).with_auth_key(AuthKey::from_bytes(key(9))));
    data
}

fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ferrogram-sessions");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

#[test]
fn memory_session_keeps_what_it_stores() {
    let store = MemorySession::new();
    assert!(store.load().unwrap().is_empty());
    store.store(&full_session()).unwrap();
    assert_eq!(store.load().unwrap(), full_session());
}

#[test]
fn session_data_helpers() {
    let mut data = full_session();
    assert_eq!(data.home().map(|dc| dc.host.as_str()), Some("149.154.167.51"));
    assert!(data.set_auth_key(4, Some(AuthKey::from_bytes(key(5)))));
    assert!(!data.set_auth_key(3, None), "DC 3 is unknown");
    data.sign_out();
    assert!(data.user.is_none());
    assert!(data.dcs.values().all(|dc| dc.auth_key.is_none()));
    assert_eq!(data.home_dc, Some(2), "addresses and home DC stay");
}

#[test]
fn sqlite_session_survives_reopening() {
    let path = temp_path("reopen");
    {
        let store = SqliteSession::open(&path).unwrap();
        assert!(store.load().unwrap().is_empty(), "a new file is an empty session");
        store.store(&full_session()).unwrap();
    }
    let reopened = SqliteSession::open(&path).unwrap();
    assert_eq!(reopened.load().unwrap(), full_session());

    // A later store replaces everything: DCs removed, user signed out.
    let mut smaller = full_session();
    smaller.dcs.remove(&4);
    smaller.sign_out();
    reopened.store(&smaller).unwrap();
    drop(reopened);
    assert_eq!(SqliteSession::open(&path).unwrap().load().unwrap(), smaller);
}

#[test]
fn sqlite_store_is_all_or_nothing() {
    let path = temp_path("atomic");
    let store = SqliteSession::open(&path).unwrap();
    store.store(&full_session()).unwrap();

    // Inject a fault: the file refuses a row for DC 99, which the next store writes after DC 2's
    // new key and the session row.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "CREATE TRIGGER refuse_dc_99 BEFORE INSERT ON dc WHEN NEW.id = 99 BEGIN SELECT RAISE(ABORT, 'injected fault'); END;",
    )
    .unwrap();
    drop(raw);

    let mut next = full_session();
    next.set_auth_key(2, Some(AuthKey::from_bytes(key(200))));
    next.user = None;
    next.set_dc(DcEntry::new(99, "10.0.0.99", 443));
    let error = store.store(&next).unwrap_err();
    assert!(matches!(error, SessionError::Sqlite { .. }), "{error}");
    assert!(error.to_string().contains("injected fault"), "{error}");

    // Neither the new key nor the cleared user was written.
    drop(store);
    let reopened = SqliteSession::open(&path).unwrap();
    assert_eq!(reopened.load().unwrap(), full_session());
}

#[test]
fn sqlite_refuses_a_newer_schema() {
    let path = temp_path("newer");
    drop(SqliteSession::open(&path).unwrap());
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 4).unwrap();
    match SqliteSession::open(&path) {
        Err(SessionError::NewerSchema { found: 4, supported: 3, .. }) => {}
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn sqlite_reports_a_corrupt_key() {
    let path = temp_path("corrupt");
    drop(SqliteSession::open(&path).unwrap());
    // Edited by hand: the CHECK constraint would refuse a short key, so drop it first by
    // rebuilding the table without it.
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TABLE dc; CREATE TABLE dc (id INTEGER PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL,
         auth_key BLOB, server_salt INTEGER, time_offset INTEGER);
         INSERT INTO dc VALUES (2, 'h', 443, x'0102', NULL, NULL);",
    )
    .unwrap();
    drop(raw);
    match SqliteSession::open(&path).unwrap().load() {
        Err(SessionError::Corrupt { what, .. }) => assert!(what.contains("2 bytes"), "{what}"),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn string_session_round_trips() {
    let empty = StringSession::new("").unwrap();
    assert!(empty.load().unwrap().is_empty());
    assert_eq!(StringSession::new(&empty.save()).unwrap().load().unwrap(), SessionData::default());

    let session = StringSession::from_data(full_session());
    let saved = session.save();
    assert!(saved.starts_with("fg1"), "{saved}");
    assert!(saved[3..].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe, unpadded");
    assert_eq!(StringSession::new(&saved).unwrap().load().unwrap(), full_session());
    assert_eq!(format!("  {saved}\n").parse::<StringSession>().unwrap().load().unwrap(), full_session());

    // Stored state is what save() writes.
    let fresh = StringSession::new("").unwrap();
    fresh.store(&full_session()).unwrap();
    assert_eq!(fresh.save(), saved);
}

#[test]
fn ferrogram_format_matches_its_documentation() {
    // Built by hand from the module docs: flags 0b011 (home DC, user, not a bot), home DC 2,
    // user 42, one DC: id 2, port 443, host "1.2.3.4", DC flags 0b001 (key).
    let mut bytes = vec![0b011];
    bytes.extend_from_slice(&2i32.to_be_bytes());
    bytes.extend_from_slice(&42i64.to_be_bytes());
    bytes.push(1);
    bytes.extend_from_slice(&2i32.to_be_bytes());
    bytes.extend_from_slice(&443u16.to_be_bytes());
    bytes.push(7);
    bytes.extend_from_slice(b"1.2.3.4");
    bytes.push(0b001);
    bytes.extend_from_slice(&key(3));
    let text = format!(
        "fg1{}",
        GeneralPurpose::new(&alphabet::URL_SAFE, base64::engine::general_purpose::NO_PAD).encode(&bytes)
    );

    let mut expected =
        SessionData { home_dc: Some(2), user: Some(SignedInUser { id: 42, bot: false }), ..Default::default() };
    expected.set_dc(DcEntry::new(2, "1.2.3.4", 443).with_auth_key(AuthKey::from_bytes(key(3))));
    assert_eq!(string::decode(&text).unwrap(), expected);
    assert_eq!(string::encode(&expected), text);
}

/// GramJS's layout: dc_id u8, address length u16 BE, address, port u16 BE, key.
fn gramjs_bytes(dc: u8, address: &str, port: u16, key: &[u8]) -> Vec<u8> {
    let mut bytes = vec![dc];
    bytes.extend_from_slice(&(address.len() as u16).to_be_bytes());
    bytes.extend_from_slice(address.as_bytes());
    bytes.extend_from_slice(&port.to_be_bytes());
    bytes.extend_from_slice(key);
    bytes
}

fn single(dc: i32, host: &str, port: u16, key: Option<[u8; 256]>) -> SessionData {
    let mut data = SessionData { home_dc: Some(dc), ..Default::default() };
    let mut entry = DcEntry::new(dc, host, port);
    entry.auth_key = key.map(AuthKey::from_bytes);
    data.set_dc(entry);
    data
}

#[test]
fn imports_gramjs_strings() {
    let bytes = gramjs_bytes(2, "149.154.167.51", 443, &key(1));
    let expected = single(2, "149.154.167.51", 443, Some(key(1)));
    // GramJS writes standard base64 with padding; its reader takes the URL-safe alphabet too.
    let written = format!("1{}", STANDARD.encode(&bytes));
    assert!(written.contains('+') || written.contains('/'), "the key exercises the alphabet");
    for text in [written.clone(), format!("1{}", URL_SAFE.encode(&bytes)), written.trim_end_matches('=').to_string()] {
        assert_eq!(StringSession::new(&text).unwrap().load().unwrap(), expected, "{text}");
        assert_eq!(string::decode_gramjs(&text).unwrap(), expected);
    }
    assert_eq!(string::encode_gramjs(&expected).unwrap(), written);

    // A host name and a port above 32767 (which GramJS itself reads as a signed number).
    let named = gramjs_bytes(4, "localhost", 40001, &key(2));
    assert_eq!(
        StringSession::new(&format!("1{}", STANDARD.encode(&named))).unwrap().load().unwrap(),
        single(4, "localhost", 40001, Some(key(2)))
    );
}

/// Telethon's layout: struct `>B4sH256s` or `>B16sH256s`, URL-safe base64 with padding.
fn telethon_string(dc: u8, ip: &[u8], port: u16, key: &[u8; 256]) -> String {
    let mut bytes = vec![dc];
    bytes.extend_from_slice(ip);
    bytes.extend_from_slice(&port.to_be_bytes());
    bytes.extend_from_slice(key);
    format!("1{}", URL_SAFE.encode(bytes))
}

#[test]
fn imports_telethon_strings() {
    let v4 = telethon_string(2, &[149, 154, 167, 51], 443, &key(1));
    assert_eq!(v4.len(), 353, "Telethon tells IPv4 strings by this length");
    let expected = single(2, "149.154.167.51", 443, Some(key(1)));
    assert_eq!(StringSession::new(&v4).unwrap().load().unwrap(), expected);
    assert_eq!(string::decode_telethon(&v4).unwrap(), expected);
    assert_eq!(string::encode_telethon(&expected).unwrap(), v4);

    let ip6: std::net::Ipv6Addr = "2001:67c:4e8:f002::a".parse().unwrap();
    let v6 = telethon_string(2, &ip6.octets(), 443, &key(4));
    assert_eq!(StringSession::new(&v6).unwrap().load().unwrap(), single(2, "2001:67c:4e8:f002::a", 443, Some(key(4))));

    // An all-zero key is Telethon's "no key".
    let keyless = telethon_string(5, &[91, 108, 56, 130], 443, &[0; 256]);
    assert_eq!(StringSession::new(&keyless).unwrap().load().unwrap(), single(5, "91.108.56.130", 443, None));
}

#[test]
fn exports_need_what_the_formats_hold() {
    let no_key = single(2, "149.154.167.51", 443, None);
    assert!(matches!(string::encode_gramjs(&no_key), Err(StringSessionError::Unrepresentable { .. })));
    let named = single(2, "dc2.example.test", 443, Some(key(1)));
    assert!(matches!(string::encode_telethon(&named), Err(StringSessionError::Unrepresentable { .. })));
    assert!(matches!(string::encode_gramjs(&SessionData::default()), Err(StringSessionError::Unrepresentable { .. })));
}

#[test]
fn malformed_strings_are_typed_errors() {
    use StringSessionError::*;
    let err = |s: &str| StringSession::new(s).map(|_| ()).unwrap_err();
    assert!(matches!(err("2AAAA"), UnknownVersion { .. }));
    assert!(matches!(err("hello"), UnknownVersion { .. }));
    assert!(matches!(err("1!!!!"), Base64(_)));
    assert!(matches!(err("fg1***"), Base64(_)));
    assert!(matches!(err("1AAAA"), UnknownLayout(3)));
    // GramJS layout with a 255-byte key: neither layout fits; read as GramJS it is a key error.
    let short_key = format!("1{}", STANDARD.encode(gramjs_bytes(2, "1.2.3.4", 443, &[1; 255])));
    assert!(matches!(err(&short_key), UnknownLayout(_)));
    assert_eq!(string::decode_gramjs(&short_key).unwrap_err(), KeyLength(255));
    // Address not UTF-8.
    let mut bad_host = gramjs_bytes(2, "1.2.3.4", 443, &key(1));
    bad_host[3] = 0xff;
    assert_eq!(string::decode_gramjs(&format!("1{}", STANDARD.encode(&bad_host))).unwrap_err(), BadAddress);
    // Telethon with the wrong length.
    assert!(matches!(string::decode_telethon(&format!("1{}", URL_SAFE.encode([0u8; 264]))), Err(UnknownLayout(264))));
    assert!(matches!(string::decode_telethon("x"), Err(UnknownVersion { .. })));

    // Ours: undefined flag bits, a bot flag without a user, trailing bytes.
    let fg = |bytes: &[u8]| format!("fg1{}", URL_SAFE.encode(bytes));
    assert_eq!(err(&fg(&[0b1_0000, 0])), UnknownFlags { field: "flags", flags: 0b1_0000 });
    assert_eq!(err(&fg(&[0b1000, 0])), Truncated { field: "pts", offset: 2, needed: 4 });
    assert_eq!(err(&fg(&[0b100, 0])), UnknownFlags { field: "flags", flags: 0b100 });
    assert_eq!(err(&fg(&[0, 0, 9])), TrailingBytes(1));
    assert_eq!(err(&fg(&[])), Truncated { field: "flags", offset: 0, needed: 1 });
}

#[test]
fn no_truncation_or_corruption_of_a_valid_string_panics() {
    let saved = StringSession::from_data(full_session()).save();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&saved[3..]).unwrap();
    for cut in 0..bytes.len() {
        let text = format!("fg1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes[..cut]));
        assert!(StringSession::new(&text).is_err(), "a string cut at {cut} bytes must not load");
    }
    // Flip each byte: either an error or some session, never a panic.
    for i in 0..bytes.len() {
        let mut changed = bytes.clone();
        changed[i] ^= 0xa5;
        let _ =
            StringSession::new(&format!("fg1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&changed)));
        let _ = StringSession::new(&format!("1{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&changed)));
    }
}
