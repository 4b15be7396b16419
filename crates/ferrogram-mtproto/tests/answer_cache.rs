//! The server session's answer cache stays within its limits, and a resent request whose answer
//! was dropped is ignored, or handed out again when the application asks for that.

use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::envelope::{self, Decrypted, Header};
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::{AnswerCacheLimits, Handled, ServerSession, ANSWER_OVERHEAD};
use ferrogram_tl::{functions, Serializable};

const NOW: Duration = Duration::from_secs(1_700_000_000);
const SESSION: i64 = 5;

fn key() -> AuthKey {
    AuthKey::from_bytes(std::array::from_fn(|i| (i as u8).wrapping_mul(7)))
}

fn fill(buf: &mut [u8]) {
    buf.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
}

/// A `help.getConfig` call with `msg_id`, as the server decrypts it.
fn call(key: &AuthKey, salts: &ServerSalts, msg_id: i64) -> Decrypted {
    let header = Header { salt: salts.current(NOW), session_id: SESSION, msg_id, seq_no: 1 };
    let packet = envelope::encrypt(key, Side::Client, header, &functions::help::GetConfig {}.to_bytes(), &mut fill);
    envelope::decrypt(key, Side::Client, &packet).expect("our own packet decrypts")
}

fn session(limits: AnswerCacheLimits) -> (ServerSession, AuthKey, ServerSalts) {
    let key = key();
    let salts = ServerSalts::new([3; 32], key.id());
    (ServerSession::new(key.clone(), SESSION, salts.clone(), 1).with_answer_cache(limits), key, salts)
}

/// Runs `n` calls, each answered with `size` bytes; returns their msg_ids.
fn answer_calls(server: &mut ServerSession, key: &AuthKey, salts: &ServerSalts, n: usize, size: usize) -> Vec<i64> {
    let mut ids = MsgIdGenerator::new();
    (0..n)
        .map(|_| {
            let msg_id = ids.next(NOW, IdKind::Client);
            assert_eq!(server.handle(call(key, salts, msg_id), NOW).unwrap(), Handled::Accepted);
            let call = server.poll_call().expect("a call");
            server.answer(call.msg_id, Ok(vec![0; size]));
            while server.poll_transmit(NOW, &mut fill).is_some() {}
            msg_id
        })
        .collect()
}

#[test]
fn the_cache_keeps_the_newest_answers_within_its_bytes() {
    let limits = AnswerCacheLimits { max_answers: 1000, max_bytes: 10_000, rerun_dropped: false };
    let (mut server, key, salts) = session(limits);
    let ids = answer_calls(&mut server, &key, &salts, 100, 500);
    assert!(server.answer_cache_bytes() <= 10_000, "{} bytes cached", server.answer_cache_bytes());
    assert!(server.answer_cache_bytes() > 10_000 - 600 - ANSWER_OVERHEAD, "the cache is used up to its limit");

    // The newest answer is still there for a resend; the oldest was dropped and is ignored.
    assert_eq!(server.handle(call(&key, &salts, ids[99]), NOW).unwrap(), Handled::Duplicate);
    assert!(server.poll_transmit(NOW, &mut fill).is_some(), "the cached answer is sent again");
    assert_eq!(server.handle(call(&key, &salts, ids[0]), NOW).unwrap(), Handled::Duplicate);
    assert!(server.poll_call().is_none(), "a dropped answer is not run again by default");

    // The application can shrink it further, oldest first.
    assert_eq!(server.shrink_answer_cache(0), 0);
}

#[test]
fn the_cache_keeps_at_most_max_answers() {
    let limits = AnswerCacheLimits { max_answers: 3, ..AnswerCacheLimits::default() };
    let (mut server, key, salts) = session(limits);
    answer_calls(&mut server, &key, &salts, 10, 10);
    assert_eq!(server.answer_cache_bytes(), 3 * (server_answer_len(10) + ANSWER_OVERHEAD));
}

/// Bytes of the `rpc_result` around a `size`-byte answer.
fn server_answer_len(size: usize) -> usize {
    ferrogram_tl::mtproto::RpcResult { req_msg_id: 0, result: vec![0; size] }.to_bytes().len()
}

#[test]
fn a_dropped_answer_is_handed_out_again_when_asked() {
    let limits = AnswerCacheLimits { max_answers: 2, max_bytes: usize::MAX, rerun_dropped: true };
    let (mut server, key, salts) = session(limits);
    let ids = answer_calls(&mut server, &key, &salts, 5, 10);
    assert_eq!(server.handle(call(&key, &salts, ids[0]), NOW).unwrap(), Handled::Accepted);
    assert_eq!(server.poll_call().map(|c| c.msg_id), Some(ids[0]), "handed out again");
    // While it runs, a further resend is a plain duplicate.
    assert_eq!(server.handle(call(&key, &salts, ids[0]), NOW).unwrap(), Handled::Duplicate);
    assert!(server.poll_call().is_none());
    // A cached one is answered from the cache, not handed out.
    assert_eq!(server.handle(call(&key, &salts, ids[4]), NOW).unwrap(), Handled::Duplicate);
    assert!(server.poll_call().is_none());
}
