//! Exactly once across restarts: the answers of requests that changed the store, recorded in the
//! same transaction as the change.
//!
//! A session's in-memory cache answers a request the client resends under the same msg_id, but a
//! restart (or a crash, or a session evicted from memory) empties it, and the same encrypted
//! packet replayed within the msg_id window (<https://core.telegram.org/mtproto/security_guidelines>:
//! 300 s in the past, 30 s in the future) would run again. [`Store::once`] closes that gap: it
//! runs a request inside one write transaction that first looks the request up by
//! (auth_key_id, session_id, msg_id); a recorded request is answered from its record and runs
//! no handler, and a request that wrote anything commits its answer together with its writes.
//! Either both are on disk or neither is, so a request's effects happen once and its answer
//! survives with them. Requests that wrote nothing (reads) are not recorded: running one again
//! is harmless.
//!
//! Records are only needed while their msg_id can still be accepted, so [`Store::prune`] drops
//! them after a bounded time (see [`Retention::answers`](super::Retention::answers)).

use ferrogram_mtproto::session::msg_id::msg_id_seconds;
use rusqlite::{params, Connection, OptionalExtension};

use super::conn::{Guard, Held};
use super::{Context, Store, StoreError};
use crate::context::RpcError;

/// Which request an answer belongs to: a client's msg_ids are unique within one session of one
/// auth key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestKey {
    /// The auth key the request was encrypted with.
    pub auth_key_id: i64,
    /// The client's session id.
    pub session_id: i64,
    /// The request's msg_id.
    pub msg_id: i64,
}

/// What [`Store::once`] did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Once {
    /// The request was answered before; this is that answer, and nothing ran now.
    Recorded(Result<Vec<u8>, RpcError>),
    /// The request ran now.
    Ran {
        /// Its answer.
        answer: Result<Vec<u8>, RpcError>,
        /// Whether it changed the store, and so its answer was recorded with the change.
        recorded: bool,
    },
}

impl Once {
    /// The answer, however it was obtained.
    pub fn answer(self) -> Result<Vec<u8>, RpcError> {
        match self {
            Once::Recorded(answer) | Once::Ran { answer, .. } => answer,
        }
    }
}

impl Store {
    /// Runs `run` (a request's handler) at most once per `request`, in one write transaction:
    /// a request recorded earlier gets its recorded answer and `run` is not called; otherwise
    /// `run` is called, and if it changed the store, its answer is recorded and committed with
    /// those changes. The store methods `run` calls on this thread join the transaction; other
    /// threads wait for it, so requests run through here one at a time.
    ///
    /// An error (the transaction could not begin, record or commit) means nothing of the request
    /// was kept; a panic in `run` rolls everything back too.
    pub fn once(
        &self,
        request: RequestKey,
        run: impl FnOnce() -> Result<Vec<u8>, RpcError>,
    ) -> Result<Once, StoreError> {
        let held = self.conn.hold()?;
        if let Some(answer) = read(&held.conn(), request)? {
            // Dropping `held` ends the transaction; it wrote nothing.
            return Ok(Once::Recorded(answer));
        }
        let before = held.conn().total_changes();
        let answer = run();
        let wrote = held.conn().total_changes() != before;
        if wrote {
            insert(&held.conn(), request, &answer)?;
        }
        held.commit()?;
        Ok(Once::Ran { answer, recorded: wrote })
    }

    /// Opens one write transaction for many requests (group commit): each request run through
    /// [`Batch::once`] is answered from its record or run with its answer recorded beside its
    /// changes exactly as [`Store::once`] does, but nothing is durable (and so no answer may be
    /// sent) until [`Batch::commit`] has returned. Dropping the batch rolls every request of it
    /// back.
    ///
    /// A `guarded` batch runs each request in its own savepoint, so that one that fails to
    /// record or panics is rolled back alone. An unguarded one takes no savepoints at all (they
    /// cost a copy of every page a request touches first, a fifth of a `sendMessage`): a request
    /// whose writes fail part-way, that fails to record or that panics [poisons](Batch::poisoned)
    /// it instead, and the caller rolls the whole batch back and runs it again guarded.
    pub fn batch(&self, guarded: bool) -> Result<Batch<'_>, StoreError> {
        let guard = if guarded { Guard::Savepoints } else { Guard::Unguarded { poisoned: false } };
        Ok(Batch { held: self.conn.hold_with(guard)?, guarded })
    }

    /// The recorded answer of `request`, if it has one.
    pub fn recorded_answer(&self, request: RequestKey) -> Result<Option<Result<Vec<u8>, RpcError>>, StoreError> {
        read(&self.lock(), request)
    }

    /// How many answers are recorded.
    pub fn recorded_answers(&self) -> Result<u64, StoreError> {
        self.lock().query_row("SELECT COUNT(*) FROM answers", [], |r| r.get(0)).during("count recorded answers")
    }
}

/// Requests run in one transaction, each in its own savepoint or none (see [`Store::batch`]).
/// Like a held transaction it stays on the thread that opened it.
pub struct Batch<'a> {
    held: Held<'a>,
    guarded: bool,
}

impl Batch<'_> {
    /// [`Store::once`] for one request of the batch: a recorded request (earlier, or earlier in
    /// this batch) gets its answer without running; otherwise `run` runs and, if it changed the
    /// store, its answer is recorded with its changes. In a guarded batch an error or a panic
    /// rolls back this request's savepoint only and the batch goes on; in an unguarded one it
    /// [poisons](Batch::poisoned) the batch (a panic is caught and answered `500 INTERNAL`).
    pub fn once(
        &mut self,
        request: RequestKey,
        run: impl FnOnce() -> Result<Vec<u8>, RpcError>,
    ) -> Result<Once, StoreError> {
        if !self.guarded {
            return self.once_unguarded(request, run);
        }
        let savepoint = CallSavepoint::begin(&self.held)?;
        // Bound first: the lent connection must be back on the thread before `release` lends
        // it again (a temporary of the `if let` would live through its block).
        let recorded = read(&self.held.conn(), request)?;
        if let Some(answer) = recorded {
            savepoint.release()?;
            return Ok(Once::Recorded(answer));
        }
        let before = self.held.conn().total_changes();
        let answer = run();
        let wrote = self.held.conn().total_changes() != before;
        if wrote {
            insert(&self.held.conn(), request, &answer)?;
        }
        savepoint.release()?;
        Ok(Once::Ran { answer, recorded: wrote })
    }

    fn once_unguarded(
        &mut self,
        request: RequestKey,
        run: impl FnOnce() -> Result<Vec<u8>, RpcError>,
    ) -> Result<Once, StoreError> {
        let recorded = read(&self.held.conn(), request)?;
        if let Some(answer) = recorded {
            return Ok(Once::Recorded(answer));
        }
        let before = self.held.conn().total_changes();
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|_| {
            // What the handler wrote before it panicked cannot be told apart from the rest.
            self.held.poison();
            Err(RpcError::new(500, "INTERNAL"))
        });
        let wrote = self.held.conn().total_changes() != before;
        if wrote {
            if let Err(error) = insert(&self.held.conn(), request, &answer) {
                self.held.poison();
                return Err(error);
            }
        }
        Ok(Once::Ran { answer, recorded: wrote })
    }

    /// Whether a request of this unguarded batch failed part-way (see [`Store::batch`]): what
    /// the batch holds must not be committed; drop it and run its requests again, guarded.
    pub fn poisoned(&self) -> bool {
        self.held.poisoned()
    }

    /// Commits every request of the batch at once: one write of the WAL for all of them. A
    /// poisoned batch is refused ([`StoreError::Poisoned`]) and rolled back.
    pub fn commit(self) -> Result<(), StoreError> {
        if self.poisoned() {
            return Err(StoreError::Poisoned);
        }
        self.held.commit()
    }
}

/// One request's savepoint in a batch, rolled back unless released (an error, a panic).
struct CallSavepoint<'h, 'a> {
    held: &'h Held<'a>,
    released: bool,
}

impl<'h, 'a> CallSavepoint<'h, 'a> {
    fn begin(held: &'h Held<'a>) -> Result<Self, StoreError> {
        held.conn()
            .prepare_cached("SAVEPOINT call")
            .and_then(|mut s| s.execute([]))
            .during("begin a call's savepoint")?;
        Ok(CallSavepoint { held, released: false })
    }

    fn release(mut self) -> Result<(), StoreError> {
        self.held
            .conn()
            .prepare_cached("RELEASE call")
            .and_then(|mut s| s.execute([]))
            .during("release a call's savepoint")?;
        self.released = true;
        Ok(())
    }
}

impl Drop for CallSavepoint<'_, '_> {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // Undo this request's writes and leave the savepoint; the batch's transaction stays.
        if let Err(error) = self.held.conn().execute_batch("ROLLBACK TO call; RELEASE call") {
            tracing::warn!(%error, "cannot roll back a call's savepoint");
        }
    }
}

/// An answer as a row has it: the result bytes, or the error's code and message.
type AnswerRow = (Option<Vec<u8>>, Option<i32>, Option<String>);

fn read(conn: &Connection, request: RequestKey) -> Result<Option<Result<Vec<u8>, RpcError>>, StoreError> {
    // Cached: every call reads it (parsing it each time was a visible share of a call's CPU).
    let row: Option<AnswerRow> = conn
        .prepare_cached(
            "SELECT result, error_code, error_message FROM answers
             WHERE msg_time = ?4 AND auth_key_id = ?1 AND session_id = ?2 AND msg_id = ?3",
        )
        .and_then(|mut statement| {
            statement
                .query_row(
                    params![request.auth_key_id, request.session_id, request.msg_id, msg_id_seconds(request.msg_id)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()
        })
        .during("read recorded answer")?;
    Ok(row.map(|(result, code, message)| match (result, code, message) {
        (Some(bytes), _, _) => Ok(bytes),
        (None, code, message) => Err(RpcError::new(code.unwrap_or(500), message.unwrap_or_else(|| "INTERNAL".into()))),
    }))
}

fn insert(conn: &Connection, request: RequestKey, answer: &Result<Vec<u8>, RpcError>) -> Result<(), StoreError> {
    let (result, code, message) = match answer {
        Ok(bytes) => (Some(bytes.as_slice()), None, None),
        Err(failure) => (None, Some(failure.code), Some(failure.message())),
    };
    conn.prepare_cached(
        "INSERT OR REPLACE INTO answers (auth_key_id, session_id, msg_id, msg_time, result, error_code, error_message)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut statement| {
        statement.execute(params![
            request.auth_key_id,
            request.session_id,
            request.msg_id,
            msg_id_seconds(request.msg_id),
            result,
            code,
            message
        ])
    })
    .during("record answer")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(msg_id: i64) -> RequestKey {
        RequestKey { auth_key_id: 1, session_id: 2, msg_id }
    }

    #[test]
    fn a_request_that_wrote_is_answered_from_its_record_and_not_run_again() {
        let store = Store::open_in_memory().unwrap();
        let mut runs = 0;
        let mut run = || {
            runs += 1;
            store.bump_flood("k", 60, 1).map(|_| b"done".to_vec()).map_err(|_| RpcError::new(500, "X"))
        };
        assert_eq!(
            store.once(request(4), &mut run).unwrap(),
            Once::Ran { answer: Ok(b"done".to_vec()), recorded: true }
        );
        assert_eq!(store.once(request(4), &mut run).unwrap(), Once::Recorded(Ok(b"done".to_vec())));
        assert_eq!(runs, 1);
        assert_eq!(store.flood_window("k", 1).unwrap(), Some((1, 61)), "the write happened once");
    }

    #[test]
    fn reads_and_failures_are_recorded_only_if_they_wrote() {
        let store = Store::open_in_memory().unwrap();
        let read = || Ok(store.flood_window("k", 1).map(|_| vec![1]).unwrap_or_default());
        assert_eq!(store.once(request(4), read).unwrap(), Once::Ran { answer: Ok(vec![1]), recorded: false });
        assert_eq!(store.recorded_answer(request(4)).unwrap(), None);
        let counted_then_refused = || {
            let _ = store.bump_flood("k", 60, 1);
            Err(RpcError::new(400, "PHONE_CODE_INVALID"))
        };
        store.once(request(8), counted_then_refused).unwrap();
        assert_eq!(store.recorded_answer(request(8)).unwrap(), Some(Err(RpcError::new(400, "PHONE_CODE_INVALID"))));
    }

    #[test]
    fn a_panicking_request_keeps_nothing() {
        let store = Store::open_in_memory().unwrap();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.once(request(4), || {
                let _ = store.bump_flood("k", 60, 1);
                panic!("handler bug");
            })
        }));
        assert!(result.is_err());
        assert_eq!(store.flood_window("k", 1).unwrap(), None, "the write was rolled back");
        assert_eq!(store.recorded_answer(request(4)).unwrap(), None);
    }

    fn bump(store: &Store, key: &str) -> Result<Vec<u8>, RpcError> {
        store.bump_flood(key, 60, 1).map(|(n, _)| vec![n as u8]).map_err(|_| RpcError::new(500, "X"))
    }

    #[test]
    fn a_batch_answers_a_repeat_from_its_record_and_rolls_back_only_a_panicking_call() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open_dir(dir.path()).unwrap();
            let mut batch = store.batch(true).unwrap();
            assert_eq!(
                batch.once(request(4), || bump(&store, "a")).unwrap(),
                Once::Ran { answer: Ok(vec![1]), recorded: true }
            );
            // The same request again in the same batch: from the record it just made.
            assert_eq!(batch.once(request(4), || unreachable!("recorded")).unwrap(), Once::Recorded(Ok(vec![1])));
            let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                batch.once(request(8), || {
                    let _ = bump(&store, "b");
                    panic!("handler bug");
                })
            }));
            assert!(panicked.is_err());
            assert_eq!(
                batch.once(request(12), || bump(&store, "a")).unwrap(),
                Once::Ran { answer: Ok(vec![2]), recorded: true }
            );
            batch.commit().unwrap();
        }
        let store = Store::open_dir(dir.path()).unwrap();
        assert_eq!(store.flood_window("a", 1).unwrap(), Some((2, 61)), "both writes committed once");
        assert_eq!(store.flood_window("b", 1).unwrap(), None, "the panicking call's write was rolled back");
        assert_eq!(store.recorded_answer(request(8)).unwrap(), None);
        let mut batch = store.batch(true).unwrap();
        assert_eq!(batch.once(request(12), || unreachable!("recorded")).unwrap(), Once::Recorded(Ok(vec![2])));
    }

    #[test]
    fn a_dropped_batch_keeps_nothing() {
        let store = Store::open_in_memory().unwrap();
        {
            let mut batch = store.batch(true).unwrap();
            batch.once(request(4), || bump(&store, "a")).unwrap();
        }
        assert_eq!(store.flood_window("a", 1).unwrap(), None);
        assert_eq!(store.recorded_answer(request(4)).unwrap(), None);
    }

    #[test]
    fn the_answer_survives_reopening_the_file() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open_dir(dir.path()).unwrap();
            store
                .once(request(4), || store.bump_flood("k", 60, 1).map(|_| vec![7]).map_err(|_| RpcError::new(500, "X")))
                .unwrap();
        }
        let store = Store::open_dir(dir.path()).unwrap();
        assert_eq!(store.once(request(4), || unreachable!("recorded")).unwrap(), Once::Recorded(Ok(vec![7])));
    }

    #[test]
    fn an_unguarded_batch_is_poisoned_only_by_a_call_that_failed_after_writing() {
        // A handler's error type: refused, or the store failed.
        enum Abort {
            Refused(RpcError),
            Store,
        }
        impl From<StoreError> for Abort {
            fn from(_: StoreError) -> Abort {
                Abort::Store
            }
        }
        impl From<Abort> for RpcError {
            fn from(abort: Abort) -> RpcError {
                match abort {
                    Abort::Refused(error) => error,
                    Abort::Store => RpcError::new(500, "INTERNAL"),
                }
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_dir(dir.path()).unwrap();
        {
            let mut batch = store.batch(false).unwrap();
            assert_eq!(
                batch.once(request(4), || bump(&store, "a")).unwrap(),
                Once::Ran { answer: Ok(vec![1]), recorded: true }
            );
            // Refused before it wrote anything: nothing to undo.
            let refused = || {
                store
                    .atomically("refuse", |_| Err::<(), _>(Abort::Refused(RpcError::new(400, "PEER_ID_INVALID"))))
                    .map_err(RpcError::from)?;
                Ok(vec![])
            };
            assert_eq!(
                batch.once(request(8), refused).unwrap(),
                Once::Ran { answer: Err(RpcError::new(400, "PEER_ID_INVALID")), recorded: false }
            );
            assert!(!batch.poisoned());
            batch.commit().unwrap();
        }
        assert_eq!(store.flood_window("a", 1).unwrap(), Some((1, 61)));
        {
            let mut batch = store.batch(false).unwrap();
            batch.once(request(12), || bump(&store, "a")).unwrap();
            // Wrote, then failed: the batch cannot tell that write from the others.
            let half_done = || {
                store
                    .atomically("half", |conn| {
                        conn.execute(
                            "INSERT INTO flood_counters (counter_key, count, window_end) VALUES ('b', 1, 1)",
                            [],
                        )
                        .map_err(|_| Abort::Refused(RpcError::new(500, "X")))?;
                        Err::<(), _>(Abort::Refused(RpcError::new(400, "LATER_CHECK")))
                    })
                    .map_err(RpcError::from)?;
                Ok(vec![])
            };
            batch.once(request(16), half_done).unwrap();
            assert!(batch.poisoned());
            assert!(matches!(batch.commit(), Err(StoreError::Poisoned)));
        }
        assert_eq!(store.flood_window("a", 1).unwrap(), Some((1, 61)), "the poisoned batch kept nothing");
        assert_eq!(store.recorded_answer(request(12)).unwrap(), None);
        {
            let mut batch = store.batch(false).unwrap();
            let panics = || -> Result<Vec<u8>, RpcError> {
                let _ = bump(&store, "a");
                panic!("handler bug")
            };
            let answered = batch.once(request(20), panics).unwrap();
            assert_eq!(answered.answer(), Err(RpcError::new(500, "INTERNAL")), "a panic is caught");
            assert!(batch.poisoned());
        }
        assert_eq!(store.flood_window("a", 1).unwrap(), Some((1, 61)));
        // A guarded batch after a poisoned one starts clean.
        let mut batch = store.batch(true).unwrap();
        batch.once(request(24), || bump(&store, "a")).unwrap();
        assert!(!batch.poisoned());
        batch.commit().unwrap();
        assert_eq!(store.flood_window("a", 1).unwrap(), Some((2, 61)));
    }
}
