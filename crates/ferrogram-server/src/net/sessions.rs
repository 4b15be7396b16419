//! The sessions the server keeps in memory, by (auth_key_id, session_id), bounded by
//! [`Budgets`]: in number (in total and per auth key) and in the bytes of their answer caches.
//!
//! Eviction is least recently used, never all-or-nothing: a new session beyond a cap evicts the
//! least recently used session of its own key when the key is at its cap (so one key that sends
//! 100,000 session ids only ever evicts its own), else the least recently used of all. Over the
//! answer-bytes budget, the caches of the least recently used sessions shrink first. Nothing is
//! lost that matters: an evicted session's client gets `new_session_created`, and its resent
//! requests are answered from their records ([`Store::once`](crate::Store::once)) when they
//! changed anything.
//!
//! Sessions outlive connections; the table also notes which connection sends for each session.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ferrogram_mtproto::session::server::{AnswerCacheLimits, ServerSession};
use tokio::sync::Notify;

use crate::budgets::Budgets;

/// A session's identity: (auth_key_id, session_id).
pub type SessionKey = (i64, i64);

/// A session as the table shares it with connections.
pub type SharedSession = Arc<Mutex<ServerSession>>;

struct Entry {
    session: SharedSession,
    /// When it was last used, in the table's own order (higher is more recent).
    tick: u64,
    /// Unix seconds of its last message.
    last_seen: i64,
    /// Unix seconds its `last_seen` was last written to the store.
    stored_at: i64,
    /// Its answer cache's bytes as last counted.
    answer_bytes: usize,
    /// The connection (id, and how to wake it) that last received a message of the session.
    owner: Option<(u64, Arc<Notify>)>,
}

/// What [`SessionTable::get_or_insert`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup {
    /// The session is new (the client gets `new_session_created`).
    pub created: bool,
    /// Its activity is due to be written to the store.
    pub touch_store: bool,
}

/// The in-memory sessions of a server (see the module docs).
pub struct SessionTable {
    max_sessions: usize,
    max_per_key: usize,
    max_answer_bytes: usize,
    touch_interval: i64,
    answer_cache: AnswerCacheLimits,
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

impl std::fmt::Debug for SessionTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionTable")
            .field("sessions", &self.entries.len())
            .field("answer_bytes", &self.answer_bytes)
            .finish_non_exhaustive()
    }
}

impl SessionTable {
    /// An empty table within `budgets`.
    pub fn new(budgets: &Budgets) -> SessionTable {
        SessionTable {
            max_sessions: budgets.max_sessions.max(1),
            max_per_key: budgets.max_sessions_per_key.max(1),
            max_answer_bytes: budgets.total_answer_bytes,
            touch_interval: budgets.session_touch_interval(),
            answer_cache: budgets.answer_cache(),
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            by_key: HashMap::new(),
            caching: BTreeMap::new(),
            next_tick: 0,
            answer_bytes: 0,
        }
    }

    /// The session `key`, marked as used at `now` (Unix seconds), made with `create` if the table
    /// has none (within the caps: see the module docs).
    pub fn get_or_insert(
        &mut self,
        key: SessionKey,
        now: i64,
        create: impl FnOnce() -> ServerSession,
    ) -> (SharedSession, Lookup) {
        let tick = self.tick();
        if let Some(entry) = self.entries.get_mut(&key) {
            let old = std::mem::replace(&mut entry.tick, tick);
            entry.last_seen = now;
            let touch_store = now - entry.stored_at >= self.touch_interval;
            if touch_store {
                entry.stored_at = now;
            }
            let (session, caching) = (entry.session.clone(), entry.answer_bytes > 0);
            self.retick(key, old, tick, caching);
            return (session, Lookup { created: false, touch_store });
        }
        if self.by_key.get(&key.0).is_some_and(|own| own.len() >= self.max_per_key) {
            let oldest_own = self.by_key.get(&key.0).and_then(|own| own.first_key_value()).map(|(_, &s)| s);
            if let Some(session_id) = oldest_own {
                self.remove((key.0, session_id));
            }
        }
        while self.entries.len() >= self.max_sessions {
            let Some((_, &oldest)) = self.by_use.first_key_value() else { break };
            self.remove(oldest);
        }
        let session = Arc::new(Mutex::new(create().with_answer_cache(self.answer_cache)));
        let entry =
            Entry { session: session.clone(), tick, last_seen: now, stored_at: now, answer_bytes: 0, owner: None };
        self.entries.insert(key, entry);
        self.by_use.insert(tick, key);
        self.by_key.entry(key.0).or_default().insert(tick, key.1);
        (session, Lookup { created: true, touch_store: true })
    }

    /// Recounts the answer cache of `session` (the table's entry for `key`, just answered on),
    /// then shrinks the caches of the least recently used sessions while the total is over
    /// budget.
    pub fn count_answers(&mut self, key: SessionKey, session: &SharedSession) {
        if !self.entries.get(&key).is_some_and(|e| Arc::ptr_eq(&e.session, session)) {
            // Evicted meanwhile: its cache no longer counts, and went with it.
            return;
        }
        let bytes = lock(session).answer_cache_bytes();
        self.set_answer_bytes(key, bytes);
        while self.answer_bytes > self.max_answer_bytes {
            let Some((_, &oldest)) = self.caching.first_key_value() else { break };
            let Some(entry) = self.entries.get(&oldest) else { break };
            let excess = self.answer_bytes - self.max_answer_bytes;
            let left = lock(&entry.session).shrink_answer_cache(entry.answer_bytes.saturating_sub(excess));
            self.set_answer_bytes(oldest, left);
        }
    }

    /// Drops the sessions with no message since `now - idle` (Unix seconds); returns how many.
    pub fn prune_idle(&mut self, now: i64, idle: i64) -> usize {
        let stale: Vec<SessionKey> =
            self.entries.iter().filter(|(_, e)| e.last_seen < now.saturating_sub(idle)).map(|(k, _)| *k).collect();
        for key in &stale {
            self.remove(*key);
        }
        stale.len()
    }

    /// Sessions in the table.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sessions of one auth key in the table.
    pub fn len_for_key(&self, auth_key_id: i64) -> usize {
        self.by_key.get(&auth_key_id).map_or(0, BTreeMap::len)
    }

    /// Whether the session `key` is in the table.
    pub fn contains(&self, key: SessionKey) -> bool {
        self.entries.contains_key(&key)
    }

    /// Bytes of all sessions' answer caches, as last counted.
    pub fn answer_bytes(&self) -> usize {
        self.answer_bytes
    }

    /// Makes connection `id` (woken by `wake`) the one session `key` sends on.
    pub(crate) fn claim(&mut self, key: SessionKey, id: u64, wake: &Arc<Notify>) {
        if let Some(entry) = self.entries.get_mut(&key) {
            entry.owner = Some((id, wake.clone()));
        }
    }

    /// Whether connection `id` sends for session `key`; if another connection does, it is woken
    /// to send what the session has. An evicted session is sent by whoever still holds it.
    pub(crate) fn owns_or_wake(&self, key: SessionKey, id: u64) -> bool {
        match self.entries.get(&key).and_then(|e| e.owner.as_ref()) {
            Some((owner, wake)) if *owner != id => {
                wake.notify_one();
                false
            }
            _ => true,
        }
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
        // A connection may still hold the session (and send what it has); its cache is of no
        // more use, so its memory goes now rather than with the connection.
        lock(&entry.session).shrink_answer_cache(0);
    }
}

fn lock(session: &Mutex<ServerSession>) -> std::sync::MutexGuard<'_, ServerSession> {
    session.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
