//! Dropping what the store no longer needs, so that abandoned keys, sessions, codes and answers
//! do not pile up: [`Store::prune`] is a plain function of `now`, run by the server at start and
//! periodically, and by tests with any clock.

use rusqlite::params;

use super::{Context, Store, StoreError};

/// How long the store keeps each kind of leftover, in seconds (see [`Store::prune`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// Recorded answers ([`Store::once`]) are dropped once their msg_id is this much older than
    /// `now`. A msg_id more than 300 s old is refused by the session layer anyway, so any value
    /// above that (plus the clock skew to tolerate) never lets a replay run twice.
    pub answers: i64,
    /// A session with no activity recorded for this long is dropped.
    pub session_idle: i64,
    /// Most sessions kept per auth key (the most recently active ones).
    pub sessions_per_key: usize,
    /// An auth key that is not signed in, is older than this and has no session left (never
    /// used, or idle past [`Self::session_idle`]) is dropped. Signed-in keys are kept; a
    /// temporary key goes when its `expires_in` has passed, signed in or not.
    pub unused_key: i64,
    /// A login code is dropped this long after it expired (until then `ferrogram codes` still
    /// lists it).
    pub expired_codes: i64,
    /// An exported authorization is dropped this long after it was made.
    pub exported_auths: i64,
    /// A QR-login token is dropped this long after it expired (until then accepting it answers
    /// `AUTH_TOKEN_EXPIRED` rather than `AUTH_TOKEN_INVALID`).
    pub expired_login_tokens: i64,
}

/// How many rows [`Store::prune`] dropped, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// Recorded answers.
    pub answers: usize,
    /// Sessions (idle, or beyond the per-key cap).
    pub sessions: usize,
    /// Auth keys.
    pub auth_keys: usize,
    /// Login codes.
    pub codes: usize,
    /// Flood counters whose window ended.
    pub flood_counters: usize,
    /// Exported authorizations.
    pub exported_auths: usize,
    /// Expired QR-login tokens.
    pub login_tokens: usize,
}

impl Pruned {
    /// Whether anything was dropped.
    pub fn is_empty(&self) -> bool {
        *self == Pruned::default()
    }
}

impl Store {
    /// Drops, in one transaction, what is no longer needed at `now` (Unix seconds) under
    /// `retention`: old recorded answers, idle sessions (and the oldest beyond the per-key cap),
    /// auth keys that are not signed in and have nothing left using them, expired temporary
    /// keys, long-expired login codes, ended flood windows, old exported authorizations and expired
    /// QR-login tokens.
    pub fn prune(&self, now: i64, retention: &Retention) -> Result<Pruned, StoreError> {
        let per_key = i64::try_from(retention.sessions_per_key).unwrap_or(i64::MAX);
        self.write("prune", |tx| {
            let mut pruned = Pruned {
                answers: tx
                    .execute("DELETE FROM answers WHERE msg_time < ?1", [now.saturating_sub(retention.answers)])
                    .during("prune answers")?,
                ..Pruned::default()
            };
            // Before the keys: a token counts here, not as a row its key's removal took along.
            pruned.login_tokens = super::login_tokens::prune_login_tokens(tx, now, retention.expired_login_tokens)?;
            pruned.sessions = tx
                .execute("DELETE FROM sessions WHERE last_seen < ?1", [now.saturating_sub(retention.session_idle)])
                .during("prune idle sessions")?;
            pruned.sessions += tx
                .execute(
                    "DELETE FROM sessions WHERE rowid IN (
                       SELECT rowid FROM (
                         SELECT rowid, ROW_NUMBER() OVER (
                           PARTITION BY auth_key_id ORDER BY last_seen DESC, created DESC) AS newest
                         FROM sessions)
                       WHERE newest > ?1)",
                    [per_key],
                )
                .during("prune sessions beyond the per-key cap")?;
            // Sessions go with their key (ON DELETE CASCADE); a key bound to a user stays.
            pruned.auth_keys = tx
                .execute(
                    "DELETE FROM auth_keys WHERE (expires IS NOT NULL AND expires <= ?1)
                       OR (user_id IS NULL AND created < ?2
                           AND NOT EXISTS (SELECT 1 FROM sessions WHERE sessions.auth_key_id = auth_keys.id))",
                    params![now, now.saturating_sub(retention.unused_key)],
                )
                .during("prune auth keys")?;
            pruned.answers += tx
                .execute("DELETE FROM answers WHERE auth_key_id NOT IN (SELECT id FROM auth_keys)", [])
                .during("prune answers of dropped keys")?;
            pruned.codes = tx
                .execute("DELETE FROM login_codes WHERE expires < ?1", [now.saturating_sub(retention.expired_codes)])
                .during("prune login codes")?;
            pruned.flood_counters = tx
                .execute("DELETE FROM flood_counters WHERE window_end <= ?1", [now])
                .during("prune flood counters")?;
            pruned.exported_auths = tx
                .execute(
                    "DELETE FROM exported_auths WHERE created < ?1",
                    [now.saturating_sub(retention.exported_auths)],
                )
                .during("prune exported authorizations")?;
            Ok(pruned)
        })
    }

    /// How many auth keys the store has (for tests and diagnostics).
    pub fn auth_key_count(&self) -> Result<u64, StoreError> {
        self.lock().query_row("SELECT COUNT(*) FROM auth_keys", [], |r| r.get(0)).during("count auth keys")
    }

    /// How many login codes the store has, in any state (for tests and diagnostics).
    pub fn code_count(&self) -> Result<u64, StoreError> {
        self.lock().query_row("SELECT COUNT(*) FROM login_codes", [], |r| r.get(0)).during("count login codes")
    }
}
