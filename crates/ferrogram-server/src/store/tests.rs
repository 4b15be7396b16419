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
