//! Dialogs: one row per account and peer, with the newest message, how far the account read
//! the peer's messages and the peer its own, the unread count and the pinned position; kept up
//! to date by the writes of [`super::messages`].

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Context, Store, StoreError};

/// One account's dialog with a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogRow {
    /// Whose dialog.
    pub owner: i64,
    /// With whom (a peer key).
    pub peer: i64,
    /// The newest message's id.
    pub top_message: i32,
    /// The newest message's date.
    pub top_date: i64,
    /// Incoming messages up to this id are read.
    pub read_inbox_max_id: i32,
    /// Outgoing messages up to this id were read by the other side.
    pub read_outbox_max_id: i32,
    /// Incoming messages not read yet.
    pub unread_count: i32,
    /// Rank among the pinned dialogs (the highest first), 0 if not pinned.
    pub pinned: i32,
}

const DIALOG_COLUMNS: &str =
    "owner, peer, top_message, top_date, read_inbox_max_id, read_outbox_max_id, unread_count, pinned";

impl Store {
    /// The dialog of `owner` with `peer`.
    pub fn dialog(&self, owner: i64, peer: i64) -> Result<Option<DialogRow>, StoreError> {
        dialog(&self.lock(), owner, peer)
    }

    /// The dialogs of `owner`: pinned ones first (in their order) unless `exclude_pinned`, then
    /// the others newest first, starting below `(offset_date, offset_id)` when either is set
    /// (pinned ones are then left out too: they were on the first page). At most `limit`.
    pub fn dialogs(
        &self,
        owner: i64,
        offset: Option<(i64, i32)>,
        exclude_pinned: bool,
        limit: u32,
    ) -> Result<Vec<DialogRow>, StoreError> {
        let conn = self.lock();
        let mut found = Vec::new();
        let limit = i64::from(limit);
        if offset.is_none() && !exclude_pinned {
            let mut stmt = conn
                .prepare_cached(&format!(
                    "SELECT {DIALOG_COLUMNS} FROM dialogs WHERE owner = ?1 AND pinned > 0 ORDER BY pinned DESC LIMIT ?2"
                ))
                .during("list pinned dialogs")?;
            let rows = stmt.query_map(params![owner, limit], dialog_row).during("list pinned dialogs")?;
            found = rows.collect::<Result<Vec<_>, _>>().during("list pinned dialogs")?;
        }
        let (date, id) = offset.unwrap_or((i64::MAX, i32::MAX));
        let rest = limit - found.len() as i64;
        // Pinned dialogs are only ever listed first, on the page without an offset.
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {DIALOG_COLUMNS} FROM dialogs WHERE owner = ?1 AND (top_date, top_message) < (?2, ?3)
                 AND pinned = 0 ORDER BY top_date DESC, top_message DESC LIMIT ?4"
            ))
            .during("list dialogs")?;
        let rows = stmt.query_map(params![owner, date, id, rest.max(0)], dialog_row).during("list dialogs")?;
        let mut rest = rows.collect::<Result<Vec<_>, _>>().during("list dialogs")?;
        found.append(&mut rest);
        Ok(found)
    }

    /// How many incoming messages `owner` has not read, in all dialogs.
    pub fn unread_total(&self, owner: i64) -> Result<i64, StoreError> {
        self.lock()
            .query_row("SELECT COALESCE(SUM(unread_count), 0) FROM dialogs WHERE owner = ?1", [owner], |r| r.get(0))
            .during("count unread messages")
    }

    /// How many dialogs `owner` has.
    pub fn dialog_count(&self, owner: i64) -> Result<i64, StoreError> {
        self.lock()
            .query_row("SELECT COUNT(*) FROM dialogs WHERE owner = ?1", [owner], |r| r.get(0))
            .during("count dialogs")
    }
}

pub(crate) fn dialog(conn: &Connection, owner: i64, peer: i64) -> Result<Option<DialogRow>, StoreError> {
    conn.prepare_cached(&format!("SELECT {DIALOG_COLUMNS} FROM dialogs WHERE owner = ?1 AND peer = ?2"))
        .during("read dialog")?
        .query_row(params![owner, peer], dialog_row)
        .optional()
        .during("read dialog")
}

/// Marks the incoming messages of `owner` with `peer` up to `max_id` read. Returns the dialog
/// afterwards and the previous `read_inbox_max_id`, or `None` if nothing changed.
pub(crate) fn read_inbox(
    conn: &Connection,
    owner: i64,
    peer: i64,
    max_id: i32,
) -> Result<Option<(DialogRow, i32)>, StoreError> {
    let Some(before) = dialog(conn, owner, peer)? else { return Ok(None) };
    let max_id = max_id.min(before.top_message);
    if max_id <= before.read_inbox_max_id {
        return Ok(None);
    }
    let unread: i32 = conn
        .prepare_cached("SELECT COUNT(*) FROM messages WHERE owner = ?1 AND peer = ?2 AND id > ?3 AND out = 0")
        .during("count unread")?
        .query_row(params![owner, peer, max_id], |r| r.get(0))
        .during("count unread")?;
    conn.prepare_cached("UPDATE dialogs SET read_inbox_max_id = ?3, unread_count = ?4 WHERE owner = ?1 AND peer = ?2")
        .during("read history")?
        .execute(params![owner, peer, max_id, unread])
        .during("read history")?;
    let after = DialogRow { read_inbox_max_id: max_id, unread_count: unread, ..before.clone() };
    Ok(Some((after, before.read_inbox_max_id)))
}

/// Marks the outgoing messages of `owner` with `peer` up to `max_id` read by the other side.
/// Returns whether that moved anything.
pub(crate) fn read_outbox(conn: &Connection, owner: i64, peer: i64, max_id: i32) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE dialogs SET read_outbox_max_id = ?3 WHERE owner = ?1 AND peer = ?2 AND read_outbox_max_id < ?3",
        )
        .during("read outbox")?
        .execute(params![owner, peer, max_id])
        .during("read outbox")?;
    Ok(changed > 0)
}

/// For the incoming messages of `owner` with `peer` in `(after, up_to]`: each sender with the
/// id of the sender's copy of the newest of them.
pub(crate) fn senders_between(
    conn: &Connection,
    owner: i64,
    peer: i64,
    after: i32,
    up_to: i32,
) -> Result<Vec<(i64, i32)>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT origin_user, MAX(origin_id) FROM messages WHERE owner = ?1 AND peer = ?2 AND id > ?3
             AND id <= ?4 AND out = 0 GROUP BY origin_user",
        )
        .during("find read senders")?;
    let rows = stmt.query_map(params![owner, peer, after, up_to], |r| Ok((r.get(0)?, r.get(1)?))).during("senders")?;
    rows.collect::<Result<Vec<_>, _>>().during("find read senders")
}

fn dialog_row(r: &Row<'_>) -> rusqlite::Result<DialogRow> {
    Ok(DialogRow {
        owner: r.get(0)?,
        peer: r.get(1)?,
        top_message: r.get(2)?,
        top_date: r.get(3)?,
        read_inbox_max_id: r.get(4)?,
        read_outbox_max_id: r.get(5)?,
        unread_count: r.get(6)?,
        pinned: r.get(7)?,
    })
}

/// Pins (at the top of the pinned dialogs) or unpins the dialog of `owner` with `peer`.
/// Returns whether the dialog exists.
pub(crate) fn set_pinned(conn: &Connection, owner: i64, peer: i64, pinned: bool) -> Result<bool, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE dialogs SET pinned = CASE WHEN ?3 THEN
               (SELECT COALESCE(MAX(pinned), 0) + 1 FROM dialogs WHERE owner = ?1) ELSE 0 END
             WHERE owner = ?1 AND peer = ?2",
        )
        .during("pin dialog")?
        .execute(params![owner, peer, pinned])
        .during("pin dialog")?;
    Ok(changed > 0)
}

/// Makes `order` (peer keys, first on top) the pinned dialogs of `owner`; with `force` every
/// other dialog is unpinned, else the others stay pinned below them. Dialogs `owner` does not
/// have are skipped.
pub(crate) fn reorder_pinned(conn: &Connection, owner: i64, order: &[i64], force: bool) -> Result<(), StoreError> {
    let others: Vec<i64> = if force {
        Vec::new()
    } else {
        let mut stmt = conn
            .prepare_cached("SELECT peer FROM dialogs WHERE owner = ?1 AND pinned > 0 ORDER BY pinned DESC")
            .during("list pinned dialogs")?;
        let rows = stmt.query_map([owner], |r| r.get(0)).during("list pinned dialogs")?;
        let rows = rows.collect::<Result<Vec<i64>, _>>().during("list pinned dialogs")?;
        rows.into_iter().filter(|p| !order.contains(p)).collect()
    };
    conn.prepare_cached("UPDATE dialogs SET pinned = 0 WHERE owner = ?1 AND pinned > 0")
        .during("unpin dialogs")?
        .execute([owner])
        .during("unpin dialogs")?;
    let all: Vec<i64> = order.iter().copied().chain(others).collect();
    let mut stmt =
        conn.prepare_cached("UPDATE dialogs SET pinned = ?3 WHERE owner = ?1 AND peer = ?2").during("pin")?;
    for (rank, peer) in all.iter().rev().enumerate() {
        stmt.execute(params![owner, peer, rank as i64 + 1]).during("pin dialog")?;
    }
    Ok(())
}

/// How many dialogs `owner` has pinned.
pub(crate) fn pinned_count(conn: &Connection, owner: i64) -> Result<i64, StoreError> {
    conn.prepare_cached("SELECT COUNT(*) FROM dialogs WHERE owner = ?1 AND pinned > 0")
        .during("count pinned dialogs")?
        .query_row([owner], |r| r.get(0))
        .during("count pinned dialogs")
}
