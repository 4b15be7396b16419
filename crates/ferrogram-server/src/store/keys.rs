//! Auth keys and their sessions in the store: registered, bound to a user, described by the
//! client's `initConnection`, touched by activity.

use rusqlite::{params, OptionalExtension, Row};

use super::{bind, exists, AuthKeyRecord, ClientInfo, Context, Store, StoreError};

pub(super) const AUTH_KEY_COLUMNS: &str =
    "id, auth_key, dc, user_id, password_pending_user, layer, api_id, device_model, \
     system_version, app_version, lang_code, expires, created";

impl Store {
    /// Records a new auth key made by a key exchange (idempotent: a key already known is kept
    /// with its bindings).
    pub fn insert_auth_key(
        &self,
        id: i64,
        key: &[u8; 256],
        dc: i32,
        expires: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        self.write("insert auth key", |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO auth_keys (id, auth_key, dc, expires, created) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, &key[..], dc, expires, now],
            )
            .during("insert auth key")?;
            Ok(())
        })
    }

    /// The auth key with this id.
    pub fn auth_key(&self, id: i64) -> Result<Option<AuthKeyRecord>, StoreError> {
        static SQL: std::sync::LazyLock<String> =
            std::sync::LazyLock::new(|| format!("SELECT {AUTH_KEY_COLUMNS} FROM auth_keys WHERE id = ?1"));
        self.lock()
            .prepare_cached(&SQL)
            .during("read auth key")?
            .query_row([id], auth_key_row)
            .optional()
            .during("read auth key")?
            .transpose()
    }

    /// Records the layer a client announced on this key. Returns whether the key exists.
    pub fn set_auth_key_layer(&self, id: i64, layer: i32) -> Result<bool, StoreError> {
        self.write("record layer", |tx| {
            let changed = tx
                .execute("UPDATE auth_keys SET layer = ?2 WHERE id = ?1 AND layer IS NOT ?2", params![id, layer])
                .during("record layer")?;
            Ok(changed > 0 || exists(tx, id)?)
        })
    }

    /// Records what `initConnection` said on this key. Returns whether the key exists.
    pub fn set_auth_key_client(&self, id: i64, client: &ClientInfo) -> Result<bool, StoreError> {
        self.write("record client info", |tx| {
            // Unchanged info writes nothing: a request that only repeats `initConnection` does
            // not count as changing the store (see `Store::once`).
            let changed = tx
                .execute(
                    "UPDATE auth_keys SET api_id = ?2, device_model = ?3, system_version = ?4, app_version = ?5,
                     lang_code = ?6 WHERE id = ?1 AND (api_id IS NOT ?2 OR device_model IS NOT ?3
                     OR system_version IS NOT ?4 OR app_version IS NOT ?5 OR lang_code IS NOT ?6)",
                    params![
                        id,
                        client.api_id,
                        client.device_model,
                        client.system_version,
                        client.app_version,
                        client.lang_code
                    ],
                )
                .during("record client info")?;
            Ok(changed > 0 || exists(tx, id)?)
        })
    }

    /// Binds the key to a user (signed in), or with `None` unbinds it (logged out). Clears any
    /// pending 2FA. Returns whether the key exists.
    pub fn bind_auth_key(&self, id: i64, user_id: Option<i64>) -> Result<bool, StoreError> {
        self.write("bind auth key", |tx| bind(tx, id, user_id))
    }

    /// Marks the key as waiting for `auth.checkPassword` of `user_id`.
    pub fn set_password_pending(&self, id: i64, user_id: Option<i64>) -> Result<bool, StoreError> {
        self.write("set password pending", |tx| {
            let changed = tx
                .execute("UPDATE auth_keys SET password_pending_user = ?2 WHERE id = ?1", params![id, user_id])
                .during("set password pending")?;
            Ok(changed > 0)
        })
    }

    /// Notes that `session_id` is in use on the key (created on first sight).
    pub fn touch_session(&self, auth_key_id: i64, session_id: i64, now: i64) -> Result<(), StoreError> {
        self.write("touch session", |tx| {
            tx.execute(
                "INSERT INTO sessions (auth_key_id, session_id, created, last_seen) VALUES (?1, ?2, ?3, ?3)
                 ON CONFLICT(auth_key_id, session_id) DO UPDATE SET last_seen = excluded.last_seen",
                params![auth_key_id, session_id, now],
            )
            .during("touch session")?;
            Ok(())
        })
    }

    /// The session ids known on a key, oldest first.
    pub fn sessions(&self, auth_key_id: i64) -> Result<Vec<i64>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare("SELECT session_id FROM sessions WHERE auth_key_id = ?1 ORDER BY created, session_id")
            .during("list sessions")?;
        let rows = stmt.query_map([auth_key_id], |r| r.get(0)).during("list sessions")?;
        rows.collect::<Result<Vec<i64>, _>>().during("list sessions")
    }
}

pub(super) fn auth_key_row(r: &Row<'_>) -> rusqlite::Result<Result<AuthKeyRecord, StoreError>> {
    let bytes: Vec<u8> = r.get(1)?;
    let Ok(key) = <[u8; 256]>::try_from(bytes.as_slice()) else {
        return Ok(Err(StoreError::Corrupt {
            table: "auth_keys",
            column: "auth_key",
            value: format!("{} bytes", bytes.len()),
        }));
    };
    Ok(Ok(AuthKeyRecord {
        id: r.get(0)?,
        key,
        dc: r.get(2)?,
        user_id: r.get(3)?,
        password_pending_user: r.get(4)?,
        layer: r.get(5)?,
        client: ClientInfo {
            api_id: r.get(6)?,
            device_model: r.get(7)?,
            system_version: r.get(8)?,
            app_version: r.get(9)?,
            lang_code: r.get(10)?,
        },
        expires: r.get(11)?,
        created: r.get(12)?,
    }))
}
