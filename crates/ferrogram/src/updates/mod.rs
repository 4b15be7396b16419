//! Updates: what happens to the account while the client runs, and what it missed while it
//! did not (<https://core.telegram.org/api/updates>).
//!
//! - [`MessageBox`]: the sans-IO state machine that orders updates, drops duplicates, notices
//!   gaps and says when to fetch `updates.getDifference` (tested without a network or a clock);
//! - [`UpdateState`]: where the client stands, kept in the session between runs;
//! - [`Update`] and [`Message`]: the typed events of
//!   [`Client::next_update`](crate::Client::next_update) and
//!   [`Client::updates`](crate::Client::updates).
//!
//! The client feeds the box every push and every call answer that is an `Updates`, drives its
//! timer, and answers what it asks for, all inside `next_update`: updates are processed while
//! the application asks for them. See [`Client::next_update`](crate::Client::next_update) for
//! what happens when it does not (the bounded queue).

mod event;
mod message;
pub mod message_box;
mod state;

pub use event::Update;
pub use message::{Message, Peer};
pub use message_box::MessageBox;
pub use state::UpdateState;
