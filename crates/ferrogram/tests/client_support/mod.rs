//! A scripted MTProto server for the client's tests: the real key exchange and session layer of
//! `ferrogram_mtproto` over a 127.0.0.1 listener, with every RPC answered by a test's handler, so
//! tests can answer with odd constructors, errors, or drop the connection at chosen moments.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep};
use ferrogram_mtproto::authkey::{plain, AuthKey};
use ferrogram_mtproto::crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::ServerSession;
use ferrogram_mtproto::session::RpcError;
use ferrogram_mtproto::transport::{strip_padding, Codec, Incoming};
use ferrogram_tl::{functions, Deserializable, Identifiable, RawQuery};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A deterministic-enough random source for the server side of tests (xorshift seeded by time).
pub fn test_random() -> impl FnMut(&mut [u8]) + Send + Clone {
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    move |buf: &mut [u8]| {
        for b in buf {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = seed as u8;
        }
    }
}

/// One RPC call as the handler sees it (wrappers removed).
#[derive(Debug, Clone)]
pub struct Call {
    /// The method's TL name (`auth.sendCode`).
    pub name: &'static str,
    /// The serialized function.
    pub body: Vec<u8>,
    /// Whether it came wrapped in `invokeWithLayer(initConnection(..))`.
    pub wrapped: bool,
    /// Which TCP connection (0, 1, ...) carried it.
    pub connection: usize,
}

/// How the server answers a call.
pub enum Reply {
    /// A result object.
    Ok(Vec<u8>),
    /// An `rpc_error`.
    Err(i32, &'static str),
    /// Record the answer (as a real server would, having run the call), then close the
    /// connection before sending it.
    OkThenDrop(Vec<u8>),
    /// Never answer.
    Silence,
}

pub type Handler = Arc<dyn Fn(&Call) -> Reply + Send + Sync>;

struct Shared {
    rsa: RsaPrivateKey,
    dc_id: i32,
    keys: Mutex<HashMap<i64, (AuthKey, i64)>>,
    sessions: Mutex<HashMap<(i64, i64), ServerSession>>,
    calls: Mutex<Vec<Call>>,
    handler: Handler,
    connections: AtomicUsize,
    packets: AtomicUsize,
}

/// A running scripted server.
pub struct FakeServer {
    pub addr: SocketAddr,
    pub public_key: RsaPublicKey,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Starts a server for DC `dc_id` answering calls with `handler`.
    pub async fn start(dc_id: i32, handler: impl Fn(&Call) -> Reply + Send + Sync + 'static) -> FakeServer {
        Self::start_with_key(dc_id, RsaPrivateKey::generate(&mut test_random()), handler).await
    }

    /// Like [`start`](Self::start) with a given RSA key (several DCs of one "cluster").
    pub async fn start_with_key(
        dc_id: i32,
        rsa: RsaPrivateKey,
        handler: impl Fn(&Call) -> Reply + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let public_key = rsa.public_key().clone();
        let shared = Arc::new(Shared {
            rsa,
            dc_id,
            keys: Mutex::new(HashMap::new()),
            sessions: Mutex::new(HashMap::new()),
            calls: Mutex::new(Vec::new()),
            handler: Arc::new(handler),
            connections: AtomicUsize::new(0),
            packets: AtomicUsize::new(0),
        });
        let accept = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let n = accept.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(serve(accept.clone(), stream, n));
            }
        });
        FakeServer { addr, public_key, shared, task }
    }

    /// Every call received so far.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls.lock().unwrap().clone()
    }

    /// How many times a method was called (executed) so far.
    pub fn count(&self, name: &str) -> usize {
        self.calls().iter().filter(|c| c.name == name).count()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Encrypted packets received so far (calls, acks, pings ...).
    pub fn packets(&self) -> usize {
        self.shared.packets.load(Ordering::SeqCst)
    }

    /// Keys created so far.
    pub fn key_count(&self) -> usize {
        self.shared.keys.lock().unwrap().len()
    }

    /// Forgets every key and session (a server restart without persistence).
    pub fn forget_keys(&self) {
        self.shared.keys.lock().unwrap().clear();
        self.shared.sessions.lock().unwrap().clear();
    }

    /// The client config pointing at this server.
    pub fn config(&self) -> ferrogram::ClientConfig {
        ferrogram::ClientConfig {
            server: Some(ferrogram::ServerAddress::new(
                "127.0.0.1",
                self.addr.port(),
                self.shared.dc_id,
                self.public_key.clone(),
            )),
            retry_delay: Duration::from_millis(20),
            connect_timeout: Duration::from_secs(5),
            ..ferrogram::ClientConfig::default()
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// Removes `invokeWithLayer` and `initConnection` around a query.
fn unwrap_query(mut body: Vec<u8>) -> (Vec<u8>, bool) {
    let mut wrapped = false;
    loop {
        let id = body.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        if id == Some(functions::InvokeWithLayer::<RawQuery>::CONSTRUCTOR_ID) {
            body = functions::InvokeWithLayer::<RawQuery>::from_bytes_exact(&body).unwrap().query.0;
        } else if id == Some(functions::InitConnection::<RawQuery>::CONSTRUCTOR_ID) {
            body = functions::InitConnection::<RawQuery>::from_bytes_exact(&body).unwrap().query.0;
            wrapped = true;
        } else {
            return (body, wrapped);
        }
    }
}

async fn serve(shared: Arc<Shared>, mut stream: TcpStream, connection: usize) {
    let mut random = test_random();
    let mut codec = Codec::server(None, None);
    let mut handshake: Option<ServerHandshake> = None;
    let mut ids = MsgIdGenerator::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        codec.feed(&buf[..n]);
        let mut out = Vec::new();
        let mut drop_after = false;
        loop {
            let payload = match codec.poll() {
                Ok(Some(Incoming::Frame { payload, .. })) => payload,
                Ok(Some(Incoming::QuickAck(_))) => continue,
                Ok(None) => break,
                Err(_) => return,
            };
            // Padded intermediate may add padding after the message.
            let payload = strip_padding(&payload);
            if payload.len() >= 8 && payload[..8] == [0; 8] {
                let (_, body) = plain::unwrap(payload).unwrap();
                let hs = handshake
                    .get_or_insert_with(|| ServerHandshake::new(ServerConfig::new(shared.rsa.clone(), shared.dc_id)));
                let reply = match hs.handle(body, now(), &mut random) {
                    Ok(ServerStep::Send(reply)) => reply,
                    Ok(ServerStep::Done { send, key }) => {
                        shared.keys.lock().unwrap().insert(key.auth_key.id(), (key.auth_key, key.first_salt));
                        handshake = None;
                        send
                    }
                    Ok(ServerStep::Refused(send)) => send,
                    Err(_) => return,
                };
                codec
                    .pack(&plain::wrap(ids.next(now(), IdKind::ServerResponse), &reply), &mut random, &mut out)
                    .unwrap();
                continue;
            }
            let key_id = envelope::peek_auth_key_id(payload).unwrap_or_default();
            let Some((key, first_salt)) = shared.keys.lock().unwrap().get(&key_id).cloned() else {
                codec.pack_status(-404, &mut random, &mut out).unwrap();
                let _ = stream.write_all(&out).await;
                return;
            };
            let Ok(message) = envelope::decrypt(&key, Side::Client, payload) else { return };
            shared.packets.fetch_add(1, Ordering::SeqCst);
            let session_id = message.session_id;
            let mut sessions = shared.sessions.lock().unwrap();
            let session = sessions.entry((key_id, session_id)).or_insert_with(|| {
                let salts = ServerSalts::new([7; 32], key_id).with_first_salt(first_salt, now().as_secs() + 1800);
                ServerSession::new(key.clone(), session_id, salts, 42)
            });
            if session.handle(message, now()).is_err() {
                return;
            }
            while let Some(call) = session.poll_call() {
                let (body, wrapped) = unwrap_query(call.body);
                let id = body.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).unwrap_or_default();
                let call_info = Call { name: ferrogram_tl::name_for_id(id).unwrap_or("?"), body, wrapped, connection };
                shared.calls.lock().unwrap().push(call_info.clone());
                match (shared.handler)(&call_info) {
                    Reply::Ok(answer) => session.answer(call.msg_id, Ok(answer)),
                    Reply::Err(code, message) => session.answer(call.msg_id, Err(RpcError::new(code, message))),
                    Reply::OkThenDrop(answer) => {
                        session.answer(call.msg_id, Ok(answer));
                        drop_after = true;
                    }
                    Reply::Silence => {}
                }
            }
            if drop_after {
                return;
            }
            while let Some(packet) = session.poll_transmit(now(), &mut random) {
                codec.pack(&packet, &mut random, &mut out).unwrap();
            }
        }
        if stream.write_all(&out).await.is_err() {
            return;
        }
    }
}
