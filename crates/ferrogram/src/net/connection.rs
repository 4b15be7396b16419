//! The connection task: one socket, one MTProto session, many calls in flight.

use std::collections::HashMap;
use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::session::client::{ClientSession, Event, RequestId};
use ferrogram_mtproto::session::client_timers::ClientTimers;
use ferrogram_mtproto::transport::TransportKind;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{sleep, timeout};

use super::link::{unix_now, Link};
use super::random::OsRandom;
use crate::errors::InvocationError;

/// What a finished call hands back: the serialized result, or why there is none.
pub(crate) type Answer = Result<Vec<u8>, InvocationError>;

/// An authorization key with what the session needs to start on it.
#[derive(Debug, Clone)]
pub(crate) struct KeyState {
    pub(crate) auth_key: AuthKey,
    pub(crate) salt: i64,
    pub(crate) time_offset: i32,
}

/// How to reach a DC and how to behave on the connection.
#[derive(Clone)]
pub(crate) struct ConnectionParams {
    pub(crate) dc_id: i32,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) transport: TransportKind,
    pub(crate) rsa_keys: Vec<RsaPublicKey>,
    pub(crate) connect_timeout: Duration,
    /// Reconnect attempts after a drop before the calls in flight fail.
    pub(crate) connection_retries: u32,
    pub(crate) retry_delay: Duration,
    pub(crate) max_retry_delay: Duration,
    pub(crate) ping_interval: Duration,
    /// Where pushed updates go.
    pub(crate) updates: std::sync::Arc<crate::client::UpdateSink>,
    /// Wraps the first request on each new TCP connection (`invokeWithLayer(initConnection(..))`).
    pub(crate) wrap_first: std::sync::Arc<dyn Fn(Vec<u8>) -> Vec<u8> + Send + Sync>,
}

enum Command {
    Invoke {
        body: Vec<u8>,
        reply: oneshot::Sender<Answer>,
    },
    /// Reports the session's current salt and clock offset (to persist).
    State {
        reply: oneshot::Sender<(i64, i32)>,
    },
}

/// A handle to a running connection task. Dropping every handle (or calling
/// [`Connection::close`]) ends the task; calls still in flight then fail with
/// [`InvocationError::Dropped`].
#[derive(Clone)]
pub(crate) struct Connection {
    commands: mpsc::UnboundedSender<Command>,
    dc_id: i32,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("dc_id", &self.dc_id).field("alive", &self.is_alive()).finish()
    }
}

impl Connection {
    /// Connects to the DC and, when `key` is `None`, creates an authorization key there first.
    /// Returns the running connection and the key state it started with (new or given).
    pub(crate) async fn open(
        params: ConnectionParams,
        key: Option<KeyState>,
    ) -> Result<(Connection, KeyState), InvocationError> {
        let mut link = open_link(&params).await?;
        let key = match key {
            Some(key) => key,
            None => {
                let done = timeout(params.connect_timeout, link.create_auth_key(params.rsa_keys.clone(), params.dc_id))
                    .await
                    .map_err(|_| InvocationError::Timeout(params.connect_timeout))??;
                tracing::debug!(dc = params.dc_id, key = ?done.auth_key, "created an authorization key");
                KeyState { auth_key: done.auth_key, salt: done.first_salt, time_offset: done.time_offset }
            }
        };
        // The session pings (ping_delay_disconnect), delays and batches acknowledgements,
        // resends what the server did not acknowledge and notices a silent server.
        let timers = ClientTimers { ping_interval: params.ping_interval, ..ClientTimers::default() };
        let session = ClientSession::new(key.auth_key.clone(), key.salt, key.time_offset.into(), &mut OsRandom)
            .with_timers(timers, unix_now());
        let (commands, receiver) = mpsc::unbounded_channel();
        let dc_id = params.dc_id;
        let task = Task { params, session, pending: HashMap::new(), init_sent: false, heard: false, failures: 0 };
        tokio::spawn(task.run(link, receiver));
        Ok((Connection { commands, dc_id }, key))
    }

    /// The DC this connection talks to.
    pub(crate) fn dc_id(&self) -> i32 {
        self.dc_id
    }

    /// Whether the task still runs (it ends when reconnecting failed or on a fatal error).
    pub(crate) fn is_alive(&self) -> bool {
        !self.commands.is_closed()
    }

    /// Sends a serialized request and waits for its answer.
    pub(crate) async fn invoke(&self, body: Vec<u8>) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Invoke { body, reply }).map_err(|_| InvocationError::Dropped)?;
        answer.await.map_err(|_| InvocationError::Dropped)?
    }

    /// The session's current salt and clock offset, `None` if the task has ended.
    pub(crate) async fn state(&self) -> Option<(i64, i32)> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::State { reply }).ok()?;
        answer.await.ok()
    }
}

async fn open_link(params: &ConnectionParams) -> Result<Link<TcpStream>, InvocationError> {
    let address = (params.host.as_str(), params.port);
    let stream = timeout(params.connect_timeout, TcpStream::connect(address))
        .await
        .map_err(|_| InvocationError::Timeout(params.connect_timeout))??;
    // Small MTProto packets should leave at once rather than wait for Nagle's algorithm.
    stream.set_nodelay(true)?;
    Ok(Link::new(stream, params.transport, params.dc_id))
}

/// Why the loop over one TCP connection ended.
enum Ended {
    /// Every handle was dropped: the client is done with this DC.
    Closed,
    /// The connection broke (I/O, framing, a packet the session refused).
    Broken(InvocationError),
    /// The server refused the connection for good (a transport error such as -404: it does not
    /// know the key); reconnecting with the same key cannot help.
    Fatal(InvocationError),
}

struct Task {
    params: ConnectionParams,
    session: ClientSession,
    pending: HashMap<RequestId, oneshot::Sender<Answer>>,
    /// Whether the current TCP connection has carried `initConnection` yet.
    init_sent: bool,
    /// Whether the server sent a packet the session accepted on the current TCP connection.
    heard: bool,
    /// Failed attempts in a row: connections refused, and connections that ended before the
    /// server said anything (a proxy in front of a dead server accepts and closes at once, and
    /// must not be retried in a tight loop or forever). Reset by a connection the server spoke on.
    failures: u32,
}

impl Task {
    async fn run(mut self, mut link: Link<TcpStream>, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let error = match self.serve(&mut link, &mut commands).await {
                Ended::Closed => break,
                Ended::Fatal(error) => {
                    self.fail_all(|| clone_error(&error));
                    break;
                }
                Ended::Broken(error) => error,
            };
            tracing::info!(dc = self.params.dc_id, %error, "connection lost, reconnecting");
            self.session.connection_lost();
            if std::mem::take(&mut self.heard) {
                self.failures = 0;
            } else {
                self.failures += 1;
            }
            match self.reconnect(error).await {
                Ok(new_link) => {
                    link = new_link;
                    // Pushes may have been lost with the connection.
                    self.params.updates.request_difference();
                }
                Err(error) => {
                    tracing::warn!(dc = self.params.dc_id, %error, "giving up on the connection");
                    self.fail_all(|| clone_error(&error));
                    break;
                }
            }
        }
        self.fail_all(|| InvocationError::Dropped);
    }

    /// Opens a new TCP connection after the one that ended with `last`: at once after a
    /// connection the server spoke on, else after a delay doubling with each failure in a row
    /// (from `retry_delay` up to `max_retry_delay`); gives up after `connection_retries` failures
    /// in a row.
    async fn reconnect(&mut self, mut last: InvocationError) -> Result<Link<TcpStream>, InvocationError> {
        loop {
            if self.failures >= self.params.connection_retries.max(1) {
                return Err(last);
            }
            if self.failures > 0 {
                let doublings = (self.failures - 1).min(16);
                let delay = self.params.retry_delay.saturating_mul(1 << doublings).min(self.params.max_retry_delay);
                sleep(delay).await;
            }
            match open_link(&self.params).await {
                Ok(link) => {
                    self.init_sent = false;
                    return Ok(link);
                }
                Err(error) => {
                    tracing::debug!(dc = self.params.dc_id, failures = self.failures, %error, "reconnect failed");
                    self.failures += 1;
                    last = error;
                }
            }
        }
    }

    fn fail_all(&mut self, error: impl Fn() -> InvocationError) {
        for (_, reply) in self.pending.drain() {
            let _ = reply.send(Err(error()));
        }
    }

    /// Serves one TCP connection until it ends.
    async fn serve(&mut self, link: &mut Link<TcpStream>, commands: &mut mpsc::UnboundedReceiver<Command>) -> Ended {
        self.session.connected(unix_now());
        loop {
            while let Some(packet) = self.session.poll_transmit(unix_now(), &mut OsRandom) {
                if let Err(error) = link.queue(&packet) {
                    return Ended::Broken(error);
                }
            }
            if let Err(error) = link.flush().await {
                return Ended::Broken(error);
            }
            tokio::select! {
                command = commands.recv() => match command {
                    None => return Ended::Closed,
                    Some(command) => {
                        self.command(command);
                        // Take whatever else is already waiting, so it shares the next packet.
                        while let Ok(command) = commands.try_recv() {
                            self.command(command);
                        }
                    }
                },
                read = link.read_some() => {
                    if let Err(error) = read {
                        return Ended::Broken(error);
                    }
                    if let Some(ended) = self.receive(link) {
                        return ended;
                    }
                }
                // The session's one timer: pings, acknowledgements, resends, silence.
                _ = sleep_until_unix(self.session.poll_timeout()) => {
                    self.session.handle_timeout(unix_now());
                    while let Some(event) = self.session.poll_event() {
                        if event == Event::ServerSilent {
                            let silent = self.params.ping_interval + ClientTimers::default().silence_grace;
                            return Ended::Broken(InvocationError::Timeout(silent));
                        }
                        self.event(event);
                    }
                }
            }
        }
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Invoke { body, reply } => {
                let body = if self.init_sent { body } else { (self.params.wrap_first)(body) };
                self.init_sent = true;
                let request = self.session.enqueue(body);
                self.pending.insert(request, reply);
            }
            Command::State { reply } => {
                let offset = i32::try_from(self.session.time_offset()).unwrap_or_default();
                let _ = reply.send((self.session.salt(), offset));
            }
        }
    }

    /// Handles every whole frame read so far; `Some` if the connection must end.
    fn receive(&mut self, link: &mut Link<TcpStream>) -> Option<Ended> {
        loop {
            let frame = match link.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => return None,
                Err(InvocationError::Transport(ferrogram_mtproto::transport::TransportError::Status(code))) => {
                    let error = InvocationError::Transport(ferrogram_mtproto::transport::TransportError::Status(code));
                    // -404: the server does not know our key; -444: wrong DC. Neither heals by
                    // reconnecting. Others (-429 flood) may.
                    return Some(if code == -404 || code == -444 { Ended::Fatal(error) } else { Ended::Broken(error) });
                }
                Err(error) => return Some(Ended::Broken(error)),
            };
            if let Err(error) = self.session.handle_packet(&frame, unix_now()) {
                tracing::warn!(dc = self.params.dc_id, %error, "refused a packet from the server");
                return Some(Ended::Broken(InvocationError::Unexpected("a packet the session layer refused")));
            }
            self.heard = true;
            while let Some(event) = self.session.poll_event() {
                self.event(event);
            }
        }
    }

    fn event(&mut self, event: Event) {
        match event {
            Event::Result { request, result } => {
                if let Some(reply) = self.pending.remove(&request) {
                    let answer = result.map_err(InvocationError::Rpc);
                    let _ = reply.send(answer);
                }
            }
            Event::Rejected { request, error_code } => {
                if let Some(reply) = self.pending.remove(&request) {
                    tracing::warn!(dc = self.params.dc_id, error_code, "the server rejected a request");
                    let _ = reply.send(Err(InvocationError::Unexpected("bad_msg_notification for the request")));
                }
            }
            Event::Update(body) => self.params.updates.push(&body),
            Event::NewSession { first_msg_id } => {
                // Updates may have been lost with the old session: fetch the difference.
                tracing::debug!(dc = self.params.dc_id, first_msg_id, "the server created a new session");
                self.params.updates.request_difference();
            }
            // Handled where the timers run.
            Event::ServerSilent => {}
        }
    }
}

/// Sleeps until the Unix time `at` (for ever if `None`): the session's timers speak Unix time.
async fn sleep_until_unix(at: Option<Duration>) {
    match at {
        Some(at) => sleep(at.saturating_sub(unix_now())).await,
        None => std::future::pending().await,
    }
}

/// A copy of a connection-level error for each call it ends (I/O errors are not `Clone`).
fn clone_error(error: &InvocationError) -> InvocationError {
    match error {
        InvocationError::Io(e) => InvocationError::Io(std::io::Error::new(e.kind(), e.to_string())),
        InvocationError::Transport(e) => InvocationError::Transport(e.clone()),
        InvocationError::AuthKey(e) => InvocationError::AuthKey(e.clone()),
        InvocationError::Timeout(d) => InvocationError::Timeout(*d),
        InvocationError::PlainMessage(e) => InvocationError::PlainMessage(*e),
        InvocationError::Unexpected(what) => InvocationError::Unexpected(what),
        _ => InvocationError::Dropped,
    }
}
