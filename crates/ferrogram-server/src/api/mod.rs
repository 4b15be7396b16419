//! The RPC layer of the server: [`Api::call`] takes one query (a boxed TL function in our layer,
//! [`ferrogram_tl::LAYER`]) and answers the serialized boxed result or an [`RpcError`],
//! independent of sockets and of MTProto framing (the network shell decrypts, translates layers,
//! and wraps the answer in `rpc_result`).
//!
//! It unwraps `invokeWithLayer`, `initConnection`, `invokeWithoutUpdates` and `invokeAfterMsg`
//! itself (<https://core.telegram.org/api/invoking>), and serves the methods around a login
//! (<https://core.telegram.org/api/auth>): see [`login`], [`password`] and [`info`]; peers
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

mod chats;
pub mod contacts;
mod deletes;
mod delivery;
mod edits;
mod failure;
mod history;
pub mod info;
pub mod login;
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
use ferrogram_tl::{functions, Deserializable, Identifiable, RawQuery};

use crate::codes::{self, CodeLog, CODES_FILE_NAME};
use crate::context::{CallContext, RpcError};
use crate::phone::PhoneNumber;
use crate::store::{AuthKeyRecord, LoginCode, NewUser, PasswordRecord, Store, StoreError, UserRecord};
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

    fn dispatch(
        &self,
        ctx: &CallContext,
        query: &[u8],
        depth: u32,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        use functions::{account, auth, contacts, help, langpack, messages as msg, updates, users};
        const INVOKE_WITH_LAYER: u32 = functions::InvokeWithLayer::<RawQuery>::CONSTRUCTOR_ID;
        const INIT_CONNECTION: u32 = functions::InitConnection::<RawQuery>::CONSTRUCTOR_ID;
        const INVOKE_WITHOUT_UPDATES: u32 = functions::InvokeWithoutUpdates::<RawQuery>::CONSTRUCTOR_ID;
        const INVOKE_AFTER_MSG: u32 = functions::InvokeAfterMsg::<RawQuery>::CONSTRUCTOR_ID;
        const GET_CONFIG: u32 = help::GetConfig::CONSTRUCTOR_ID;
        const GET_NEAREST_DC: u32 = help::GetNearestDc::CONSTRUCTOR_ID;
        const SEND_CODE: u32 = auth::SendCode::CONSTRUCTOR_ID;
        const RESEND_CODE: u32 = auth::ResendCode::CONSTRUCTOR_ID;
        const CANCEL_CODE: u32 = auth::CancelCode::CONSTRUCTOR_ID;
        const SIGN_IN: u32 = auth::SignIn::CONSTRUCTOR_ID;
        const SIGN_UP: u32 = auth::SignUp::CONSTRUCTOR_ID;
        const LOG_OUT: u32 = auth::LogOut::CONSTRUCTOR_ID;
        const IMPORT_BOT: u32 = auth::ImportBotAuthorization::CONSTRUCTOR_ID;
        const EXPORT_AUTH: u32 = auth::ExportAuthorization::CONSTRUCTOR_ID;
        const IMPORT_AUTH: u32 = auth::ImportAuthorization::CONSTRUCTOR_ID;
        const GET_PASSWORD: u32 = account::GetPassword::CONSTRUCTOR_ID;
        const CHECK_PASSWORD: u32 = auth::CheckPassword::CONSTRUCTOR_ID;
        const GET_USERS: u32 = users::GetUsers::CONSTRUCTOR_ID;
        const GET_FULL_USER: u32 = users::GetFullUser::CONSTRUCTOR_ID;
        const GET_STATE: u32 = updates::GetState::CONSTRUCTOR_ID;
        const GET_DIFFERENCE: u32 = updates::GetDifference::CONSTRUCTOR_ID;
        const SEND_MESSAGE: u32 = msg::SendMessage::CONSTRUCTOR_ID;
        const FORWARD_MESSAGES: u32 = msg::ForwardMessages::CONSTRUCTOR_ID;
        const EDIT_MESSAGE: u32 = msg::EditMessage::CONSTRUCTOR_ID;
        const DELETE_MESSAGES: u32 = msg::DeleteMessages::CONSTRUCTOR_ID;
        const DELETE_HISTORY: u32 = msg::DeleteHistory::CONSTRUCTOR_ID;
        const READ_HISTORY: u32 = msg::ReadHistory::CONSTRUCTOR_ID;
        const SET_TYPING: u32 = msg::SetTyping::CONSTRUCTOR_ID;
        const GET_HISTORY: u32 = msg::GetHistory::CONSTRUCTOR_ID;
        const SEARCH: u32 = msg::Search::CONSTRUCTOR_ID;
        const GET_MESSAGES: u32 = msg::GetMessages::CONSTRUCTOR_ID;
        const GET_DIALOGS: u32 = msg::GetDialogs::CONSTRUCTOR_ID;
        const GET_PEER_DIALOGS: u32 = msg::GetPeerDialogs::CONSTRUCTOR_ID;
        const GET_PINNED_DIALOGS: u32 = msg::GetPinnedDialogs::CONSTRUCTOR_ID;
        const TOGGLE_DIALOG_PIN: u32 = msg::ToggleDialogPin::CONSTRUCTOR_ID;
        const REORDER_PINNED_DIALOGS: u32 = msg::ReorderPinnedDialogs::CONSTRUCTOR_ID;
        const UPDATE_PINNED_MESSAGE: u32 = msg::UpdatePinnedMessage::CONSTRUCTOR_ID;
        const GET_DIALOG_FILTERS: u32 = msg::GetDialogFilters::CONSTRUCTOR_ID;
        const GET_AVAILABLE_REACTIONS: u32 = msg::GetAvailableReactions::CONSTRUCTOR_ID;
        const GET_ALL_STICKERS: u32 = msg::GetAllStickers::CONSTRUCTOR_ID;
        const CREATE_CHAT: u32 = msg::CreateChat::CONSTRUCTOR_ID;
        const ADD_CHAT_USER: u32 = msg::AddChatUser::CONSTRUCTOR_ID;
        const DELETE_CHAT_USER: u32 = msg::DeleteChatUser::CONSTRUCTOR_ID;
        const EDIT_CHAT_TITLE: u32 = msg::EditChatTitle::CONSTRUCTOR_ID;
        const GET_CHATS: u32 = msg::GetChats::CONSTRUCTOR_ID;
        const GET_FULL_CHAT: u32 = msg::GetFullChat::CONSTRUCTOR_ID;
        // Peers: contacts, usernames, profiles (contacts.rs, profile.rs).
        const IMPORT_CONTACTS: u32 = contacts::ImportContacts::CONSTRUCTOR_ID;
        const ADD_CONTACT: u32 = contacts::AddContact::CONSTRUCTOR_ID;
        const GET_CONTACT_IDS: u32 = contacts::GetContactIDs::CONSTRUCTOR_ID;
        const RESOLVE_PHONE: u32 = contacts::ResolvePhone::CONSTRUCTOR_ID;
        const GET_CONTACTS: u32 = contacts::GetContacts::CONSTRUCTOR_ID;
        const DELETE_CONTACTS: u32 = contacts::DeleteContacts::CONSTRUCTOR_ID;
        const SEARCH_CONTACTS: u32 = contacts::Search::CONSTRUCTOR_ID;
        const RESOLVE_USERNAME: u32 = contacts::ResolveUsername::CONSTRUCTOR_ID;
        const GET_STATUSES: u32 = contacts::GetStatuses::CONSTRUCTOR_ID;
        const GET_BLOCKED: u32 = contacts::GetBlocked::CONSTRUCTOR_ID;
        const GET_TOP_PEERS: u32 = contacts::GetTopPeers::CONSTRUCTOR_ID;
        const UPDATE_USERNAME: u32 = account::UpdateUsername::CONSTRUCTOR_ID;
        const CHECK_USERNAME: u32 = account::CheckUsername::CONSTRUCTOR_ID;
        const UPDATE_PROFILE: u32 = account::UpdateProfile::CONSTRUCTOR_ID;
        const UPDATE_STATUS: u32 = account::UpdateStatus::CONSTRUCTOR_ID;
        const GET_NOTIFY_SETTINGS: u32 = account::GetNotifySettings::CONSTRUCTOR_ID;
        const GET_CONTENT_SETTINGS: u32 = account::GetContentSettings::CONSTRUCTOR_ID;
        const GET_PRIVACY: u32 = account::GetPrivacy::CONSTRUCTOR_ID;
        // What clients ask at start (startup.rs).
        const GET_APP_CONFIG: u32 = help::GetAppConfig::CONSTRUCTOR_ID;
        const GET_COUNTRIES: u32 = help::GetCountriesList::CONSTRUCTOR_ID;
        const GET_PROMO_DATA: u32 = help::GetPromoData::CONSTRUCTOR_ID;
        const GET_TOS_UPDATE: u32 = help::GetTermsOfServiceUpdate::CONSTRUCTOR_ID;
        const GET_LANGUAGES: u32 = langpack::GetLanguages::CONSTRUCTOR_ID;
        const GET_LANG_PACK: u32 = langpack::GetLangPack::CONSTRUCTOR_ID;
        const GET_STRINGS: u32 = langpack::GetStrings::CONSTRUCTOR_ID;

        if depth > MAX_WRAPPER_DEPTH {
            return Err(fail(&[], "INPUT_REQUEST_TOO_LONG"));
        }
        let Some(id) = query.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes) else {
            return Err(fail(&[], "INPUT_FETCH_ERROR"));
        };
        if !matches!(id, INVOKE_WITH_LAYER | INIT_CONNECTION | INVOKE_WITHOUT_UPDATES | INVOKE_AFTER_MSG) {
            *self.execution_counts().entry(id).or_default() += 1;
        }
        match id {
            INVOKE_WITH_LAYER => {
                let wrapper: functions::InvokeWithLayer<RawQuery> = decode(query)?;
                if wrapper.layer <= 0 {
                    return Err(fail(&[], "INPUT_LAYER_INVALID"));
                }
                match self.store.set_auth_key_layer(ctx.auth_key_id, wrapper.layer) {
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "cannot record the client's layer"),
                }
                let inner = CallContext { layer: wrapper.layer, ..ctx.clone() };
                self.dispatch(&inner, &wrapper.query.0, depth + 1, pushes)
            }
            INIT_CONNECTION => {
                let wrapper: functions::InitConnection<RawQuery> = decode(query)?;
                let client = crate::store::ClientInfo {
                    api_id: Some(wrapper.api_id),
                    device_model: Some(wrapper.device_model),
                    system_version: Some(wrapper.system_version),
                    app_version: Some(wrapper.app_version),
                    lang_code: Some(wrapper.lang_code),
                };
                if let Err(error) = self.store.set_auth_key_client(ctx.auth_key_id, &client) {
                    tracing::warn!(%error, "cannot record initConnection");
                }
                let inner = CallContext { api_id: Some(wrapper.api_id), ..ctx.clone() };
                self.dispatch(&inner, &wrapper.query.0, depth + 1, pushes)
            }
            INVOKE_WITHOUT_UPDATES => {
                let wrapper: functions::InvokeWithoutUpdates<RawQuery> = decode(query)?;
                self.dispatch(ctx, &wrapper.query.0, depth + 1, pushes)
            }
            INVOKE_AFTER_MSG => {
                // Calls on one connection run in order, so "after msg_id" already holds.
                let wrapper: functions::InvokeAfterMsg<RawQuery> = decode(query)?;
                self.dispatch(ctx, &wrapper.query.0, depth + 1, pushes)
            }
            GET_CONFIG => self.get_config(ctx, decode(query)?),
            GET_NEAREST_DC => self.get_nearest_dc(ctx, decode(query)?),
            SEND_CODE => self.send_code(ctx, decode(query)?),
            RESEND_CODE => self.resend_code(ctx, decode(query)?),
            CANCEL_CODE => self.cancel_code(ctx, decode(query)?),
            SIGN_IN => self.sign_in(ctx, decode(query)?),
            SIGN_UP => self.sign_up(ctx, decode(query)?),
            LOG_OUT => self.log_out(ctx, decode(query)?),
            IMPORT_BOT => self.import_bot_authorization(ctx, decode(query)?),
            EXPORT_AUTH => self.export_authorization(ctx, decode(query)?),
            IMPORT_AUTH => self.import_authorization(ctx, decode(query)?),
            GET_PASSWORD => self.get_password(ctx, decode(query)?),
            CHECK_PASSWORD => self.check_password(ctx, decode(query)?),
            GET_USERS => self.get_users(ctx, decode(query)?),
            GET_FULL_USER => self.get_full_user(ctx, decode(query)?),
            GET_STATE => self.get_state(ctx, decode(query)?),
            GET_DIFFERENCE => self.get_difference(ctx, decode(query)?),
            SEND_MESSAGE => self.send_message(ctx, decode(query)?, pushes),
            FORWARD_MESSAGES => self.forward_messages(ctx, decode(query)?, pushes),
            EDIT_MESSAGE => self.edit_message(ctx, decode(query)?, pushes),
            DELETE_MESSAGES => self.delete_messages(ctx, decode(query)?, pushes),
            DELETE_HISTORY => self.delete_history(ctx, decode(query)?, pushes),
            READ_HISTORY => self.read_history(ctx, decode(query)?, pushes),
            SET_TYPING => self.set_typing(ctx, decode(query)?, pushes),
            GET_HISTORY => self.get_history(ctx, decode(query)?),
            SEARCH => self.search(ctx, decode(query)?),
            GET_MESSAGES => self.get_messages(ctx, decode(query)?),
            GET_DIALOGS => self.get_dialogs(ctx, decode(query)?),
            GET_PEER_DIALOGS => self.get_peer_dialogs(ctx, decode(query)?),
            GET_PINNED_DIALOGS => self.get_pinned_dialogs(ctx, decode(query)?),
            TOGGLE_DIALOG_PIN => self.toggle_dialog_pin(ctx, decode(query)?, pushes),
            REORDER_PINNED_DIALOGS => self.reorder_pinned_dialogs(ctx, decode(query)?, pushes),
            UPDATE_PINNED_MESSAGE => self.update_pinned_message(ctx, decode(query)?, pushes),
            GET_DIALOG_FILTERS => self.get_dialog_filters(ctx, decode(query)?),
            GET_AVAILABLE_REACTIONS => self.get_available_reactions(ctx, decode(query)?),
            GET_ALL_STICKERS => self.get_all_stickers(ctx, decode(query)?),
            CREATE_CHAT => self.create_chat(ctx, decode(query)?, pushes),
            ADD_CHAT_USER => self.add_chat_user(ctx, decode(query)?, pushes),
            DELETE_CHAT_USER => self.delete_chat_user(ctx, decode(query)?, pushes),
            EDIT_CHAT_TITLE => self.edit_chat_title(ctx, decode(query)?, pushes),
            GET_CHATS => self.get_chats(ctx, decode(query)?),
            GET_FULL_CHAT => self.get_full_chat(ctx, decode(query)?),
            IMPORT_CONTACTS => self.import_contacts(ctx, decode(query)?),
            ADD_CONTACT => self.add_contact(ctx, decode(query)?),
            GET_CONTACT_IDS => self.get_contact_ids(ctx, decode(query)?),
            RESOLVE_PHONE => self.resolve_phone(ctx, decode(query)?),
            GET_CONTACTS => self.get_contacts(ctx, decode(query)?),
            DELETE_CONTACTS => self.delete_contacts(ctx, decode(query)?),
            SEARCH_CONTACTS => self.search_contacts(ctx, decode(query)?),
            RESOLVE_USERNAME => self.resolve_username(ctx, decode(query)?),
            GET_STATUSES => self.get_statuses(ctx, decode(query)?),
            GET_BLOCKED => self.get_blocked(ctx, decode(query)?),
            GET_TOP_PEERS => self.get_top_peers(ctx, decode(query)?),
            UPDATE_USERNAME => self.update_username(ctx, decode(query)?),
            CHECK_USERNAME => self.check_username(ctx, decode(query)?),
            UPDATE_PROFILE => self.update_profile(ctx, decode(query)?),
            UPDATE_STATUS => self.update_status(ctx, decode(query)?),
            GET_NOTIFY_SETTINGS => self.get_notify_settings(ctx, decode(query)?),
            GET_CONTENT_SETTINGS => self.get_content_settings(ctx, decode(query)?),
            GET_PRIVACY => self.get_privacy(ctx, decode(query)?),
            GET_APP_CONFIG => self.get_app_config(ctx, decode(query)?),
            GET_COUNTRIES => self.get_countries_list(ctx, decode(query)?),
            GET_PROMO_DATA => self.get_promo_data(ctx, decode(query)?),
            GET_TOS_UPDATE => self.get_terms_of_service_update(ctx, decode(query)?),
            GET_LANGUAGES => self.get_languages(ctx, decode(query)?),
            GET_LANG_PACK => self.get_lang_pack(ctx, decode(query)?),
            GET_STRINGS => self.get_strings(ctx, decode(query)?),
            _ => {
                // At info: this is what a user reads to see which methods their client needs.
                let name = ferrogram_tl::name_for_id(id).unwrap_or("(not in our layer)");
                tracing::info!(method = name, id = format_args!("{id:#010x}"), "method not served: {name}");
                Err(fail(&[], "INPUT_METHOD_INVALID"))
            }
        }
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

    /// The signed-in user of the call, or `401 AUTH_KEY_UNREGISTERED`. The store is the source
    /// of truth (`ctx.user_id` may predate a sign-in on the same connection).
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

    // ---- admin functions (tests, the CLI) ----

    /// Creates an account, optionally with a 2FA password or a login email. `now` is the
    /// creation time (Unix seconds). A username is taken as given (no rules apply to the admin),
    /// but must be free in any case ([`AdminError::UsernameTaken`]).
    pub fn create_user(&self, user: &AdminUser, now: i64) -> Result<UserRecord, AdminError> {
        let phone = PhoneNumber::parse(&user.phone).ok_or_else(|| AdminError::InvalidPhone(user.phone.clone()))?;
        if self.store.user_by_phone(phone.digits())?.is_some() {
            return Err(AdminError::PhoneTaken(phone.to_string()));
        }
        if let Some(name) = &user.username {
            if self.store.user_by_username(name)?.is_some() {
                return Err(AdminError::UsernameTaken(name.clone()));
            }
        }
        let password = match &user.password {
            Some(password) => Some(self.password_record(password, user.password_hint.clone())?),
            None => None,
        };
        let new = NewUser {
            phone: Some(phone.digits().to_owned()),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            username: user.username.clone(),
            bot_token_secret: None,
            home_dc: self.home_dc(&phone, None),
            password,
            login_email: user.login_email.clone(),
            access_hash: self.random_i64(),
        };
        Ok(self.store.create_user(&new, now)?)
    }

    /// Sets, changes or (with `None`) removes a user's 2FA password.
    pub fn set_password(&self, user_id: i64, password: Option<&str>, hint: Option<String>) -> Result<(), AdminError> {
        let record = match password {
            Some(password) => Some(self.password_record(password, hint)?),
            None => None,
        };
        Ok(self.store.set_password(user_id, record.as_ref())?)
    }

    fn password_record(&self, password: &str, hint: Option<String>) -> Result<PasswordRecord, AdminError> {
        let params = {
            let mut random = self.random();
            password::base_params(&mut **random).with_fresh_salt1(&mut **random)
        };
        let verifier = srp::verifier(password.as_bytes(), &params);
        Ok(PasswordRecord { salt1: params.salt1, salt2: params.salt2, verifier, hint })
    }

    /// Creates a bot named `name` and returns its token, `"{bot_id}:{secret}"`, for
    /// `auth.importBotAuthorization`. Its username is `name` reduced to letters, digits and `_`,
    /// ending in `bot` ([`AdminError::UsernameTaken`] if an account has it, in any case).
    pub fn create_bot(&self, name: &str, now: i64) -> Result<String, AdminError> {
        let mut username: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if username.is_empty() {
            return Err(AdminError::InvalidBotName(name.to_owned()));
        }
        if !username.to_ascii_lowercase().ends_with("bot") {
            username.push_str("_bot");
        }
        if self.store.user_by_username(&username)?.is_some() {
            return Err(AdminError::UsernameTaken(username));
        }
        let secret = codes::random_hex(&mut **self.random(), 18);
        let new = NewUser {
            phone: None,
            first_name: name.to_owned(),
            last_name: String::new(),
            username: Some(username),
            bot_token_secret: Some(secret.clone()),
            home_dc: self.config.dcs.first().map_or(1, |d| d.id),
            password: None,
            login_email: None,
            access_hash: self.random_i64(),
        };
        let bot = self.store.create_user(&new, now)?;
        Ok(format!("{}:{secret}", bot.id))
    }

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
        };
        self.store.prune(now, &retention)
    }

    /// The most recent login codes, newest first (the `ferrogram codes` command; in memory mode
    /// the only place besides the log to read them).
    pub fn recent_codes(&self, limit: usize) -> Result<Vec<LoginCode>, StoreError> {
        self.store.recent_codes(limit)
    }
}

/// Decodes a whole request; a body that does not parse is `400 INPUT_FETCH_ERROR`.
fn decode<T: Deserializable>(query: &[u8]) -> Result<T, RpcError> {
    T::from_bytes_exact(query).map_err(|error| {
        tracing::debug!(%error, "undecodable request");
        fail(&[], "INPUT_FETCH_ERROR")
    })
}
