//! The RPC layer of the server: [`Api::call`] takes one query (a boxed TL function in our layer,
//! [`ferrogram_tl::LAYER`]) and answers the serialized boxed result or an [`RpcError`],
//! independent of sockets and of MTProto framing (the network shell decrypts, translates layers,
//! and wraps the answer in `rpc_result`).
//!
//! It unwraps `invokeWithLayer`, `initConnection`, `invokeWithoutUpdates` and `invokeAfterMsg`
//! itself (<https://core.telegram.org/api/invoking>), and serves the methods around a login
//! (<https://core.telegram.org/api/auth>): see [`login`], [`password`] and [`info`], and QR-code
//! login (<https://core.telegram.org/api/qr-login>); peers
//! (<https://core.telegram.org/api/peers>): contacts and usernames in [`contacts`], the caller's
//! profile and settings in [`profile`]; what clients ask at start in [`startup`]; messages in
//! private chats, Saved Messages and basic groups, and every account's updates
//! (<https://core.telegram.org/api/updates>): see [`updates`]. Every other method answers
//! `400 INPUT_METHOD_INVALID`.
//!
//! A call that concerns other sessions (a message to someone, an edit, a read) also yields
//! [`Push`]es through [`Api::call_with_pushes`]: the updates the network shell delivers to every
//! other signed-in auth key of every party.
//!
//! Time comes from [`CallContext::now`], randomness from the [`RandomSource`] given at
//! construction: the dispatcher has no clock and no randomness of its own.

mod admin;
pub(crate) mod bulk;
mod chats;
pub mod contacts;
mod deletes;
mod delivery;
mod dispatch;
mod edits;
mod failure;
mod history;
pub mod info;
pub mod login;
mod login_token;
mod messages;
pub mod password;
pub(crate) mod peers;
mod pins;
pub mod profile;
pub mod startup;
mod tl;
pub mod updates;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use ferrogram_mtproto::crypto::srp::{self, ServerChallenge};
use ferrogram_mtproto::RandomSource;

use crate::codes::{self, CodeLog, CODES_FILE_NAME};
use crate::context::{CallContext, RpcError};
use crate::phone::PhoneNumber;
use crate::store::{AuthKeyRecord, LoginCode, Store, StoreError, UserRecord};
use failure::fail;

/// One DC this process serves, as listed in `help.getConfig`'s `dc_options`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcConfig {
    /// DC id (1-based).
    pub id: i32,
    /// The address clients connect to (an IP literal: `dcOption.ip_address`).
    pub host: String,
    /// The port.
    pub port: u16,
}

/// What the handlers need to know about the deployment, and their limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiConfig {
    /// Every DC of the process (non-empty).
    pub dcs: Vec<DcConfig>,
    /// `config.test_mode`.
    pub test_mode: bool,
    /// The country `help.getNearestDc` reports.
    pub country: String,
    /// How long a login code stays valid, in seconds.
    pub code_lifetime: i64,
    /// Wrong codes after which a code is invalidated (and the last one answers `FLOOD_WAIT_X`).
    pub max_code_attempts: i32,
    /// The wait imposed when a code is invalidated for wrong attempts, in seconds.
    pub wrong_code_wait: i64,
    /// Codes (`sendCode` + `resendCode`) one number may get per [`Self::send_code_window`].
    /// Test-DC numbers (`99966XYYYY`) are exempt: they exist for scripted clients.
    pub send_code_limit: i64,
    /// The window of [`Self::send_code_limit`], in seconds.
    pub send_code_window: i64,
    /// Wrong 2FA passwords one account may try per [`Self::password_window`].
    pub password_attempt_limit: i64,
    /// The window of [`Self::password_attempt_limit`], in seconds.
    pub password_window: i64,
    /// How long an `auth.exportAuthorization` stays importable, in seconds.
    pub export_lifetime: i64,
    /// How many pts of events each account's update log keeps at least: a client whose pts is
    /// older gets `updates.differenceTooLong` from `updates.getDifference`.
    pub update_log_limit: u32,
    /// How long a QR-login token (`auth.exportLoginToken`) stays valid, in seconds; once
    /// accepted, how long the waiting app has to collect its authorization; and how long an
    /// expired one is kept to answer `AUTH_TOKEN_EXPIRED` (then it is pruned).
    pub login_token_lifetime: i64,
    /// QR-login tokens one auth key may hold, the expired ones still kept included (a new
    /// export drops the key's oldest).
    pub max_login_tokens_per_key: usize,
    /// QR-login tokens the whole server holds, the expired ones still kept included; past it
    /// `auth.exportLoginToken` answers `FLOOD_WAIT_X` until the oldest is pruned.
    pub max_login_tokens: usize,
}

impl ApiConfig {
    /// Defaults for the given DCs.
    pub fn new(dcs: Vec<DcConfig>) -> ApiConfig {
        ApiConfig {
            dcs,
            test_mode: false,
            country: "US".into(),
            code_lifetime: 300,
            max_code_attempts: 5,
            wrong_code_wait: 60,
            send_code_limit: 5,
            send_code_window: 3600,
            password_attempt_limit: 5,
            password_window: 600,
            export_lifetime: 300,
            update_log_limit: 10_000,
            login_token_lifetime: 30,
            max_login_tokens_per_key: 2,
            max_login_tokens: 100_000,
        }
    }

    /// Three DCs (1, 2, 3) on consecutive ports of 127.0.0.1, DC 1 on `first_port`.
    pub fn local(first_port: u16) -> ApiConfig {
        ApiConfig::new(
            (1..=3)
                .map(|id| DcConfig { id, host: "127.0.0.1".into(), port: first_port.saturating_add(id as u16 - 1) })
                .collect(),
        )
    }

    fn dc_ids(&self) -> Vec<i32> {
        self.dcs.iter().map(|d| d.id).collect()
    }
}

/// Why an admin function failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The phone number is not in international form.
    #[error("invalid phone number {0:?} (want +, then 5 to 15 digits)")]
    InvalidPhone(String),
    /// An account with this phone number exists.
    #[error("phone number {0} is already registered")]
    PhoneTaken(String),
    /// Another account has this username (in any case).
    #[error("username {0} is already taken")]
    UsernameTaken(String),
    /// The name gives no usable bot username.
    #[error("bot name {0:?} has no letters or digits")]
    InvalidBotName(String),
    /// The SRP parameters or the random source were rejected while making the verifier.
    #[error("cannot set the password: {0}")]
    Srp(#[from] srp::SrpError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user to create with [`Api::create_user`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminUser {
    /// Phone number (`+` optional).
    pub phone: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Username without `@`.
    pub username: Option<String>,
    /// A 2FA password: sign-in then needs `auth.checkPassword`.
    pub password: Option<String>,
    /// The hint for the password.
    pub password_hint: Option<String>,
    /// A login email: codes go there (`auth.sentCodeTypeEmailCode`) and `auth.signIn` must carry
    /// `email_verification`.
    pub login_email: Option<String>,
}

/// Updates for one auth key other than the caller's, made by a call: the network shell sends
/// them to that key's live sessions (lowered to each session's layer), or drops them if it has
/// none (the client then catches up with `updates.getDifference`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    /// The auth key to deliver to.
    pub auth_key_id: i64,
    /// A boxed `Updates` of our layer ([`ferrogram_tl::LAYER`]).
    pub updates: Vec<u8>,
}

/// An `account.getPassword` answer the key may still check (one per key).
struct PendingSrp {
    srp_id: i64,
    user_id: i64,
    challenge: ServerChallenge,
}

/// The RPC dispatcher and its state. `Send + Sync`: share one behind an `Arc` among all
/// connections and DCs of the process.
pub struct Api {
    store: Arc<Store>,
    config: ApiConfig,
    code_log: CodeLog,
    random: Mutex<Box<dyn RandomSource + Send>>,
    srp_challenges: Mutex<HashMap<i64, PendingSrp>>,
    /// How many times each method's handler ran, by constructor id (see [`Api::executions`]).
    executions: Mutex<HashMap<u32, u64>>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").field("config", &self.config).field("code_log", &self.code_log).finish_non_exhaustive()
    }
}

/// Nested wrappers (`invokeWithLayer(initConnection(invokeWithoutUpdates(..)))`) accepted at
/// most; deeper nesting is a malformed request, not a reason to recurse without bound.
const MAX_WRAPPER_DEPTH: u32 = 8;

/// The operating system's random generator, for the shell to pass to [`Api::new`].
pub fn os_random() -> Box<dyn RandomSource + Send> {
    Box::new(|buf: &mut [u8]| rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, buf))
}

impl Api {
    /// An API over `store`, appending codes to `code_log`, drawing randomness from `random`.
    pub fn new(store: Arc<Store>, config: ApiConfig, code_log: CodeLog, random: Box<dyn RandomSource + Send>) -> Api {
        Api {
            store,
            config,
            code_log,
            random: Mutex::new(random),
            srp_challenges: Mutex::new(HashMap::new()),
            executions: Mutex::new(HashMap::new()),
        }
    }

    /// Opens the store in `data_dir` (`DIR/server.sqlite3`, codes in `DIR/codes.jsonl`), or in
    /// memory when `data_dir` is `None` (codes then only in the store and the log).
    pub fn open(
        data_dir: Option<&Path>,
        config: ApiConfig,
        random: Box<dyn RandomSource + Send>,
    ) -> Result<Api, StoreError> {
        let (store, log) = match data_dir {
            Some(dir) => (Store::open_dir(dir)?, CodeLog::file(dir.join(CODES_FILE_NAME))),
            None => (Store::open_in_memory()?, CodeLog::none()),
        };
        Ok(Api::new(Arc::new(store), config, log, random))
    }

    /// The store (RSA key, sessions, fault injection for tests).
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// Where codes are appended, if to a file.
    pub fn codes_file(&self) -> Option<&Path> {
        self.code_log.path()
    }

    // ---- what the network shell calls ----

    /// Records a key the key exchange just created on DC `dc` (`temp_expires_in` for temporary
    /// keys). Idempotent.
    pub fn register_auth_key(
        &self,
        auth_key: &ferrogram_mtproto::authkey::AuthKey,
        dc: i32,
        temp_expires_in: Option<i32>,
        now: i64,
    ) -> Result<(), StoreError> {
        let expires = temp_expires_in.map(|s| now + i64::from(s));
        self.store.insert_auth_key(auth_key.id(), auth_key.bytes(), dc, expires, now)
    }

    /// The key with this `auth_key_id` (its bytes, the user it is bound to, the client's layer),
    /// for a connection's first encrypted message.
    pub fn auth_key(&self, auth_key_id: i64) -> Result<Option<AuthKeyRecord>, StoreError> {
        self.store.auth_key(auth_key_id)
    }

    /// Answers one query: `query` is a boxed function of our layer, the answer its boxed result.
    /// What the call would push to other sessions is dropped (see [`Api::call_with_pushes`]).
    pub fn call(&self, ctx: &CallContext, query: &[u8]) -> Result<Vec<u8>, RpcError> {
        self.dispatch(ctx, query, 0, &mut Vec::new())
    }

    /// Answers one query like [`Api::call`], and appends to `pushes` the updates every other
    /// session concerned must get: one [`Push`] per signed-in auth key of every other party of
    /// the event (the receiver of a message, the members of a group) and per other auth key of
    /// the caller's own account, never for the calling key (it gets the answer). Each update
    /// carries the pts of its receiver's box. Pushes are only meaningful if the call's store
    /// changes are kept (the shell runs the call in [`Store::once`] and delivers after it
    /// commits).
    pub fn call_with_pushes(
        &self,
        ctx: &CallContext,
        query: &[u8],
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        self.dispatch(ctx, query, 0, pushes)
    }

    // ---- shared helpers of the handlers ----

    fn random(&self) -> MutexGuard<'_, Box<dyn RandomSource + Send>> {
        self.random.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn random_i64(&self) -> i64 {
        let mut bytes = [0u8; 8];
        self.random().fill(&mut bytes);
        i64::from_le_bytes(bytes)
    }

    fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; n];
        self.random().fill(&mut bytes);
        bytes
    }

    fn execution_counts(&self) -> MutexGuard<'_, HashMap<u32, u64>> {
        self.executions.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn challenges(&self) -> MutexGuard<'_, HashMap<i64, PendingSrp>> {
        self.srp_challenges.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The key of the call. A key the store does not know was never registered by the shell.
    fn key_of(&self, ctx: &CallContext) -> Result<AuthKeyRecord, RpcError> {
        match self.store.auth_key(ctx.auth_key_id) {
            Ok(Some(key)) => Ok(key),
            Ok(None) => Err(fail(&[], "AUTH_KEY_INVALID")),
            Err(e) => Err(failure::internal(&e)),
        }
    }

    /// The signed-in user of the call, or `401 AUTH_KEY_UNREGISTERED`, in one read of the store.
    /// The store is the source of truth (`ctx.user_id` may predate a sign-in on the same
    /// connection).
    fn me(&self, ctx: &CallContext) -> Result<UserRecord, RpcError> {
        match self.store.signed_in_user(ctx.auth_key_id) {
            Ok(Some(Some(user))) => Ok(user),
            Ok(Some(None)) => Err(failure::unregistered()),
            Ok(None) => Err(fail(&[], "AUTH_KEY_INVALID")),
            Err(e) => Err(failure::internal(&e)),
        }
    }

    /// [`Api::me`] with the key's record too.
    fn user_of(&self, ctx: &CallContext) -> Result<(AuthKeyRecord, UserRecord), RpcError> {
        let key = self.key_of(ctx)?;
        let user_id = key.user_id.ok_or_else(failure::unregistered)?;
        match self.store.user(user_id) {
            Ok(Some(user)) => Ok((key, user)),
            Ok(None) => Err(failure::unregistered()),
            Err(e) => Err(failure::internal(&e)),
        }
    }

    /// A number's home DC: test-DC numbers (`99966XYYYY`) live on DC X; a registered account on
    /// the DC it was created on; a new number registers on the DC it asks (`asked_on`), as
    /// Telegram registers a new account on the DC the client reached. Without a DC to go by
    /// (admin-created accounts), the number's hash over the DCs decides.
    fn home_dc(&self, phone: &PhoneNumber, asked_on: Option<i32>) -> i32 {
        let dcs = self.config.dc_ids();
        if let Some(dc) = phone.test_dc().filter(|dc| dcs.contains(dc)) {
            return dc;
        }
        if let Ok(Some(user)) = self.store.user_by_phone(phone.digits()) {
            return user.home_dc;
        }
        asked_on.filter(|dc| dcs.contains(dc)).unwrap_or_else(|| phone.home_dc(&dcs))
    }

    /// Makes, stores and logs a code for `phone`.
    fn issue_code(
        &self,
        ctx: &CallContext,
        phone: &PhoneNumber,
        phone_as_sent: &str,
        kind: crate::store::CodeKind,
    ) -> Result<LoginCode, StoreError> {
        let (code, hash) = {
            let mut random = self.random();
            let code = phone.test_code().unwrap_or_else(|| codes::random_code(&mut **random));
            (code, codes::random_hex(&mut **random, 9))
        };
        let record = LoginCode {
            phone_code_hash: hash,
            phone: phone.digits().to_owned(),
            phone_as_sent: phone_as_sent.to_owned(),
            code,
            kind,
            dc: ctx.dc_id,
            created: ctx.now,
            expires: ctx.now + self.config.code_lifetime,
            attempts: 0,
            state: crate::store::CodeState::Active,
            verified: false,
        };
        self.store.insert_code(&record)?;
        self.code_log.record(&codes::CodeLine {
            phone: phone_as_sent,
            code: &record.code,
            phone_code_hash: &record.phone_code_hash,
            dc: record.dc,
            delivery: kind.as_str(),
            time: ctx.now,
        });
        Ok(record)
    }

    // ---- admin functions (tests, the CLI): see `admin.rs` ----

    /// How many times the method named `method` (its TL name, e.g. `"auth.sendCode"`) was run
    /// since this `Api` was made: every dispatch of a non-wrapper method counts once, whatever
    /// it answered, and the wrappers (`invokeWithLayer`, `initConnection`, ..) are not counted.
    /// A request the network shell answers from its session cache is not run again, so fault
    /// tests read this to check that a resent request executed exactly once. Kept in memory:
    /// a restarted server counts from zero.
    pub fn executions(&self, method: &str) -> u64 {
        self.execution_counts()
            .iter()
            .filter(|(id, _)| ferrogram_tl::name_for_id(**id) == Some(method))
            .map(|(_, count)| *count)
            .sum()
    }

    /// Drops what the store no longer needs at `now` (Unix seconds) under `budgets`: recorded
    /// answers past their retention, idle sessions, keys nobody signed in with and nothing uses,
    /// expired temporary keys, long-expired codes, ended flood windows and exported
    /// authorizations past [`ApiConfig::export_lifetime`]. The server runs it periodically.
    pub fn prune(&self, now: i64, budgets: &crate::Budgets) -> Result<crate::store::Pruned, StoreError> {
        let retention = crate::store::Retention {
            answers: budgets.effective_answer_retention(),
            session_idle: budgets.session_idle,
            sessions_per_key: budgets.max_sessions_per_key,
            unused_key: budgets.unused_key_lifetime,
            expired_codes: budgets.expired_code_retention,
            exported_auths: self.config.export_lifetime,
            expired_login_tokens: self.config.login_token_lifetime,
        };
        self.store.prune(now, &retention)
    }

    /// The most recent login codes, newest first (the `ferrogram codes` command; in memory mode
    /// the only place besides the log to read them).
    pub fn recent_codes(&self, limit: usize) -> Result<Vec<LoginCode>, StoreError> {
        self.store.recent_codes(limit)
    }
}
