//! Messages of private chats, Saved Messages and basic groups, as Telegram keeps them: one copy
//! per account, in that account's box (<https://core.telegram.org/api/updates>). A private
//! message is two rows (the sender's `out` copy and the receiver's), a group message one row per
//! member, each under an id of its owner's sequence; the copies of one sent message share its
//! origin (the sender and the id of the sender's copy), which is how a revoke finds them all.
//!
//! Each row keeps the message as the serialized `Message` of our layer its owner is served, plus
//! the columns queries need (peer, sender, date, text). Dialogs ([`super::dialogs`]) are kept up
//! to date by the same writes. Peers are keys: a user id, or minus a basic group's id.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{Context, Store, StoreError};

/// The peer key of a private chat (or Saved Messages) with `user_id`.
pub fn user_peer(user_id: i64) -> i64 {
    user_id
}

/// The peer key of the basic group `chat_id`.
pub fn chat_peer(chat_id: i64) -> i64 {
    -chat_id
}

/// One account's copy of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    /// Whose box it is in.
    pub owner: i64,
    /// Its id in that box.
    pub id: i32,
    /// The chat it is in, as a peer key ([`user_peer`], [`chat_peer`]).
    pub peer: i64,
    /// Who sent it.
    pub from_id: i64,
    /// Whether the owner sent it.
    pub out: bool,
    /// When it was sent (Unix seconds).
    pub date: i64,
    /// When it was last edited.
    pub edit_date: Option<i64>,
    /// The sender of the original.
    pub origin_user: i64,
    /// The id of the sender's copy.
    pub origin_id: i32,
    /// The text (for search).
    pub text: String,
    /// The serialized `Message` (our layer) as the owner sees it.
    pub body: Vec<u8>,
}

/// Which messages of a chat to list, as `messages.getHistory` and `messages.search` select them
/// (<https://core.telegram.org/api/offsets>).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// Only messages older than this id (0: from the newest).
    pub offset_id: i32,
    /// Only messages older than this date (0: any).
    pub offset_date: i64,
    /// Skip this many more (negative: start that many newer than the offset).
    pub add_offset: i32,
    /// At most this many.
    pub limit: u32,
    /// Only ids below this (0: any).
    pub max_id: i32,
    /// Only ids above this.
    pub min_id: i32,
    /// Only messages containing this text (case-insensitive).
    pub text: Option<String>,
    /// Only messages sent by this user.
    pub from_id: Option<i64>,
    /// Only messages sent at or after this date (0: any).
    pub min_date: i64,
    /// Only messages sent at or before this date (0: any).
    pub max_date: i64,
}

const MESSAGE_COLUMNS: &str = "owner, id, peer, from_id, out, date, edit_date, origin_user, origin_id, text, body";

impl Store {
    /// The copy `id` in the box of `owner`.
    pub fn message(&self, owner: i64, id: i32) -> Result<Option<MessageRow>, StoreError> {
        message(&self.lock(), owner, id)
    }

    /// The messages of `owner` with `peer` (every chat with `None`) that `query` selects, newest
    /// first, and how many messages the chat has in all that match its filters.
    pub fn history(
        &self,
        owner: i64,
        peer: Option<i64>,
        query: &HistoryQuery,
    ) -> Result<(Vec<MessageRow>, i64), StoreError> {
        history(&self.lock(), owner, peer, query)
    }

    /// The id of the message `user_id` sent with `random_id`, if that is among the sender's
    /// latest [`REMEMBERED_PER_USER`](super::REMEMBERED_PER_USER) messages.
    pub fn used_random_id(&self, user_id: i64, random_id: i64) -> Result<Option<i32>, StoreError> {
        self.random_ids().find(&self.lock(), user_id, random_id)
    }
}

pub(crate) fn message(conn: &Connection, owner: i64, id: i32) -> Result<Option<MessageRow>, StoreError> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE owner = ?1 AND id = ?2"));
    conn.prepare_cached(&SQL)
        .during("read message")?
        .query_row(params![owner, id], message_row)
        .optional()
        .during("read message")
}

/// Stores one copy and moves its dialog's top to it (counting it unread if incoming).
pub(crate) fn insert(conn: &Connection, row: &MessageRow, random_id: Option<i64>) -> Result<(), StoreError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "INSERT INTO messages ({MESSAGE_COLUMNS}, random_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        )
    });
    conn.prepare_cached(&SQL)
        .during("insert message")?
        .execute(params![
            row.owner,
            row.id,
            row.peer,
            row.from_id,
            row.out,
            row.date,
            row.edit_date,
            row.origin_user,
            row.origin_id,
            row.text,
            row.body,
            random_id
        ])
        .during("insert message")?;
    // Saved Messages are read as they are written; what the owner sent is never unread.
    let unread = i32::from(!row.out);
    let read_to = if row.peer == row.owner { row.id } else { 0 };
    conn.prepare_cached(
        "INSERT INTO dialogs (owner, peer, top_message, top_date, read_inbox_max_id, read_outbox_max_id,
         unread_count, pinned) VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, 0)
         ON CONFLICT(owner, peer) DO UPDATE SET top_message = MAX(top_message, excluded.top_message),
         top_date = MAX(top_date, excluded.top_date), unread_count = unread_count + excluded.unread_count,
         read_inbox_max_id = MAX(read_inbox_max_id, excluded.read_inbox_max_id)",
    )
    .during("update dialog")?
    .execute(params![row.owner, row.peer, row.id, row.date, read_to, unread])
    .during("update dialog")?;
    Ok(())
}

/// Replaces the text and body of a copy after an edit.
pub(crate) fn replace(
    conn: &Connection,
    owner: i64,
    id: i32,
    text: &str,
    body: &[u8],
    edit_date: Option<i64>,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE messages SET text = ?3, body = ?4, edit_date = ?5 WHERE owner = ?1 AND id = ?2")
        .during("edit message")?
        .execute(params![owner, id, text, body, edit_date])
        .during("edit message")?;
    Ok(())
}

/// Every copy of the message `origin_id` sent by `origin_user`, as (owner, id).
pub(crate) fn copies(conn: &Connection, origin_user: i64, origin_id: i32) -> Result<Vec<(i64, i32)>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT owner, id FROM messages WHERE origin_user = ?1 AND origin_id = ?2")
        .during("find message copies")?;
    let rows = stmt.query_map(params![origin_user, origin_id], |r| Ok((r.get(0)?, r.get(1)?))).during("find copies")?;
    rows.collect::<Result<Vec<_>, _>>().during("find message copies")
}

/// Deletes a copy and fixes its dialog (its top, its unread count; the dialog goes with its last
/// message). Returns the deleted row.
pub(crate) fn delete(conn: &Connection, owner: i64, id: i32) -> Result<Option<MessageRow>, StoreError> {
    let Some(row) = message(conn, owner, id)? else { return Ok(None) };
    conn.prepare_cached("DELETE FROM messages WHERE owner = ?1 AND id = ?2")
        .during("delete message")?
        .execute(params![owner, id])
        .during("delete message")?;
    let Some(dialog) = super::dialogs::dialog(conn, owner, row.peer)? else { return Ok(Some(row)) };
    let unread = i32::from(!row.out && row.id > dialog.read_inbox_max_id);
    if dialog.top_message == id {
        let top: Option<(i32, i64)> = conn
            .prepare_cached("SELECT id, date FROM messages WHERE owner = ?1 AND peer = ?2 ORDER BY id DESC LIMIT 1")
            .during("find dialog top")?
            .query_row(params![owner, row.peer], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .during("find dialog top")?;
        match top {
            Some((top, date)) => conn
                .prepare_cached(
                    "UPDATE dialogs SET top_message = ?3, top_date = ?4, unread_count = MAX(0, unread_count - ?5)
                     WHERE owner = ?1 AND peer = ?2",
                )
                .during("update dialog")?
                .execute(params![owner, row.peer, top, date, unread])
                .during("update dialog")?,
            None => conn
                .prepare_cached("DELETE FROM dialogs WHERE owner = ?1 AND peer = ?2")
                .during("drop dialog")?
                .execute(params![owner, row.peer])
                .during("drop dialog")?,
        };
    } else if unread > 0 {
        conn.prepare_cached(
            "UPDATE dialogs SET unread_count = MAX(0, unread_count - 1) WHERE owner = ?1 AND peer = ?2",
        )
        .during("update dialog")?
        .execute(params![owner, row.peer])
        .during("update dialog")?;
    }
    Ok(Some(row))
}

fn history(
    conn: &Connection,
    owner: i64,
    peer: Option<i64>,
    q: &HistoryQuery,
) -> Result<(Vec<MessageRow>, i64), StoreError> {
    // The filters every part shares.
    let mut filter = String::from("owner = ?");
    let mut args: Vec<Value> = vec![owner.into()];
    if let Some(peer) = peer {
        filter.push_str(" AND peer = ?");
        args.push(peer.into());
    }
    if q.min_id > 0 {
        filter.push_str(" AND id > ?");
        args.push(i64::from(q.min_id).into());
    }
    if q.max_id > 0 {
        filter.push_str(" AND id < ?");
        args.push(i64::from(q.max_id).into());
    }
    if let Some(text) = q.text.as_ref().filter(|t| !t.is_empty()) {
        filter.push_str(" AND instr(lower(text), lower(?)) > 0");
        args.push(text.clone().into());
    }
    if let Some(from) = q.from_id {
        filter.push_str(" AND from_id = ?");
        args.push(from.into());
    }
    if q.min_date > 0 {
        filter.push_str(" AND date >= ?");
        args.push(q.min_date.into());
    }
    if q.max_date > 0 {
        filter.push_str(" AND date <= ?");
        args.push(q.max_date.into());
    }
    let count: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM messages WHERE {filter}"))
        .during("count history")?
        .query_row(params_from_iter(args.iter()), |r| r.get(0))
        .during("count history")?;

    // The boundary: messages below it are "older than the offset".
    let mut boundary = if q.offset_id > 0 { i64::from(q.offset_id) } else { i64::MAX };
    if q.offset_date > 0 {
        let mut date_args = args.clone();
        date_args.push(q.offset_date.into());
        let first_older: Option<i64> = conn
            .prepare_cached(&format!("SELECT id FROM messages WHERE {filter} AND date < ? ORDER BY id DESC LIMIT 1"))
            .during("find offset date")?
            .query_row(params_from_iter(date_args.iter()), |r| r.get(0))
            .optional()
            .during("find offset date")?;
        boundary = boundary.min(first_older.map_or(i64::MIN, |id| id + 1));
    }
    let limit = i64::from(q.limit);
    let mut found = Vec::new();
    if q.add_offset < 0 && boundary != i64::MAX {
        // Newer than the boundary: the window reaches `-add_offset` messages up from it.
        let reach = -i64::from(q.add_offset);
        let skip = (reach - limit).max(0);
        let take = reach - skip;
        let mut newer_args = args.clone();
        newer_args.extend([Value::from(boundary), take.into(), skip.into()]);
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {filter} AND id >= ? ORDER BY id LIMIT ? OFFSET ?"
            ))
            .during("read history")?;
        let rows = stmt.query_map(params_from_iter(newer_args.iter()), message_row).during("read history")?;
        found = rows.collect::<Result<Vec<_>, _>>().during("read history")?;
        found.reverse();
    }
    let (older_take, older_skip) =
        if q.add_offset < 0 { ((limit + i64::from(q.add_offset)).max(0), 0) } else { (limit, i64::from(q.add_offset)) };
    if older_take > 0 {
        let mut older_args = args;
        older_args.extend([Value::from(boundary), older_take.into(), older_skip.into()]);
        let mut stmt = conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages WHERE {filter} AND id < ? ORDER BY id DESC LIMIT ? OFFSET ?"
            ))
            .during("read history")?;
        let rows = stmt.query_map(params_from_iter(older_args.iter()), message_row).during("read history")?;
        found.extend(rows.collect::<Result<Vec<_>, _>>().during("read history")?);
    }
    Ok((found, count))
}

fn message_row(r: &Row<'_>) -> rusqlite::Result<MessageRow> {
    Ok(MessageRow {
        owner: r.get(0)?,
        id: r.get(1)?,
        peer: r.get(2)?,
        from_id: r.get(3)?,
        out: r.get(4)?,
        date: r.get(5)?,
        edit_date: r.get(6)?,
        origin_user: r.get(7)?,
        origin_id: r.get(8)?,
        text: r.get(9)?,
        body: r.get(10)?,
    })
}
