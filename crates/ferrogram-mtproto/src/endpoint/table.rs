//! The sessions an endpoint keeps, by (auth_key_id, session_id), bounded in number (in total and
//! per auth key) and in the bytes of their answer caches.
//!
//! Eviction is least recently used, never all-or-nothing: a new session beyond a cap evicts the
//! least recently used session of its own key when the key is at its cap (so one key that sends
//! 100,000 session ids only ever evicts its own), else the least recently used of all. Over the
//! answer-bytes budget, the caches of the least recently used sessions shrink first.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::ConnectionHandle;
use crate::session::server::ServerSession;

/// A session's identity: (auth_key_id, session_id).
pub type SessionKey = (i64, i64);

pub(super) struct Entry {
    pub(super) session: ServerSession,
    /// When it was last used, in the table's own order (higher is more recent).
    tick: u64,
    /// Unix time of its last message.
    last_seen: Duration,
    /// Unix time its activity was last reported as due for the application's records.
    reported_at: Duration,
    /// Its answer cache's bytes as last counted.
    answer_bytes: usize,
    /// The connection that last received a message of the session: where it sends.
    pub(super) owner: Option<ConnectionHandle>,
    /// Whether the session asked for updates (a call not wrapped in `invokeWithoutUpdates`).
    pub(super) subscribed: bool,
}

/// Caps of a [`SessionTable`].
#[derive(Debug, Clone, Copy)]
pub(super) struct TableLimits {
    pub(super) max_sessions: usize,
    pub(super) max_per_key: usize,
    pub(super) max_answer_bytes: usize,
    /// How often a session's activity is reported as due for recording.
    pub(super) report_interval: Duration,
}

/// What [`SessionTable::touch`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Touched {
    pub(super) created: bool,
    pub(super) report: bool,
}

pub(super) struct SessionTable {
    limits: TableLimits,
    entries: HashMap<SessionKey, Entry>,
    /// Every session by recency, least recent first.
    by_use: BTreeMap<u64, SessionKey>,
    /// Each key's sessions by recency.
    by_key: HashMap<i64, BTreeMap<u64, i64>>,
    /// Sessions with cached answers, by recency: what shrinks first when over budget.
    caching: BTreeMap<u64, SessionKey>,
    next_tick: u64,
    answer_bytes: usize,
}

impl SessionTable {
    pub(super) fn new(limits: TableLimits) -> SessionTable {
        let limits =
            TableLimits { max_sessions: limits.max_sessions.max(1), max_per_key: limits.max_per_key.max(1), ..limits };
        SessionTable {
            limits,
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            by_key: HashMap::new(),
            caching: BTreeMap::new(),
            next_tick: 0,
            answer_bytes: 0,
        }
    }

    /// Marks the session `key` as used at `now`, making it with `create` if the table has none
    /// (within the caps).
    pub(super) fn touch(&mut self, key: SessionKey, now: Duration, create: impl FnOnce() -> ServerSession) -> Touched {
        let tick = self.tick();
        if let Some(entry) = self.entries.get_mut(&key) {
            let old = std::mem::replace(&mut entry.tick, tick);
            entry.last_seen = now;
            let report = now.saturating_sub(entry.reported_at) >= self.limits.report_interval;
            if report {
                entry.reported_at = now;
            }
            let caching = entry.answer_bytes > 0;
            self.retick(key, old, tick, caching);
            return Touched { created: false, report };
        }
        if self.len_for_key(key.0) >= self.limits.max_per_key {
            let oldest_own = self.by_key.get(&key.0).and_then(|own| own.first_key_value()).map(|(_, &s)| s);
            if let Some(session_id) = oldest_own {
                self.remove((key.0, session_id));
            }
        }
        while self.entries.len() >= self.limits.max_sessions {
            let Some((_, &oldest)) = self.by_use.first_key_value() else { break };
            self.remove(oldest);
        }
        let entry = Entry {
            session: create(),
            tick,
            last_seen: now,
            reported_at: now,
            answer_bytes: 0,
            owner: None,
            subscribed: false,
        };
        self.entries.insert(key, entry);
        self.by_use.insert(tick, key);
        self.by_key.entry(key.0).or_default().insert(tick, key.1);
        Touched { created: true, report: true }
    }

    pub(super) fn get_mut(&mut self, key: SessionKey) -> Option<&mut Entry> {
        self.entries.get_mut(&key)
    }

    pub(super) fn get(&self, key: SessionKey) -> Option<&Entry> {
        self.entries.get(&key)
    }

    /// Recounts the answer cache of session `key`, then shrinks the caches of the least recently
    /// used sessions while the total is over budget.
    pub(super) fn count_answers(&mut self, key: SessionKey) {
        let Some(bytes) = self.entries.get(&key).map(|e| e.session.answer_cache_bytes()) else { return };
        self.set_answer_bytes(key, bytes);
        while self.answer_bytes > self.limits.max_answer_bytes {
            let Some((_, &oldest)) = self.caching.first_key_value() else { break };
            let excess = self.answer_bytes - self.limits.max_answer_bytes;
            let Some(entry) = self.entries.get_mut(&oldest) else { break };
            let left = entry.session.shrink_answer_cache(entry.answer_bytes.saturating_sub(excess));
            self.set_answer_bytes(oldest, left);
        }
    }

    /// The most recently used session of `auth_key_id` that asked for updates.
    pub(super) fn updates_session(&self, auth_key_id: i64) -> Option<SessionKey> {
        let own = self.by_key.get(&auth_key_id)?;
        own.values()
            .rev()
            .map(|&session_id| (auth_key_id, session_id))
            .find(|key| self.entries.get(key).is_some_and(|e| e.subscribed))
    }

    /// Drops the sessions with no message since `now - idle`; returns how many.
    pub(super) fn prune_idle(&mut self, now: Duration, idle: Duration) -> usize {
        let cutoff = now.saturating_sub(idle);
        let stale: Vec<SessionKey> =
            self.entries.iter().filter(|(_, e)| e.last_seen < cutoff).map(|(k, _)| *k).collect();
        for key in &stale {
            self.remove(*key);
        }
        stale.len()
    }

    /// Drops every session of `auth_key_id` (the key is gone); returns how many.
    pub(super) fn remove_key(&mut self, auth_key_id: i64) -> usize {
        let sessions: Vec<i64> =
            self.by_key.get(&auth_key_id).map(|own| own.values().copied().collect()).unwrap_or_default();
        for session_id in &sessions {
            self.remove((auth_key_id, *session_id));
        }
        sessions.len()
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn len_for_key(&self, auth_key_id: i64) -> usize {
        self.by_key.get(&auth_key_id).map_or(0, BTreeMap::len)
    }

    pub(super) fn answer_bytes(&self) -> usize {
        self.answer_bytes
    }

    fn tick(&mut self) -> u64 {
        self.next_tick += 1;
        self.next_tick
    }

    /// Moves `key` from recency `old` to `new` in the indexes.
    fn retick(&mut self, key: SessionKey, old: u64, new: u64, caching: bool) {
        self.by_use.remove(&old);
        self.by_use.insert(new, key);
        if let Some(own) = self.by_key.get_mut(&key.0) {
            own.remove(&old);
            own.insert(new, key.1);
        }
        if self.caching.remove(&old).is_some() || caching {
            self.caching.insert(new, key);
        }
    }

    fn set_answer_bytes(&mut self, key: SessionKey, bytes: usize) {
        let Some(entry) = self.entries.get_mut(&key) else { return };
        self.answer_bytes = self.answer_bytes - entry.answer_bytes + bytes;
        entry.answer_bytes = bytes;
        if bytes > 0 {
            self.caching.insert(entry.tick, key);
        } else {
            self.caching.remove(&entry.tick);
        }
    }

    fn remove(&mut self, key: SessionKey) {
        let Some(entry) = self.entries.remove(&key) else { return };
        self.by_use.remove(&entry.tick);
        self.caching.remove(&entry.tick);
        if let Some(own) = self.by_key.get_mut(&key.0) {
            own.remove(&entry.tick);
            if own.is_empty() {
                self.by_key.remove(&key.0);
            }
        }
        self.answer_bytes -= entry.answer_bytes;
    }
}
