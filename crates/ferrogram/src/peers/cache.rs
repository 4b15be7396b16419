//! [`PeerCache`]: what the client learned about users, groups and channels (their access hashes,
//! usernames and phones), in a least-recently-used table of bounded size.

use std::collections::HashMap;
use std::mem::size_of;

use ferrogram_tl::enums;
use hashlink::LruCache;

use crate::updates::Peer;

/// Usernames and phones longer than this are not cached (Telegram's are at most 32 and 20
/// characters); a server sending longer ones cannot make an entry grow.
pub const MAX_NAME_BYTES: usize = 64;

/// What one cached entry costs beyond its strings: the key and the value, the LRU list's node
/// (two links and the allocator's header) and the hash table's slot, with the table at its
/// lowest load (half full after a resize).
pub const ENTRY_OVERHEAD_BYTES: usize = size_of::<Peer>() + size_of::<CachedPeer>() + 2 * 8 + 16 + 2 * (8 + 1);

/// What a name kept in the username or phone index costs beyond its text: the key's pointer
/// and length, the peer it names, the table slot at lowest load, the allocator's header.
const INDEX_OVERHEAD_BYTES: usize = size_of::<Box<str>>() + size_of::<Peer>() + 2 * (8 + 1) + 16;

/// One user, group or channel as the client knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPeer {
    /// Which peer.
    pub peer: Peer,
    /// The access hash that lets this account name it (`None` for basic groups, which need none).
    pub access_hash: Option<i64>,
    /// Whether the hash came only from a *min* constructor (`user.min`, `channel.min`): such a
    /// hash is valid only in the context it came with, so it cannot name the peer on its own.
    pub min: bool,
    /// Whether the user is a bot.
    pub bot: bool,
    /// The username, as the server spelled it (without `@`).
    pub username: Option<Box<str>>,
    /// The phone number (digits, without `+`), when the server showed it.
    pub phone: Option<Box<str>>,
}

impl CachedPeer {
    /// The entry a TL `User` gives; `None` for `userEmpty`.
    pub fn from_user(user: &enums::User) -> Option<CachedPeer> {
        let enums::User::User(user) = user else { return None };
        Some(CachedPeer {
            peer: Peer::User(user.id),
            access_hash: user.access_hash,
            min: user.min,
            bot: user.bot,
            username: bounded(user.username.as_deref()),
            phone: bounded(user.phone.as_deref().map(|p| p.trim_start_matches('+'))),
        })
    }

    /// The entry a TL `Chat` gives; `None` for `chatEmpty`.
    pub fn from_chat(chat: &enums::Chat) -> Option<CachedPeer> {
        let entry = |peer, access_hash, min, username: Option<&str>| CachedPeer {
            peer,
            access_hash,
            min,
            bot: false,
            username: bounded(username),
            phone: None,
        };
        match chat {
            enums::Chat::Empty(_) => None,
            enums::Chat::Chat(c) => Some(entry(Peer::Chat(c.id), None, false, None)),
            enums::Chat::Forbidden(c) => Some(entry(Peer::Chat(c.id), None, false, None)),
            enums::Chat::Channel(c) => Some(entry(Peer::Channel(c.id), c.access_hash, c.min, c.username.as_deref())),
            enums::Chat::ChannelForbidden(c) => Some(entry(Peer::Channel(c.id), Some(c.access_hash), false, None)),
            // Kinds this client cannot name in calls yet.
            _ => None,
        }
    }

    /// The bytes this entry costs in a [`PeerCache`] (see [`PeerCache::bytes`]).
    pub fn cost(&self) -> usize {
        let name = |s: &Option<Box<str>>| s.as_ref().map_or(0, |s| 2 * s.len() + INDEX_OVERHEAD_BYTES);
        ENTRY_OVERHEAD_BYTES + name(&self.username) + name(&self.phone)
    }

    /// This entry with what `newer` says, keeping a full access hash over a min one.
    fn merged(&self, newer: CachedPeer) -> CachedPeer {
        if newer.min && !self.min {
            // A min constructor never replaces what a full one said about the hash.
            return CachedPeer {
                username: newer.username.or_else(|| self.username.clone()),
                phone: newer.phone.or_else(|| self.phone.clone()),
                ..self.clone()
            };
        }
        CachedPeer {
            access_hash: newer.access_hash.or(self.access_hash),
            username: newer.username.or_else(|| self.username.clone()),
            phone: newer.phone.or_else(|| self.phone.clone()),
            ..newer
        }
    }
}

/// A name kept only when it is not empty and not longer than [`MAX_NAME_BYTES`].
fn bounded(name: Option<&str>) -> Option<Box<str>> {
    name.filter(|n| !n.is_empty() && n.len() <= MAX_NAME_BYTES).map(Box::from)
}

/// The key a username is indexed under: Telegram's usernames are case-insensitive.
fn username_key(name: &str) -> Box<str> {
    name.to_ascii_lowercase().into_boxed_str()
}

/// Users, groups and channels by id, with indexes by username and phone, keeping the
/// `capacity` most recently seen or used: inserting past it forgets the least recently used.
///
/// Memory is bounded by the entry count: each entry costs [`CachedPeer::cost`] bytes, at most
/// [`ENTRY_OVERHEAD_BYTES`] plus, for the username and the phone, twice the name's length
/// (entry and index) and an index slot; names are at most [`MAX_NAME_BYTES`], so a full cache
/// costs at most [`PeerCache::max_bytes`] (about 500 bytes an entry).
#[derive(Debug)]
pub struct PeerCache {
    entries: LruCache<Peer, CachedPeer>,
    usernames: HashMap<Box<str>, Peer>,
    phones: HashMap<Box<str>, Peer>,
    capacity: usize,
    bytes: usize,
}

impl PeerCache {
    /// An empty cache keeping at most `capacity` entries (at least one).
    pub fn new(capacity: usize) -> PeerCache {
        PeerCache {
            entries: LruCache::new_unbounded(),
            usernames: HashMap::new(),
            phones: HashMap::new(),
            capacity: capacity.max(1),
            bytes: 0,
        }
    }

    /// The most entries kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes the entries cost now, as [`CachedPeer::cost`] counts them.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The most bytes a full cache of this capacity can cost.
    pub fn max_bytes(&self) -> usize {
        self.capacity * (ENTRY_OVERHEAD_BYTES + 2 * (2 * MAX_NAME_BYTES + INDEX_OVERHEAD_BYTES))
    }

    /// The entry of `peer`, marked as just used.
    pub fn get(&mut self, peer: Peer) -> Option<&CachedPeer> {
        self.entries.get(&peer)
    }

    /// The peer whose username is `name` (any case, without `@`).
    pub fn by_username(&mut self, name: &str) -> Option<&CachedPeer> {
        let peer = *self.usernames.get(&username_key(name))?;
        self.entries.get(&peer)
    }

    /// The user whose phone is `phone` (with or without `+`).
    pub fn by_phone(&mut self, phone: &str) -> Option<&CachedPeer> {
        let peer = *self.phones.get(phone.trim_start_matches('+'))?;
        self.entries.get(&peer)
    }

    /// Adds or updates the entry of `entry.peer` (a min constructor never replaces a full
    /// access hash). Returns the entry as stored if it changed, for whoever persists it.
    pub fn insert(&mut self, entry: CachedPeer) -> Option<CachedPeer> {
        let merged = match self.entries.get(&entry.peer) {
            Some(old) => {
                let merged = old.merged(entry);
                if &merged == old {
                    return None;
                }
                merged
            }
            None => entry,
        };
        if let Some(old) = self.entries.remove(&merged.peer) {
            self.forget(&old);
        }
        self.index(&merged);
        self.bytes += merged.cost();
        self.entries.insert(merged.peer, merged.clone());
        while self.entries.len() > self.capacity {
            match self.entries.remove_lru() {
                Some((_, evicted)) => self.forget(&evicted),
                None => break,
            }
        }
        Some(merged)
    }

    /// Adds what `users` and `chats` say; returns the entries that changed.
    pub fn observe(&mut self, users: &[enums::User], chats: &[enums::Chat]) -> Vec<CachedPeer> {
        let users = users.iter().filter_map(CachedPeer::from_user);
        let chats = chats.iter().filter_map(CachedPeer::from_chat);
        users.chain(chats).filter_map(|entry| self.insert(entry)).collect()
    }

    fn index(&mut self, entry: &CachedPeer) {
        if let Some(name) = &entry.username {
            if let Some(previous) = self.usernames.insert(username_key(name), entry.peer) {
                // The name moved to another peer: the old holder no longer has it.
                if previous != entry.peer {
                    if let Some(old) = self.entries.peek_mut(&previous) {
                        self.bytes -= old.cost();
                        old.username = None;
                        self.bytes += old.cost();
                    }
                }
            }
        }
        if let Some(phone) = &entry.phone {
            self.phones.insert(phone.clone(), entry.peer);
        }
    }

    /// Takes `entry` (removed from the table) out of the indexes and the byte count.
    fn forget(&mut self, entry: &CachedPeer) {
        self.bytes -= entry.cost();
        if let Some(name) = &entry.username {
            let key = username_key(name);
            if self.usernames.get(&key) == Some(&entry.peer) {
                self.usernames.remove(&key);
            }
        }
        if let Some(phone) = &entry.phone {
            if self.phones.get(phone) == Some(&entry.peer) {
                self.phones.remove(phone);
            }
        }
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
