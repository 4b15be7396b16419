//! The network shell's limits over real sockets: slow and idle senders are dropped, oversized
//! frames are refused before they are buffered, connections and key exchanges past their limits
//! get transport error -429, a client that asks for more answers than it may queue is dropped,
//! and through all of it a fresh login still succeeds. Each test is bounded in time: the limits
//! are set small and every wait has a timeout.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferrogram_mtproto::transport::{TransportError, TransportKind};
use ferrogram_server::net::limits::NetLimits;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_tl::mtproto::functions as mt;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The intermediate transport's tag.
const INTERMEDIATE: [u8; 4] = [0xee; 4];

async fn server_with(limits: NetLimits) -> LocalServer {
    let options = ServerOptions { rsa_key: Some(shared_rsa_key()), limits, ..ServerOptions::ephemeral() };
    LocalServer::start(options).await.expect("the server starts")
}

fn main_addr(server: &LocalServer) -> SocketAddr {
    server.dc_addr(2).expect("DC 2")
}

/// A connection from `local` (any 127.x.y.z address is loopback on Linux).
async fn connect_from(local: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::from((local, 0))).expect("bind a loopback source address");
    socket.connect(to).await.expect("connects")
}

/// How long until the server closes `stream` (reading and dropping what it sends), or `None`
/// if it stays open for `patience`. Also returns the bytes it sent before closing.
async fn closed_within(stream: &mut TcpStream, patience: Duration) -> Option<(Duration, Vec<u8>)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = patience.checked_sub(start.elapsed())?;
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((start.elapsed(), got)),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A full login with a test number: what must keep working during and after every attack.
async fn fresh_login(server: &LocalServer, phone: &str) {
    let mut c = RawClient::to_dc(server, 2, TransportKind::Intermediate).await.expect("connects");
    c.exchange_key(server.public_key()).await.expect("key exchange");
    c.log_in_test_number(phone, "Fresh").await.expect("a fresh login succeeds");
}

/// The transport status an intermediate-transport server sends: a 4-byte length, then the code.
fn status_frame(code: i32) -> Vec<u8> {
    [4u32.to_le_bytes(), code.to_le_bytes()].concat()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_senders_are_dropped_at_their_deadlines() {
    let limits = NetLimits {
        frame_deadline: Duration::from_millis(400),
        idle_timeout: Duration::from_millis(1500),
        ..NetLimits::default()
    };
    let server = server_with(limits).await;
    let addr = main_addr(&server);

    // Slowloris: one byte of a transport header, then nothing.
    let mut header = TcpStream::connect(addr).await.unwrap();
    header.write_all(&[0xee]).await.unwrap();
    // Half a frame: the header and the length of a 1000-byte frame, then 10 bytes of it.
    let mut half = TcpStream::connect(addr).await.unwrap();
    half.write_all(&INTERMEDIATE).await.unwrap();
    half.write_all(&1000u32.to_le_bytes()).await.unwrap();
    half.write_all(&[0u8; 10]).await.unwrap();
    // Idle: a complete key exchange, then silence.
    let mut idle = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    idle.exchange_key(server.public_key()).await.unwrap();
    let idle_since = Instant::now();

    fresh_login(&server, "9996620101").await;
    for (what, stream) in [("a header", &mut header), ("a frame", &mut half)] {
        let (after, _) =
            closed_within(stream, Duration::from_secs(5)).await.unwrap_or_else(|| panic!("{what} stalled"));
        assert!(after < Duration::from_secs(3), "{what}: closed after {after:?}");
    }
    assert!(idle.server_closes().await, "an idle connection is closed");
    let idle_for = idle_since.elapsed();
    assert!(idle_for >= Duration::from_millis(1400) && idle_for < Duration::from_secs(6), "idle for {idle_for:?}");
    fresh_login(&server, "9996620102").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_is_refused_as_soon_as_its_length_arrives() {
    let limits =
        NetLimits { max_frame_bytes: 64 << 10, frame_deadline: Duration::from_secs(30), ..NetLimits::default() };
    let server = server_with(limits).await;
    // 16 MiB announced: closed at once, long before the frame deadline, nothing waited for.
    let mut big = TcpStream::connect(main_addr(&server)).await.unwrap();
    big.write_all(&INTERMEDIATE).await.unwrap();
    big.write_all(&(16u32 << 20).to_le_bytes()).await.unwrap();
    let (after, _) = closed_within(&mut big, Duration::from_secs(5)).await.expect("closed");
    assert!(after < Duration::from_secs(2), "closed after {after:?}");
    // A frame at the limit is still read.
    fresh_login(&server, "9996620201").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_limits_get_minus_429() {
    let limits = NetLimits { max_connections: 6, max_connections_per_ip: 3, ..NetLimits::default() };
    let server = server_with(limits).await;
    let addr = main_addr(&server);
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = connect_from([127, 0, 0, 1], addr).await;
        s.write_all(&INTERMEDIATE).await.unwrap();
        held.push(s);
    }
    // A fourth from the same address is refused in its own transport.
    let mut fourth = connect_from([127, 0, 0, 1], addr).await;
    fourth.write_all(&INTERMEDIATE).await.unwrap();
    let (_, sent) = closed_within(&mut fourth, Duration::from_secs(5)).await.expect("refused and closed");
    assert_eq!(sent, status_frame(-429));
    // Another address still gets in, up to the total.
    for _ in 0..3 {
        held.push(connect_from([127, 0, 0, 2], addr).await);
    }
    let mut over_total = connect_from([127, 0, 0, 3], addr).await;
    over_total.write_all(&INTERMEDIATE).await.unwrap();
    let (_, sent) = closed_within(&mut over_total, Duration::from_secs(5)).await.expect("refused and closed");
    assert_eq!(sent, status_frame(-429));
    let counters = server.net_counters();
    assert_eq!(counters.refused_connections, 2, "{counters:?}");
    // Nothing holds more than the limit.
    assert!(counters.open_connections <= 6, "{counters:?}");
    // Closing some makes room: a fresh login goes through.
    held.truncate(2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    fresh_login(&server, "9996620301").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_exchanges_past_the_rate_or_per_address_limit_get_minus_429() {
    let limits = NetLimits { key_exchanges_per_second: 2, key_exchanges_per_ip: 1, ..NetLimits::default() };
    let server = server_with(limits).await;
    // One exchange left half-way (req_pq_multi only) holds this address's one place.
    let mut pending = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    let req_pq = mt::ReqPqMulti { nonce: [7; 16] };
    let body = ferrogram_tl::Serializable::to_bytes(&req_pq);
    pending.send_frame(&ferrogram_mtproto::authkey::plain::wrap(1 << 32, &body)).await.unwrap();
    pending.recv_frame().await.expect("resPQ");
    let mut second = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    match second.exchange_key(server.public_key()).await {
        Err(ClientError::Transport(TransportError::Status(-429))) => {}
        other => panic!("expected -429, got {other:?}"),
    }
    drop(pending);
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The rate: two tokens were spent (the pending exchange and the refused one does not
    // count); one more goes through, the next within the same second is refused.
    let mut third = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    third.exchange_key(server.public_key()).await.expect("within the rate");
    let mut fourth = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    match fourth.exchange_key(server.public_key()).await {
        Err(ClientError::Transport(TransportError::Status(-429))) => {}
        other => panic!("expected -429, got {other:?}"),
    }
    assert_eq!(server.net_counters().refused_key_exchanges, 2);
    // A second later the bucket has refilled: a fresh login succeeds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fresh_login(&server, "9996620401").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_asking_for_more_than_it_may_queue_is_dropped() {
    let limits = NetLimits { max_queued_out_bytes: 32 << 10, ..NetLimits::default() };
    let server = server_with(limits).await;
    let mut greedy = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    greedy.exchange_key(server.public_key()).await.unwrap();
    // 100 get_future_salts(64) in one container: about 100 KiB of answers to 2 KiB asked.
    let session = greedy.session_mut().expect("a session");
    for _ in 0..100 {
        session.enqueue(ferrogram_tl::Serializable::to_bytes(&mt::GetFutureSalts { num: 64 }));
    }
    let packet = session.poll_transmit(unix_now(), &mut os_fill).expect("a container");
    greedy.send_frame(&packet).await.unwrap();
    assert!(greedy.server_closes().await, "dropped, not buffered for");
    fresh_login(&server, "9996620501").await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_delay_disconnect_not_renewed_closes_the_connection() {
    let server = server_with(NetLimits::default()).await;
    let mut c = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    c.exchange_key(server.public_key()).await.unwrap();
    c.invoke(&ferrogram_tl::functions::help::GetNearestDc {}).await.unwrap();
    let ping = mt::PingDelayDisconnect { ping_id: 1, disconnect_delay: 1 };
    c.invoke_raw(ferrogram_tl::Serializable::to_bytes(&ping)).await.expect("a pong");
    let asked = Instant::now();
    assert!(c.server_closes().await, "closed once the delay passed (the idle timeout is 120 s)");
    let after = asked.elapsed();
    assert!(after >= Duration::from_millis(900) && after < Duration::from_secs(5), "closed after {after:?}");
    server.shutdown().await;
}

/// A container of `count` `help.getNearestDc` calls, as one request body (its messages' ids lie
/// a few seconds before the container's own, as the spec requires).
fn container_of_calls(count: usize) -> Vec<u8> {
    use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
    use ferrogram_tl::mtproto::{Message, MsgContainer};
    let mut ids = MsgIdGenerator::new();
    let earlier = unix_now() - Duration::from_secs(2);
    let body = ferrogram_tl::Serializable::to_bytes(&ferrogram_tl::functions::help::GetNearestDc {});
    let messages = (0..count)
        .map(|i| Message { msg_id: ids.next(earlier, IdKind::Client), seq_no: 2 * i as i32 + 1, body: body.clone() })
        .collect();
    ferrogram_tl::Serializable::to_bytes(&MsgContainer { messages })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_over_1020_messages_is_refused_whole_and_one_at_the_limit_runs_whole() {
    let server = server_with(NetLimits::default()).await;
    let mut c = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.unwrap();
    c.exchange_key(server.public_key()).await.unwrap();
    c.invoke(&ferrogram_tl::functions::help::GetConfig {}).await.unwrap();
    let runs = || server.api().executions("help.getNearestDc");
    // The container must be the packet's only message: acknowledgements waiting to go would be
    // packed with it (making it a nested container), so they are let go first.
    let drop_acks = |c: &mut RawClient| {
        let session = c.session_mut().expect("a session");
        while session.poll_transmit(unix_now(), &mut os_fill).is_some() {}
    };
    drop_acks(&mut c);

    // 1021 messages: refused with bad_msg_notification 64, none of them run.
    match c.invoke_raw(container_of_calls(1021)).await {
        Err(ClientError::Rejected(64)) => {}
        other => panic!("expected bad_msg_notification 64, got {other:?}"),
    }
    assert_eq!(runs(), 0);

    // 1020: every one runs, none silently dropped.
    drop_acks(&mut c);
    let packet = c.seal(container_of_calls(1020)).unwrap();
    c.send_frame(&packet).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while runs() < 1020 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(runs(), 1020);
    fresh_login(&server, "9996620601").await;
    server.shutdown().await;
}
