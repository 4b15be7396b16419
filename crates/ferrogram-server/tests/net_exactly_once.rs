//! Exactly once across restarts and evictions, over real sockets: a captured encrypted
//! `auth.sendCode`, replayed byte for byte after a restart on the same data dir, after its session
//! was evicted, or after its answer was dropped from the session's cache, gets the first answer
//! back and runs no handler again.

mod support;

use std::path::Path;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::transport::{strip_padding, TransportKind};
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::Budgets;
use ferrogram_tl::mtproto::{GzipPacked, MsgContainer, RpcResult};
use ferrogram_tl::{enums, functions, Deserializable, Serializable};
use support::*;

/// A test-DC number of DC 2 (no flood limit on codes).
const PHONE: &str = "9996621111";

async fn start(dir: Option<&Path>, budgets: Budgets) -> LocalServer {
    let options = ServerOptions {
        data_dir: dir.map(Path::to_path_buf),
        rsa_key: Some(shared_rsa_key()),
        budgets,
        ..ServerOptions::ephemeral()
    };
    LocalServer::start(options).await.expect("the server starts")
}

/// What a captured request is: its packet as it went on the wire, its msg_id, and its answer.
struct Captured {
    packet: Vec<u8>,
    msg_id: i64,
    answer: Vec<u8>,
}

/// Makes a key on a new connection, starts the session with a read (so that the captured packet
/// carries a salt any connection accepts), then sends and captures `auth.sendCode`, alone in its
/// packet (not in a container with acks), as a resent request may be.
async fn capture_send_code(server: &LocalServer) -> (RawClient, SavedKey, Captured) {
    let mut client = RawClient::to_dc(server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = client.exchange_key(server.public_key()).await.expect("key exchange");
    client.invoke(&functions::help::GetNearestDc {}).await.expect("a first call");
    client.send_pending().await.expect("acks are sent");
    let (request, packet) = client.seal_request(send_code_request(PHONE).to_bytes()).expect("seals");
    let msg_id = client.session().and_then(|s| s.msg_id_of(request)).expect("the request has a msg_id");
    let answer = client.send_sealed(request, &packet).await.expect("sendCode is answered");
    (client, saved, Captured { packet, msg_id, answer })
}

/// Sends `packet` as it is and returns the result the server sends for `msg_id` (decrypted with
/// `key`, whatever session it is for).
async fn replay(client: &mut RawClient, key: &AuthKey, packet: &[u8], msg_id: i64) -> Vec<u8> {
    client.send_frame(packet).await.expect("the replay is sent");
    loop {
        let frame = client.recv_frame().await.expect("the server answers the replay");
        let message = envelope::decrypt(key, Side::Server, strip_padding(&frame)).expect("the answer decrypts");
        if let Some(result) = result_for(&message.body, msg_id) {
            return result;
        }
    }
}

/// The (unpacked) `rpc_result` for `msg_id` in `body`, looking into containers.
fn result_for(body: &[u8], msg_id: i64) -> Option<Vec<u8>> {
    match u32::from_le_bytes(body.get(..4)?.try_into().ok()?) {
        MsgContainer::CONSTRUCTOR_ID => {
            MsgContainer::from_bytes_exact(body).ok()?.messages.iter().find_map(|m| result_for(&m.body, msg_id))
        }
        RpcResult::CONSTRUCTOR_ID => {
            let result = RpcResult::from_bytes_exact(body).ok()?;
            if result.req_msg_id != msg_id {
                return None;
            }
            match GzipPacked::from_bytes_exact(&result.result) {
                Ok(packed) => packed.unpack().ok(),
                Err(_) => Some(result.result),
            }
        }
        _ => None,
    }
}

fn phone_code_hash(answer: &[u8]) -> String {
    match enums::auth::SentCode::from_bytes_exact(answer).expect("an auth.SentCode") {
        enums::auth::SentCode::SentCode(sent) => sent.phone_code_hash,
        other => panic!("expected auth.sentCode, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_code_replayed_after_a_restart_is_answered_from_its_record() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = start(Some(dir.path()), Budgets::default()).await;
    let (client, saved, captured) = capture_send_code(&server).await;
    assert_eq!(server.api().executions("auth.sendCode"), 1);
    let codes = server.api().store().code_count().expect("codes");
    assert_eq!(codes, 1);
    // The first call recorded the client's layer and initConnection on the key (a write), the
    // sendCode its code; reads record nothing.
    assert_eq!(server.api().store().recorded_answers().expect("records"), 2);
    drop(client);
    server.shutdown().await;

    // A new process on the same data dir: nothing in memory, the same bytes on a new connection.
    let server = start(Some(dir.path()), Budgets::default()).await;
    let mut attacker = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let answer = replay(&mut attacker, &saved.key, &captured.packet, captured.msg_id).await;
    assert_eq!(answer, captured.answer, "the first answer, byte for byte");
    assert_eq!(phone_code_hash(&answer), phone_code_hash(&captured.answer));
    assert_eq!(server.api().executions("auth.sendCode"), 0, "the handler did not run again");
    assert_eq!(server.api().store().code_count().expect("codes"), codes, "no second code was issued");

    // Again on the same (now known) session: from the session's cache, still not run.
    let answer = replay(&mut attacker, &saved.key, &captured.packet, captured.msg_id).await;
    assert_eq!(answer, captured.answer);
    assert_eq!(server.api().executions("auth.sendCode"), 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_evicted_by_its_own_key_does_not_rerun_and_other_keys_keep_theirs() {
    let budgets = Budgets { max_sessions_per_key: 4, ..Budgets::default() };
    let server = start(None, budgets).await;
    // Another key's session, which the flood below must not evict.
    let mut other = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.expect("connects");
    let other_key = other.exchange_key(server.public_key()).await.expect("key exchange");
    other.invoke(&functions::help::GetNearestDc {}).await.expect("a call");

    let (mut client, saved, captured) = capture_send_code(&server).await;
    // Twenty new sessions on the same key: the captured one is evicted, the key stays at its cap.
    for _ in 0..20 {
        client.resume(&saved);
        client.invoke(&functions::help::GetNearestDc {}).await.expect("a call on a new session");
    }
    assert_eq!(server.sessions_of_key(saved.key.id()), 4);
    assert_eq!(server.sessions_of_key(other_key.key.id()), 1, "the other key's session is kept");

    let answer = replay(&mut client, &saved.key, &captured.packet, captured.msg_id).await;
    assert_eq!(answer, captured.answer);
    assert_eq!(server.api().executions("auth.sendCode"), 1, "the evicted session's request did not run again");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_whose_cached_answer_was_dropped_gets_its_recorded_answer() {
    // Room for a few small answers per session: the sendCode answer is pushed out by later ones.
    let budgets = Budgets { session_answer_bytes: 1024, ..Budgets::default() };
    let server = start(None, budgets).await;
    let (mut client, saved, captured) = capture_send_code(&server).await;
    for _ in 0..30 {
        client.invoke(&functions::help::GetNearestDc {}).await.expect("a read");
    }
    assert!(server.session_stats().answer_bytes <= 1024);

    // The same session resends it (same msg_id): remembered as received, answer no longer cached.
    let answer = replay(&mut client, &saved.key, &captured.packet, captured.msg_id).await;
    assert_eq!(answer, captured.answer);
    assert_eq!(server.api().executions("auth.sendCode"), 1, "answered from the record");
    server.shutdown().await;
}
