//! The [`Client`]: a session store, an api id and hash, and connections to Telegram's DCs (or a
//! [`ServerAddress`] override), with calls that wait out floods and follow DC migrations
//! (<https://core.telegram.org/api/errors>, <https://core.telegram.org/api/datacenter>).

mod api_error;
mod config;
pub mod dcs;
mod dialogs;
mod groups;
mod history;
mod init_params;
mod messages;
mod peers;
pub mod server_info;
mod updates;
pub(crate) use updates::UpdateSink;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::transport::TransportError;
use ferrogram_tl::{enums, functions, Deserializable, RemoteCall};

pub use api_error::ApiError;
pub use config::{ClientConfig, ServerAddress};
pub use dialogs::{Dialog, DialogIter};
pub use history::MessageIter;
pub use messages::InputMessage;
pub use server_info::{ServerInfo, ServerInfoError};
pub use updates::UpdateStream;

use crate::errors::InvocationError;
use crate::net::{Connection, ConnectionParams, KeyState};
use crate::session::{DcEntry, SessionData, SessionStore};
use init_params::InitParams;

/// A Telegram client, as GramJS's `TelegramClient`.
///
/// Made from a [`SessionStore`] (where the keys and the signed-in account are kept), the api id
/// and hash of an application (<https://core.telegram.org/api/obtaining_api_id>) and a
/// [`ClientConfig`]. [`connect`](Client::connect) opens the connection to the home DC (creating
/// an authorization key there if the session has none), [`invoke`](Client::invoke) calls any
/// method and returns its own result type. Many calls may run at once on one connection.
///
/// `Client` is cheap to clone (the clones share the connections and the session) and can be
/// moved between tasks.
///
/// GramJS's `auth.SignIn` example, in Rust:
///
/// ```no_run
/// use ferrogram::{Client, ClientConfig, StringSession};
/// use ferrogram_tl::{enums, functions, types};
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// # let (api_id, api_hash) = (12345, "0123456789abcdef0123456789abcdef");
/// let session = StringSession::new("")?; // You should put your string session here
/// let client = Client::new(session, api_id, api_hash, ClientConfig::default());
/// client.connect().await?; // This assumes you have already authenticated with .start()
///
/// let result: enums::auth::Authorization = client
///     .invoke(&functions::auth::SignIn {
///         phone_number: "some string here".into(),
///         phone_code_hash: "some string here".into(),
///         phone_code: Some("some string here".into()),
///         email_verification: Some(types::EmailVerificationCode { code: "some string here".into() }.into()),
///     })
///     .await?;
/// println!("{result:?}"); // prints the result
/// # Ok(()) }
/// ```
///
/// Errors come back typed: an RPC error is [`InvocationError::Rpc`] carrying an
/// [`RpcError`](crate::RpcError) (`PHONE_CODE_INVALID (400): The provided phone code is invalid.`),
/// which converts to the method's own error enum with
/// [`InvocationError::rpc_for`]. `FLOOD_WAIT_X` up to
/// [`ClientConfig::flood_sleep_threshold`] is slept through, and `PHONE_MIGRATE_X`,
/// `USER_MIGRATE_X` and `NETWORK_MIGRATE_X` move the client to DC X and repeat the call.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    store: Box<dyn SessionStore>,
    data: Mutex<SessionData>,
    api_id: i32,
    api_hash: String,
    config: ClientConfig,
    rsa_keys: Vec<RsaPublicKey>,
    connections: tokio::sync::Mutex<HashMap<i32, Connection>>,
    /// Where pushes and `Updates` answers go (shared with the connections).
    updates: Arc<updates::UpdateSink>,
    /// The message box and its output, driven by [`Client::next_update`].
    engine: tokio::sync::Mutex<updates::Engine>,
    /// Access hashes, usernames and phones of the peers seen (see [`crate::peers`]).
    peers: Mutex<crate::peers::PeerCache>,
}

impl Drop for Inner {
    /// Stores the update state the application consumed since the last store.
    fn drop(&mut self) {
        if self.updates.dirty.load(std::sync::atomic::Ordering::SeqCst) {
            let data = self.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
            if let Err(error) = self.store.store(&data) {
                tracing::warn!(%error, "could not store the update state");
            }
        }
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_id", &self.inner.api_id)
            .field("home_dc", &self.home_dc())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client on `session` for the application `api_id`/`api_hash`. Nothing is loaded or
    /// connected until [`connect`](Self::connect).
    pub fn new(
        session: impl SessionStore + 'static,
        api_id: i32,
        api_hash: impl Into<String>,
        config: ClientConfig,
    ) -> Client {
        let mut rsa_keys = match &config.server {
            Some(server) => server.rsa_keys.clone(),
            None => dcs::telegram_rsa_keys(),
        };
        rsa_keys.extend(config.extra_rsa_keys.iter().cloned());
        let (sink, engine) = updates::channel(config.update_queue_capacity);
        let peers = Mutex::new(crate::peers::PeerCache::new(config.peer_cache_capacity));
        Client {
            inner: Arc::new(Inner {
                store: Box::new(session),
                data: Mutex::new(SessionData::default()),
                api_id,
                api_hash: api_hash.into(),
                config,
                rsa_keys,
                connections: tokio::sync::Mutex::new(HashMap::new()),
                updates: Arc::new(sink),
                engine: tokio::sync::Mutex::new(engine),
                peers,
            }),
        }
    }

    /// The options this client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The application's api id.
    pub fn api_id(&self) -> i32 {
        self.inner.api_id
    }

    /// The application's api hash.
    pub fn api_hash(&self) -> &str {
        &self.inner.api_hash
    }

    /// The DC the account lives on (where calls go), as far as the client knows.
    pub fn home_dc(&self) -> i32 {
        self.data().home_dc.unwrap_or_else(|| self.first_dc())
    }

    /// A copy of the session state (keys, DCs, signed-in account).
    pub fn session_data(&self) -> SessionData {
        self.data().clone()
    }

    /// Loads the session and connects to the home DC, creating an authorization key there if
    /// the session has none (and storing it). With [`ClientConfig::catch_up`] the update events
    /// missed since the session's stored update state come first from
    /// [`next_update`](Self::next_update); without, it starts from the present.
    pub async fn connect(&self) -> Result<(), InvocationError> {
        let mut loaded = self.inner.store.load()?;
        if !self.inner.config.catch_up {
            loaded.updates = None;
        }
        *self.data() = loaded;
        self.inner.updates.reload();
        let home = self.home_dc();
        self.update_session(|data| {
            data.home_dc.get_or_insert(home);
        })?;
        self.connection(home).await?;
        Ok(())
    }

    /// Closes every connection (calls still in flight fail with [`InvocationError::Dropped`])
    /// and stores the latest server salts and the update state reached in the session. [`invoke`](Self::invoke) connects
    /// again when called.
    pub async fn disconnect(&self) -> Result<(), InvocationError> {
        let connections: Vec<Connection> = self.inner.connections.lock().await.drain().map(|(_, c)| c).collect();
        for connection in connections {
            if let Some((salt, offset)) = connection.state().await {
                let dc = connection.dc_id();
                self.update_session(|data| {
                    if let Some(entry) = data.dcs.get_mut(&dc) {
                        entry.server_salt = Some(salt);
                        entry.time_offset = Some(offset);
                    }
                })?;
            }
        }
        // The update state the application took since the last store.
        if self.inner.updates.dirty.swap(false, std::sync::atomic::Ordering::SeqCst) {
            self.update_session(|_| {})?;
        }
        Ok(())
    }

    /// Calls `request` on the home DC and returns its result.
    ///
    /// Waits out `FLOOD_WAIT_X` up to the configured threshold, follows `*_MIGRATE_X` to the
    /// account's DC, and repeats calls that hit an internal server error, all up to
    /// [`ClientConfig::request_retries`] tries.
    ///
    /// The users and chats an answer of the common result types carries (updates, messages,
    /// dialogs, resolved peers, contacts, users, chats: see [`crate::peers::observe::of_any`])
    /// join the peer cache, so that later calls can name them by id.
    pub async fn invoke<R: RemoteCall>(&self, request: &R) -> Result<R::Return, InvocationError>
    where
        R::Return: 'static,
    {
        let body = request.to_bytes();
        let answer = self.invoke_raw(body).await?;
        let answer = R::Return::from_bytes(&answer)?;
        self.observe_answer(&answer);
        Ok(answer)
    }

    /// Calls `request` on DC `dc_id` (connecting and creating a key there if needed), without
    /// following migrations: for file downloads and for exporting an authorization.
    pub async fn invoke_in_dc<R: RemoteCall>(&self, dc_id: i32, request: &R) -> Result<R::Return, InvocationError>
    where
        R::Return: 'static,
    {
        let body = request.to_bytes();
        let answer = self.invoke_raw_in(Some(dc_id), body).await?;
        let answer = R::Return::from_bytes(&answer)?;
        self.observe_answer(&answer);
        Ok(answer)
    }

    /// [`invoke`](Self::invoke) for an already serialized request; returns the serialized result.
    pub async fn invoke_raw(&self, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        self.invoke_raw_in(None, body).await
    }

    /// The retry loop: `dc` fixed, or the home DC (following migrations) when `None`.
    async fn invoke_raw_in(&self, dc: Option<i32>, body: Vec<u8>) -> Result<Vec<u8>, InvocationError> {
        let method = body
            .get(..4)
            .and_then(|id| ferrogram_tl::name_for_id(u32::from_le_bytes([id[0], id[1], id[2], id[3]])))
            .unwrap_or("unknown method");
        let config = &self.inner.config;
        let mut delay = config.retry_delay;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let target = dc.unwrap_or_else(|| self.home_dc());
            let connection = self.connection(target).await?;
            let error = match connection.invoke(body.clone()).await {
                Ok(answer) => {
                    // The account's sequences may have moved with this call: the updates see it.
                    self.inner.updates.answered(&body, &answer);
                    return Ok(answer);
                }
                Err(InvocationError::Rpc(error)) => InvocationError::Rpc(error.caused_by(method)),
                Err(error) => error,
            };
            if attempt >= config.request_retries.max(1) {
                return Err(error);
            }
            match &error {
                InvocationError::Rpc(rpc) => {
                    if let Some(wait) = rpc.flood_wait() {
                        if wait > config.flood_sleep_threshold {
                            return Err(error);
                        }
                        tracing::info!(method, ?wait, "flood wait, sleeping");
                        tokio::time::sleep(wait).await;
                    } else if dc.is_none()
                        && matches!(rpc.name.as_str(), "PHONE_MIGRATE" | "USER_MIGRATE" | "NETWORK_MIGRATE")
                        && rpc.migrate_dc().is_some()
                    {
                        let new_dc = rpc.migrate_dc().unwrap_or(target);
                        tracing::info!(method, from = target, to = new_dc, "migrating to another DC");
                        self.migrate(target, new_dc).await?;
                    } else if rpc.code == 500 || rpc.code == -500 {
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(config.max_retry_delay);
                    } else {
                        return Err(error);
                    }
                }
                // The server does not know the key (it lost its state, or the key expired):
                // forget it and create a new one on the next connection. The server never saw
                // the call under a key it knows, so repeating it cannot run it twice.
                InvocationError::Transport(TransportError::Status(-404)) => {
                    tracing::info!(dc = target, "the server forgot our authorization key; creating a new one");
                    self.inner.connections.lock().await.remove(&target);
                    self.update_session(|data| {
                        data.set_auth_key(target, None);
                        if let Some(entry) = data.dcs.get_mut(&target) {
                            entry.server_salt = None;
                        }
                    })?;
                }
                _ => return Err(error),
            }
        }
    }

    /// Makes `new_dc` the home DC, carrying the signed-in account over with
    /// `auth.exportAuthorization`/`auth.importAuthorization`.
    ///
    /// Boxed because it calls back into the retry loop that calls it.
    fn migrate(
        &self,
        old_dc: i32,
        new_dc: i32,
    ) -> Pin<Box<dyn Future<Output = Result<(), InvocationError>> + Send + '_>> {
        Box::pin(async move {
            if old_dc == new_dc {
                return Ok(());
            }
            self.ensure_dc_known(old_dc, new_dc).await?;
            let signed_in = self.data().user.is_some();
            if signed_in {
                self.copy_authorization(old_dc, new_dc).await?;
            }
            self.update_session(|data| data.home_dc = Some(new_dc))?;
            Ok(())
        })
    }

    /// Signs DC `to` in to the account signed in on DC `from`.
    pub(crate) async fn copy_authorization(&self, from: i32, to: i32) -> Result<(), InvocationError> {
        self.ensure_dc_known(from, to).await?;
        let enums::auth::ExportedAuthorization::ExportedAuthorization(exported) =
            self.invoke_in_dc(from, &functions::auth::ExportAuthorization { dc_id: to }).await?;
        self.invoke_in_dc(to, &functions::auth::ImportAuthorization { id: exported.id, bytes: exported.bytes }).await?;
        Ok(())
    }

    /// Makes sure the session has an address for DC `dc`, asking DC `via` for `help.getConfig`
    /// if needed.
    pub(crate) async fn ensure_dc_known(&self, via: i32, dc: i32) -> Result<(), InvocationError> {
        if self.data().dc(dc).is_some() {
            return Ok(());
        }
        let enums::Config::Config(config) = self.invoke_in_dc(via, &functions::help::GetConfig {}).await?;
        let option = config.dc_options.iter().map(|enums::DcOption::DcOption(o)| o).find(|o| {
            o.id == dc && !o.ipv6 && !o.media_only && !o.cdn && !o.tcpo_only && u16::try_from(o.port).is_ok()
        });
        let entry = match (option, &self.inner.config.server) {
            // Behind an override the advertised host may not be reachable from here (a server
            // listening on 0.0.0.0, a container): keep the override's host, take the DC's port.
            (Some(o), Some(server)) => {
                DcEntry::new(dc, server.host.clone(), u16::try_from(o.port).unwrap_or(server.port))
            }
            (Some(o), None) => DcEntry::new(dc, o.ip_address.clone(), u16::try_from(o.port).unwrap_or(443)),
            (None, None) => match dcs::production_dc(dc) {
                Some((host, port)) => DcEntry::new(dc, host, port),
                None => return Err(InvocationError::UnknownDc(dc)),
            },
            (None, Some(_)) => return Err(InvocationError::UnknownDc(dc)),
        };
        self.update_session(|data| data.set_dc(entry))?;
        Ok(())
    }

    /// The DC a new session starts on.
    fn first_dc(&self) -> i32 {
        self.inner.config.server.as_ref().map_or(dcs::DEFAULT_DC, |s| s.dc_id)
    }

    /// The default address of DC `dc`: the override's (for its own DC) or the production table's.
    fn default_entry(&self, dc: i32) -> Option<DcEntry> {
        match &self.inner.config.server {
            Some(server) if server.dc_id == dc => Some(DcEntry::new(dc, server.host.clone(), server.port)),
            Some(_) => None,
            None => dcs::production_dc(dc).map(|(host, port)| DcEntry::new(dc, host, port)),
        }
    }

    /// The running connection to DC `dc`, opened (and a key created) if there is none.
    pub(crate) async fn connection(&self, dc: i32) -> Result<Connection, InvocationError> {
        let mut connections = self.inner.connections.lock().await;
        if let Some(connection) = connections.get(&dc) {
            if connection.is_alive() {
                return Ok(connection.clone());
            }
        }
        let entry = match self.data().dc(dc).cloned().or_else(|| self.default_entry(dc)) {
            Some(entry) => entry,
            None => return Err(InvocationError::UnknownDc(dc)),
        };
        let key = entry.auth_key.clone().map(|auth_key| KeyState {
            auth_key,
            salt: entry.server_salt.unwrap_or_default(),
            time_offset: entry.time_offset.unwrap_or_default(),
        });
        let had_key = key.is_some();
        let (connection, key) = Connection::open(self.connection_params(&entry), key).await?;
        if !had_key {
            let mut entry = entry.with_auth_key(key.auth_key);
            entry.server_salt = Some(key.salt);
            entry.time_offset = Some(key.time_offset);
            self.update_session(|data| data.set_dc(entry))?;
        } else if self.data().dc(dc).is_none() {
            self.update_session(|data| data.set_dc(entry))?;
        }
        connections.insert(dc, connection.clone());
        Ok(connection)
    }

    fn connection_params(&self, entry: &DcEntry) -> ConnectionParams {
        let config = &self.inner.config;
        let init = InitParams {
            api_id: self.inner.api_id,
            device_model: config.device_model.clone(),
            system_version: config.system_version.clone(),
            app_version: config.app_version.clone(),
            system_lang_code: config.system_lang_code.clone(),
            lang_pack: config.lang_pack.clone(),
            lang_code: config.lang_code.clone(),
        };
        ConnectionParams {
            dc_id: entry.id,
            host: entry.host.clone(),
            port: entry.port,
            transport: config.transport,
            rsa_keys: self.inner.rsa_keys.clone(),
            connect_timeout: config.connect_timeout,
            connection_retries: config.connection_retries,
            retry_delay: config.retry_delay,
            max_retry_delay: config.max_retry_delay,
            ping_interval: config.ping_interval,
            updates: self.inner.updates.clone(),
            wrap_first: Arc::new(move |query| init.wrap(query)),
        }
    }

    /// Applies `change` to the session state and stores it.
    pub(crate) fn update_session(&self, change: impl FnOnce(&mut SessionData)) -> Result<(), InvocationError> {
        let snapshot = {
            let mut data = self.data();
            change(&mut data);
            data.clone()
        };
        self.inner.store.store(&snapshot)?;
        Ok(())
    }

    /// Makes the update machinery start again from the session's update state (after a
    /// sign-in or a log-out), and forgets the peers held in memory: access hashes are the
    /// account's own.
    pub(crate) fn reload_updates(&self) {
        self.inner.updates.reload();
        let capacity = self.inner.config.peer_cache_capacity;
        *self.peer_cache() = crate::peers::PeerCache::new(capacity);
    }

    /// Drops every connection without waiting for them (after a log-out: their keys are gone).
    pub(crate) async fn drop_connections(&self) {
        self.inner.connections.lock().await.clear();
    }

    fn data(&self) -> MutexGuard<'_, SessionData> {
        // A panic while holding the lock cannot leave SessionData half-updated in a way that
        // matters more than losing the client, so a poisoned lock is used as it is.
        self.inner.data.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests;
