//! [`SqliteSession`]: a session in a SQLite file (<https://www.sqlite.org/atomiccommit.html>).
//!
//! Schema version 3 (`PRAGMA user_version`; version 1 lacked `update_state` and `channel_pts`,
//! version 2 lacked `peer`; opening an older file adds what it lacks):
//!
//! ```sql
//! CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), home_dc INTEGER,
//!                       user_id INTEGER, user_is_bot INTEGER NOT NULL DEFAULT 0);
//! CREATE TABLE dc (id INTEGER PRIMARY KEY, host TEXT NOT NULL, port INTEGER NOT NULL,
//!                  auth_key BLOB CHECK (auth_key IS NULL OR length(auth_key) = 256),
//!                  server_salt INTEGER, time_offset INTEGER);
//! CREATE TABLE update_state (id INTEGER PRIMARY KEY CHECK (id = 1), pts INTEGER NOT NULL,
//!                            qts INTEGER NOT NULL, date INTEGER NOT NULL, seq INTEGER NOT NULL);
//! CREATE TABLE channel_pts (channel_id INTEGER PRIMARY KEY, pts INTEGER NOT NULL);
//! CREATE TABLE peer (kind INTEGER NOT NULL, id INTEGER NOT NULL, access_hash INTEGER,
//!                    min INTEGER NOT NULL, bot INTEGER NOT NULL, username TEXT, phone TEXT,
//!                    seen INTEGER NOT NULL, PRIMARY KEY (kind, id));
//! ```
//!
//! `peer` is the persisted half of the client's peer cache (kind 0 user, 1 basic group,
//! 2 channel; usernames compared without case): at most [`MAX_STORED_PEERS`] rows, the least recently
//! stored going first, emptied when the session's account signs out or another signs in.
//!
//! Every [`store`](SessionStore::store) rewrites the session tables inside one transaction, and SQLite's
//! rollback journal (with `synchronous = FULL`) makes a transaction all or nothing across crashes
//! and power loss: a reader sees the old session or the new one, never a half-written key.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::{AuthKey, DcEntry, PeerLookup, SessionData, SessionError, SessionStore, SignedInUser};
use crate::peers::CachedPeer;
use crate::updates::{Peer, UpdateState};

/// The schema version this code writes and reads.
const SCHEMA_VERSION: i64 = 3;

/// The most rows a session file's `peer` table keeps (about 100 bytes each on disk).
pub const MAX_STORED_PEERS: i64 = 200_000;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    home_dc INTEGER,
    user_id INTEGER,
    user_is_bot INTEGER NOT NULL DEFAULT 0 CHECK (user_is_bot IN (0, 1))
);
CREATE TABLE IF NOT EXISTS dc (
    id INTEGER PRIMARY KEY,
    host TEXT NOT NULL,
    port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    auth_key BLOB CHECK (auth_key IS NULL OR length(auth_key) = 256),
    server_salt INTEGER,
    time_offset INTEGER
);
CREATE TABLE IF NOT EXISTS update_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pts INTEGER NOT NULL,
    qts INTEGER NOT NULL,
    date INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS channel_pts (
    channel_id INTEGER PRIMARY KEY,
    pts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS peer (
    kind INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
    id INTEGER NOT NULL,
    access_hash INTEGER,
    min INTEGER NOT NULL CHECK (min IN (0, 1)),
    bot INTEGER NOT NULL CHECK (bot IN (0, 1)),
    username TEXT,
    phone TEXT,
    seen INTEGER NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS peer_username ON peer (username COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS peer_phone ON peer (phone);
CREATE INDEX IF NOT EXISTS peer_seen ON peer (seen);
";

/// A session stored in a SQLite file; each store is one transaction.
#[derive(Debug)]
pub struct SqliteSession {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl SqliteSession {
    /// Opens the session file at `path`, creating it (empty) if it does not exist. On Unix the
    /// file and SQLite's journal beside it are readable by their owner only (0600), whatever
    /// the umask: they hold authorization keys.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SessionError> {
        let path = path.as_ref().to_path_buf();
        super::private_file::prepare(&path).map_err(|source| SessionError::File { path: path.clone(), source })?;
        let sqlite = |source| SessionError::Sqlite { path: path.clone(), source };
        let mut conn = Connection::open(&path).map_err(sqlite)?;
        // Another process (a second client on the same file) may hold the write lock briefly.
        conn.busy_timeout(Duration::from_secs(5)).map_err(sqlite)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(sqlite)?;
        let tx = conn.transaction().map_err(sqlite)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(sqlite)?;
        if version > SCHEMA_VERSION {
            return Err(SessionError::NewerSchema { path, found: version, supported: SCHEMA_VERSION });
        }
        tx.execute_batch(SCHEMA).map_err(sqlite)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(SqliteSession { path, conn: Mutex::new(conn) })
    }

    /// The session file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave the file half written (an unfinished
        // transaction is rolled back when dropped), so the connection stays usable.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sqlite(&self, source: rusqlite::Error) -> SessionError {
        SessionError::Sqlite { path: self.path.clone(), source }
    }

    fn corrupt(&self, what: String) -> SessionError {
        SessionError::Corrupt { path: self.path.clone(), what }
    }
}

/// One `dc` row as stored.
type DcRow = (i32, String, i64, Option<Vec<u8>>, Option<i64>, Option<i32>);

impl SessionStore for SqliteSession {
    fn load(&self) -> Result<SessionData, SessionError> {
        let mut conn = self.lock();
        // One read transaction, so the two tables come from the same store.
        let tx = conn.transaction().map_err(|e| self.sqlite(e))?;
        let session: Option<(Option<i32>, Option<i64>, bool)> = tx
            .query_row("SELECT home_dc, user_id, user_is_bot FROM session WHERE id = 1", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let rows: Vec<DcRow> = {
            let mut stmt = tx
                .prepare("SELECT id, host, port, auth_key, server_salt, time_offset FROM dc ORDER BY id")
                .map_err(|e| self.sqlite(e))?;
            let rows = stmt
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?)))
                .map_err(|e| self.sqlite(e))?;
            rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))?
        };
        let updates = read_update_state(&tx).map_err(|e| self.sqlite(e))?;
        drop(tx);

        let mut data = SessionData { updates, ..SessionData::default() };
        if let Some((home_dc, user_id, bot)) = session {
            data.home_dc = home_dc;
            data.user = user_id.map(|id| SignedInUser { id, bot });
        }
        for (id, host, port, key, server_salt, time_offset) in rows {
            let port = u16::try_from(port).map_err(|_| self.corrupt(format!("DC {id} has port {port}")))?;
            let auth_key = match key {
                None => None,
                Some(bytes) => {
                    let len = bytes.len();
                    let bytes: [u8; 256] = bytes
                        .try_into()
                        .map_err(|_| self.corrupt(format!("DC {id} has an auth key of {len} bytes, not 256")))?;
                    Some(AuthKey::from_bytes(bytes))
                }
            };
            data.set_dc(DcEntry { id, host, port, auth_key, server_salt, time_offset });
        }
        Ok(data)
    }

    fn store(&self, data: &SessionData) -> Result<(), SessionError> {
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.sqlite(e))?;
        let write = |tx: &rusqlite::Transaction<'_>| -> rusqlite::Result<()> {
            let previous: Option<i64> =
                tx.query_row("SELECT user_id FROM session WHERE id = 1", [], |row| row.get(0)).optional()?.flatten();
            tx.execute(
                "INSERT INTO session (id, home_dc, user_id, user_is_bot) VALUES (1, ?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET home_dc = ?1, user_id = ?2, user_is_bot = ?3",
                params![data.home_dc, data.user.map(|u| u.id), data.user.is_some_and(|u| u.bot)],
            )?;
            tx.execute("DELETE FROM dc", [])?;
            let mut insert = tx.prepare(
                "INSERT INTO dc (id, host, port, auth_key, server_salt, time_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for dc in data.dcs.values() {
                insert.execute(params![
                    dc.id,
                    dc.host,
                    dc.port,
                    dc.auth_key.as_ref().map(|k| &k.bytes()[..]),
                    dc.server_salt,
                    dc.time_offset
                ])?;
            }
            write_update_state(tx, data.updates.as_ref())?;
            // Access hashes are the account's own: another account (or none) cannot use them.
            let user = data.user.map(|u| u.id);
            if user.is_none() || (previous.is_some() && previous != user) {
                tx.execute("DELETE FROM peer", [])?;
            }
            Ok(())
        };
        // On any error the transaction is dropped unfinished, which rolls it back.
        write(&tx).map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }
    fn store_peers(&self, peers: &[CachedPeer]) -> Result<(), SessionError> {
        if peers.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn.transaction().map_err(|e| self.sqlite(e))?;
        write_peers(&tx, peers).map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }

    fn lookup_peer(&self, lookup: PeerLookup<'_>) -> Result<Option<CachedPeer>, SessionError> {
        let conn = self.lock();
        let (condition, key1, key2): (&str, rusqlite::types::Value, rusqlite::types::Value) = match lookup {
            PeerLookup::Peer(peer) => ("kind = ?1 AND id = ?2", kind_of(peer).into(), peer.id().into()),
            PeerLookup::Username(name) => {
                ("username = ?1 COLLATE NOCASE AND ?2 = 0", name.to_string().into(), 0.into())
            }
            PeerLookup::Phone(phone) => {
                ("phone = ?1 AND ?2 = 0", phone.trim_start_matches('+').to_string().into(), 0.into())
            }
        };
        let sql =
            format!("SELECT kind, id, access_hash, min, bot, username, phone FROM peer WHERE {condition} LIMIT 1");
        let row: Option<PeerRow> = conn
            .prepare_cached(&sql)
            .and_then(|mut stmt| {
                stmt.query_row(params![key1, key2], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
                })
                .optional()
            })
            .map_err(|e| self.sqlite(e))?;
        let Some((kind, id, access_hash, min, bot, username, phone)) = row else { return Ok(None) };
        let peer = match kind {
            0 => Peer::User(id),
            1 => Peer::Chat(id),
            2 => Peer::Channel(id),
            other => return Err(self.corrupt(format!("peer {id} has kind {other}"))),
        };
        let name = |s: Option<String>| s.map(String::into_boxed_str);
        Ok(Some(CachedPeer { peer, access_hash, min, bot, username: name(username), phone: name(phone) }))
    }
}

/// One `peer` row as stored.
type PeerRow = (i64, i64, Option<i64>, bool, bool, Option<String>, Option<String>);

/// The `kind` column of a peer.
fn kind_of(peer: Peer) -> i64 {
    match peer {
        Peer::User(_) => 0,
        Peer::Chat(_) => 1,
        Peer::Channel(_) => 2,
    }
}

/// Upserts `peers` (a username or phone another row had moves to the new one), then drops the
/// least recently stored rows beyond [`MAX_STORED_PEERS`].
fn write_peers(tx: &rusqlite::Transaction<'_>, peers: &[CachedPeer]) -> rusqlite::Result<()> {
    let seen: i64 = tx.query_row("SELECT COALESCE(MAX(seen), 0) FROM peer", [], |row| row.get(0))?;
    let mut release_name = tx.prepare_cached("UPDATE peer SET username = NULL WHERE username = ?1 COLLATE NOCASE")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO peer (kind, id, access_hash, min, bot, username, phone, seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (kind, id) DO UPDATE SET access_hash = ?3, min = ?4, bot = ?5, username = ?6, phone = ?7, seen = ?8",
    )?;
    for (n, entry) in peers.iter().enumerate() {
        let username = entry.username.as_deref();
        if let Some(name) = username {
            release_name.execute(params![name])?;
        }
        let seen = seen + 1 + n as i64;
        upsert.execute(params![
            kind_of(entry.peer),
            entry.peer.id(),
            entry.access_hash,
            entry.min,
            entry.bot,
            username,
            entry.phone.as_deref(),
            seen
        ])?;
    }
    let rows: i64 = tx.query_row("SELECT COUNT(*) FROM peer", [], |row| row.get(0))?;
    if rows > MAX_STORED_PEERS {
        tx.execute(
            "DELETE FROM peer WHERE seen IN (SELECT seen FROM peer ORDER BY seen LIMIT ?1)",
            params![rows - MAX_STORED_PEERS],
        )?;
    }
    Ok(())
}

/// The stored update state, if any.
fn read_update_state(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<Option<UpdateState>> {
    let common: Option<(i32, i32, i32, i32)> = tx
        .query_row("SELECT pts, qts, date, seq FROM update_state WHERE id = 1", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .optional()?;
    let Some((pts, qts, date, seq)) = common else { return Ok(None) };
    let mut stmt = tx.prepare("SELECT channel_id, pts FROM channel_pts")?;
    let channels = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(Some(UpdateState { pts, qts, date, seq, channels }))
}

/// Replaces the stored update state with `state`.
fn write_update_state(tx: &rusqlite::Transaction<'_>, state: Option<&UpdateState>) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM update_state", [])?;
    tx.execute("DELETE FROM channel_pts", [])?;
    let Some(state) = state else { return Ok(()) };
    tx.execute(
        "INSERT INTO update_state (id, pts, qts, date, seq) VALUES (1, ?1, ?2, ?3, ?4)",
        params![state.pts, state.qts, state.date, state.seq],
    )?;
    let mut insert = tx.prepare("INSERT INTO channel_pts (channel_id, pts) VALUES (?1, ?2)")?;
    for (channel, pts) in &state.channels {
        insert.execute(params![channel, pts])?;
    }
    Ok(())
}
