//! What a client keeps between runs, and where it keeps it.
//!
//! A [`SessionData`] is the whole persistent state of a client: its home DC, the address and
//! authorization key (<https://core.telegram.org/mtproto/auth_key>) it holds for each DC it has
//! talked to, optionally the first server salt and clock offset learned there, the signed-in
//! account, and where the client stands in the account's update sequences. A [`SessionStore`] loads and stores it as one value, so that every store is all or
//! nothing:
//!
//! - [`MemorySession`]: in memory, gone with the process (tests, throwaway clients);
//! - [`SqliteSession`]: a SQLite file, each store one transaction;
//! - [`StringSession`]: a portable string (`fg1…`, see [`string`] for the format), which also
//!   reads the string sessions of GramJS and Telethon so their users keep their login.
//!
//! Beside the session, a store may keep the client's peer cache ([`crate::peers`]) through
//! [`SessionStore::store_peers`] and [`SessionStore::lookup_peer`]: [`SqliteSession`] keeps it in
//! its `peer` table; [`MemorySession`] and [`StringSession`] keep peers in the client's memory
//! only (a string stays short), so a restarted client learns them again.
//!
//! ```
//! use ferrogram::session::{DcEntry, MemorySession, SessionStore};
//! let store = MemorySession::new();
//! let mut data = store.load()?;
//! data.home_dc = Some(2);
//! data.set_dc(DcEntry::new(2, "149.154.167.51", 443));
//! store.store(&data)?;
//! assert_eq!(store.load()?.home().map(|dc| dc.port), Some(443));
//! # Ok::<(), ferrogram::session::SessionError>(())
//! ```

mod memory;
pub(crate) mod private_file;
mod sqlite;
pub mod string;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use ferrogram_mtproto::authkey::AuthKey;
pub use memory::MemorySession;
pub use sqlite::SqliteSession;
pub use sqlite::MAX_STORED_PEERS;
pub use string::{StringSession, StringSessionError};

use crate::peers::CachedPeer;
use crate::updates::Peer;

use crate::updates::UpdateState;

/// What the client knows about one data center.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DcEntry {
    /// The DC id (1..=5 on Telegram's production and test servers).
    pub id: i32,
    /// Where to connect: an IP address or a host name.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The authorization key created with this DC, if any.
    pub auth_key: Option<AuthKey>,
    /// A server salt the DC gave (the first one, from the key exchange, or a later one), so a
    /// reconnect can skip the `bad_server_salt` round trip.
    pub server_salt: Option<i64>,
    /// Server time minus local time in seconds, as learned from the DC.
    pub time_offset: Option<i32>,
}

impl DcEntry {
    /// An entry for a DC without a key yet.
    pub fn new(id: i32, host: impl Into<String>, port: u16) -> Self {
        DcEntry { id, host: host.into(), port, auth_key: None, server_salt: None, time_offset: None }
    }

    /// The same entry with `key` as its authorization key.
    pub fn with_auth_key(mut self, key: AuthKey) -> Self {
        self.auth_key = Some(key);
        self
    }
}

/// The account a session is signed in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedInUser {
    /// The user id.
    pub id: i64,
    /// Whether the account is a bot (signed in with a bot token).
    pub bot: bool,
}

/// The whole persistent state of a client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionData {
    /// The DC the account lives on (where the client connects first); `None` in a new session.
    pub home_dc: Option<i32>,
    /// Every DC the client knows, by id.
    pub dcs: BTreeMap<i32, DcEntry>,
    /// The signed-in account, if any.
    pub user: Option<SignedInUser>,
    /// The update state reached by the events the application took (see
    /// [`Client::next_update`](crate::Client::next_update)); `None` before the first.
    pub updates: Option<UpdateState>,
}

impl SessionData {
    /// Whether this is a new session: no home DC, no DC, no user.
    pub fn is_empty(&self) -> bool {
        self.home_dc.is_none() && self.dcs.is_empty() && self.user.is_none()
    }

    /// The home DC's entry, if the home DC is set and known.
    pub fn home(&self) -> Option<&DcEntry> {
        self.dc(self.home_dc?)
    }

    /// The entry of DC `id`.
    pub fn dc(&self, id: i32) -> Option<&DcEntry> {
        self.dcs.get(&id)
    }

    /// Adds or replaces the entry of `entry.id`.
    pub fn set_dc(&mut self, entry: DcEntry) {
        self.dcs.insert(entry.id, entry);
    }

    /// Sets (or with `None` forgets) the authorization key of DC `id`; false if the DC is unknown.
    pub fn set_auth_key(&mut self, id: i32, key: Option<AuthKey>) -> bool {
        match self.dcs.get_mut(&id) {
            Some(dc) => {
                dc.auth_key = key;
                true
            }
            None => false,
        }
    }

    /// Forgets the account, its update state and every authorization key (after `auth.logOut`), keeping the DC
    /// addresses and the home DC.
    pub fn sign_out(&mut self) {
        self.user = None;
        self.updates = None;
        for dc in self.dcs.values_mut() {
            dc.auth_key = None;
            dc.server_salt = None;
        }
    }
}

/// How the client looks a peer up in a session's peer table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerLookup<'a> {
    /// By kind and id.
    Peer(Peer),
    /// By username (any case, without `@`).
    Username(&'a str),
    /// By phone (digits, without `+`).
    Phone(&'a str),
}

/// Storage for a [`SessionData`]. Implementations make every [`store`](SessionStore::store) all
/// or nothing: after a crash, [`load`](SessionStore::load) returns either the previous or the new
/// value, never a mix.
///
/// A store may also keep the peer cache ([`crate::peers`]): [`store_peers`](Self::store_peers)
/// and [`lookup_peer`](Self::lookup_peer). Their defaults keep nothing (the client's cache is
/// then in memory only), which is what [`MemorySession`] and [`StringSession`] do.
pub trait SessionStore: Send + Sync {
    /// The stored state; a new session's is empty ([`SessionData::default`]).
    fn load(&self) -> Result<SessionData, SessionError>;
    /// Replaces the stored state with `data`.
    fn store(&self, data: &SessionData) -> Result<(), SessionError>;
    /// Adds or replaces these peer entries (entries are per signed-in account: a store whose
    /// account is gone may drop them).
    fn store_peers(&self, peers: &[CachedPeer]) -> Result<(), SessionError> {
        let _ = peers;
        Ok(())
    }
    /// The stored entry `lookup` finds, if any.
    fn lookup_peer(&self, lookup: PeerLookup<'_>) -> Result<Option<CachedPeer>, SessionError> {
        let _ = lookup;
        Ok(None)
    }
}

impl<S: SessionStore + ?Sized> SessionStore for Arc<S> {
    fn load(&self) -> Result<SessionData, SessionError> {
        (**self).load()
    }
    fn store(&self, data: &SessionData) -> Result<(), SessionError> {
        (**self).store(data)
    }
    fn store_peers(&self, peers: &[CachedPeer]) -> Result<(), SessionError> {
        (**self).store_peers(peers)
    }
    fn lookup_peer(&self, lookup: PeerLookup<'_>) -> Result<Option<CachedPeer>, SessionError> {
        (**self).lookup_peer(lookup)
    }
}

impl<S: SessionStore + ?Sized> SessionStore for Box<S> {
    fn load(&self) -> Result<SessionData, SessionError> {
        (**self).load()
    }
    fn store(&self, data: &SessionData) -> Result<(), SessionError> {
        (**self).store(data)
    }
    fn store_peers(&self, peers: &[CachedPeer]) -> Result<(), SessionError> {
        (**self).store_peers(peers)
    }
    fn lookup_peer(&self, lookup: PeerLookup<'_>) -> Result<Option<CachedPeer>, SessionError> {
        (**self).lookup_peer(lookup)
    }
}

/// Why a session could not be loaded or stored.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// SQLite failed to open, read or write the session file.
    #[error("session file {path}: {source}")]
    Sqlite {
        /// The session file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The session file could not be created, or not made readable by its owner only.
    #[error("session file {path}: {source}")]
    File {
        /// The session file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The session file holds values no client could have written (a key of the wrong length, a
    /// port out of range): it was damaged or edited.
    #[error("session file {path} is corrupt: {what}")]
    Corrupt {
        /// The session file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// The session file was written by a newer ferrogram with a schema this one does not know.
    #[error("session file {path} has schema version {found}; this ferrogram reads up to {supported}")]
    NewerSchema {
        /// The session file.
        path: PathBuf,
        /// The file's schema version.
        found: i64,
        /// The newest version this build reads.
        supported: i64,
    },
    /// A string session is malformed.
    #[error(transparent)]
    String(#[from] StringSessionError),
}
