//! The network shell around the sans-IO core: one tokio task per DC connection owns the socket,
//! the transport [`Codec`](ferrogram_mtproto::transport::Codec) and the
//! [`ClientSession`](ferrogram_mtproto::session::client::ClientSession); callers talk to it through
//! a channel and get their answers back on oneshot channels, so any number of calls can be in
//! flight on one connection (the session packs them into containers).
//!
//! Implements the client half of <https://core.telegram.org/mtproto/description> over
//! <https://core.telegram.org/mtproto/mtproto-transports>, with reconnects that resend unanswered
//! requests under their msg_ids (<https://core.telegram.org/mtproto/service_messages_about_messages>)
//! and `ping_delay_disconnect` keep-alives (<https://core.telegram.org/mtproto/service_messages#ping-messages-pingpong>).

mod connection;
mod link;
mod random;

pub(crate) use connection::{Connection, ConnectionParams, KeyState};
pub(crate) use link::unix_now;
pub use random::OsRandom;
