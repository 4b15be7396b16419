//! The ferrogram client: a Telegram MTProto client made from a session, an api id and an api hash.
//!
//! Start with [`Client`]; updates come from [`Client::next_update`] (see [`updates`]); messages
//! are sent with [`Client::send_message`] and read with [`Client::iter_messages`], naming chats
//! by id, username, phone or `"me"` ([`PeerRef`], [`peers`]).
#![forbid(unsafe_code)]

pub mod auth;
pub mod client;
pub mod errors;
pub mod formatting;
pub mod net;
pub mod peers;
pub mod session;
pub mod updates;

pub use errors::{InvocationError, RpcError};
pub use session::{DcEntry, MemorySession, SessionData, SessionStore, SqliteSession, StringSession};

pub use auth::qr::{AcceptLoginError, LoginUrlError, QrLogin};
pub use auth::{LoginToken, PasswordToken, SignInError, SignInResult, StartCallbacks};
pub use client::server_info::{AdminInfo, DcInfo, PUBLIC_KEY_FILE, SERVER_INFO_FILE};
pub use client::{
    ApiError, Client, ClientConfig, Dialog, DialogIter, InputMessage, MessageIter, ServerAddress, ServerInfo,
    ServerInfoError, UpdateStream,
};
pub use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
pub use ferrogram_mtproto::transport::TransportKind;
pub use peers::PeerRef;
pub use updates::{Message, Peer, Update, UpdateState};

/// The README's examples, compiled and run as doc tests (here, where the client, the generated
/// API and, as a dev-dependency, the local server are all in reach).
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
