//! The client's connection life against the real local server
//! (`ferrogram_server::net::LocalServer`) when the network or the server fails
//! (<https://core.telegram.org/mtproto/description#message-identifier-msg-id>: a resent request
//! keeps its msg_id, so a server that ran it answers from its cache instead of running it again).
//!
//! A TCP proxy ([`proxy::Proxy`]) between client and server cuts the connection after the
//! request reached the server (the answer is lost) or before it did (the request is lost); the
//! call completes either way, and the server's execution counter ([`Api::executions`]) shows
//! it ran exactly once. A server restarted on the same data dir and port is survived by the
//! same `Client`, with and without a call waiting while the server is down.
//!
//! [`Api::executions`]: ferrogram_server::Api::executions

mod proxy;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrogram::net::OsRandom;
use ferrogram::{Client, ClientConfig, LoginToken, MemorySession, ServerAddress, SignInResult, TransportKind};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_tl::functions;
use proxy::{Fault, Proxy};
use tokio::time::timeout;

/// The longest any one test may take.
const TEST_LIMIT: Duration = Duration::from_secs(20);

/// One RSA key for every server of this file (generating one takes a while).
fn rsa_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut OsRandom)).clone()
}

/// A server with one DC (DC 1) on `listen`, in memory or on `data_dir`.
async fn start_server(listen: SocketAddr, data_dir: Option<&Path>) -> LocalServer {
    let options = ServerOptions {
        listen,
        dc_count: 1,
        data_dir: data_dir.map(Path::to_path_buf),
        rsa_key: Some(rsa_key()),
        api: None,
        layers_dir: None,
        limits: Default::default(),
        budgets: Default::default(),
        admin_listen: None,
    };
    LocalServer::start(options).await.expect("server starts")
}

fn loopback_any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn main_addr(server: &LocalServer) -> SocketAddr {
    server.dc_addr(server.main_dc()).expect("the main DC listens")
}

/// A client of `server` that connects to `addr` (the server itself or a proxy in front of it),
/// reconnecting quickly: attempts 20 ms apart, doubling up to 100 ms, `connection_retries` of
/// them.
fn client(server: &LocalServer, addr: SocketAddr, transport: TransportKind, connection_retries: u32) -> Client {
    let config = ClientConfig {
        transport,
        server: Some(ServerAddress::new(
            addr.ip().to_string(),
            addr.port(),
            server.main_dc(),
            server.public_key().clone(),
        )),
        retry_delay: Duration::from_millis(20),
        max_retry_delay: Duration::from_millis(100),
        connection_retries,
        connect_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    };
    Client::new(MemorySession::new(), 1, "0123456789abcdef", config)
}

/// A test-DC number on DC 1 (`99966 1 YYYY`, code `11111`), different for each `n`.
fn phone(n: u32) -> String {
    format!("+9996610{n:03}")
}

/// Codes issued for `phone` so far.
fn codes_for(server: &LocalServer, phone: &str) -> usize {
    let digits = phone.trim_start_matches('+');
    server.api().recent_codes(10_000).expect("codes are readable").iter().filter(|c| c.phone == digits).count()
}

/// Lets the client flush what it still had to send (the acknowledgement of the last answer), so
/// that the next bytes it sends are the next call.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Signs up `phone` (code `11111`) and returns the user id.
async fn sign_up(client: &Client, phone: &str) -> i64 {
    let token = client.send_code(phone).await.expect("sendCode");
    match client.sign_in(&token, "11111").await.expect("signIn") {
        SignInResult::SignUpRequired { .. } => client.sign_up(&token, "Fault", "Test").await.expect("signUp").id,
        SignInResult::Authorized(user) => user.id,
    }
}

/// A data dir of its own under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or_default();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("ferrogram-faults-{name}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The answer is lost after the server ran the call, for a state-changing call
/// (`auth.sendCode`, counted by the codes it issues too; `auth.signUp`, which could not succeed
/// twice) and for a read (`users.getUsers`): the client reconnects, resends under the same msg_id,
/// gets the cached answer, and the server ran each call once. On every transport.
#[tokio::test(flavor = "multi_thread")]
async fn lost_answer_is_fetched_again_without_running_the_call_twice() {
    timeout(TEST_LIMIT, async {
        let server = start_server(loopback_any_port(), None).await;
        let proxy = Proxy::start(main_addr(&server)).await;
        let api = server.api().clone();
        for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
            let phone = phone(i as u32);
            let client = client(&server, proxy.addr(), kind, 5);
            client.connect().await.expect("connects through the proxy");
            let cuts = proxy.cuts();
            let accepted = proxy.accepted();

            // auth.sendCode: the answer is cut; the code is issued once and the call succeeds.
            let sent_before = api.executions("auth.sendCode");
            settle().await;
            proxy.arm(Fault::DropAnswer);
            let token: LoginToken = client.send_code(&phone).await.unwrap_or_else(|e| panic!("{kind}: sendCode: {e}"));
            assert!(!proxy.is_armed(), "{kind}: the fault fired");
            assert_eq!(proxy.cuts(), cuts + 1, "{kind}");
            assert_eq!(proxy.accepted(), accepted + 1, "{kind}: the client reconnected once");
            assert_eq!(api.executions("auth.sendCode"), sent_before + 1, "{kind}: sendCode ran once");
            assert_eq!(codes_for(&server, &phone), 1, "{kind}: one code issued");
            // The hash the client got is the one the single run issued.
            let issued = api
                .recent_codes(10_000)
                .unwrap()
                .into_iter()
                .find(|c| c.phone == phone.trim_start_matches('+'))
                .unwrap();
            assert_eq!(token.phone_code_hash, issued.phone_code_hash, "{kind}");

            let result = client.sign_in(&token, "11111").await.unwrap_or_else(|e| panic!("{kind}: signIn: {e}"));
            assert!(matches!(result, SignInResult::SignUpRequired { .. }), "{kind}: {result:?}");

            // auth.signUp: a second run would find the number taken; one run signs up.
            let sign_ups = api.executions("auth.signUp");
            settle().await;
            proxy.arm(Fault::DropAnswer);
            let user = client.sign_up(&token, "Lost", "Answer").await.unwrap_or_else(|e| panic!("{kind}: signUp: {e}"));
            assert_eq!(proxy.cuts(), cuts + 2, "{kind}");
            assert_eq!(api.executions("auth.signUp"), sign_ups + 1, "{kind}: signUp ran once");

            // users.getUsers, a read.
            let reads = api.executions("users.getUsers");
            settle().await;
            proxy.arm(Fault::DropAnswer);
            let me = client.get_me().await.unwrap_or_else(|e| panic!("{kind}: getUsers: {e}"));
            assert_eq!(me.id, user.id, "{kind}");
            assert_eq!(proxy.cuts(), cuts + 3, "{kind}");
            assert_eq!(proxy.accepted(), accepted + 3, "{kind}: one reconnect per cut");
            assert_eq!(api.executions("users.getUsers"), reads + 1, "{kind}: getUsers ran once");
        }
        drop(proxy);
        server.shutdown().await;
    })
    .await
    .expect("within the time limit");
}

/// The request is lost before it reached the server: the client resends it on a new connection
/// and the server runs it once.
#[tokio::test(flavor = "multi_thread")]
async fn lost_request_is_resent_and_run_once() {
    timeout(TEST_LIMIT, async {
        let server = start_server(loopback_any_port(), None).await;
        let proxy = Proxy::start(main_addr(&server)).await;
        let api = server.api().clone();
        let client = client(&server, proxy.addr(), TransportKind::Intermediate, 5);
        client.connect().await.expect("connects through the proxy");
        let phone = phone(100);

        settle().await;
        proxy.arm(Fault::DropRequest);
        let token = client.send_code(&phone).await.expect("sendCode after a lost request");
        assert_eq!(proxy.cuts(), 1);
        assert_eq!(proxy.accepted(), 2, "the client reconnected once");
        assert_eq!(api.executions("auth.sendCode"), 1);
        assert_eq!(codes_for(&server, &phone), 1);

        let result = client.sign_in(&token, "11111").await.expect("signIn");
        assert!(matches!(result, SignInResult::SignUpRequired { .. }), "{result:?}");
        settle().await;
        proxy.arm(Fault::DropRequest);
        let user = client.sign_up(&token, "Lost", "Request").await.expect("signUp after a lost request");
        assert_eq!(api.executions("auth.signUp"), 1);

        let reads = api.executions("users.getUsers");
        settle().await;
        proxy.arm(Fault::DropRequest);
        assert_eq!(client.get_me().await.expect("getUsers after a lost request").id, user.id);
        assert_eq!(api.executions("users.getUsers"), reads + 1);
        assert_eq!(proxy.cuts(), 3);
        assert_eq!(proxy.accepted(), 4);

        // Several calls in flight at once, the packet carrying them lost: each runs once.
        let before = api.executions("help.getConfig");
        settle().await;
        proxy.arm(Fault::DropRequest);
        let calls: Vec<_> = (0..5)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.invoke(&functions::help::GetConfig {}).await })
            })
            .collect();
        for call in calls {
            call.await.expect("the task ends").expect("help.getConfig");
        }
        assert_eq!(api.executions("help.getConfig"), before + 5);
        drop(proxy);
        server.shutdown().await;
    })
    .await
    .expect("within the time limit");
}

/// Many calls in flight, the connection cut right after they reached the server: the client
/// resends them on a new connection while the server may still be running them on the old one.
/// Every call gets its answer (on the connection the client is on now), and each ran once.
#[tokio::test(flavor = "multi_thread")]
async fn calls_still_running_when_resent_are_answered_once() {
    const CALLS: u64 = 300;
    timeout(TEST_LIMIT, async {
        let server = start_server(loopback_any_port(), None).await;
        let proxy = Proxy::start(main_addr(&server)).await;
        let api = server.api().clone();
        let client = client(&server, proxy.addr(), TransportKind::Abridged, 5);
        client.connect().await.expect("connects through the proxy");
        let before = api.executions("help.getConfig");
        settle().await;
        proxy.arm(Fault::CutAfterRequest);
        let calls: Vec<_> = (0..CALLS)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.invoke(&functions::help::GetConfig {}).await })
            })
            .collect();
        for (answered, call) in calls.into_iter().enumerate() {
            let Ok(result) = timeout(Duration::from_secs(5), call).await else {
                panic!(
                    "{answered} of {CALLS} calls answered; the server ran {} of them",
                    api.executions("help.getConfig") - before
                )
            };
            result.expect("the task ends").expect("help.getConfig");
        }
        assert_eq!(proxy.cuts(), 1);
        assert_eq!(api.executions("help.getConfig"), before + CALLS, "each call ran once");
        drop(proxy);
        server.shutdown().await;
    })
    .await
    .expect("within the time limit");
}

/// The server stops and a new one starts on the same data dir and port, after the client gave up
/// reconnecting: the same `Client` opens a new connection with the key it has (the server
/// stored it), copes with the new server's fresh sessions, and is still signed in.
#[tokio::test(flavor = "multi_thread")]
async fn server_restart_is_survived() {
    timeout(TEST_LIMIT, async {
        let dir = TempDir::new("restart");
        let server = start_server(loopback_any_port(), Some(&dir.0)).await;
        let addr = main_addr(&server);
        // Three quick reconnect attempts: the client gives up well before the server is back.
        let client = client(&server, addr, TransportKind::Abridged, 3);
        client.connect().await.expect("connects");
        let user_id = sign_up(&client, &phone(200)).await;
        let key = client.session_data().dc(server.main_dc()).and_then(|dc| dc.auth_key.clone()).expect("a key");
        server.shutdown().await;

        tokio::time::sleep(Duration::from_millis(500)).await;
        let server = start_server(addr, Some(&dir.0)).await;
        assert_eq!(main_addr(&server), addr, "the new server listens on the same port");
        let me = client.get_me().await.expect("get_me after the restart, without signing in again");
        assert_eq!(me.id, user_id);
        let kept = client.session_data().dc(server.main_dc()).and_then(|dc| dc.auth_key.clone()).expect("a key");
        assert_eq!(kept.id(), key.id(), "the key made before the restart is still used");
        assert_eq!(server.api().executions("users.getUsers"), 1);
        assert_eq!(
            server.api().executions("auth.signIn") + server.api().executions("auth.signUp"),
            0,
            "no new sign-in"
        );
        server.shutdown().await;
    })
    .await
    .expect("within the time limit");
}

/// A call made while the server is down waits for the client's reconnect attempts, and completes
/// when the server (restarted on the same data dir and port) is back within the retry window.
#[tokio::test(flavor = "multi_thread")]
async fn call_waiting_while_the_server_is_down_completes_when_it_is_back() {
    timeout(TEST_LIMIT, async {
        let dir = TempDir::new("down");
        let server = start_server(loopback_any_port(), Some(&dir.0)).await;
        let addr = main_addr(&server);
        // 40 attempts at most 100 ms apart: a retry window of about 4 s.
        let client = client(&server, addr, TransportKind::Full, 40);
        client.connect().await.expect("connects");
        let user_id = sign_up(&client, &phone(300)).await;
        server.shutdown().await;

        let waiting = {
            let client = client.clone();
            tokio::spawn(async move { client.get_me().await })
        };
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(!waiting.is_finished(), "the call waits while the server is down");
        let server = start_server(addr, Some(&dir.0)).await;
        let me = timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the call completes once the server is back")
            .expect("the task ends")
            .expect("get_me");
        assert_eq!(me.id, user_id);
        assert_eq!(server.api().executions("users.getUsers"), 1);
        server.shutdown().await;
    })
    .await
    .expect("within the time limit");
}

/// The server is down behind a proxy that still accepts connections and closes each at once (a
/// load balancer in front of a dead backend): the client backs off between these connections
/// instead of spinning, a call waiting meanwhile completes when the server is back, and a client
/// with few retries gives up with an error instead of waiting forever.
#[tokio::test(flavor = "multi_thread")]
async fn connections_closed_at_once_are_retried_with_backoff() {
    timeout(TEST_LIMIT, async {
        let dir = TempDir::new("backoff");
        let server = start_server(loopback_any_port(), Some(&dir.0)).await;
        let addr = main_addr(&server);
        let proxy = Proxy::start(addr).await;
        let client = client(&server, proxy.addr(), TransportKind::Intermediate, 40);
        client.connect().await.expect("connects through the proxy");
        let user_id = sign_up(&client, &phone(400)).await;
        let impatient = self::client(&server, proxy.addr(), TransportKind::Intermediate, 3);
        impatient.connect().await.expect("connects through the proxy");
        server.shutdown().await;

        let accepted = proxy.accepted();
        let waiting = {
            let client = client.clone();
            tokio::spawn(async move { client.get_me().await })
        };
        let gave_up = timeout(Duration::from_secs(3), impatient.invoke(&functions::help::GetConfig {}))
            .await
            .expect("a client with 3 retries gives up within 3 s");
        assert!(gave_up.is_err(), "no server, no answer: {gave_up:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        // Attempts 20, 40, 80 then 100 ms apart: a dozen or so in this time, not thousands.
        let tries = proxy.accepted() - accepted;
        assert!(tries <= 40, "{tries} connections while the server was down");
        assert!(!waiting.is_finished(), "the call waits while the server is down");

        let server = start_server(addr, Some(&dir.0)).await;
        let me = timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the call completes once the server is back")
            .expect("the task ends")
            .expect("get_me");
        assert_eq!(me.id, user_id);
        drop(proxy);
        server.shutdown().await;
    })
    .await
    .expect("within the time limit");
}
