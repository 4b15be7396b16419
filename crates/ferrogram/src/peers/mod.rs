//! The peer cache: every user, group and channel the client sees (in call answers and in
//! updates) is remembered with its access hash, so that later calls can name it by id,
//! username or phone ([`PeerRef`]) without building an `InputPeer` by hand
//! (<https://core.telegram.org/api/peers>).
//!
//! - [`PeerCache`]: the in-memory table, a least-recently-used cache of
//!   [`ClientConfig::peer_cache_capacity`](crate::ClientConfig::peer_cache_capacity) entries
//!   (10,000 by default, each under about 500 bytes: see [`PeerCache::max_bytes`]);
//! - persistence: a [`SqliteSession`](crate::SqliteSession) also keeps the entries in its
//!   `peer` table (at most [`MAX_STORED_PEERS`](crate::session::MAX_STORED_PEERS) rows), and the
//!   client looks there when the memory misses; [`MemorySession`](crate::MemorySession) and
//!   [`StringSession`](crate::StringSession) keep peers in memory only, so after a restart
//!   they are learned again (a dialog list, a message, a username resolved again);
//! - *min* constructors (`user.min`, `channel.min`) never overwrite a full access hash.
//!
//! What feeds the cache: the answers of every high-level method of the client, the answers of
//! [`Client::invoke`](crate::Client::invoke) of the common result types (see
//! [`observe::of_any`]), and the updates [`Client::next_update`](crate::Client::next_update)
//! processes.

mod cache;
pub mod observe;
mod peer_ref;

pub use cache::{CachedPeer, PeerCache, ENTRY_OVERHEAD_BYTES, MAX_NAME_BYTES};
pub use peer_ref::PeerRef;
