//! Malformed traffic over real sockets (issue 4, acceptance: "garbage, truncated frames, a valid
//! frame with a garbage body, a huge length get the connection closed or an error answer, and the
//! server keeps serving other clients").
//!
//! Each case runs while another client signs in on the same server, and a third signs in after
//! it. Every read is bounded (see `support::READ_TIMEOUT`), so a hang fails the test.

mod support;

use ferrogram_mtproto::authkey::{plain, AuthKey};
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::envelope::{self, Header};
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::transport::{TransportError, TransportKind};
use ferrogram_server::net::LocalServer;
use ferrogram_tl::{functions, Serializable};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use support::*;

/// Test-DC numbers for the well-behaved clients, one per login.
static NEXT_PHONE: AtomicU32 = AtomicU32::new(0);

/// A well-behaved client's whole login on `server`: connect, key exchange, sendCode, signIn (or
/// signUp), getUsers(self).
async fn honest_login(addr: std::net::SocketAddr, server_key: ferrogram_mtproto::crypto::rsa::RsaPublicKey) {
    let phone = format!("999662{:04}", 3000 + NEXT_PHONE.fetch_add(1, Ordering::Relaxed));
    let mut client = RawClient::connect(addr, TransportKind::Intermediate, 2).await.expect("connects");
    client.exchange_key(&server_key).await.expect("key exchange");
    let user = client.log_in_test_number(&phone, "Honest").await.expect("login");
    assert_eq!(client.get_self().await.expect("getUsers(self)").id, user.id);
}

/// Runs `abuse` on a fresh server while an honest client logs in, then logs another one in.
async fn while_serving<F, Fut>(abuse: F)
where
    F: FnOnce(Arc<LocalServer>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let server = Arc::new(start_server().await);
    let addr = server.dc_addr(2).expect("DC 2");
    let key = server.public_key().clone();
    let concurrent = tokio::spawn(honest_login(addr, key.clone()));
    abuse(server.clone()).await;
    concurrent.await.expect("the concurrent login succeeds");
    honest_login(addr, key).await;
    match Arc::try_unwrap(server) {
        Ok(server) => server.shutdown().await,
        Err(_) => panic!("the server is still shared"),
    }
}

/// A connection to DC 2 that has not sent anything.
async fn raw(server: &LocalServer, kind: TransportKind) -> RawClient {
    RawClient::to_dc(server, 2, kind).await.expect("connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_bytes_close_the_connection() {
    while_serving(|server| async move {
        // Bytes that are no transport's header: read as an obfuscated init, whose tag is wrong.
        let mut c = raw(&server, TransportKind::Abridged).await;
        c.write_raw(&[0x42; 200]).await.unwrap();
        assert!(c.server_closes().await, "garbage is answered by closing");
        // An HTTP client.
        let mut c = raw(&server, TransportKind::Abridged).await;
        c.write_raw(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
        assert!(c.server_closes().await, "HTTP is answered by closing");
        // Garbage after a valid transport tag: an abridged frame of 4 random words is no message.
        let mut c = raw(&server, TransportKind::Abridged).await;
        c.write_raw(&[0xef, 0x01, 0x13, 0x37, 0xbe, 0xef]).await.unwrap();
        assert!(c.server_closes().await, "a frame too short for an MTProto message closes");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_frames_close_the_connection() {
    while_serving(|server| async move {
        // Intermediate: a frame announcing 100 bytes, 10 sent, then the client gives up.
        let mut c = raw(&server, TransportKind::Intermediate).await;
        let mut bytes = vec![0xee; 4];
        bytes.extend_from_slice(&100u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 10]);
        c.write_raw(&bytes).await.unwrap();
        c.finish_writes().await.unwrap();
        assert!(c.server_closes().await, "a connection ending mid-frame is closed");

        // A whole frame whose plain message is cut short (its length field says 40, 4 follow).
        let mut c = raw(&server, TransportKind::Full).await;
        let mut message = plain::wrap(MsgIdGenerator::new().next(unix_now(), IdKind::Client), &[0; 40]);
        message.truncate(24);
        c.send_frame(&message).await.unwrap();
        assert!(c.server_closes().await, "a truncated plain message closes");

        // A key exchange message cut in the middle of its TL body.
        let mut c = raw(&server, TransportKind::PaddedIntermediate).await;
        let req_pq = ferrogram_tl::mtproto::functions::ReqPqMulti { nonce: [7; 16] }.to_bytes();
        let message = plain::wrap(MsgIdGenerator::new().next(unix_now(), IdKind::Client), &req_pq[..10]);
        c.send_frame(&message).await.unwrap();
        assert!(c.server_closes().await, "a truncated TL body closes");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_frames_with_garbage_bodies_get_closed_or_an_error_answer() {
    while_serving(|server| async move {
        // A plain message whose body is no key exchange message.
        let mut c = raw(&server, TransportKind::ObfuscatedAbridged).await;
        let body: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(97)).collect();
        c.send_frame(&plain::wrap(MsgIdGenerator::new().next(unix_now(), IdKind::Client), &body)).await.unwrap();
        assert!(c.server_closes().await, "a garbage key exchange message closes");

        // An encrypted message under a valid key whose body is no TL request: an RPC error.
        let mut c = raw(&server, TransportKind::ObfuscatedPaddedIntermediate).await;
        c.exchange_key(server.public_key()).await.expect("key exchange");
        assert!(c.invoke(&functions::help::GetNearestDc {}).await.is_ok());
        let garbage: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(13).wrapping_add(5)).collect();
        match c.invoke_raw(garbage).await {
            Err(ClientError::Rpc(e)) => assert_eq!(e.code, 400, "{e:?}"),
            other => panic!("expected an RPC error, got {other:?}"),
        }
        // ... and the connection goes on.
        assert!(c.invoke(&functions::help::GetNearestDc {}).await.is_ok());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_length_closes_the_connection() {
    while_serving(|server| async move {
        // Intermediate announcing 2 GiB.
        let mut c = raw(&server, TransportKind::Intermediate).await;
        let mut bytes = vec![0xee; 4];
        bytes.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 64]);
        c.write_raw(&bytes).await.unwrap();
        assert!(c.server_closes().await, "a 2 GiB frame is refused");
        // Abridged's long form announcing 0xffffff words (64 MiB).
        let mut c = raw(&server, TransportKind::Abridged).await;
        c.write_raw(&[0xef, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]).await.unwrap();
        assert!(c.server_closes().await, "a 64 MiB frame is refused");
        // Full transport announcing 1 GiB.
        let mut c = raw(&server, TransportKind::Full).await;
        let mut bytes = (1u32 << 30).to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0; 60]);
        c.write_raw(&bytes).await.unwrap();
        assert!(c.server_closes().await, "a 1 GiB full frame is refused");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_auth_key_gets_404_then_the_connection_closes() {
    while_serving(|server| async move {
        let mut c = raw(&server, TransportKind::Intermediate).await;
        let key = AuthKey::from_bytes([0x5a; 256]);
        let header = Header {
            salt: 1,
            session_id: 2,
            msg_id: MsgIdGenerator::new().next(unix_now(), IdKind::Client),
            seq_no: 1,
        };
        let packet =
            envelope::encrypt(&key, Side::Client, header, &functions::help::GetConfig {}.to_bytes(), &mut os_fill);
        c.send_frame(&packet).await.unwrap();
        match c.recv_frame().await {
            Err(ClientError::Transport(TransportError::Status(-404))) => {}
            other => panic!("expected the -404 transport status, got {other:?}"),
        }
        assert!(c.server_closes().await, "the connection closes after -404");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_msg_key_under_a_valid_key_closes_the_connection() {
    while_serving(|server| async move {
        let mut c = raw(&server, TransportKind::ObfuscatedIntermediate).await;
        c.exchange_key(server.public_key()).await.expect("key exchange");
        let mut packet = c.seal(functions::help::GetConfig {}.to_bytes()).expect("a packet");
        packet[8] ^= 0x01; // the first byte of msg_key
        c.send_frame(&packet).await.unwrap();
        let (frames, end) = c.until_closed().await;
        assert!(frames.is_empty(), "nothing is answered to a message that fails its msg_key check");
        assert!(matches!(end, ClientError::Closed), "expected the connection closed, got {end:?}");

        // A flipped bit in the ciphertext fails the same check.
        let mut c = raw(&server, TransportKind::Abridged).await;
        c.exchange_key(server.public_key()).await.expect("key exchange");
        let mut packet = c.seal(functions::help::GetConfig {}.to_bytes()).expect("a packet");
        let last = packet.len() - 1;
        packet[last] ^= 0x80;
        c.send_frame(&packet).await.unwrap();
        assert!(matches!(c.until_closed().await, (frames, ClientError::Closed) if frames.is_empty()));
    })
    .await;
}
