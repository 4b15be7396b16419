//! One client connection: transport detection, key exchange, encrypted sessions, calls.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep};
use ferrogram_mtproto::authkey::{plain, AuthKey};
use ferrogram_mtproto::endpoint::{ConnectionHandle, EndpointError, Received, SessionKey};
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::server::{Call, Handled};
use ferrogram_mtproto::transport::{strip_padding, Codec, Incoming};
use ferrogram_mtproto::RandomSource;
use std::time::Instant;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use super::calls::SharedKeyFacts;
use super::guard::{flush, refuse, sleep_until_unix, Closed, Deadlines, TRANSPORT_FLOOD};
use super::limits::ExchangeSlot;
use super::writer::{Done, Job};
use super::{unix_now, ConnectionSignal, Shared};
use crate::api::os_random;

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
    let mut refusals = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let slot = match shared.connections.admit(peer.ip()) {
                        Ok(slot) => slot,
                        Err(why) => {
                            refuse(stream, peer, why, &shared, &mut refusals);
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    let mut stop = stopped.clone();
                    // Every log line of the connection names its peer and DC.
                    let span = tracing::info_span!("connection", %peer, dc);
                    connections.spawn(tracing::Instrument::instrument(async move {
                        // The slot is given back when the connection's task ends.
                        let _slot = slot;
                        tokio::select! {
                            result = serve(stream, peer, dc, shared) => {
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
            // Reap finished tasks so the sets do not grow.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            Some(_) = refusals.join_next(), if !refusals.is_empty() => {}
            _ = stopped.changed() => break,
        }
    }
    connections.shutdown().await;
    refusals.shutdown().await;
}

struct Connection {
    dc: i32,
    peer: std::net::SocketAddr,
    shared: Arc<Shared>,
    codec: Codec,
    random: Box<dyn RandomSource + Send>,
    handshake: Option<ServerHandshake>,
    plain_ids: MsgIdGenerator,
    /// What calls need to know of each key, read from the store once (see [`KeyFacts`](super::calls::KeyFacts)); shared
    /// with the writer thread, which runs this connection's calls.
    key_facts: SharedKeyFacts,
    /// Sessions the frames of the current read reached, with the calls they brought; the calls
    /// run together once the read is handled, then the connection sends what it has.
    reached: Vec<(SessionKey, Vec<Call>)>,
    /// A transport error code to send after the answers of the current read, before closing.
    closing_status: Option<i32>,
    out: Vec<u8>,
    /// This connection in the server's endpoint; disconnected when the connection ends.
    handle: Registered,
    /// Whether the layer this connection is served in was logged (once, at its first call).
    layer_logged: bool,
    /// This connection's place among the key exchanges of its address, while one is running.
    exchange: Option<ExchangeSlot>,
}

/// A connection made in the endpoint, with the signal that wakes it when the endpoint has
/// something for it to send (or it is to close); both go when the connection's task ends.
struct Registered {
    shared: Arc<Shared>,
    handle: ConnectionHandle,
    signal: Arc<ConnectionSignal>,
}

impl Registered {
    fn new(shared: &Arc<Shared>) -> Registered {
        let signal = Arc::new(ConnectionSignal::default());
        let handle = shared.connect(signal.clone());
        Registered { shared: shared.clone(), handle, signal }
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.disconnect(self.handle);
    }
}

async fn serve(mut stream: TcpStream, peer: std::net::SocketAddr, dc: i32, shared: Arc<Shared>) -> Result<(), Closed> {
    let limits = shared.limits.clone();
    let mut conn = Connection {
        dc,
        peer,
        codec: Codec::server(None, None).with_max_frame_len(limits.max_frame_bytes),
        shared: shared.clone(),
        random: os_random(),
        handshake: None,
        plain_ids: MsgIdGenerator::new(),
        key_facts: SharedKeyFacts::default(),
        reached: Vec::new(),
        closing_status: None,
        out: Vec::new(),
        handle: Registered::new(&shared),
        layer_logged: false,
        exchange: None,
    };
    let signal = conn.handle.signal.clone();
    let mut buf = vec![0u8; 64 * 1024];
    let mut deadlines = Deadlines::new(&limits, Instant::now());
    // The jobs of this connection in the store's writer, oldest first. The socket is read on
    // while they run (what a read brings runs in the batch after), up to this many.
    let mut in_flight: VecDeque<oneshot::Receiver<Done>> = VecDeque::new();
    loop {
        let n = tokio::select! {
            read = stream.read(&mut buf), if in_flight.len() < JOBS_IN_FLIGHT => read.map_err(|e| e.to_string())?,
            done = async {
                match in_flight.front_mut() {
                    Some(job) => job.await,
                    None => std::future::pending().await,
                }
            }, if !in_flight.is_empty() => {
                in_flight.pop_front();
                conn.finished(done);
                conn.transmit()?;
                flush(&mut stream, &mut conn.out, &limits).await?;
                continue;
            }
            () = signal.wake.notified() => {
                if signal.close.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err("closed on request (an injected drop)".into());
                }
                // Another connection ran a call of a session the client now uses this one for,
                // or an update was pushed.
                conn.transmit()?;
                flush(&mut stream, &mut conn.out, &limits).await?;
                continue;
            }
            () = tokio::time::sleep_until(deadlines.next()) => return Err(deadlines.reason().into()),
            // The sessions' own timer: a client's ping_delay_disconnect that was not renewed.
            () = sleep_until_unix(conn.session_timeout()) => {
                if conn.session_timeouts_close() {
                    return Err("the client's ping_delay_disconnect delay passed".into());
                }
                continue;
            }
        };
        if n == 0 {
            return Ok(());
        }
        conn.codec.feed(&buf[..n]);
        let mut result = Ok(());
        let mut frames = 0;
        loop {
            match conn.codec.poll() {
                Ok(Some(Incoming::Frame { payload, .. })) => {
                    frames += 1;
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
        // The calls of every frame of this read go to the store's writer together (committed
        // with whatever other connections sent meanwhile); their answers go out when that batch
        // is done, and whatever else the read made the sessions say goes out now.
        if let Some(job) = conn.submit_calls() {
            in_flight.push_back(job);
        }
        conn.reached.clear();
        if result.is_err() || conn.closing_status.is_some() {
            // About to close: the answers of what was read go out first (a -404 after them).
            while let Some(job) = in_flight.pop_front() {
                conn.finished(job.await);
            }
        }
        let transmitted = conn.transmit();
        if let Some(code) = conn.closing_status.take() {
            let _ = conn.codec.pack_status(code, &mut *conn.random, &mut conn.out);
        }
        flush(&mut stream, &mut conn.out, &limits).await?;
        result?;
        transmitted?;
        deadlines.after_read(frames, conn.codec.buffered(), Instant::now());
    }
}

/// How many reads' calls of one connection may wait in the store's writer at once: two, so that
/// what a client sends while its last calls run joins the next batch instead of waiting in the
/// socket for them (and then for that batch).
const JOBS_IN_FLIGHT: usize = 2;

impl Connection {
    fn send(&mut self, packet: &[u8]) -> Result<(), Closed> {
        self.codec.pack(packet, &mut *self.random, &mut self.out).map_err(|e| format!("transport: {e}"))
    }

    async fn handle_frame(&mut self, payload: Vec<u8>) -> Result<(), Closed> {
        let payload = strip_padding(&payload);
        match envelope::peek_auth_key_id(payload) {
            None => Err(format!("a frame of {} bytes is no MTProto message", payload.len())),
            Some(0) => self.handle_plain(payload).await,
            Some(id) => self.handle_encrypted(id, payload).await,
        }
    }

    /// A key exchange message. A new exchange must pass the gate (per-address count, server-wide
    /// rate); its RSA and modular exponentiations run on a blocking thread, a bounded number at
    /// once, never on the async workers.
    async fn handle_plain(&mut self, payload: &[u8]) -> Result<(), Closed> {
        let (_, body) = plain::unwrap(payload).map_err(|e| e.to_string())?;
        let now = unix_now();
        let shared = self.shared.clone();
        if self.exchange.is_none() {
            match shared.key_exchanges.admit(self.peer.ip(), Instant::now()) {
                Ok(slot) => self.exchange = Some(slot),
                Err(why) => {
                    let refused = shared.key_exchanges.refused();
                    if refused.is_power_of_two() {
                        tracing::warn!(?why, refused, "key exchange refused: over the key-exchange limits");
                    }
                    self.closing_status = Some(TRANSPORT_FLOOD);
                    return Err(format!("key exchange refused ({why:?})"));
                }
            }
        }
        let mut handshake = self
            .handshake
            .take()
            .unwrap_or_else(|| ServerHandshake::new(ServerConfig::new(shared.rsa_key.clone(), self.dc)));
        let body = body.to_vec();
        let step = {
            let _worker = shared.key_exchanges.workers.acquire().await.map_err(|e| e.to_string())?;
            let api = shared.api.clone();
            let computed = tokio::task::spawn_blocking(move || {
                let step = handshake.handle_with_key_check(&body, now, &mut *os_random(), &mut |id| {
                    matches!(api.auth_key(id), Ok(Some(_)))
                });
                (handshake, step)
            })
            .await
            .map_err(|e| format!("key exchange task: {e}"))?;
            let (handshake, step) = computed;
            self.handshake = Some(handshake);
            step.map_err(|e| format!("key exchange: {e}"))?
        };
        let api = &shared.api;
        let reply = match step {
            ServerStep::Send(bytes) => bytes,
            ServerStep::Done { send, key } => {
                api.register_auth_key(&key.auth_key, self.dc, key.temp_expires_in, now.as_secs() as i64)
                    .map_err(|e| format!("storing a new key: {e}"))?;
                let first_salt = (key.first_salt, now + Duration::from_secs(FIRST_SALT_LIFETIME));
                shared.endpoint().insert_key(key.auth_key, Some(first_salt));
                self.handshake = None;
                self.exchange = None;
                send
            }
            ServerStep::Refused(bytes) => {
                self.handshake = None;
                self.exchange = None;
                bytes
            }
        };
        let msg_id = self.plain_ids.next(now, IdKind::ServerResponse);
        self.send(&plain::wrap(msg_id, &reply))
    }

    /// An encrypted message: the endpoint finds its key (read from the store if it has none at
    /// hand), decrypts it and hands it to its session; the calls it brings wait in `reached`.
    async fn handle_encrypted(&mut self, key_id: i64, payload: &[u8]) -> Result<(), Closed> {
        let now = unix_now();
        let mut looked_up = false;
        let received = loop {
            let handled = self.shared.endpoint().handle(self.handle.handle, now, payload, &mut *self.random);
            match handled {
                Err(EndpointError::UnknownKey(_)) if !looked_up => {
                    looked_up = true;
                    match self.shared.api.auth_key(key_id) {
                        Ok(Some(record)) => self.shared.endpoint().insert_key(AuthKey::from_bytes(record.key), None),
                        Ok(None) => {
                            self.closing_status = Some(AUTH_KEY_NOT_FOUND);
                            return Err(format!("unknown auth key {key_id:016x}"));
                        }
                        Err(e) => return Err(format!("looking up an auth key: {e}")),
                    }
                }
                other => break other.map_err(|e| e.to_string())?,
            }
        };
        let Received { session, record_activity, handled, calls, .. } = received;
        if record_activity {
            // On creation, then now and then: pruning drops sessions idle in the store.
            if let Err(error) = self.shared.api.store().touch_session(session.0, session.1, now.as_secs() as i64) {
                tracing::warn!(%error, "cannot record a session");
            }
        }
        // A message the session cannot read (a gzip bomb, say) closes the connection, but only
        // after what the session has to say (its error answer, the calls of the messages before
        // it) is run and sent like any other read's.
        let unreadable = match handled {
            Ok(Handled::Refused(refusal)) => {
                tracing::debug!(?refusal, "message refused");
                None
            }
            Ok(Handled::Accepted | Handled::Duplicate) => None,
            Err(e) => Some(e.to_string()),
        };
        match self.reached.iter_mut().find(|(key, _)| *key == session) {
            Some((_, waiting)) => waiting.extend(calls),
            None => self.reached.push((session, calls)),
        }
        unreadable.map_or(Ok(()), Err)
    }

    /// Hands the calls of every session reached by the current read, in order, to the store's
    /// writer thread (see [`super::writer`]), which runs them in one transaction with the calls
    /// of the other connections waiting at the same time, and gives each answer to its session
    /// once that transaction has committed. Returns where it says it is done (`None`: no calls,
    /// or the server is stopping and the clients will resend them).
    fn submit_calls(&mut self) -> Option<oneshot::Receiver<Done>> {
        let calls: Vec<(SessionKey, Vec<Call>)> = self
            .reached
            .iter_mut()
            .filter(|(_, calls)| !calls.is_empty())
            .map(|(key, calls)| (*key, std::mem::take(calls)))
            .collect();
        if calls.is_empty() {
            return None;
        }
        let (done, finished) = oneshot::channel();
        let job = Job {
            shared: self.shared.clone(),
            dc: self.dc,
            connection: self.handle.handle,
            calls,
            facts: self.key_facts.clone(),
            done,
        };
        self.shared.writer.submit(job).ok()?;
        Some(finished)
    }

    /// A job of this connection is done: its answers are with their sessions.
    fn finished(&mut self, done: Result<Done, oneshot::error::RecvError>) {
        let Ok(Done { served }) = done else { return };
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

    /// Every packet the sessions this connection sends for have to send, into `out`.
    fn transmit(&mut self) -> Result<(), Closed> {
        let now = unix_now();
        let mut sent = false;
        loop {
            let packet = self.shared.endpoint().poll_transmit(self.handle.handle, now, &mut *self.random);
            let Some(packet) = packet else { break };
            sent = true;
            self.send(&packet)?;
        }
        if sent {
            // A flood waiting for room in a session's update queue may go on.
            self.shared.pushes_sent.notify_waiters();
        }
        Ok(())
    }

    /// The earliest timer of the sessions this connection sends for (Unix time).
    fn session_timeout(&self) -> Option<Duration> {
        self.shared.endpoint().poll_timeout(self.handle.handle)
    }

    /// Runs the sessions' due timers; whether one asks for this connection to be closed.
    fn session_timeouts_close(&mut self) -> bool {
        self.shared.endpoint().handle_timeout(self.handle.handle, unix_now())
    }
}
