//! The server's persistent state in SQLite (rusqlite, bundled): its RSA key, users, auth keys
//! and what they are bound to, sessions, pending login codes, flood counters and exported
//! authorizations.
//!
//! Opened on `DIR/server.sqlite3` ([`Store::open_dir`]) or in memory ([`Store::open_in_memory`],
//! for tests and `--memory`). The schema is versioned with SQLite's `user_version` and created
//! idempotently, so reopening the same file after a restart keeps every user and every auth-key
//! binding. Every write runs in one transaction, and attempt limits are checked and counted in
//! the same one ([`Store::try_code`], [`Store::reserve_attempt`]), so concurrent attempts cannot
//! overrun them.
//!
//! [`Store::fail_next_write`] makes the next write fail with [`StoreError::InjectedFault`], so
//! tests can prove how handlers answer a failing store (`auth.signIn` → `500 SIGN_IN_FAILED`).
//!
//! The binding of auth keys to users follows <https://core.telegram.org/api/auth>: "Authorization
//! is associated with a client's encryption key identifier: auth_key_id".

mod answers;
mod attempts;
pub(crate) mod chats;
mod checkpoint;
mod codes;
mod conn;
pub(crate) mod dialogs;
mod keys;
pub(crate) mod login_tokens;
pub(crate) mod messages;
mod peers;
mod prune;
mod random_ids;
mod records;
mod schema;
pub(crate) mod updates;
mod users;

pub use answers::{Batch, Once, RequestKey};
pub use attempts::{AttemptSlot, CodeAttempt};
pub use chats::{ChatRow, ParticipantRow};
pub use dialogs::DialogRow;
pub use login_tokens::{IssuedToken, LoginTokenKind, LoginTokenRecord};
pub use messages::{chat_peer, user_peer, HistoryQuery, MessageRow};
pub use peers::{ContactRecord, UsernameChange};
pub use prune::{Pruned, Retention};
pub(crate) use random_ids::RandomIds;
pub use random_ids::{REMEMBERED_PER_USER, REMEMBERED_USERS};
pub use records::{
    AuthKeyRecord, ClientInfo, CodeKind, CodeState, ExportedAuth, LoginCode, PasswordRecord, UserRecord,
};
pub use updates::{LoggedUpdate, UpdateState, INITIAL_PTS};

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use codes::{code_row, set_code_state, CODE_COLUMNS};
use conn::{Guard, Lent, Slot};
use schema::{SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5, SCHEMA_V6};
use users::{insert_user, user_row, USER_COLUMNS};

/// The schema version this code writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i32 = 6;

/// The file name of the database inside the data dir.
pub const DB_FILE_NAME: &str = "server.sqlite3";

/// First id handed to a new user or bot.
const FIRST_USER_ID: i64 = 1_000_001;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error (the operation names what was being done).
    #[error("store: {operation}: {source}")]
    Sqlite {
        /// What the store was doing.
        operation: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The data dir could not be created.
    #[error("store: cannot create data dir {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database file (or its WAL or shared-memory file) could not be created or made private.
    #[error("store: cannot prepare database file {path}: {source}")]
    DatabaseFile {
        /// The database file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The database was written by a newer version of this server.
    #[error("store: database schema version {found} is newer than this server's {SCHEMA_VERSION}")]
    SchemaTooNew {
        /// The `user_version` found in the file.
        found: i32,
    },
    /// A stored value is not what this code writes (a corrupt or hand-edited database).
    #[error("store: corrupt value in {table}.{column}: {value}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// Column.
        column: &'static str,
        /// What was found.
        value: String,
    },
    /// A test asked for this write to fail ([`Store::fail_next_write`]).
    #[error("store: injected write fault")]
    InjectedFault,
    /// [`Store::once`] was called from inside another [`Store::once`] on the same thread.
    #[error("store: a request's transaction cannot nest inside another")]
    Nested,
    /// A thread of the store could not be started.
    #[error("store: cannot start a thread: {source}")]
    Thread {
        /// Why.
        source: std::io::Error,
    },
    /// A request of an unguarded batch failed part-way, so the batch cannot be committed
    /// ([`Store::batch`]).
    #[error("store: a request of the batch failed part-way; the batch is rolled back")]
    Poisoned,
}

/// Attaches the name of the operation to a rusqlite error.
trait Context<T> {
    fn during(self, operation: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn during(self, operation: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Sqlite { operation, source })
    }
}

/// A user to create with [`Store::create_user`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    /// Phone number, digits only (`None` for bots).
    pub phone: Option<String>,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// Username without `@`.
    pub username: Option<String>,
    /// The secret half of a bot token (`Some` makes the account a bot).
    pub bot_token_secret: Option<String>,
    /// The DC the account lives on.
    pub home_dc: i32,
    /// 2FA password, if any.
    pub password: Option<PasswordRecord>,
    /// Login email, if any.
    pub login_email: Option<String>,
    /// Random `access_hash`.
    pub access_hash: i64,
}

/// The SQLite store. Cheap to share behind an `Arc`: one connection behind a mutex (SQLite
/// serialises writers anyway, and every operation here is a few indexed statements).
pub struct Store {
    conn: Slot,
    fail_next_write: AtomicBool,
    /// The secret access hashes are derived from (read once at open, never changes).
    peer_secret: [u8; 32],
    /// A file's WAL checkpoints, off the writing thread (none in memory).
    _checkpointer: Option<checkpoint::Checkpointer>,
    /// The senders' latest `random_id`s.
    random_ids: random_ids::RandomIds,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) `dir/server.sqlite3`, creating `dir` too. The dir is made (or
    /// tightened to) 0700 on Unix: the database holds the server's private key.
    pub fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        crate::private_files::create_dir(dir)
            .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
        Store::open_file(&dir.join(DB_FILE_NAME))
    }

    /// Opens (creating if needed) the database file at `path`. On Unix the file and its WAL and
    /// shared-memory files are readable by their owner only (0600), whatever the umask.
    pub fn open_file(path: &Path) -> Result<Store, StoreError> {
        crate::private_files::prepare_database(path)
            .map_err(|source| StoreError::DatabaseFile { path: path.display().to_string(), source })?;
        let conn = Connection::open(path).during("open database file")?;
        // WAL keeps readers off the writer's back; NORMAL sync is durable across process crashes
        // (only an OS crash may lose the last commits), which is what a local server needs.
        conn.pragma_update(None, "journal_mode", "WAL").during("enable WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL").during("set synchronous")?;
        // Checkpoints (an fsync of the WAL and the database, and a copy of every page changed
        // since the last) run on their own thread (see `checkpoint.rs`); the one SQLite runs
        // inside a commit is the fallback that restarts the WAL once it holds 100,000 pages
        // (400 MiB at most, reached only under sustained full load; each time it stalls the
        // writer for the copy of what the checkpoint thread had not copied yet and two fsyncs).
        conn.pragma_update(None, "wal_autocheckpoint", 100_000).during("set the checkpoint interval")?;
        // Pages read through a mapping of the file instead of a read(2) and a copy each.
        conn.pragma_update(None, "mmap_size", 256 * 1024 * 1024).during("map the database file")?;
        let mut store = Store::init(conn)?;
        store._checkpointer = Some(checkpoint::Checkpointer::start(path)?);
        Ok(store)
    }

    /// A store that lives in memory only (tests, `--memory`).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory().during("open in-memory database")?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        conn.pragma_update(None, "foreign_keys", "ON").during("enable foreign keys")?;
        // A request's writes are savepoints of its transaction: their rollback journal (and any
        // temporary table) stays in memory instead of a temporary file, and a page cache of
        // 64 MiB keeps a large transaction (many requests committed together) from spilling.
        conn.pragma_update(None, "temp_store", "MEMORY").during("keep temporary data in memory")?;
        conn.pragma_update(None, "cache_size", -65_536).during("set the page cache size")?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).during("set busy timeout")?;
        let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).during("read schema version")?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::SchemaTooNew { found: version });
        }
        if version < SCHEMA_VERSION {
            let tx = conn.unchecked_transaction().during("begin schema creation")?;
            // Idempotent (`IF NOT EXISTS`).
            tx.execute_batch(SCHEMA_V1).during("create schema")?;
            if version < 2 {
                // Only once: version 6 reshapes the table it creates.
                tx.execute_batch(SCHEMA_V2).during("upgrade schema to version 2")?;
            }
            if version < 3 {
                tx.execute_batch(SCHEMA_V3).during("upgrade schema to version 3")?;
            }
            if version < 4 {
                // Only once: version 6 reshapes what it creates.
                tx.execute_batch(SCHEMA_V4).during("upgrade schema to version 4")?;
            }
            tx.execute_batch(SCHEMA_V5).during("upgrade schema to version 5")?;
            if version < 6 {
                tx.execute_batch(SCHEMA_V6).during("upgrade schema to version 6")?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION).during("write schema version")?;
            tx.commit().during("commit schema creation")?;
        }
        let peer_secret = peers::read_peer_secret(&conn)?;
        Ok(Store {
            conn: Slot::new(conn),
            fail_next_write: AtomicBool::new(false),
            peer_secret,
            _checkpointer: None,
            random_ids: random_ids::RandomIds::new(),
        })
    }

    /// Makes the next write fail with [`StoreError::InjectedFault`] (for tests of failure paths).
    pub fn fail_next_write(&self) {
        self.fail_next_write.store(true, Ordering::SeqCst);
    }

    /// The connection, once no other thread has it (see [`conn`]).
    fn lock(&self) -> Lent<'_> {
        self.conn.lend()
    }

    /// Runs `f` in one write transaction, committing if it returns `Ok`.
    fn write<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.take_injected_fault()?;
        self.transaction(operation, f)
    }

    /// Fails once after [`Store::fail_next_write`].
    fn take_injected_fault(&self) -> Result<(), StoreError> {
        if self.fail_next_write.swap(false, Ordering::SeqCst) {
            return Err(StoreError::InjectedFault);
        }
        Ok(())
    }

    /// Runs `f` in one transaction that holds SQLite's write lock from its first statement
    /// (`BEGIN IMMEDIATE`), committing if it returns `Ok`. What `f` reads then stays true until it
    /// commits, even with other connections on the same file, so a check and the write it guards
    /// cannot be split by another writer.
    ///
    /// Inside a request's transaction ([`Store::once`]) it is a savepoint of that transaction
    /// instead: it still applies entirely or not at all, and commits only with the request.
    fn transaction<T>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock();
        if !conn.is_autocommit() {
            return self.inside_held(&mut conn, operation, f);
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).during(operation)?;
        let value = f(&tx)?;
        tx.commit().during(operation)?;
        Ok(value)
    }

    /// Runs `f` in one transaction like the store's own writes do (a savepoint inside a
    /// request's transaction, see [`Store::once`]): everything it wrote is kept if it returns
    /// `Ok`, nothing if it returns `Err`. For the handlers' writes that span several tables.
    pub(crate) fn atomically<T, E: From<StoreError>>(
        &self,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        self.take_injected_fault()?;
        let mut conn = self.lock();
        if !conn.is_autocommit() {
            return self.inside_held(&mut conn, operation, f);
        }
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).during(operation)?;
        let value = f(&tx)?;
        tx.commit().during(operation)?;
        Ok(value)
    }

    /// Runs `f` inside this thread's held transaction, all or nothing: as a savepoint of it, or,
    /// in an unguarded one (see [`Guard::Unguarded`]), directly, poisoning the transaction if `f`
    /// fails after it changed something.
    fn inside_held<T, E: From<StoreError>>(
        &self,
        conn: &mut Connection,
        operation: &'static str,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        if matches!(self.conn.guard_here(), Some(Guard::Unguarded { .. })) {
            let before = conn.total_changes();
            let value = f(conn);
            if value.is_err() && conn.total_changes() != before {
                self.conn.poison_here();
            }
            return value;
        }
        let savepoint = conn.savepoint().during(operation)?;
        let value = f(&savepoint)?;
        savepoint.commit().during(operation)?;
        Ok(value)
    }

    /// The senders' latest `random_id`s, for the handlers' transactions.
    pub(crate) fn random_ids(&self) -> &RandomIds {
        &self.random_ids
    }

    /// The auth keys signed in as `user_id`.
    pub fn auth_keys_of(&self, user_id: i64) -> Result<Vec<i64>, StoreError> {
        auth_keys_of(&self.lock(), user_id)
    }

    // ---- server RSA key ----

    /// The server's RSA private key as stored (whatever encoding the caller chose), if set.
    pub fn rsa_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.lock()
            .query_row("SELECT rsa_key FROM server_key WHERE id = 1", [], |r| r.get(0))
            .optional()
            .during("read RSA key")
    }

    /// Stores the server's RSA private key (replacing any previous one).
    pub fn set_rsa_key(&self, key: &[u8], now: i64) -> Result<(), StoreError> {
        self.write("store RSA key", |tx| {
            tx.execute(
                "INSERT INTO server_key (id, rsa_key, created) VALUES (1, ?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET rsa_key = excluded.rsa_key, created = excluded.created",
                params![key, now],
            )
            .during("store RSA key")?;
            Ok(())
        })
    }

    // ---- sign-in as one transaction ----

    /// Completes a sign-in: the code becomes used and the key is bound to the user, atomically.
    pub fn complete_sign_in(&self, phone_code_hash: &str, auth_key_id: i64, user_id: i64) -> Result<bool, StoreError> {
        self.write("complete sign-in", |tx| {
            set_code_state(tx, phone_code_hash, CodeState::Used)?;
            bind(tx, auth_key_id, Some(user_id))
        })
    }

    /// Completes a 2FA-protected sign-in's first step: the code becomes used and the key waits
    /// for the password of `user_id`.
    pub fn complete_code_for_password(
        &self,
        phone_code_hash: &str,
        auth_key_id: i64,
        user_id: i64,
    ) -> Result<bool, StoreError> {
        self.write("sign-in awaiting password", |tx| {
            set_code_state(tx, phone_code_hash, CodeState::Used)?;
            let changed = tx
                .execute("UPDATE auth_keys SET password_pending_user = ?2 WHERE id = ?1", params![auth_key_id, user_id])
                .during("set password pending")?;
            Ok(changed > 0)
        })
    }

    /// Completes a sign-up: creates the user, uses the code and binds the key, atomically.
    /// Returns `None` if the key does not exist (nothing is written then).
    pub fn complete_sign_up(
        &self,
        phone_code_hash: &str,
        auth_key_id: i64,
        user: &NewUser,
        now: i64,
    ) -> Result<Option<UserRecord>, StoreError> {
        self.write("complete sign-up", |tx| {
            if !exists(tx, auth_key_id)? {
                return Ok(None);
            }
            let record = insert_user(tx, user, now)?;
            set_code_state(tx, phone_code_hash, CodeState::Used)?;
            bind(tx, auth_key_id, Some(record.id))?;
            Ok(Some(record))
        })
    }

    // ---- flood counters ----

    /// Counts one event under `key` in a fixed window of `window` seconds that starts with the
    /// first event after the previous window ended. Returns the count in the current window
    /// (this event included) and the window's end.
    pub fn bump_flood(&self, key: &str, window: i64, now: i64) -> Result<(i64, i64), StoreError> {
        self.write("bump flood counter", |tx| {
            tx.query_row(
                "INSERT INTO flood_counters (counter_key, window_end, count) VALUES (?1, ?2 + ?3, 1)
                 ON CONFLICT(counter_key) DO UPDATE SET
                   count = CASE WHEN window_end <= ?2 THEN 1 ELSE count + 1 END,
                   window_end = CASE WHEN window_end <= ?2 THEN ?2 + ?3 ELSE window_end END
                 RETURNING count, window_end",
                params![key, now, window],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .during("bump flood counter")
        })
    }

    /// The count and end of `key`'s window, if one is running at `now`.
    pub fn flood_window(&self, key: &str, now: i64) -> Result<Option<(i64, i64)>, StoreError> {
        self.lock()
            .query_row(
                "SELECT count, window_end FROM flood_counters WHERE counter_key = ?1 AND window_end > ?2",
                params![key, now],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .during("read flood counter")
    }

    // ---- exported authorizations ----

    /// Stores a one-time authorization for `dc`.
    pub fn insert_exported_auth(&self, export: &ExportedAuth) -> Result<(), StoreError> {
        self.write("insert exported authorization", |tx| {
            tx.execute(
                "INSERT INTO exported_auths (user_id, bytes, dc, created) VALUES (?1, ?2, ?3, ?4)",
                params![export.user_id, export.bytes, export.dc, export.created],
            )
            .during("insert exported authorization")?;
            Ok(())
        })
    }

    /// The exported authorizations of a user (any DC).
    pub fn exported_auths(&self, user_id: i64) -> Result<Vec<ExportedAuth>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT user_id, bytes, dc, created FROM exported_auths WHERE user_id = ?1")
            .during("list exported authorizations")?;
        let rows = stmt
            .query_map([user_id], |r| {
                Ok(ExportedAuth { user_id: r.get(0)?, bytes: r.get(1)?, dc: r.get(2)?, created: r.get(3)? })
            })
            .during("list exported authorizations")?;
        rows.collect::<Result<Vec<_>, _>>().during("list exported authorizations")
    }

    /// Consumes an exported authorization (it is single-use) and binds the key to its user.
    pub fn import_exported_auth(&self, export: &ExportedAuth, auth_key_id: i64) -> Result<bool, StoreError> {
        self.write("import authorization", |tx| {
            if !exists(tx, auth_key_id)? {
                return Ok(false);
            }
            tx.execute(
                "DELETE FROM exported_auths WHERE user_id = ?1 AND bytes = ?2 AND dc = ?3",
                params![export.user_id, export.bytes, export.dc],
            )
            .during("consume exported authorization")?;
            bind(tx, auth_key_id, Some(export.user_id))
        })
    }
}

pub(crate) fn auth_keys_of(conn: &Connection, user_id: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached("SELECT id FROM auth_keys WHERE user_id = ?1").during("list signed-in keys")?;
    let rows = stmt.query_map([user_id], |r| r.get(0)).during("list signed-in keys")?;
    rows.collect::<Result<Vec<i64>, _>>().during("list signed-in keys")
}

fn exists(tx: &Connection, auth_key_id: i64) -> Result<bool, StoreError> {
    tx.query_row("SELECT 1 FROM auth_keys WHERE id = ?1", [auth_key_id], |_| Ok(()))
        .optional()
        .during("check auth key")
        .map(|found| found.is_some())
}

fn bind(tx: &Connection, auth_key_id: i64, user_id: Option<i64>) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE auth_keys SET user_id = ?2, password_pending_user = NULL WHERE id = ?1",
            params![auth_key_id, user_id],
        )
        .during("bind auth key")?;
    Ok(changed > 0)
}

#[cfg(test)]
mod tests;
