//! How much the server keeps, in memory and on disk, whatever clients send: the bounds that keep
//! a hostile client (many sessions, many calls, abandoned keys) from growing the server without
//! limit. The defaults are safe for a local server; tests shrink them to reach the limits fast.

use std::time::Duration;

use ferrogram_mtproto::endpoint::EndpointConfig;
use ferrogram_mtproto::session::server::{AnswerCacheLimits, MAX_FUTURE, MAX_PAST};

/// The shortest [`Budgets::answer_retention`] honoured: a recorded answer must outlive every
/// msg_id the session layer still accepts (up to [`MAX_PAST`] seconds old, [`MAX_FUTURE`] ahead),
/// or a replay could run again once its record is gone.
pub const MIN_ANSWER_RETENTION: i64 = MAX_PAST + MAX_FUTURE;

/// Limits on what the server keeps (see each field), passed in
/// [`ServerOptions::budgets`](crate::net::ServerOptions::budgets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budgets {
    /// Most sessions kept in memory over all auth keys (default 100,000). A new session beyond
    /// it evicts the least recently used one; a client whose session was evicted gets
    /// `new_session_created` and carries on, and a request it resends whose answer was recorded
    /// ([`Store::once`](crate::Store::once)) is answered from the record, not run again.
    pub max_sessions: usize,
    /// Most sessions kept per auth key, in memory and in the store (default 64): one key that
    /// opens session after session evicts its own least recently used ones, never other keys'.
    pub max_sessions_per_key: usize,
    /// Most answers one session caches for resent requests (default 1024).
    pub session_answers: usize,
    /// Most bytes of answers one session caches (default 1 MiB).
    pub session_answer_bytes: usize,
    /// Most bytes of answers cached over all sessions (default 64 MiB). Past it, the answers of
    /// the least recently used sessions are dropped, oldest first. A resent request whose answer
    /// was dropped is answered from its record if it changed anything, or run again if it only
    /// read (harmless).
    pub total_answer_bytes: usize,
    /// How long recorded answers of requests that changed the store are kept, in seconds after
    /// their msg_id's time (default 900; at least [`MIN_ANSWER_RETENTION`]). Until then the same
    /// request, replayed even after a restart, is answered from the record.
    pub answer_retention: i64,
    /// A session with no message for this long (seconds) is dropped from memory and from the
    /// store (default 86,400: a day).
    pub session_idle: i64,
    /// An auth key that is not signed in and has no session left is deleted once it is this old
    /// (seconds; default 3,600): abandoned key exchanges, and keys idle past
    /// [`Self::session_idle`]. Signed-in keys are kept; temporary keys go when they expire.
    pub unused_key_lifetime: i64,
    /// Expired login codes are deleted this long after they expired (seconds; default 86,400),
    /// so `ferrogram codes` still lists recent ones.
    pub expired_code_retention: i64,
    /// How often the server prunes what the limits above let go (default a minute; it also
    /// prunes once at start).
    pub prune_interval: Duration,
    /// Most bytes of updates queued for one session whose client does not read them (default
    /// 1 MiB). Past it they are replaced by one `updatesTooLong`, and the client fetches what it
    /// missed with `updates.getDifference`.
    pub session_update_bytes: usize,
    /// Most auth keys kept in memory (default 100,000); others are read from the store again.
    pub cached_auth_keys: usize,
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            max_sessions: 100_000,
            max_sessions_per_key: 64,
            session_answers: 1024,
            session_answer_bytes: 1024 * 1024,
            total_answer_bytes: 64 * 1024 * 1024,
            answer_retention: 900,
            session_idle: 86_400,
            unused_key_lifetime: 3_600,
            expired_code_retention: 86_400,
            prune_interval: Duration::from_secs(60),
            session_update_bytes: 1024 * 1024,
            cached_auth_keys: 100_000,
        }
    }
}

impl Budgets {
    /// The answer cache bounds of each session. A resent request whose answer was dropped is
    /// handed out again: the server answers it from its record (or runs a read again).
    pub fn answer_cache(&self) -> AnswerCacheLimits {
        AnswerCacheLimits {
            max_answers: self.session_answers,
            max_bytes: self.session_answer_bytes.min(self.total_answer_bytes),
            rerun_dropped: true,
        }
    }

    /// The session layer's bounds under these budgets.
    pub fn endpoint_config(&self) -> EndpointConfig {
        EndpointConfig {
            max_sessions: self.max_sessions,
            max_sessions_per_key: self.max_sessions_per_key,
            total_answer_bytes: self.total_answer_bytes,
            answer_cache: self.answer_cache(),
            max_keys: self.cached_auth_keys,
            max_queued_update_bytes: self.session_update_bytes,
            activity_report_interval: Duration::from_secs(self.session_touch_interval().max(1) as u64),
            ..EndpointConfig::default()
        }
    }

    /// [`Self::answer_retention`], raised to [`MIN_ANSWER_RETENTION`] if set lower.
    pub fn effective_answer_retention(&self) -> i64 {
        self.answer_retention.max(MIN_ANSWER_RETENTION)
    }

    /// How often an active session's `last_seen` is written to the store: often enough that
    /// pruning by [`Self::session_idle`] never drops a session in use.
    pub(crate) fn session_touch_interval(&self) -> i64 {
        (self.session_idle / 4).clamp(1, 600)
    }
}
