//! Pruning, as a plain function of `now`: expired codes, idle sessions, keys nobody signed in
//! with and nothing uses, expired temporary keys and old recorded answers go; signed-in keys stay.
//! Then the same through a running server's shell, over sockets.

mod common;
mod support;

use common::*;
use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::transport::{TransportError, TransportKind};
use ferrogram_server::store::RequestKey;
use ferrogram_server::{Budgets, RpcError};

fn exists(api: &ferrogram_server::Api, key_id: i64) -> bool {
    api.auth_key(key_id).unwrap().is_some()
}

#[test]
fn pruning_drops_what_is_unused_and_keeps_signed_in_keys() {
    let api = api();
    let store = api.store().clone();
    let budgets = Budgets::default();

    let unused = new_key(&api, 2, 1).auth_key_id;
    let signed_in = new_key(&api, 2, 2);
    let user = sign_up(&api, &signed_in, TEST_PHONE_DC2, "Kept");
    let active = new_key(&api, 2, 3).auth_key_id;
    store.touch_session(active, 1, T0 + 3000).unwrap();
    let signed_in_idle = new_key(&api, 2, 4);
    sign_in(&api, &signed_in_idle, TEST_PHONE_DC2);
    store.touch_session(signed_in_idle.auth_key_id, 1, T0).unwrap();
    // A temporary key (expires_in 100 s), even signed in, goes when it expires.
    let temp = AuthKey::from_bytes([5; 256]);
    api.register_auth_key(&temp, 2, Some(100), T0).unwrap();
    store.bind_auth_key(temp.id(), Some(user.id)).unwrap();
    // A recorded answer of a request sent at T0.
    let request = RequestKey { auth_key_id: active, session_id: 1, msg_id: T0 << 32 | 4 };
    store
        .once(request, || store.bump_flood("x", 10, T0).map(|_| vec![1]).map_err(|_| RpcError::new(500, "X")))
        .unwrap();
    let codes = store.code_count().unwrap();
    assert!(codes >= 2, "sign-up and sign-in issued codes");

    // A minute on: everything is still in use or young.
    let pruned = api.prune(T0 + 60, &budgets).unwrap();
    assert_eq!((pruned.auth_keys, pruned.sessions, pruned.codes, pruned.answers), (0, 0, 0, 0), "{pruned:?}");

    // An hour on: the never-used key, the expired temporary key and the old record go.
    let pruned = api.prune(T0 + 3601, &budgets).unwrap();
    assert_eq!(pruned.auth_keys, 2, "{pruned:?}");
    assert!(!exists(&api, unused) && !exists(&api, temp.id()));
    assert!(exists(&api, signed_in.auth_key_id) && exists(&api, active) && exists(&api, signed_in_idle.auth_key_id));
    assert_eq!(store.recorded_answer(request).unwrap(), None, "past its retention");
    assert_eq!(store.code_count().unwrap(), codes, "expired codes are kept a day for `ferrogram codes`");

    // A day after the last activity: idle sessions go, and with them the anonymous key they kept;
    // signed-in keys stay whether or not they have sessions; the long-expired codes go.
    let pruned = api.prune(T0 + 3000 + budgets.session_idle + 1, &budgets).unwrap();
    assert_eq!(pruned.sessions, 2, "{pruned:?}");
    assert!(!exists(&api, active), "an anonymous key idle for a day");
    assert!(exists(&api, signed_in.auth_key_id) && exists(&api, signed_in_idle.auth_key_id));
    assert!(store.sessions(signed_in_idle.auth_key_id).unwrap().is_empty());
    assert_eq!(store.code_count().unwrap(), 0);
    assert!(get_self(&api, &signed_in_idle).is_ok(), "still signed in");
}

#[test]
fn a_key_keeps_at_most_its_cap_of_sessions_in_the_store() {
    let api = api();
    let budgets = Budgets { max_sessions_per_key: 3, ..Budgets::default() };
    let key = new_key(&api, 2, 1).auth_key_id;
    for session_id in 0..10 {
        api.store().touch_session(key, session_id, T0 + session_id).unwrap();
    }
    assert_eq!(api.prune(T0 + 20, &budgets).unwrap().sessions, 7);
    assert_eq!(api.store().sessions(key).unwrap(), vec![7, 8, 9], "the most recently active are kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_pruning_forgets_unused_keys_and_keeps_signed_in_ones() {
    use support::{shared_rsa_key, unix_now, ClientError, RawClient};
    let options = ferrogram_server::net::ServerOptions {
        rsa_key: Some(shared_rsa_key()),
        ..ferrogram_server::net::ServerOptions::ephemeral()
    };
    let server = ferrogram_server::net::LocalServer::start(options).await.expect("the server starts");
    let mut signed_in = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    signed_in.exchange_key(server.public_key()).await.expect("key exchange");
    let user = signed_in.log_in_test_number("9996627777", "Stays").await.expect("login");
    let mut abandoned = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let unused = abandoned.exchange_key(server.public_key()).await.expect("key exchange");
    drop(abandoned);

    // Ten days on, as the periodic pruning would see it.
    server.prune_now(unix_now().as_secs() as i64 + 10 * 86_400);
    assert_eq!(server.session_stats().sessions, 0, "idle sessions left memory");
    assert!(server.api().auth_key(unused.key.id()).unwrap().is_none(), "the abandoned key is gone");

    let mut back = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    back.resume(&unused);
    match back.get_self().await {
        Err(ClientError::Transport(TransportError::Status(-404))) => {}
        other => panic!("expected -404 for a pruned key, got {other:?}"),
    }
    assert_eq!(signed_in.get_self().await.expect("the signed-in key still works").id, user.id);
    server.shutdown().await;
}
