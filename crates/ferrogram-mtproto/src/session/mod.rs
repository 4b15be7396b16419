//! The encrypted message layer of MTProto 2.0, both directions
//! (<https://core.telegram.org/mtproto/description>,
//! <https://core.telegram.org/mtproto/service_messages>,
//! <https://core.telegram.org/mtproto/service_messages_about_messages>).
//!
//! - [`envelope`]: encrypting and decrypting one message (msg_key, AES-IGE, padding checks).
//! - [`msg_id`]: time-based message ids with each side's parity, and sequence numbers.
//! - [`client::ClientSession`]: the client's half: queues requests, packs them (with acks) into
//!   containers, matches `rpc_result`s to requests, and follows the server's corrections
//!   (`bad_server_salt`, `bad_msg_notification`, `new_session_created`).
//! - [`client_timers::ClientTimers`]: the client session's pings, delayed acknowledgements,
//!   resends and silence detection, driven by `poll_timeout` / `handle_timeout`.
//! - [`server::ServerSession`]: the server's half: checks every incoming message (key, msg_key,
//!   session, msg_id window and parity, salt, replays), answers service messages itself, and hands
//!   RPC calls to the application, whose answers it caches so a resent request is answered, not
//!   executed again.
//! - [`salts::ServerSalts`]: the server salts a server hands out, derived from a secret and time.
//!
//! `gzip_packed` bodies (gzip, or zlib from some clients) are inflated within
//! [`InflateLimits`] per packet, one budget shared by every `gzip_packed` in it, nested or side by
//! side; both sessions take the limits with `with_inflate_limits` (the default otherwise).
//!
//! Like the rest of the crate, nothing here reads a clock or draws randomness: the current Unix
//! time (a [`std::time::Duration`] since the epoch) and a [`RandomSource`](crate::RandomSource)
//! are arguments, and packets go in and out as bytes for a transport to frame.

pub mod client;
pub mod client_timers;
pub mod envelope;
#[doc(hidden)]
pub mod fuzzing;
pub mod msg_id;
mod recent;
pub mod salts;
pub mod server;

use ferrogram_tl::inflate::{InflateBudget, InflateError};
use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::{Deserializable, DeserializeError};

pub use ferrogram_tl::inflate::InflateLimits;

pub use envelope::EnvelopeError;

/// Why the session layer refused an incoming packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The envelope failed its checks (key id, msg_key, length, padding).
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The message belongs to another session.
    #[error("message for session {got:016x}, ours is {expected:016x}")]
    WrongSession {
        /// Our session id.
        expected: i64,
        /// The one in the message.
        got: i64,
    },
    /// The msg_id has the wrong residue mod 4 for its sender.
    #[error("msg_id {0:#x} has the wrong parity for its sender")]
    MsgIdParity(i64),
    /// The msg_id's time is further from our clock (corrected by the server's time offset)
    /// than the guidelines allow: over 30 seconds in the future or over 300 seconds in the past.
    #[error("msg_id {msg_id:#x} is {skew} s from our clock, outside the accepted window")]
    MsgIdOutsideWindow {
        /// The refused msg_id.
        msg_id: i64,
        /// Its time minus ours, in seconds (negative: in the past).
        skew: i64,
    },
    /// The msg_id is lower than every one the session remembers receiving: it may be a replay
    /// of a message already forgotten.
    #[error("msg_id {0:#x} is older than every recently received one")]
    MsgIdTooOld(i64),
    /// The message body is not valid TL.
    #[error("malformed message body: {0}")]
    Decode(#[from] DeserializeError),
}

impl From<InflateError> for SessionError {
    /// A `gzip_packed` that cannot be inflated within the limits is a malformed body.
    fn from(e: InflateError) -> Self {
        SessionError::Decode(e.into())
    }
}

/// An RPC error as the server sends it (`rpc_error error_code:int error_message:string`): the
/// crate's one [`RpcError`] type.
pub use crate::RpcError;

/// The constructor id a TL object starts with, if it has four bytes.
pub(crate) fn constructor_of(body: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(..4)?.try_into().ok()?))
}

/// Whether `body` is a `gzip_packed`.
pub(crate) fn is_gzip_packed(body: &[u8]) -> bool {
    constructor_of(body) == Some(GzipPacked::CONSTRUCTOR_ID)
}

/// `body` itself, or what it packs if it is `gzip_packed`: inflated through as many levels as
/// are nested, all drawing on `budget`.
pub(crate) fn unpack_gzip(body: &[u8], budget: &mut InflateBudget) -> Result<Vec<u8>, DeserializeError> {
    if !is_gzip_packed(body) {
        return Ok(body.to_vec());
    }
    let packed = GzipPacked::from_bytes_exact(body)?;
    budget.inflate_then(&packed.packed_data, |budget, content| {
        if is_gzip_packed(&content) {
            unpack_gzip(&content, budget)
        } else {
            Ok(content)
        }
    })
}
