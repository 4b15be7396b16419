//! Which message a sender's `random_id` made (<https://core.telegram.org/method/messages.sendMessage>:
//! a resend under the same `random_id` is `RANDOM_ID_DUPLICATE`, not a second message).
//!
//! The `random_id` is kept on the sender's copy of the message (`messages.random_id`), which is
//! written anyway, and is not indexed: an index keyed by a random number puts each new entry on
//! a random page of its B-tree, and every such page is written to the WAL again at the commit,
//! which under load cost the writer more than a tenth of a `sendMessage`. Instead, the sender's
//! latest [`REMEMBERED_PER_USER`] random_ids are looked up in memory, read back from the
//! sender's newest messages (by the primary key, in order) when a sender is not remembered, so a
//! restart loses nothing. A resend is recognised among the sender's latest
//! [`REMEMBERED_PER_USER`] messages, which is what resends are: a client sends again what it
//! had in flight when a connection dropped.
//!
//! What is remembered may run ahead of the store: a message whose transaction was rolled back
//! after it was remembered. A hit is therefore checked against the store before it counts.

use std::collections::VecDeque;
use std::sync::Mutex;

use hashlink::LruCache;
use rusqlite::{params, Connection, OptionalExtension};

use super::{Context, StoreError};

/// How many of a sender's latest `random_id`s are recognised.
pub const REMEMBERED_PER_USER: usize = 512;
/// How many senders are remembered at once (each at most [`REMEMBERED_PER_USER`] entries of 12
/// bytes: about 25 MiB at most); a sender forgotten is read back from the store when it sends.
pub const REMEMBERED_USERS: usize = 4096;

/// The senders' latest `random_id`s (see the module docs).
pub(crate) struct RandomIds {
    senders: Mutex<LruCache<i64, VecDeque<(i64, i32)>>>,
}

impl RandomIds {
    pub(crate) fn new() -> RandomIds {
        RandomIds { senders: Mutex::new(LruCache::new(REMEMBERED_USERS)) }
    }

    /// The message of `user_id`'s box that `random_id` made, if it is among the sender's latest.
    pub(crate) fn find(&self, conn: &Connection, user_id: i64, random_id: i64) -> Result<Option<i32>, StoreError> {
        let Some(id) = self.remembered(conn, user_id, |ids| ids.iter().find(|(r, _)| *r == random_id).map(|e| e.1))?
        else {
            return Ok(None);
        };
        let stored: Option<i32> = conn
            .prepare_cached("SELECT id FROM messages WHERE owner = ?1 AND id = ?2 AND random_id = ?3")
            .and_then(|mut s| s.query_row(params![user_id, id, random_id], |r| r.get(0)).optional())
            .during("check a random_id")?;
        if stored.is_none() {
            // Remembered from a transaction that did not commit.
            self.remembered(conn, user_id, |ids| ids.retain(|(r, _)| *r != random_id))?;
        }
        Ok(stored)
    }

    /// Remembers that `random_id` made the message `id` of `user_id`'s box (stored with it).
    pub(crate) fn record(&self, conn: &Connection, user_id: i64, random_id: i64, id: i32) -> Result<(), StoreError> {
        self.remembered(conn, user_id, |ids| {
            if ids.len() >= REMEMBERED_PER_USER {
                ids.pop_front();
            }
            ids.push_back((random_id, id));
        })
    }

    /// Runs `f` on the remembered ids of `user_id` (oldest first), reading them from the store
    /// first if the sender is not remembered.
    fn remembered<T>(
        &self,
        conn: &Connection,
        user_id: i64,
        f: impl FnOnce(&mut VecDeque<(i64, i32)>) -> T,
    ) -> Result<T, StoreError> {
        let mut senders = self.senders.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ids) = senders.get_mut(&user_id) {
            return Ok(f(ids));
        }
        let mut statement = conn
            .prepare_cached(
                "SELECT random_id, id FROM messages WHERE owner = ?1 AND random_id IS NOT NULL
                 ORDER BY id DESC LIMIT ?2",
            )
            .during("read the latest random_ids")?;
        let rows = statement
            .query_map(params![user_id, REMEMBERED_PER_USER as i64], |r| Ok((r.get(0)?, r.get(1)?)))
            .during("read the latest random_ids")?;
        let mut ids = rows.collect::<Result<VecDeque<(i64, i32)>, _>>().during("read the latest random_ids")?;
        ids.make_contiguous().reverse();
        let value = f(&mut ids);
        senders.insert(user_id, ids);
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE messages (owner INTEGER, id INTEGER, random_id INTEGER, PRIMARY KEY (owner, id))",
        )
        .unwrap();
        conn
    }

    fn send(conn: &Connection, ids: &RandomIds, owner: i64, id: i32, random_id: i64) {
        conn.execute("INSERT INTO messages VALUES (?1, ?2, ?3)", params![owner, id, random_id]).unwrap();
        ids.record(conn, owner, random_id, id).unwrap();
    }

    #[test]
    fn a_resend_is_found_in_memory_and_after_a_restart() {
        let conn = conn();
        let ids = RandomIds::new();
        send(&conn, &ids, 7, 1, 111);
        send(&conn, &ids, 7, 2, 222);
        assert_eq!(ids.find(&conn, 7, 222).unwrap(), Some(2));
        assert_eq!(ids.find(&conn, 8, 222).unwrap(), None, "another sender's random_id");
        // A restart: nothing remembered, everything read back from the messages.
        let restarted = RandomIds::new();
        assert_eq!(restarted.find(&conn, 7, 111).unwrap(), Some(1));
        assert_eq!(restarted.find(&conn, 7, 333).unwrap(), None);
    }

    #[test]
    fn a_remembered_id_whose_message_was_rolled_back_is_not_a_duplicate() {
        let conn = conn();
        let ids = RandomIds::new();
        conn.execute_batch("BEGIN").unwrap();
        send(&conn, &ids, 7, 1, 111);
        conn.execute_batch("ROLLBACK").unwrap();
        assert_eq!(ids.find(&conn, 7, 111).unwrap(), None);
        send(&conn, &ids, 7, 1, 111);
        assert_eq!(ids.find(&conn, 7, 111).unwrap(), Some(1));
    }

    #[test]
    fn only_the_latest_are_remembered() {
        let conn = conn();
        let ids = RandomIds::new();
        for i in 0..(REMEMBERED_PER_USER as i32 + 10) {
            send(&conn, &ids, 7, i + 1, 1000 + i64::from(i));
        }
        assert_eq!(ids.find(&conn, 7, 1000).unwrap(), None, "the oldest fell out");
        let latest = 1000 + REMEMBERED_PER_USER as i64 + 9;
        assert_eq!(ids.find(&conn, 7, latest).unwrap(), Some(REMEMBERED_PER_USER as i32 + 10));
        assert_eq!(RandomIds::new().find(&conn, 7, 1000).unwrap(), None, "nor read back after a restart");
    }

    #[test]
    fn at_most_so_many_senders_are_remembered() {
        let conn = conn();
        let ids = RandomIds::new();
        for sender in 0..(REMEMBERED_USERS as i64 + 100) {
            send(&conn, &ids, sender, 1, sender);
        }
        assert_eq!(ids.senders.lock().unwrap().len(), REMEMBERED_USERS);
        // The oldest sender was forgotten in memory and is read back from the messages.
        assert_eq!(ids.find(&conn, 0, 0).unwrap(), Some(1));
    }
}
