//! Every account's "common message box" (<https://core.telegram.org/api/updates>): its update
//! state (`pts`, `qts`, `seq`, `date`), the sequence its private-chat and basic-group message ids
//! come from, and the log of its events that `updates.getDifference` serves.
//!
//! An event takes `pts_count` pts (one for a new message, an edit or a read; one per message for
//! a deletion) and is logged as the serialized `Update` the account receives, under the pts it ends at.
//! The log is bounded per account: appending past its limit drops the oldest entries, and a
//! client whose pts is older than what is kept is told `updates.differenceTooLong`.
//!
//! These functions take the connection of a transaction the caller opened ([`Store::atomically`]),
//! so that an event, the rows it changed and its log entry commit together.

use rusqlite::{params, Connection, OptionalExtension};

use super::{Context, Store, StoreError};

/// Where a new account's box starts: Telegram's first `pts` of an account.
pub const INITIAL_PTS: i32 = 1;

/// An account's update state (<https://core.telegram.org/constructor/updates.state>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateState {
    /// The pts of the last event of the box.
    pub pts: i32,
    /// Secret-chat events (none here: always 0).
    pub qts: i32,
    /// The seq of `updates`/`updatesCombined` sent (none numbered here: always 0).
    pub seq: i32,
    /// The date of the last event (Unix seconds), 0 before the first.
    pub date: i64,
    /// The highest pts dropped from the log (events at or below it are no longer served).
    pub pruned_to: i32,
}

/// One logged event of a box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedUpdate {
    /// The pts the event ends at.
    pub pts: i32,
    /// How many pts it took.
    pub pts_count: i32,
    /// When it happened (Unix seconds).
    pub date: i64,
    /// The serialized `Update` (our layer) the account received for it.
    pub body: Vec<u8>,
}

impl Store {
    /// The update state of `user_id` (the initial state if the box has had no event).
    pub fn update_state(&self, user_id: i64) -> Result<UpdateState, StoreError> {
        state(&self.lock(), user_id)
    }

    /// The logged events of `user_id` after `after_pts`, oldest first, at most `limit`.
    pub fn updates_after(&self, user_id: i64, after_pts: i32, limit: usize) -> Result<Vec<LoggedUpdate>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT pts, pts_count, date, body FROM update_log WHERE user_id = ?1 AND pts > ?2
                 ORDER BY pts LIMIT ?3",
            )
            .during("read update log")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(params![user_id, after_pts, limit], |r| {
                Ok(LoggedUpdate { pts: r.get(0)?, pts_count: r.get(1)?, date: r.get(2)?, body: r.get(3)? })
            })
            .during("read update log")?;
        rows.collect::<Result<Vec<_>, _>>().during("read update log")
    }
}

/// The state of a box (initial if it has no row yet).
pub(crate) fn state(conn: &Connection, user_id: i64) -> Result<UpdateState, StoreError> {
    Ok(conn
        .prepare_cached("SELECT pts, qts, seq, date, pruned_to FROM update_states WHERE user_id = ?1")
        .during("read update state")?
        .query_row([user_id], |r| {
            Ok(UpdateState { pts: r.get(0)?, qts: r.get(1)?, seq: r.get(2)?, date: r.get(3)?, pruned_to: r.get(4)? })
        })
        .optional()
        .during("read update state")?
        .unwrap_or(UpdateState { pts: INITIAL_PTS, qts: 0, seq: 0, date: 0, pruned_to: 0 }))
}

/// Takes `ids` consecutive message ids (the first is returned) and `pts_count` pts from the box
/// of `user_id` in one statement, and logs the event `body` makes of the pts it ends at. The log
/// keeps the events of the last `keep` pts at least (older ones go, in batches so that most
/// appends delete nothing). Returns the first id, the pts and what `body` returned beside the
/// bytes.
pub(crate) fn advance<T>(
    conn: &Connection,
    user_id: i64,
    ids: i32,
    pts_count: i32,
    date: i64,
    keep: u32,
    body: impl FnOnce(i32, i32) -> (Vec<u8>, T),
) -> Result<(i32, i32, T), StoreError> {
    let (next_id, pts, pruned_to): (i32, i32, i32) = conn
        .prepare_cached(
            "INSERT INTO update_states (user_id, pts, date, next_message_id) VALUES (?1, ?2 + ?3, ?4, 1 + ?5)
             ON CONFLICT(user_id) DO UPDATE SET pts = pts + ?3, date = MAX(date, ?4),
             next_message_id = next_message_id + ?5
             RETURNING next_message_id, pts, pruned_to",
        )
        .during("advance pts")?
        .query_row(params![user_id, INITIAL_PTS, pts_count, date, ids], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .during("advance pts")?;
    let first_id = next_id - ids;
    let (bytes, made) = body(first_id, pts);
    conn.prepare_cached("INSERT INTO update_log (user_id, pts, pts_count, date, body) VALUES (?1, ?2, ?3, ?4, ?5)")
        .during("log update")?
        .execute(params![user_id, pts, pts_count, date, bytes])
        .during("log update")?;
    let keep = i64::from(keep.max(1));
    if i64::from(pts) - i64::from(pruned_to) > keep + (keep / 4).clamp(1, PRUNE_BATCH) {
        let cut = i64::from(pts) - keep;
        conn.prepare_cached("DELETE FROM update_log WHERE user_id = ?1 AND pts <= ?2")
            .during("prune update log")?
            .execute(params![user_id, cut])
            .during("prune update log")?;
        conn.prepare_cached("UPDATE update_states SET pruned_to = ?2 WHERE user_id = ?1")
            .during("prune update log")?
            .execute(params![user_id, cut])
            .during("prune update log")?;
    }
    Ok((first_id, pts, made))
}

/// Appends an event of `pts_count` pts (no new message) to the box of `user_id`: `body` gets the
/// pts the event ends at and returns the serialized `Update` to log (see [`advance`]). Returns
/// that pts.
pub(crate) fn append(
    conn: &Connection,
    user_id: i64,
    pts_count: i32,
    date: i64,
    keep: u32,
    body: impl FnOnce(i32) -> Vec<u8>,
) -> Result<i32, StoreError> {
    advance(conn, user_id, 0, pts_count, date, keep, |_, pts| (body(pts), ())).map(|(_, pts, ())| pts)
}

/// The most pts past its limit a log grows before its oldest entries are dropped at once (a
/// quarter of the limit for small limits).
const PRUNE_BATCH: i64 = 64;
