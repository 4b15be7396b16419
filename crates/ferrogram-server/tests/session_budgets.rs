//! The server's session table within its budgets: 100,000+ session ids on one key evict only
//! that key's sessions, eviction is least recently used (never all at once), idle sessions go,
//! and answer caches stay under their total in bytes, in-process and over sockets.

mod support;

use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::envelope::{self, Decrypted, Header};
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::ServerSession;
use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::sessions::SessionTable;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::Budgets;
use ferrogram_tl::{functions, Serializable};
use support::*;

const NOW: i64 = 1_700_000_000;

fn key(seed: u8) -> AuthKey {
    AuthKey::from_bytes(std::array::from_fn(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)))
}

fn new_session(key: &AuthKey, session_id: i64) -> impl FnOnce() -> ServerSession + '_ {
    move || ServerSession::new(key.clone(), session_id, ServerSalts::new([1; 32], key.id()), 1)
}

#[test]
fn a_hundred_thousand_session_ids_on_one_key_evict_only_that_keys_sessions() {
    let budgets = Budgets::default();
    let mut table = SessionTable::new(&budgets);
    let (flooder, others): (AuthKey, Vec<AuthKey>) = (key(0), (1..=10).map(key).collect());
    for (i, other) in others.iter().enumerate() {
        table.get_or_insert((other.id(), i as i64), NOW, new_session(other, i as i64));
    }
    for session_id in 0..100_500 {
        table.get_or_insert((flooder.id(), session_id), NOW, new_session(&flooder, session_id));
    }
    assert_eq!(table.len_for_key(flooder.id()), budgets.max_sessions_per_key);
    assert!(table.len() <= budgets.max_sessions);
    for (i, other) in others.iter().enumerate() {
        assert!(table.contains((other.id(), i as i64)), "another key's session was evicted");
    }
    // The flooder keeps its newest sessions.
    assert!(table.contains((flooder.id(), 100_499)));
    assert!(!table.contains((flooder.id(), 0)));
}

#[test]
fn past_the_total_the_least_recently_used_session_goes_not_all() {
    let budgets = Budgets { max_sessions: 100, ..Budgets::default() };
    let mut table = SessionTable::new(&budgets);
    let keys: Vec<AuthKey> = (0..100).map(|i| key(i as u8)).collect();
    for (i, key) in keys.iter().enumerate() {
        table.get_or_insert((key.id(), 1), NOW + i as i64, new_session(key, 1));
    }
    // The first ten are used again, so the next ten evicted are 10..20.
    for key in &keys[..10] {
        table.get_or_insert((key.id(), 1), NOW + 200, new_session(key, 1));
    }
    let newcomer = key(200);
    for session_id in 0..10 {
        table.get_or_insert((newcomer.id(), session_id), NOW + 300, new_session(&newcomer, session_id));
    }
    assert_eq!(table.len(), 100);
    assert!(keys[..10].iter().all(|k| table.contains((k.id(), 1))), "recently used sessions are kept");
    assert!(keys[10..20].iter().all(|k| !table.contains((k.id(), 1))), "the least recently used went");
    assert!(keys[20..].iter().all(|k| table.contains((k.id(), 1))), "the rest are kept");

    // Idle sessions go after `session_idle`, used ones stay.
    let dropped = table.prune_idle(NOW + 300 + budgets.session_idle, budgets.session_idle);
    assert_eq!(dropped, 10 + 80, "all but the newcomer's");
    assert_eq!(table.len(), 10);
}

/// A `help.getNearestDc` call, as the server decrypts it.
fn call(key: &AuthKey, session_id: i64, msg_id: i64, now: Duration) -> Decrypted {
    let salt = ServerSalts::new([1; 32], key.id()).current(now);
    let header = Header { salt, session_id, msg_id, seq_no: 1 };
    let body = functions::help::GetNearestDc {}.to_bytes();
    let packet = envelope::encrypt(key, Side::Client, header, &body, &mut os_fill);
    envelope::decrypt(key, Side::Client, &packet).expect("our own packet decrypts")
}

#[test]
fn answer_caches_stay_under_the_total_with_many_sessions_and_calls() {
    let budgets = Budgets { total_answer_bytes: 256 * 1024, ..Budgets::default() };
    let mut table = SessionTable::new(&budgets);
    let now = Duration::from_secs(NOW as u64);
    let key = key(7);
    // 300 sessions x 1024 calls of 500-byte answers: 150 MiB if every cache were kept whole.
    for session_id in 0..300 {
        let (session, _) = table.get_or_insert((key.id(), session_id), NOW, new_session(&key, session_id));
        let mut ids = MsgIdGenerator::new();
        for _ in 0..1024 {
            let msg_id = ids.next(now, IdKind::Client);
            let mut s = session.lock().expect("not poisoned");
            s.handle(call(&key, session_id, msg_id, now), now).expect("accepted");
            while let Some(call) = s.poll_call() {
                s.answer(call.msg_id, Ok(vec![0; 500]));
            }
            while s.poll_transmit(now, &mut os_fill).is_some() {}
        }
        table.count_answers((key.id(), session_id), &session);
        assert!(table.answer_bytes() <= budgets.total_answer_bytes, "{} bytes", table.answer_bytes());
    }
    assert!(table.answer_bytes() > budgets.total_answer_bytes / 2, "the budget is used, not just emptied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_sockets_the_servers_answer_bytes_stay_under_its_total() {
    let budgets = Budgets { session_answer_bytes: 2048, total_answer_bytes: 8 * 1024, ..Budgets::default() };
    let options =
        ServerOptions { rsa_key: Some(shared_rsa_key()), budgets: budgets.clone(), ..ServerOptions::ephemeral() };
    let server = LocalServer::start(options).await.expect("the server starts");
    let mut client = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = client.exchange_key(server.public_key()).await.expect("key exchange");
    for _ in 0..20 {
        client.resume(&saved);
        for _ in 0..40 {
            client.invoke(&functions::help::GetNearestDc {}).await.expect("a call");
        }
        let stats = server.session_stats();
        assert!(stats.answer_bytes <= budgets.total_answer_bytes, "{stats:?}");
    }
    let stats = server.session_stats();
    assert_eq!(stats.sessions, 20);
    assert!(stats.answer_bytes > 0);
    // Reads are not recorded in the store (only the first call, which recorded initConnection).
    assert_eq!(server.api().store().recorded_answers().expect("records"), 1);
    server.shutdown().await;
}
