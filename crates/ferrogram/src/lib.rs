//! The ferrogram client: a Telegram MTProto client made from a session, an api id and an api hash.
#![forbid(unsafe_code)]

pub mod errors;
pub mod session;

pub use errors::{InvocationError, RpcError};
pub use session::{MemorySession, SessionData, SessionStore, SqliteSession, StringSession};
