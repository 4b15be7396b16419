//! Unit tests of the store's core: users, faults, flood counters, codes, reopening.
use super::*;

fn user(phone: &str) -> NewUser {
    NewUser {
        phone: Some(phone.into()),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        username: None,
        bot_token_secret: None,
        home_dc: 2,
        password: None,
        login_email: None,
        access_hash: 42,
    }
}

#[test]
fn users_get_sequential_ids_and_unique_phones() {
    let store = Store::open_in_memory().unwrap();
    let a = store.create_user(&user("15550001"), 10).unwrap();
    let b = store.create_user(&user("15550002"), 10).unwrap();
    assert_eq!(a.id, FIRST_USER_ID);
    assert_eq!(b.id, FIRST_USER_ID + 1);
    assert!(store.create_user(&user("15550001"), 10).is_err());
    assert_eq!(store.user_by_phone("15550002").unwrap(), Some(b));
}

#[test]
fn injected_fault_fails_exactly_one_write() {
    let store = Store::open_in_memory().unwrap();
    store.fail_next_write();
    assert!(matches!(store.create_user(&user("1555"), 1), Err(StoreError::InjectedFault)));
    assert!(store.user_by_phone("1555").unwrap().is_none());
    store.create_user(&user("1555"), 1).unwrap();
}

#[test]
fn flood_counter_resets_after_its_window() {
    let store = Store::open_in_memory().unwrap();
    assert_eq!(store.bump_flood("k", 60, 100).unwrap(), (1, 160));
    assert_eq!(store.bump_flood("k", 60, 159).unwrap(), (2, 160));
    assert_eq!(store.flood_window("k", 159).unwrap(), Some((2, 160)));
    assert_eq!(store.flood_window("k", 160).unwrap(), None);
    assert_eq!(store.bump_flood("k", 60, 160).unwrap(), (1, 220));
}

#[test]
fn new_code_supersedes_the_active_one() {
    let store = Store::open_in_memory().unwrap();
    let code = |hash: &str| LoginCode {
        phone_code_hash: hash.into(),
        phone: "1555".into(),
        phone_as_sent: "+1555".into(),
        code: "12345".into(),
        kind: CodeKind::Sms,
        dc: 2,
        created: 1,
        expires: 100,
        attempts: 0,
        state: CodeState::Active,
        verified: false,
    };
    store.insert_code(&code("a")).unwrap();
    store.insert_code(&code("b")).unwrap();
    assert_eq!(store.code("a").unwrap().unwrap().state, CodeState::Superseded);
    assert_eq!(store.code("b").unwrap().unwrap().state, CodeState::Active);
}

#[test]
fn reopening_a_file_keeps_users_and_bindings() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open_dir(dir.path()).unwrap();
        let u = store.create_user(&user("1555"), 1).unwrap();
        store.insert_auth_key(7, &[9u8; 256], 2, None, 1).unwrap();
        assert!(store.bind_auth_key(7, Some(u.id)).unwrap());
    }
    let store = Store::open_dir(dir.path()).unwrap();
    let key = store.auth_key(7).unwrap().unwrap();
    assert_eq!(key.user_id, Some(FIRST_USER_ID));
    assert_eq!(key.key, [9u8; 256]);
}

#[test]
fn a_version_5_file_keeps_its_recorded_answers_in_the_reshaped_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite3");
    let msg_id = (1_700_000_123_i64 << 32) | 4;
    {
        // A file as version 5 left it: answers keyed by (auth key, session, msg_id).
        let conn = Connection::open(&path).unwrap();
        for schema in [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5] {
            conn.execute_batch(schema).unwrap();
        }
        conn.execute(
            "INSERT INTO answers (auth_key_id, session_id, msg_id, msg_time, result) VALUES (7, 8, ?1, ?2, x'01')",
            params![msg_id, 1_700_000_123_i64],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 5).unwrap();
    }
    let store = Store::open_file(&path).unwrap();
    let request = RequestKey { auth_key_id: 7, session_id: 8, msg_id };
    assert_eq!(store.recorded_answer(request).unwrap(), Some(Ok(vec![1])));
    drop(store);
    // Opened again (now version 6), nothing is reshaped twice.
    let store = Store::open_file(&path).unwrap();
    assert_eq!(store.recorded_answer(request).unwrap(), Some(Ok(vec![1])));
    let version: i32 = store.lock().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}
