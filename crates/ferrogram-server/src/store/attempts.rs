//! Attempt limits (wrong login codes, wrong 2FA passwords), checked and counted in one
//! transaction. Reading the count, evaluating the attempt and counting it in separate steps lets
//! concurrent attempts all pass the check before any of them is counted; here the check and the
//! count are one write, so however many attempts arrive at once, at most the limit are evaluated.

use rusqlite::{params, OptionalExtension};

use super::{code_row, Context, LoginCode, Store, StoreError, CODE_COLUMNS};

/// What [`Store::try_code`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeAttempt {
    /// The code cannot be tried (any more): unknown, used, superseded, cancelled, expired, or out
    /// of attempts. Nothing was evaluated or counted.
    Unusable,
    /// The entered code is right. Nothing was counted.
    Right,
    /// The entered code is wrong and was counted: `attempts` wrong ones so far, this one
    /// included. The attempt that reaches the limit invalidates the code.
    Wrong {
        /// Wrong attempts on this code so far.
        attempts: i32,
    },
}

/// What [`Store::reserve_attempt`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptSlot {
    /// The attempt is counted: it is number `count` of the window that ends at `window_end`.
    Granted {
        /// Attempts in the current window, this one included.
        count: i64,
        /// When the window ends (Unix seconds).
        window_end: i64,
    },
    /// The window's attempts are used up: nothing may be evaluated before `window_end`.
    Exhausted {
        /// When the window ends (Unix seconds).
        window_end: i64,
    },
}

impl Store {
    /// Tries an entered login code against the active code `phone_code_hash`, in one
    /// transaction: the code must be active, unexpired at `now` and below `limit` wrong attempts;
    /// `is_right` then compares (it runs inside the transaction, so it must be quick), and a wrong
    /// code is counted before the transaction ends.
    pub fn try_code(
        &self,
        phone_code_hash: &str,
        now: i64,
        limit: i32,
        is_right: impl FnOnce(&LoginCode) -> bool,
    ) -> Result<CodeAttempt, StoreError> {
        self.transaction("try login code", |tx| {
            let record = tx
                .query_row(
                    &format!(
                        "SELECT {CODE_COLUMNS} FROM login_codes
                         WHERE phone_code_hash = ?1 AND state = 'active' AND expires > ?2 AND attempts < ?3"
                    ),
                    params![phone_code_hash, now, limit],
                    code_row,
                )
                .optional()
                .during("read login code")?
                .transpose()?;
            let Some(record) = record else { return Ok(CodeAttempt::Unusable) };
            if is_right(&record) {
                return Ok(CodeAttempt::Right);
            }
            // Only a wrong code writes, so only it meets an injected fault.
            self.take_injected_fault()?;
            let attempts = tx
                .query_row(
                    "UPDATE login_codes SET attempts = attempts + 1,
                       state = CASE WHEN attempts + 1 >= ?2 THEN 'invalidated' ELSE state END
                     WHERE phone_code_hash = ?1 RETURNING attempts",
                    params![phone_code_hash, limit],
                    |r| r.get(0),
                )
                .during("count wrong code")?;
            Ok(CodeAttempt::Wrong { attempts })
        })
    }

    /// Takes one of the `limit` attempts allowed under `key` per window of `window` seconds (a
    /// window starts with the first attempt after the previous one ended), in one statement:
    /// either the attempt is counted or none is left. An attempt that turns out right may be
    /// handed back with [`Store::release_attempt`].
    pub fn reserve_attempt(&self, key: &str, window: i64, now: i64, limit: i64) -> Result<AttemptSlot, StoreError> {
        if limit < 1 {
            return Ok(AttemptSlot::Exhausted { window_end: now + window });
        }
        self.write("reserve attempt", |tx| {
            let granted: Option<(i64, i64)> = tx
                .query_row(
                    "INSERT INTO flood_counters (counter_key, window_end, count) VALUES (?1, ?2 + ?3, 1)
                     ON CONFLICT(counter_key) DO UPDATE SET
                       count = CASE WHEN window_end <= ?2 THEN 1 ELSE count + 1 END,
                       window_end = CASE WHEN window_end <= ?2 THEN ?2 + ?3 ELSE window_end END
                     WHERE window_end <= ?2 OR count < ?4
                     RETURNING count, window_end",
                    params![key, now, window, limit],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .during("reserve attempt")?;
            if let Some((count, window_end)) = granted {
                return Ok(AttemptSlot::Granted { count, window_end });
            }
            let window_end = tx
                .query_row("SELECT window_end FROM flood_counters WHERE counter_key = ?1", [key], |r| r.get(0))
                .during("read attempt window")?;
            Ok(AttemptSlot::Exhausted { window_end })
        })
    }

    /// Hands back an attempt taken with [`Store::reserve_attempt`] (it was right, so it does not
    /// count against the limit), if its window is still running at `now`.
    pub fn release_attempt(&self, key: &str, now: i64) -> Result<(), StoreError> {
        self.write("release attempt", |tx| {
            tx.execute(
                "UPDATE flood_counters SET count = count - 1 WHERE counter_key = ?1 AND window_end > ?2 AND count > 0",
                params![key, now],
            )
            .during("release attempt")?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{CodeKind, CodeState};

    fn code(hash: &str, expires: i64) -> LoginCode {
        LoginCode {
            phone_code_hash: hash.into(),
            phone: "1555".into(),
            phone_as_sent: "+1555".into(),
            code: "12345".into(),
            kind: CodeKind::Sms,
            dc: 2,
            created: 1,
            expires,
            attempts: 0,
            state: CodeState::Active,
            verified: false,
        }
    }

    #[test]
    fn wrong_codes_count_up_to_the_limit_then_nothing_is_evaluated() {
        let store = Store::open_in_memory().unwrap();
        store.insert_code(&code("a", 100)).unwrap();
        let wrong = |c: &LoginCode| c.code == "nope";
        assert_eq!(store.try_code("a", 10, 2, wrong).unwrap(), CodeAttempt::Wrong { attempts: 1 });
        assert_eq!(store.try_code("a", 10, 2, |c| c.code == "12345").unwrap(), CodeAttempt::Right);
        assert_eq!(store.try_code("a", 10, 2, wrong).unwrap(), CodeAttempt::Wrong { attempts: 2 });
        assert_eq!(store.code("a").unwrap().unwrap().state, CodeState::Invalidated);
        let mut evaluated = false;
        let right = |_: &LoginCode| {
            evaluated = true;
            true
        };
        assert_eq!(store.try_code("a", 10, 2, right).unwrap(), CodeAttempt::Unusable);
        assert!(!evaluated, "an exhausted code is not compared");
    }

    #[test]
    fn expired_and_unknown_codes_are_unusable() {
        let store = Store::open_in_memory().unwrap();
        store.insert_code(&code("a", 100)).unwrap();
        assert_eq!(store.try_code("a", 100, 5, |_| true).unwrap(), CodeAttempt::Unusable);
        assert_eq!(store.try_code("b", 10, 5, |_| true).unwrap(), CodeAttempt::Unusable);
    }

    #[test]
    fn attempts_are_granted_up_to_the_limit_per_window_and_can_be_handed_back() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.reserve_attempt("k", 60, 100, 2).unwrap(), AttemptSlot::Granted { count: 1, window_end: 160 });
        assert_eq!(store.reserve_attempt("k", 60, 101, 2).unwrap(), AttemptSlot::Granted { count: 2, window_end: 160 });
        assert_eq!(store.reserve_attempt("k", 60, 102, 2).unwrap(), AttemptSlot::Exhausted { window_end: 160 });
        store.release_attempt("k", 103).unwrap();
        assert_eq!(store.reserve_attempt("k", 60, 104, 2).unwrap(), AttemptSlot::Granted { count: 2, window_end: 160 });
        // A new window starts afresh.
        assert_eq!(store.reserve_attempt("k", 60, 160, 2).unwrap(), AttemptSlot::Granted { count: 1, window_end: 220 });
    }
}
