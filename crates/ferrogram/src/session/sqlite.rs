//! [`SqliteSession`]: a session in a SQLite file (<https://www.sqlite.org/atomiccommit.html>).
//!
//! Schema version 2 (`PRAGMA user_version`; version 1 lacked the last two tables, which opening
//! a version 1 file adds):
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
//! ```
//!
//! Every [`store`](SessionStore::store) rewrites both tables inside one transaction, and SQLite's
//! rollback journal (with `synchronous = FULL`) makes a transaction all or nothing across crashes
//! and power loss: a reader sees the old session or the new one, never a half-written key.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension};

use super::{AuthKey, DcEntry, SessionData, SessionError, SessionStore, SignedInUser};
use crate::updates::UpdateState;

/// The schema version this code writes and reads.
const SCHEMA_VERSION: i64 = 2;

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
            write_update_state(tx, data.updates.as_ref())
        };
        // On any error the transaction is dropped unfinished, which rolls it back.
        write(&tx).map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }
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
