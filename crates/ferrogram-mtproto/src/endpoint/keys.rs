//! The auth keys an endpoint has at hand, least recently used dropped first beyond a count.
//!
//! The application's store is where keys live; this is a bounded cache of them so that a
//! message costs no store read. A key dropped here is asked for again
//! ([`EndpointError::UnknownKey`](super::EndpointError::UnknownKey)).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use crate::authkey::AuthKey;
use crate::session::salts::ServerSalts;

struct Entry {
    key: AuthKey,
    salts: ServerSalts,
    tick: u64,
}

pub(super) struct KeyCache {
    max_keys: usize,
    secret: [u8; 32],
    entries: HashMap<i64, Entry>,
    by_use: BTreeMap<u64, i64>,
    next_tick: u64,
}

impl KeyCache {
    pub(super) fn new(max_keys: usize, secret: [u8; 32]) -> KeyCache {
        KeyCache { max_keys: max_keys.max(1), secret, entries: HashMap::new(), by_use: BTreeMap::new(), next_tick: 0 }
    }

    /// Adds `key`; `first_salt` (salt, until) is the key exchange's, accepted while young.
    pub(super) fn insert(&mut self, key: AuthKey, first_salt: Option<(i64, Duration)>) {
        let id = key.id();
        let mut salts = ServerSalts::new(self.secret, id);
        if let Some((salt, until)) = first_salt {
            salts = salts.with_first_salt(salt, until.as_secs());
        }
        self.remove(id);
        while self.entries.len() >= self.max_keys {
            let Some((_, &oldest)) = self.by_use.first_key_value() else { break };
            self.remove(oldest);
        }
        self.next_tick += 1;
        self.by_use.insert(self.next_tick, id);
        self.entries.insert(id, Entry { key, salts, tick: self.next_tick });
    }

    /// The key `id` and its salts, marked as used.
    pub(super) fn get(&mut self, id: i64) -> Option<(AuthKey, ServerSalts)> {
        let entry = self.entries.get_mut(&id)?;
        self.next_tick += 1;
        self.by_use.remove(&entry.tick);
        entry.tick = self.next_tick;
        self.by_use.insert(entry.tick, id);
        Some((entry.key.clone(), entry.salts.clone()))
    }

    pub(super) fn contains(&self, id: i64) -> bool {
        self.entries.contains_key(&id)
    }

    pub(super) fn remove(&mut self, id: i64) {
        if let Some(entry) = self.entries.remove(&id) {
            self.by_use.remove(&entry.tick);
        }
    }

    pub(super) fn ids(&self) -> Vec<i64> {
        self.entries.keys().copied().collect()
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}
