//! One client connection: transport detection, key exchange, encrypted sessions, calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep};
use ferrogram_mtproto::authkey::{plain, AuthKey};
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::{Call, Handled, ServerSession};
use ferrogram_mtproto::session::RpcErrorMessage;
use ferrogram_mtproto::transport::{strip_padding, Codec, Incoming};
use ferrogram_mtproto::RandomSource;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::calls::{answer_once, CallSite, KeyFacts, ServedLayer};
use super::{unix_now, Shared};
use crate::api::os_random;
use crate::context::RpcFailure;

/// How long a key made by the key exchange accepts its first salt: long enough for a client to
/// learn the current one from `bad_server_salt` or `new_session_created`.
const FIRST_SALT_LIFETIME: u64 = 1800;
/// Transport error sent for an unknown auth key: the client must make a new one.
const AUTH_KEY_NOT_FOUND: i32 = -404;

/// Accepts connections until `stopped` turns true.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    dc: i32,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    let mut stop = stopped.clone();
                    // Every log line of the connection names its peer and DC.
                    let span = tracing::info_span!("connection", %peer, dc);
                    connections.spawn(tracing::Instrument::instrument(async move {
                        tokio::select! {
                            result = serve(stream, dc, shared) => {
                                if let Err(reason) = result {
                                    tracing::debug!(%reason, "connection closed");
                                }
                            }
                            _ = stop.changed() => {}
                        }
                    }, span));
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            // Reap finished connection tasks so the set does not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
    connections.shutdown().await;
}

/// Why a connection was closed (for the debug log).
type Closed = String;

struct Connection {
    dc: i32,
    shared: Arc<Shared>,
    codec: Codec,
    random: Box<dyn RandomSource + Send>,
    handshake: Option<ServerHandshake>,
    plain_ids: MsgIdGenerator,
    keys: HashMap<i64, AuthKey>,
    /// Salts of keys made on this connection, which also accept the key exchange's first salt.
    first_salts: HashMap<i64, ServerSalts>,
    /// What calls need to know of each key, read from the store once (see [`KeyFacts`]).
    key_facts: HashMap<i64, KeyFacts>,
    /// Sessions the frames of the current read reached, with the calls they await; the calls
    /// run together once the read is handled, then every session sends what it has.
    reached: Vec<Reached>,
    /// A transport error code to send after the answers of the current read, before closing.
    closing_status: Option<i32>,
    out: Vec<u8>,
    /// This connection's id among the process's, for [`Shared::claim`].
    id: u64,
    /// Woken when a call that ran on another connection left an answer for this one to send.
    wake: Arc<tokio::sync::Notify>,
    /// Sessions this connection received messages of (it may send for them).
    owned: Vec<OwnedSession>,
    /// Whether the layer this connection is served in was logged (once, at its first call).
    layer_logged: bool,
}

/// A session by (auth_key_id, session_id), as this connection holds it.
type OwnedSession = ((i64, i64), Arc<Mutex<ServerSession>>);

/// Ids of connections, unique in the process.
static NEXT_CONNECTION_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A session that frames of the current read were handled by, and the calls they brought.
struct Reached {
    session: Arc<Mutex<ServerSession>>,
    key_id: i64,
    session_id: i64,
    calls: Vec<Call>,
}

async fn serve(mut stream: TcpStream, dc: i32, shared: Arc<Shared>) -> Result<(), Closed> {
    let mut conn = Connection {
        dc,
        shared,
        codec: Codec::server(None, None),
        random: os_random(),
        handshake: None,
        plain_ids: MsgIdGenerator::new(),
        keys: HashMap::new(),
        first_salts: HashMap::new(),
        key_facts: HashMap::new(),
        reached: Vec::new(),
        closing_status: None,
        out: Vec::new(),
        id: NEXT_CONNECTION_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        wake: Arc::new(tokio::sync::Notify::new()),
        owned: Vec::new(),
        layer_logged: false,
    };
    let wake = conn.wake.clone();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = tokio::select! {
            read = stream.read(&mut buf) => read.map_err(|e| e.to_string())?,
            () = wake.notified() => {
                // Another connection ran a call of a session the client now uses this one for.
                conn.transmit_owned()?;
                if !conn.out.is_empty() {
                    stream.write_all(&conn.out).await.map_err(|e| e.to_string())?;
                    conn.out.clear();
                }
                continue;
            }
        };
        if n == 0 {
            return Ok(());
        }
        conn.codec.feed(&buf[..n]);
        let mut result = Ok(());
        loop {
            match conn.codec.poll() {
                Ok(Some(Incoming::Frame { payload, .. })) => {
                    if let Err(reason) = conn.handle_frame(payload).await {
                        result = Err(reason);
                        break;
                    }
                }
                Ok(Some(Incoming::QuickAck(_))) => {}
                Ok(None) => break,
                Err(e) => {
                    result = Err(format!("transport: {e}"));
                    break;
                }
            }
        }
        // The calls of every frame of this read run in one blocking task, and whatever was
        // answered goes out in one write, even when the connection is about to close (a -404).
        conn.run_calls().await;
        let transmitted = conn.transmit();
        if let Some(code) = conn.closing_status.take() {
            let _ = conn.codec.pack_status(code, &mut *conn.random, &mut conn.out);
        }
        if !conn.out.is_empty() {
            stream.write_all(&conn.out).await.map_err(|e| e.to_string())?;
            conn.out.clear();
        }
        result?;
        transmitted?;
    }
}

impl Connection {
    fn send(&mut self, packet: &[u8]) -> Result<(), Closed> {
        self.codec.pack(packet, &mut *self.random, &mut self.out).map_err(|e| format!("transport: {e}"))
    }

    async fn handle_frame(&mut self, payload: Vec<u8>) -> Result<(), Closed> {
        let payload = strip_padding(&payload);
        match envelope::peek_auth_key_id(payload) {
            None => Err(format!("a frame of {} bytes is no MTProto message", payload.len())),
            Some(0) => self.handle_plain(payload),
            Some(id) => self.handle_encrypted(id, payload).await,
        }
    }

    /// A key exchange message.
    fn handle_plain(&mut self, payload: &[u8]) -> Result<(), Closed> {
        let (_, body) = plain::unwrap(payload).map_err(|e| e.to_string())?;
        let now = unix_now();
        let shared = self.shared.clone();
        let handshake = self
            .handshake
            .get_or_insert_with(|| ServerHandshake::new(ServerConfig::new(shared.rsa_key.clone(), self.dc)));
        let api = &shared.api;
        let step = handshake
            .handle_with_key_check(body, now.as_secs() as i64, &mut *self.random, &mut |id| {
                matches!(api.auth_key(id), Ok(Some(_)))
            })
            .map_err(|e| format!("key exchange: {e}"))?;
        let reply = match step {
            ServerStep::Send(bytes) => bytes,
            ServerStep::Done { send, key } => {
                api.register_auth_key(&key.auth_key, self.dc, key.temp_expires_in, now.as_secs() as i64)
                    .map_err(|e| format!("storing a new key: {e}"))?;
                let salts = ServerSalts::new(shared.salt_secret, key.auth_key.id())
                    .with_first_salt(key.first_salt, now.as_secs() + FIRST_SALT_LIFETIME);
                self.first_salts.insert(key.auth_key.id(), salts);
                self.keys.insert(key.auth_key.id(), key.auth_key);
                self.handshake = None;
                send
            }
            ServerStep::Refused(bytes) => {
                self.handshake = None;
                bytes
            }
        };
        let msg_id = self.plain_ids.next(now, IdKind::ServerResponse);
        self.send(&plain::wrap(msg_id, &reply))
    }

    /// An encrypted message: find the key, decrypt, pass to the session, run the calls.
    async fn handle_encrypted(&mut self, key_id: i64, payload: &[u8]) -> Result<(), Closed> {
        let key = match self.keys.get(&key_id) {
            Some(key) => key.clone(),
            None => match self.shared.api.auth_key(key_id) {
                Ok(Some(record)) => {
                    let key = AuthKey::from_bytes(record.key);
                    self.keys.insert(key_id, key.clone());
                    key
                }
                Ok(None) => {
                    self.closing_status = Some(AUTH_KEY_NOT_FOUND);
                    return Err(format!("unknown auth key {key_id:016x}"));
                }
                Err(e) => return Err(format!("looking up an auth key: {e}")),
            },
        };
        let message = envelope::decrypt(&key, Side::Client, payload).map_err(|e| e.to_string())?;
        let now = unix_now();
        let session_id = message.session_id;
        // Salts and the announcement's unique id are only needed for a session seen first here.
        let (first_salts, salt_secret, random) = (&self.first_salts, self.shared.salt_secret, &mut self.random);
        let (session, seen) = self.shared.session((key_id, session_id), now.as_secs() as i64, || {
            let salts = first_salts.get(&key_id).cloned().unwrap_or_else(|| ServerSalts::new(salt_secret, key_id));
            let mut unique_id = [0u8; 8];
            random.fill(&mut unique_id);
            ServerSession::new(key.clone(), session_id, salts, i64::from_le_bytes(unique_id))
        });
        if seen.touch_store {
            // On creation, then now and then: pruning drops sessions idle in the store.
            if let Err(error) = self.shared.api.store().touch_session(key_id, session_id, now.as_secs() as i64) {
                tracing::warn!(%error, "cannot record a session");
            }
        }
        let calls: Vec<Call> = {
            let mut session = lock(&session);
            match session.handle(message, now).map_err(|e| e.to_string())? {
                Handled::Refused(refusal) => tracing::debug!(?refusal, "message refused"),
                Handled::Accepted | Handled::Duplicate => {}
            }
            std::iter::from_fn(|| session.poll_call()).collect()
        };
        self.shared.claim((key_id, session_id), self.id, &self.wake);
        if !self.owned.iter().any(|(_, s)| Arc::ptr_eq(s, &session)) {
            self.owned.push(((key_id, session_id), session.clone()));
        }
        match self.reached.iter_mut().find(|r| Arc::ptr_eq(&r.session, &session)) {
            Some(reached) => reached.calls.extend(calls),
            None => self.reached.push(Reached { session, key_id, session_id, calls }),
        }
        Ok(())
    }

    /// Runs the calls of every session reached by the current read, in order, in one blocking
    /// task (the store is synchronous, and a 2FA check spends tens of milliseconds in PBKDF2),
    /// and hands each answer to its session.
    async fn run_calls(&mut self) {
        let batch: Vec<Reached> = self
            .reached
            .iter_mut()
            .filter(|r| !r.calls.is_empty())
            .map(|r| Reached {
                session: r.session.clone(),
                key_id: r.key_id,
                session_id: r.session_id,
                calls: std::mem::take(&mut r.calls),
            })
            .collect();
        if batch.is_empty() {
            return;
        }
        let shared = self.shared.clone();
        let dc = self.dc;
        let mut facts = std::mem::take(&mut self.key_facts);
        let mut served: Option<ServedLayer> = None;
        let ran = tokio::task::spawn_blocking(move || {
            for Reached { session, key_id, session_id, calls } in batch {
                for call in calls {
                    // A handler that panics fails its own call, not the batch or the connection.
                    // (Its transaction is rolled back, so nothing of it is kept or recorded.)
                    let site = CallSite { dc, key_id, session_id, msg_id: call.msg_id };
                    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        answer_once(&shared, site, &mut facts, &call.body, &mut served)
                    }))
                    .unwrap_or_else(|_| Err(RpcFailure::new(500, "INTERNAL")));
                    let result = result.map_err(|f| RpcErrorMessage { code: f.code, message: f.message });
                    lock(&session).answer(call.msg_id, result);
                }
                shared.count_answers((key_id, session_id), &session);
            }
            (facts, served)
        })
        .await;
        // A lost cache is only read again.
        let (facts, served) = ran.unwrap_or_default();
        self.key_facts = facts;
        if let (false, Some(served)) = (self.layer_logged, served) {
            self.layer_logged = true;
            tracing::info!(
                announced = served.announced,
                served = served.layer,
                "connection served in layer {}",
                served.layer
            );
        }
    }

    /// Every packet the sessions reached by the current read have to send, into `out`.
    fn transmit(&mut self) -> Result<(), Closed> {
        let now = unix_now();
        for reached in std::mem::take(&mut self.reached) {
            // A session the client moved to a newer connection sends there.
            if !self.shared.owns_or_wake((reached.key_id, reached.session_id), self.id) {
                continue;
            }
            let packets: Vec<Vec<u8>> = {
                let mut session = lock(&reached.session);
                std::iter::from_fn(|| session.poll_transmit(now, &mut *self.random)).collect()
            };
            for packet in packets {
                self.send(&packet)?;
            }
        }
        Ok(())
    }

    /// Every packet the sessions this connection still sends for have to send, into `out`.
    fn transmit_owned(&mut self) -> Result<(), Closed> {
        let now = unix_now();
        let shared = self.shared.clone();
        self.owned.retain(|(key, _)| shared.owns_or_wake(*key, self.id));
        for (_, session) in self.owned.clone() {
            let packets: Vec<Vec<u8>> = {
                let mut session = lock(&session);
                std::iter::from_fn(|| session.poll_transmit(now, &mut *self.random)).collect()
            };
            for packet in packets {
                self.send(&packet)?;
            }
        }
        Ok(())
    }
}

fn lock(session: &Mutex<ServerSession>) -> std::sync::MutexGuard<'_, ServerSession> {
    session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
