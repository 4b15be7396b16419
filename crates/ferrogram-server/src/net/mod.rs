//! The network shell of the server: tokio listeners, one per DC, around the sans-IO core.
//!
//! Each connection gets a transport [`Codec`](ferrogram_mtproto::transport::Codec) that detects
//! what the client speaks, and runs the server side of the key exchange for plain messages.
//! Encrypted ones go to the process's one
//! [`ferrogram_mtproto::endpoint::ServerEndpoint`], which owns every auth key's
//! sessions: it decrypts, routes to the session, and says which connection sends what. Calls are
//! lifted into our layer, answered by [`Api::call`](crate::Api::call), and lowered back into the
//! client's layer. Sessions outlive connections, so a client that reconnects and resends gets its
//! cached answer; a call that changed the store has its answer recorded with the change, so even
//! a restarted server answers a replay of it from the record instead of running it again. What
//! the server keeps is bounded by [`Budgets`], and pruned at start and every
//! [`Budgets::prune_interval`].

pub mod acting;
pub mod admin;
mod calls;
mod connection;
pub mod flood;
mod guard;
pub mod keys;
pub mod layers;
pub mod limits;
pub(crate) mod pushes;
mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrogram_mtproto::crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use ferrogram_mtproto::endpoint::{ConnectionHandle, EndpointEvent, ServerEndpoint};
use ferrogram_tl_layers::Layers;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::{os_random, Api, ApiConfig, DcConfig};
use crate::budgets::Budgets;
use crate::store::StoreError;
use std::collections::HashMap;
use tokio::sync::Notify;

/// The DC a single `--listen` address serves (the interop contract: DC 2 on the given port).
pub const MAIN_DC: i32 = 2;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where the main DC ([`MAIN_DC`]) listens. The other DCs take the following ports (or
    /// ephemeral ones when this port is 0).
    pub listen: SocketAddr,
    /// How many DCs to serve (ids 1..=n; at least 1, and the main DC must be among them).
    pub dc_count: i32,
    /// The data dir (SQLite store, RSA key, `server-public.pem`, `codes.jsonl`); `None` keeps
    /// everything in memory.
    pub data_dir: Option<PathBuf>,
    /// A key to use instead of the stored or a new one (tests share one to save generating it).
    pub rsa_key: Option<RsaPrivateKey>,
    /// Limits and behaviour of the handlers; `dcs` is filled in from the bound listeners.
    pub api: Option<ApiConfig>,
    /// A directory of further API layer schemas (`api-*.tl`, layer from a `// LAYER N` line or
    /// the file name), served beside the built-in ones without a rebuild.
    pub layers_dir: Option<PathBuf>,
    /// What one client may make the network shell hold: connections, frame sizes, time,
    /// queued answers, key exchanges.
    pub limits: limits::NetLimits,
    /// What the server keeps in memory and on disk, and for how long.
    pub budgets: Budgets,
    /// Where to run the admin channel (JSON lines: make users, read codes, inject faults from
    /// any language; see [`LocalServer::admin`]), if anywhere. Loopback addresses only make
    /// sense: the channel is guarded by a random token, not by TLS.
    pub admin_listen: Option<SocketAddr>,
}

impl ServerOptions {
    /// Three DCs on ephemeral loopback ports, in memory.
    pub fn ephemeral() -> ServerOptions {
        ServerOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            dc_count: 3,
            data_dir: None,
            rsa_key: None,
            api: None,
            layers_dir: None,
            limits: limits::NetLimits::default(),
            budgets: Budgets::default(),
            admin_listen: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The store failed to open or to answer.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored RSA key is unreadable.
    #[error("the stored RSA key is unreadable: {0}")]
    RsaKey(String),
    /// A socket or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// The options make no sense.
    #[error("invalid options: {0}")]
    Options(String),
    /// A layer schema did not load.
    #[error(transparent)]
    Layers(#[from] ferrogram_tl_layers::LayersError),
}

/// How the shell reaches one connection's task from elsewhere.
#[derive(Debug, Default)]
pub(crate) struct ConnectionSignal {
    /// Notified when the endpoint has something for the connection to send, or it is to close.
    pub(crate) wake: Notify,
    /// Set when the connection is to be closed.
    pub(crate) close: std::sync::atomic::AtomicBool,
}

/// What all connections share.
pub(crate) struct Shared {
    pub(crate) api: Arc<Api>,
    pub(crate) rsa_key: RsaPrivateKey,
    pub(crate) layers: Layers,
    pub(crate) budgets: Budgets,
    /// The sessions of every auth key, within the budgets; they outlive connections. Each
    /// sends on the connection that last received one of its messages, the client's newest.
    endpoint: Mutex<ServerEndpoint>,
    /// How to reach each connection's task: to send what the endpoint has for it, or to close.
    wakers: Mutex<HashMap<ConnectionHandle, Arc<ConnectionSignal>>>,
    /// Faults tests inject.
    pub(crate) faults: Arc<crate::Faults>,
    /// The network shell's limits.
    pub(crate) limits: limits::NetLimits,
    /// Open connections, in total and per IP address.
    pub(crate) connections: Arc<limits::ConnectionGate>,
    /// Key exchanges in progress per IP address, their rate, and their worker threads.
    pub(crate) key_exchanges: Arc<limits::KeyExchangeGate>,
    /// The thread that runs every call against the store, many in one commit.
    writer: writer::Writer,
    /// The layer of each key pushes go to.
    pub(crate) push_layers: pushes::PushLayers,
    /// Notified whenever a connection has taken packets from the endpoint for its socket (its
    /// sessions' queues of pushed updates shrank): what a paced producer of pushes waits for.
    pub(crate) pushes_sent: Notify,
}

impl Shared {
    /// The endpoint, locked (briefly: a packet's decryption and checks, an answer, a poll).
    pub(crate) fn endpoint(&self) -> std::sync::MutexGuard<'_, ServerEndpoint> {
        self.endpoint.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn wakers(&self) -> std::sync::MutexGuard<'_, HashMap<ConnectionHandle, Arc<ConnectionSignal>>> {
        self.wakers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new connection in the endpoint, reached through `signal`.
    pub(crate) fn connect(&self, signal: Arc<ConnectionSignal>) -> ConnectionHandle {
        let handle = self.endpoint().connect();
        self.wakers().insert(handle, signal);
        handle
    }

    /// The connection is gone.
    pub(crate) fn disconnect(&self, handle: ConnectionHandle) {
        self.endpoint().disconnect(handle);
        self.wakers().remove(&handle);
        // A flood paced by this connection's sessions no longer waits for it.
        self.pushes_sent.notify_waiters();
    }

    /// Wakes every connection the endpoint reports as having something to send or as to be
    /// closed.
    pub(crate) fn wake_connections(&self) {
        let events: Vec<EndpointEvent> = {
            let mut endpoint = self.endpoint();
            std::iter::from_fn(|| endpoint.poll_event()).collect()
        };
        let wakers = self.wakers();
        for event in events {
            let handle = match event {
                EndpointEvent::Transmit(handle) => handle,
                EndpointEvent::Close(handle) => handle,
            };
            if let Some(signal) = wakers.get(&handle) {
                if matches!(event, EndpointEvent::Close(_)) {
                    signal.close.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                signal.wake.notify_one();
            }
        }
    }

    /// Prunes the store and the session table of what is no longer needed at `now`.
    fn prune(&self, now: i64) {
        match self.api.prune(now, &self.budgets) {
            Ok(pruned) if !pruned.is_empty() => {
                tracing::info!(?pruned, "pruned the store");
                if pruned.auth_keys > 0 {
                    self.forget_pruned_keys();
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "cannot prune the store"),
        }
        let now = Duration::from_secs(now.max(0) as u64);
        let idle = self.endpoint().prune_idle(now, Duration::from_secs(self.budgets.session_idle.max(0) as u64));
        if idle > 0 {
            tracing::debug!(sessions = idle, "dropped idle sessions from memory");
        }
    }
}

impl Shared {
    /// See [`LocalServer::withhold_updates`].
    pub(crate) fn withhold_updates(&self, user_id: i64, count: u32) -> Result<usize, StoreError> {
        let keys = self.api.store().auth_keys_of(user_id)?;
        for key in &keys {
            self.faults.withhold_updates_of_key(*key, count);
        }
        Ok(keys.len())
    }

    /// See [`LocalServer::drop_connections`].
    pub(crate) fn drop_connections(&self, user_id: i64) -> Result<usize, StoreError> {
        let keys = self.api.store().auth_keys_of(user_id)?;
        let closed = {
            let mut endpoint = self.endpoint();
            keys.iter().map(|key| endpoint.close_connections_of(*key)).sum()
        };
        self.wake_connections();
        Ok(closed)
    }

    /// Drops from the endpoint the keys the store no longer has, so their clients are told the
    /// key is unknown (-404) instead of being served with a key nothing backs. The store is read
    /// without holding the endpoint.
    fn forget_pruned_keys(&self) {
        let cached = self.endpoint().key_ids();
        let gone: Vec<i64> = cached.into_iter().filter(|id| matches!(self.api.auth_key(*id), Ok(None))).collect();
        let mut endpoint = self.endpoint();
        for id in gone {
            endpoint.forget_key(id);
        }
    }
}

/// Prunes every `interval` until `stopped` turns true, on a blocking thread (the store is
/// synchronous).
async fn prune_loop(shared: Arc<Shared>, interval: Duration, mut stopped: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(interval.max(Duration::from_secs(1)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await; // The first tick is immediate; start already pruned.
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                let shared = shared.clone();
                let _ = tokio::task::spawn_blocking(move || shared.prune(unix_now().as_secs() as i64)).await;
            }
            _ = stopped.changed() => break,
        }
    }
}

/// Unix time now (the shell's clock; the core only ever receives it as an argument).
pub(crate) fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// What the server keeps in memory, as counted by its session table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionStats {
    /// Sessions in memory.
    pub sessions: usize,
    /// Bytes of their answer caches (as counted against [`Budgets::total_answer_bytes`]).
    pub answer_bytes: usize,
}

/// A running server: its DCs' addresses, its key, its API (for admin functions), and a way to
/// stop it.
pub struct LocalServer {
    shared: Arc<Shared>,
    /// The admin channel's address and token.
    admin: Option<(SocketAddr, Arc<str>)>,
    dcs: Vec<(i32, SocketAddr)>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl LocalServer {
    /// Opens the store, loads or creates the RSA key, binds every DC's listener and starts
    /// serving. Must be called inside a tokio runtime.
    pub async fn start(options: ServerOptions) -> Result<LocalServer, ServerError> {
        if options.dc_count < 1 || options.dc_count < MAIN_DC.min(options.dc_count) {
            return Err(ServerError::Options(format!("dc_count {} must be at least 1", options.dc_count)));
        }
        let now = unix_now().as_secs() as i64;
        // The main DC first, on the given port; then the others in id order on the next ports.
        let main = if options.dc_count >= MAIN_DC { MAIN_DC } else { 1 };
        let order: Vec<i32> = std::iter::once(main).chain((1..=options.dc_count).filter(|&d| d != main)).collect();
        let mut listeners = Vec::new();
        for (i, dc) in order.iter().enumerate() {
            let mut addr = options.listen;
            if addr.port() != 0 {
                let port = addr
                    .port()
                    .checked_add(i as u16)
                    .ok_or_else(|| ServerError::Options("port range overflows".into()))?;
                addr.set_port(port);
            }
            let listener = TcpListener::bind(addr)
                .await
                .map_err(|e| ServerError::Io { what: format!("binding DC {dc} to {addr}"), source: e })?;
            let local = listener
                .local_addr()
                .map_err(|e| ServerError::Io { what: "reading the bound address".into(), source: e })?;
            listeners.push((*dc, local, listener));
        }
        let dcs: Vec<(i32, SocketAddr)> = listeners.iter().map(|(dc, addr, _)| (*dc, *addr)).collect();
        let mut api_config = options.api.clone().unwrap_or_else(|| ApiConfig::new(Vec::new()));
        api_config.dcs =
            dcs.iter().map(|(id, addr)| DcConfig { id: *id, host: addr.ip().to_string(), port: addr.port() }).collect();
        api_config.dcs.sort_by_key(|d| d.id);

        let api = Api::open(options.data_dir.as_deref(), api_config, os_random())?;
        let rsa_key = match options.rsa_key.clone() {
            Some(key) => key,
            None => keys::load_or_create(api.store(), &mut *os_random(), now)?,
        };
        if let Some(dir) = &options.data_dir {
            keys::publish(&rsa_key, dir)?;
        }
        tracing::info!(
            fingerprint = format_args!("{:016x}", rsa_key.public_key().fingerprint() as u64),
            "server RSA key"
        );
        let shared = Arc::new(Shared {
            api: Arc::new(api),
            endpoint: Mutex::new(ServerEndpoint::new(options.budgets.endpoint_config(), keys::salt_secret(&rsa_key))),
            wakers: Mutex::new(HashMap::new()),
            faults: Arc::new(crate::Faults::default()),
            rsa_key,
            layers: load_layers(options.layers_dir.as_deref())?,
            budgets: options.budgets.clone(),
            connections: limits::ConnectionGate::new(&options.limits),
            key_exchanges: limits::KeyExchangeGate::new(&options.limits, std::time::Instant::now()),
            limits: options.limits.clone(),
            writer: writer::Writer::start()
                .map_err(|e| ServerError::Io { what: "starting the store writer thread".into(), source: e })?,
            push_layers: pushes::PushLayers::default(),
            pushes_sent: Notify::new(),
        });
        // What a previous run left (abandoned keys, old records) goes before serving.
        shared.prune(now);
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(prune_loop(shared.clone(), shared.budgets.prune_interval, stopped.clone())));
        for (dc, addr, listener) in listeners {
            tracing::info!(dc, %addr, "listening");
            tasks.push(tokio::spawn(connection::accept_loop(listener, dc, shared.clone(), stopped.clone())));
        }
        let admin = match options.admin_listen {
            None => None,
            Some(addr) => {
                let listener = TcpListener::bind(addr)
                    .await
                    .map_err(|e| ServerError::Io { what: format!("binding the admin channel to {addr}"), source: e })?;
                let local = listener
                    .local_addr()
                    .map_err(|e| ServerError::Io { what: "reading the admin address".into(), source: e })?;
                let mut secret = [0u8; 16];
                os_random().fill(&mut secret);
                let token: Arc<str> = secret.iter().map(|b| format!("{b:02x}")).collect::<String>().into();
                tracing::info!(addr = %local, "admin channel listening");
                tasks.push(tokio::spawn(admin::admin_loop(listener, shared.clone(), token.clone(), stopped.clone())));
                Some((local, token))
            }
        };
        Ok(LocalServer { shared, admin, dcs, stop, tasks })
    }

    /// The address DC `dc_id` listens on.
    pub fn dc_addr(&self, dc_id: i32) -> Option<SocketAddr> {
        self.dcs.iter().find(|(id, _)| *id == dc_id).map(|(_, addr)| *addr)
    }

    /// The DC clients should start with.
    pub fn main_dc(&self) -> i32 {
        self.dcs.first().map(|(id, _)| *id).unwrap_or(MAIN_DC)
    }

    /// Every DC and its address.
    pub fn dcs(&self) -> &[(i32, SocketAddr)] {
        &self.dcs
    }

    /// The server's public key, for clients to trust.
    pub fn public_key(&self) -> &RsaPublicKey {
        self.shared.rsa_key.public_key()
    }

    /// The API layers the server speaks (ours and older ones), compiled once at start: for
    /// reading and writing TL by schema, e.g. an answer as JSON.
    pub fn layers(&self) -> &Layers {
        &self.shared.layers
    }

    /// What the network shell has counted: connections open and refused, key exchanges refused.
    pub fn net_counters(&self) -> NetCounters {
        NetCounters {
            open_connections: self.shared.connections.open(),
            refused_connections: self.shared.connections.refused(),
            refused_key_exchanges: self.shared.key_exchanges.refused(),
        }
    }

    /// The RPC layer, for admin functions (create users and bots, read codes, inject faults).
    pub fn api(&self) -> &Arc<Api> {
        &self.shared.api
    }

    /// Faults to inject into the next calls and updates (method errors, withheld updates).
    pub fn faults(&self) -> &crate::Faults {
        &self.shared.faults
    }

    /// Withholds the next `count` updates from every device (auth key) `user_id` is signed in
    /// with (`0` cancels): a real gap, which each client must notice and recover with
    /// `updates.getDifference`. Returns how many keys it applies to.
    pub fn withhold_updates(&self, user_id: i64, count: u32) -> Result<usize, StoreError> {
        self.shared.withhold_updates(user_id, count)
    }

    /// Closes every connection of `user_id`'s signed-in auth keys, as a dropped network would:
    /// the sessions stay, the clients reconnect and carry on. Returns how many were closed.
    pub fn drop_connections(&self, user_id: i64) -> Result<usize, StoreError> {
        self.shared.drop_connections(user_id)
    }

    /// Sends `text` as `from_user` to `to`, through the same `messages.sendMessage` a client
    /// calls: the recipients' sessions (and the sender's devices) get the updates a real sender
    /// would cause. Returns the message's id in the sender's box.
    pub fn send_message_as(
        &self,
        from_user: i64,
        to: &acting::Recipient,
        text: &str,
    ) -> Result<i32, acting::SendAsError> {
        acting::send_message_as(&self.shared, from_user, to, text)
    }

    /// Stores `count` private messages from `from_user` to `to_user` (texts `message N of
    /// COUNT`) and pushes each to every device of `to_user` as the `updateShortMessage` a real
    /// sender's message causes, no faster than each device's client takes them (see
    /// [`flood`]): a load test of a client's updates that the server keeps up with. The
    /// messages are in both users' history, with consecutive ids and pts in the receiver's
    /// box, so a client that applies the pushes sees no gap. Returns once every push is queued.
    pub async fn flood_messages(
        &self,
        from_user: i64,
        to_user: i64,
        count: u32,
    ) -> Result<flood::FloodReport, flood::FloodError> {
        flood::flood_messages(&self.shared, from_user, to_user, count).await
    }

    /// Where the admin channel listens (see [`ServerOptions::admin_listen`]), and its token.
    pub fn admin(&self) -> Option<(SocketAddr, &str)> {
        self.admin.as_ref().map(|(addr, token)| (*addr, &**token))
    }

    /// Pushes `updates` (a boxed `Updates` of our layer) to every auth key `user_id` is signed in
    /// with, as the server does for the updates calls produce (within
    /// [`Budgets::session_update_bytes`], and subject to [`Self::withhold_updates`]).
    pub fn push_to_user(&self, user_id: i64, updates: &[u8]) -> Result<(), StoreError> {
        let keys = self.shared.api.store().auth_keys_of(user_id)?;
        pushes::deliver(&self.shared, keys.into_iter().map(|key| (key, updates.to_vec())));
        Ok(())
    }

    /// The limits the server runs with.
    pub fn budgets(&self) -> &Budgets {
        &self.shared.budgets
    }

    /// How many sessions the server keeps in memory, and the bytes of their answer caches.
    pub fn session_stats(&self) -> SessionStats {
        let stats = self.shared.endpoint().stats();
        SessionStats { sessions: stats.sessions, answer_bytes: stats.answer_bytes }
    }

    /// Sessions of one auth key kept in memory.
    pub fn sessions_of_key(&self, auth_key_id: i64) -> usize {
        self.shared.endpoint().sessions_of_key(auth_key_id)
    }

    /// Prunes the store and the in-memory sessions as the server does periodically, as if the
    /// time were `now` (Unix seconds).
    pub fn prune_now(&self, now: i64) {
        self.shared.prune(now);
    }

    /// Stops listening and closes every connection.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

/// The built-in layers and those of `extra_dir`, logged once so a user sees what is served.
fn load_layers(extra_dir: Option<&std::path::Path>) -> Result<Layers, ServerError> {
    let mut layers = Layers::embedded()?;
    if let Some(dir) = extra_dir {
        layers.load_dir(dir)?;
    }
    let known: Vec<String> = layers.known_layers().map(|l| l.to_string()).collect();
    tracing::info!(ours = layers.our_layer(), known = %known.join(", "), "API layers served");
    Ok(layers)
}

/// Counters of the network shell, for monitoring and for tests of its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetCounters {
    /// Connections open now.
    pub open_connections: usize,
    /// Connections refused (over a connection limit) since the start.
    pub refused_connections: u64,
    /// Key exchanges refused (per-IP limit or rate) since the start.
    pub refused_key_exchanges: u64,
}
