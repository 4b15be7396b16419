//! The server's side of the session layer for many connections at once, in the way of
//! quinn-proto's `Endpoint`: it owns the auth keys' sessions, routes each decrypted packet to
//! its session, decides which connection a session sends on, evicts within budgets, and reports
//! which connections have something to send. It does no I/O: the application's shell reads
//! frames from its sockets, hands each to [`ServerEndpoint::handle`], runs the calls it gets back
//! and passes their answers to [`ServerEndpoint::answer`], and writes what
//! [`ServerEndpoint::poll_transmit`] gives for each connection.
//!
//! - **Keys**: the endpoint keeps a bounded cache of auth keys ([`EndpointConfig::max_keys`]).
//!   A packet of a key it does not have fails with [`EndpointError::UnknownKey`]; the shell looks
//!   the key up in its store, adds it with [`ServerEndpoint::insert_key`] and hands the packet in
//!   again (or tells the client the key is unknown).
//! - **Sessions** outlive connections: a client that reconnects with the same session id finds
//!   its session (and the answers cached for its resent requests). They are kept in an LRU
//!   table, bounded in number (in total and per auth key) and in answer-cache bytes.
//! - **Which connection sends**: a session sends on the connection that last received one of its
//!   messages (the client's newest). An answer that a call run for another connection produced,
//!   and an update pushed to the session, are announced as [`EndpointEvent::Transmit`] for the
//!   connection that sends.
//! - **Updates** ([`ServerEndpoint::push`]) go to one session of the auth key: the most recently
//!   used one that made a call not wrapped in `invokeWithoutUpdates`
//!   (<https://core.telegram.org/api/invoking#invoking-without-updates>). Each session queues at
//!   most [`EndpointConfig::max_queued_update_bytes`] of them; past it the queue collapses into
//!   one `updatesTooLong`, so a client that does not read costs a bounded amount and recovers
//!   what it missed with `updates.getDifference`.
//! - **Timers**: [`ServerEndpoint::poll_timeout`] / [`ServerEndpoint::handle_timeout`] per
//!   connection, for the `ping_delay_disconnect` deadlines of the sessions it sends for.

mod keys;
mod table;
mod wrappers;

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use crate::authkey::AuthKey;
use crate::crypto::Side;
use crate::session::envelope::{self, EnvelopeError};
use crate::session::server::{AnswerCacheLimits, Call, Handled, Pushed, ServerSession};
use crate::session::{InflateLimits, RpcError, SessionError};
use crate::RandomSource;
use keys::KeyCache;
use table::{SessionTable, TableLimits};

pub use table::SessionKey;
pub use wrappers::{innermost_call, InnermostCall};

/// One of the shell's connections, as the endpoint knows it (from
/// [`ServerEndpoint::connect`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionHandle(u64);

/// What an endpoint keeps, at most (see each field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointConfig {
    /// Sessions kept over all auth keys (default 100,000); a new one beyond it evicts the least
    /// recently used. A client whose session was evicted gets `new_session_created`.
    pub max_sessions: usize,
    /// Sessions kept per auth key (default 64): one key that opens session after session evicts
    /// its own least recently used ones, never other keys'.
    pub max_sessions_per_key: usize,
    /// Bytes of cached answers over all sessions (default 64 MiB); past it, the caches of the
    /// least recently used sessions shrink first.
    pub total_answer_bytes: usize,
    /// Bounds of each session's answer cache.
    pub answer_cache: AnswerCacheLimits,
    /// Auth keys kept at hand (default 100,000); others are asked for again.
    pub max_keys: usize,
    /// Bytes of pushed updates one session queues for its client (default 1 MiB) before they
    /// collapse into one `updatesTooLong`.
    pub max_queued_update_bytes: usize,
    /// How much the `gzip_packed` of one packet may inflate to.
    pub inflate_limits: InflateLimits,
    /// How often a session in use is reported as due for the application's records
    /// ([`Received::record_activity`]; default 10 minutes).
    pub activity_report_interval: Duration,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            max_sessions: 100_000,
            max_sessions_per_key: 64,
            total_answer_bytes: 64 * 1024 * 1024,
            answer_cache: AnswerCacheLimits::default(),
            max_keys: 100_000,
            max_queued_update_bytes: 1024 * 1024,
            inflate_limits: InflateLimits::default(),
            activity_report_interval: Duration::from_secs(600),
        }
    }
}

/// Why [`ServerEndpoint::handle`] could not take a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// The packet's auth key is not at hand: add it with [`ServerEndpoint::insert_key`] and
    /// hand the packet in again, or tell the client the key is unknown (transport error -404).
    #[error("unknown auth key {0:016x}")]
    UnknownKey(i64),
    /// The packet is not an encrypted message (too short, or a plain one).
    #[error("a packet of {0} bytes is no encrypted MTProto message")]
    NotEncrypted(usize),
    /// The packet failed its envelope checks (msg_key, length, padding).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The connection was never made with [`ServerEndpoint::connect`], or is disconnected.
    #[error("unknown connection")]
    UnknownConnection,
}

/// What [`ServerEndpoint::handle`] did with a packet.
#[derive(Debug)]
pub struct Received {
    /// The session it belongs to.
    pub session: SessionKey,
    /// The session is new (it announces itself with `new_session_created`).
    pub created: bool,
    /// The session's activity is due to be recorded by the application (on creation, then at
    /// most every [`EndpointConfig::activity_report_interval`]), e.g. for pruning idle sessions.
    pub record_activity: bool,
    /// What the session made of the message. An error means a message in it was malformed: the
    /// shell logs it or closes the connection, after sending what the session has to say.
    pub handled: Result<Handled, SessionError>,
    /// The RPC calls it brought, to run and answer with [`ServerEndpoint::answer`].
    pub calls: Vec<Call>,
}

/// What an endpoint reports to its shell ([`ServerEndpoint::poll_event`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointEvent {
    /// The connection has packets to send ([`ServerEndpoint::poll_transmit`]): an answer to a
    /// call that ran elsewhere, or a pushed update.
    Transmit(ConnectionHandle),
    /// The connection is to be closed ([`ServerEndpoint::close_connections_of`]).
    Close(ConnectionHandle),
}

/// Where [`ServerEndpoint::push`] put an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    /// Queued in this session.
    Queued(SessionKey),
    /// The session's queue was full: it now holds one `updatesTooLong` instead.
    TooLong(SessionKey),
    /// The auth key has no session that takes updates: the client learns what happened with
    /// `updates.getDifference` when it comes back.
    NoSession,
}

/// The state of one session's queue of pushed updates ([`ServerEndpoint::update_queue`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateQueue {
    /// Bytes of updates waiting to be sent, as counted against
    /// [`EndpointConfig::max_queued_update_bytes`].
    pub bytes: usize,
    /// Whether a connection sends for the session now (if not, the queue only shrinks once the
    /// client comes back).
    pub connected: bool,
}

/// What an endpoint holds, for monitoring and tests of its budgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointStats {
    /// Sessions kept.
    pub sessions: usize,
    /// Bytes of their answer caches.
    pub answer_bytes: usize,
    /// Auth keys at hand.
    pub keys: usize,
    /// Connections made and not yet disconnected.
    pub connections: usize,
}

/// The sessions of every auth key a server serves (see the module docs).
pub struct ServerEndpoint {
    config: EndpointConfig,
    keys: KeyCache,
    table: SessionTable,
    /// Each connection's sessions: those it sends for, and (lazily cleaned) those it sent for.
    connections: HashMap<ConnectionHandle, Vec<SessionKey>>,
    next_connection: u64,
    events: VecDeque<EndpointEvent>,
    /// Connections with a [`EndpointEvent::Transmit`] not yet taken, so each is reported once.
    waking: HashSet<ConnectionHandle>,
}

impl std::fmt::Debug for ServerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerEndpoint").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl ServerEndpoint {
    /// An endpoint within `config`; `salt_secret` derives every key's server salts
    /// ([`ServerSalts`](crate::session::salts::ServerSalts)), so keep it across restarts.
    pub fn new(config: EndpointConfig, salt_secret: [u8; 32]) -> ServerEndpoint {
        let limits = TableLimits {
            max_sessions: config.max_sessions,
            max_per_key: config.max_sessions_per_key,
            max_answer_bytes: config.total_answer_bytes,
            report_interval: config.activity_report_interval,
        };
        ServerEndpoint {
            keys: KeyCache::new(config.max_keys, salt_secret),
            table: SessionTable::new(limits),
            config,
            connections: HashMap::new(),
            next_connection: 0,
            events: VecDeque::new(),
            waking: HashSet::new(),
        }
    }

    /// A new connection.
    pub fn connect(&mut self) -> ConnectionHandle {
        self.next_connection += 1;
        let handle = ConnectionHandle(self.next_connection);
        self.connections.insert(handle, Vec::new());
        handle
    }

    /// The connection is gone. Its sessions stay (the client may come back on another one);
    /// what they have to send waits for that.
    pub fn disconnect(&mut self, connection: ConnectionHandle) {
        for key in self.connections.remove(&connection).unwrap_or_default() {
            if let Some(entry) = self.table.get_mut(key).filter(|e| e.owner == Some(connection)) {
                entry.owner = None;
            }
        }
        self.waking.remove(&connection);
    }

    /// Adds an auth key: one the key exchange just made (with its first salt, accepted until
    /// Unix time `until`), or one the shell read from its store.
    pub fn insert_key(&mut self, key: AuthKey, first_salt: Option<(i64, Duration)>) {
        self.keys.insert(key, first_salt);
    }

    /// Whether the auth key `auth_key_id` is at hand.
    pub fn knows_key(&self, auth_key_id: i64) -> bool {
        self.keys.contains(auth_key_id)
    }

    /// The ids of the auth keys at hand (for the shell to drop those its store no longer has).
    pub fn key_ids(&self) -> Vec<i64> {
        self.keys.ids()
    }

    /// Forgets an auth key and its sessions (it was destroyed or pruned).
    pub fn forget_key(&mut self, auth_key_id: i64) {
        self.keys.remove(auth_key_id);
        self.table.remove_key(auth_key_id);
    }

    /// Takes in an encrypted packet that arrived on `connection` at `now` (Unix time): finds its
    /// key, decrypts it, and hands it to its session (made now if new; the connection becomes
    /// the one the session sends on). `random` draws a new session's `unique_id`.
    pub fn handle(
        &mut self,
        connection: ConnectionHandle,
        now: Duration,
        packet: &[u8],
        random: &mut dyn RandomSource,
    ) -> Result<Received, EndpointError> {
        if !self.connections.contains_key(&connection) {
            return Err(EndpointError::UnknownConnection);
        }
        let key_id = envelope::peek_auth_key_id(packet)
            .filter(|&id| id != 0)
            .ok_or(EndpointError::NotEncrypted(packet.len()))?;
        let (key, salts) = self.keys.get(key_id).ok_or(EndpointError::UnknownKey(key_id))?;
        let message = envelope::decrypt(&key, Side::Client, packet)?;
        let session = (key_id, message.session_id);
        let config = &self.config;
        let touched = self.table.touch(session, now, || {
            let mut unique_id = [0u8; 8];
            random.fill(&mut unique_id);
            ServerSession::new(key, message.session_id, salts, i64::from_le_bytes(unique_id))
                .with_answer_cache(config.answer_cache)
                .with_inflate_limits(config.inflate_limits)
        });
        let entry = self.table.get_mut(session).ok_or(EndpointError::UnknownKey(key_id))?;
        let handled = entry.session.handle(message, now);
        let calls: Vec<Call> = std::iter::from_fn(|| entry.session.poll_call()).collect();
        if calls.iter().any(|call| asks_for_updates(&call.body)) {
            entry.subscribed = true;
        }
        if entry.owner.replace(connection) != Some(connection) {
            if let Some(owned) = self.connections.get_mut(&connection).filter(|owned| !owned.contains(&session)) {
                owned.push(session);
            }
        }
        Ok(Received { session, created: touched.created, record_activity: touched.report, handled, calls })
    }

    /// Answers the call `msg_id` of `session`, run for a packet that arrived on `from`. If the
    /// session now sends on another connection (the client moved), that one is reported as
    /// [`EndpointEvent::Transmit`]. An answer for a session evicted meanwhile is dropped: the
    /// client resends the request in its new session.
    pub fn answer(
        &mut self,
        session: SessionKey,
        msg_id: i64,
        result: Result<Vec<u8>, RpcError>,
        from: ConnectionHandle,
    ) {
        let Some(entry) = self.table.get_mut(session) else { return };
        entry.session.answer(msg_id, result);
        let owner = entry.owner;
        self.table.count_answers(session);
        if let Some(owner) = owner.filter(|&owner| owner != from) {
            self.wake(owner);
        }
    }

    /// Pushes an update (a boxed `Updates`) to the auth key's session that takes updates (see
    /// the module docs), reporting its connection as [`EndpointEvent::Transmit`].
    pub fn push(&mut self, auth_key_id: i64, updates: Vec<u8>) -> PushOutcome {
        let Some(session) = self.table.updates_session(auth_key_id) else { return PushOutcome::NoSession };
        let max = self.config.max_queued_update_bytes;
        let Some(entry) = self.table.get_mut(session) else { return PushOutcome::NoSession };
        let pushed = entry.session.push_update(updates, max);
        if let Some(owner) = entry.owner {
            self.wake(owner);
        }
        match pushed {
            Pushed::Queued => PushOutcome::Queued(session),
            Pushed::TooLong => PushOutcome::TooLong(session),
        }
    }

    /// The queue of pushed updates of the auth key's session that takes updates (`None`: it has
    /// none). A producer of many updates reads it to push no faster than the client takes them,
    /// instead of overrunning the queue into `updatesTooLong`.
    pub fn update_queue(&self, auth_key_id: i64) -> Option<UpdateQueue> {
        let session = self.table.updates_session(auth_key_id)?;
        let entry = self.table.get(session)?;
        Some(UpdateQueue { bytes: entry.session.queued_update_bytes(), connected: entry.owner.is_some() })
    }

    /// The bound of each session's queue of pushed updates
    /// ([`EndpointConfig::max_queued_update_bytes`]).
    pub fn max_queued_update_bytes(&self) -> usize {
        self.config.max_queued_update_bytes
    }

    /// The next packet `connection` has to send for the sessions it sends for.
    pub fn poll_transmit(
        &mut self,
        connection: ConnectionHandle,
        now: Duration,
        random: &mut dyn RandomSource,
    ) -> Option<Vec<u8>> {
        let owned = self.connections.get_mut(&connection)?;
        let table = &mut self.table;
        // Sessions the client moved to another connection (or that were evicted) leave the list.
        owned.retain(|key| table.get(*key).is_some_and(|e| e.owner == Some(connection)));
        owned.iter().find_map(|key| {
            let entry = table.get_mut(*key)?;
            entry.session.poll_transmit(now, random)
        })
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called for `connection` (Unix
    /// time): the earliest timer of the sessions it sends for.
    pub fn poll_timeout(&self, connection: ConnectionHandle) -> Option<Duration> {
        let owned = self.connections.get(&connection)?;
        owned
            .iter()
            .filter_map(|key| self.table.get(*key).filter(|e| e.owner == Some(connection)))
            .filter_map(|entry| entry.session.poll_timeout())
            .min()
    }

    /// Runs the due timers of the sessions `connection` sends for; whether the connection is
    /// to be closed (a client's `ping_delay_disconnect` delay passed without a new ping).
    pub fn handle_timeout(&mut self, connection: ConnectionHandle, now: Duration) -> bool {
        let Some(owned) = self.connections.get(&connection) else { return false };
        let mut close = false;
        for key in owned {
            if let Some(entry) = self.table.get_mut(*key).filter(|e| e.owner == Some(connection)) {
                entry.session.handle_timeout(now);
                close |= entry.session.take_disconnect();
            }
        }
        close
    }

    /// Asks for every connection that sends for a session of `auth_key_id` to be closed (as
    /// when a network drops): each is reported once as [`EndpointEvent::Close`]. The sessions
    /// stay, as they would on Telegram's side of a dropped connection. Returns how many.
    pub fn close_connections_of(&mut self, auth_key_id: i64) -> usize {
        let mut closing: Vec<ConnectionHandle> = self
            .connections
            .iter()
            .filter(|(handle, owned)| {
                owned
                    .iter()
                    .any(|key| key.0 == auth_key_id && self.table.get(*key).is_some_and(|e| e.owner == Some(**handle)))
            })
            .map(|(handle, _)| *handle)
            .collect();
        closing.sort();
        for handle in &closing {
            self.events.push_back(EndpointEvent::Close(*handle));
        }
        closing.len()
    }

    /// The next event for the shell.
    pub fn poll_event(&mut self) -> Option<EndpointEvent> {
        let event = self.events.pop_front()?;
        if let EndpointEvent::Transmit(connection) = event {
            self.waking.remove(&connection);
        }
        Some(event)
    }

    /// Drops the sessions with no message for `idle` before `now`; returns how many.
    pub fn prune_idle(&mut self, now: Duration, idle: Duration) -> usize {
        self.table.prune_idle(now, idle)
    }

    /// What the endpoint holds.
    pub fn stats(&self) -> EndpointStats {
        EndpointStats {
            sessions: self.table.len(),
            answer_bytes: self.table.answer_bytes(),
            keys: self.keys.len(),
            connections: self.connections.len(),
        }
    }

    /// Sessions kept of one auth key.
    pub fn sessions_of_key(&self, auth_key_id: i64) -> usize {
        self.table.len_for_key(auth_key_id)
    }

    /// Whether the session is kept.
    pub fn has_session(&self, session: SessionKey) -> bool {
        self.table.get(session).is_some()
    }

    fn wake(&mut self, connection: ConnectionHandle) {
        if self.connections.contains_key(&connection) && self.waking.insert(connection) {
            self.events.push_back(EndpointEvent::Transmit(connection));
        }
    }
}

/// Whether a call subscribes its session to updates: any call not wrapped (at any depth of the
/// `invokeWithLayer` / `initConnection` / `invokeAfterMsg` wrappers) in `invokeWithoutUpdates`.
fn asks_for_updates(body: &[u8]) -> bool {
    innermost_call(body).is_some_and(|call| !call.without_updates)
}
