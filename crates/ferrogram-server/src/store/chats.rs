//! Basic groups (<https://core.telegram.org/api/channel#basic-groups>): a title, a creator, a
//! version that every change of the member list bumps, and the members with who invited them
//! and when. Their messages live in every member's box ([`super::messages`]).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Context, Store, StoreError};

/// First id handed to a new basic group: past any user id (those start at 1,000,001), so that
/// no group shares its bare id with a user. Telegram's ids never collide across peer types, and
/// clients rely on it: Telethon's entity cache is keyed by the bare id, so with a group 1000001
/// and a user 1000001 its `send_message(-1000001, ...)` went to that user. Still below 2^31, for
/// clients that keep chat ids in 32 bits.
const FIRST_CHAT_ID: i64 = 2_000_000_001;

/// A basic group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    /// Its id (`chat.id`).
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Who created it.
    pub creator: i64,
    /// When it was created (Unix seconds).
    pub date: i64,
    /// Bumped by every change of its member list.
    pub version: i32,
}

/// A member of a basic group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParticipantRow {
    /// The member.
    pub user_id: i64,
    /// Who added them (the creator for the creator).
    pub inviter_id: i64,
    /// When they joined.
    pub date: i64,
    /// Whether they are an admin.
    pub admin: bool,
}

impl Store {
    /// The basic group `id`.
    pub fn chat(&self, id: i64) -> Result<Option<ChatRow>, StoreError> {
        chat(&self.lock(), id)
    }

    /// The members of the basic group `id`, in the order they joined.
    pub fn chat_participants(&self, id: i64) -> Result<Vec<ParticipantRow>, StoreError> {
        participants(&self.lock(), id)
    }
}

/// Creates a basic group and returns it.
pub(crate) fn create(conn: &Connection, title: &str, creator: i64, date: i64) -> Result<ChatRow, StoreError> {
    let id: i64 = conn
        // (A database from before keeps its groups; new ones start past the users' ids too.)
        .query_row("SELECT MAX(COALESCE(MAX(id) + 1, ?1), ?1) FROM chats", [FIRST_CHAT_ID], |r| r.get(0))
        .during("allocate chat id")?;
    conn.execute(
        "INSERT INTO chats (id, title, creator, date, version) VALUES (?1, ?2, ?3, ?4, 1)",
        params![id, title, creator, date],
    )
    .during("create chat")?;
    Ok(ChatRow { id, title: title.to_owned(), creator, date, version: 1 })
}

pub(crate) fn chat(conn: &Connection, id: i64) -> Result<Option<ChatRow>, StoreError> {
    conn.prepare_cached("SELECT id, title, creator, date, version FROM chats WHERE id = ?1")
        .during("read chat")?
        .query_row([id], |r| {
            Ok(ChatRow { id: r.get(0)?, title: r.get(1)?, creator: r.get(2)?, date: r.get(3)?, version: r.get(4)? })
        })
        .optional()
        .during("read chat")
}

pub(crate) fn participants(conn: &Connection, id: i64) -> Result<Vec<ParticipantRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT user_id, inviter_id, date, admin FROM chat_participants WHERE chat_id = ?1 ORDER BY date, rowid",
        )
        .during("list chat members")?;
    let rows = stmt.query_map([id], participant_row).during("list chat members")?;
    rows.collect::<Result<Vec<_>, _>>().during("list chat members")
}

/// Adds a member (bumping the version). Returns false if they were one already.
pub(crate) fn add(conn: &Connection, id: i64, member: &ParticipantRow) -> Result<bool, StoreError> {
    let added = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO chat_participants (chat_id, user_id, inviter_id, date, admin)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .during("add chat member")?
        .execute(params![id, member.user_id, member.inviter_id, member.date, member.admin])
        .during("add chat member")?;
    if added > 0 {
        bump_version(conn, id)?;
    }
    Ok(added > 0)
}

/// Removes a member (bumping the version). Returns false if they were none.
pub(crate) fn remove(conn: &Connection, id: i64, user_id: i64) -> Result<bool, StoreError> {
    let removed = conn
        .prepare_cached("DELETE FROM chat_participants WHERE chat_id = ?1 AND user_id = ?2")
        .during("remove chat member")?
        .execute(params![id, user_id])
        .during("remove chat member")?;
    if removed > 0 {
        bump_version(conn, id)?;
    }
    Ok(removed > 0)
}

/// Renames a group.
pub(crate) fn set_title(conn: &Connection, id: i64, title: &str) -> Result<(), StoreError> {
    conn.execute("UPDATE chats SET title = ?2 WHERE id = ?1", params![id, title]).during("rename chat")?;
    Ok(())
}

fn bump_version(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE chats SET version = version + 1 WHERE id = ?1")
        .during("bump chat version")?
        .execute([id])
        .during("bump chat version")?;
    Ok(())
}

fn participant_row(r: &Row<'_>) -> rusqlite::Result<ParticipantRow> {
    Ok(ParticipantRow { user_id: r.get(0)?, inviter_id: r.get(1)?, date: r.get(2)?, admin: r.get(3)? })
}
