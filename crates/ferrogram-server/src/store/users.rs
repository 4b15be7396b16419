//! Users: creating them, reading them (by id, phone, the auth key signed in as them), their bot
//! token secret and 2FA password.

use std::sync::LazyLock;

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Context, NewUser, PasswordRecord, Store, StoreError, UserRecord, FIRST_USER_ID};

pub(super) const USER_COLUMNS: &str = "id, access_hash, phone, first_name, last_name, username, is_bot, home_dc, \
     srp_salt1, srp_salt2, srp_verifier, password_hint, login_email, created";

impl Store {
    /// Creates a user with the next free id.
    pub fn create_user(&self, user: &NewUser, now: i64) -> Result<UserRecord, StoreError> {
        self.write("create user", |tx| insert_user(tx, user, now))
    }

    /// The user with this id.
    pub fn user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        // Built once: every call of a signed-in client reads its user.
        static SQL: LazyLock<String> = LazyLock::new(|| format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1"));
        self.lock()
            .prepare_cached(&SQL)
            .during("read user")?
            .query_row([id], user_row)
            .optional()
            .during("read user")?
            .transpose()
    }

    /// The user the auth key `key_id` is signed in as, in one read: `None` if there is no such
    /// key, `Some(None)` if it is not signed in.
    pub fn signed_in_user(&self, key_id: i64) -> Result<Option<Option<UserRecord>>, StoreError> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            let columns = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
            format!(
                "SELECT k.user_id, {columns} FROM auth_keys k LEFT JOIN users u ON u.id = k.user_id WHERE k.id = ?1"
            )
        });
        let conn = self.lock();
        let mut statement = conn.prepare_cached(&SQL).during("read the signed-in user")?;
        let row = statement
            .query_row([key_id], |r| {
                let user_id: Option<i64> = r.get(0)?;
                let user: Option<i64> = r.get(1)?;
                match (user_id, user) {
                    (Some(_), Some(_)) => user_row_at(r, 1).map(Some),
                    _ => Ok(None),
                }
            })
            .optional()
            .during("read the signed-in user")?;
        row.map(Option::transpose).transpose()
    }

    /// The user with this phone number (digits only).
    pub fn user_by_phone(&self, phone: &str) -> Result<Option<UserRecord>, StoreError> {
        self.lock()
            .query_row(&format!("SELECT {USER_COLUMNS} FROM users WHERE phone = ?1"), [phone], user_row)
            .optional()
            .during("read user by phone")?
            .transpose()
    }

    /// The secret half of a bot's token, if `id` is a bot.
    pub fn bot_token_secret(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT bot_token_secret FROM users WHERE id = ?1 AND is_bot = 1", [id], |r| {
                r.get::<_, Option<String>>(0)
            })
            .optional()
            .during("read bot token")?
            .flatten())
    }

    /// Sets (or with `None` removes) a user's 2FA password.
    pub fn set_password(&self, user_id: i64, password: Option<&PasswordRecord>) -> Result<(), StoreError> {
        self.write("set password", |tx| {
            tx.execute(
                "UPDATE users SET srp_salt1 = ?2, srp_salt2 = ?3, srp_verifier = ?4, password_hint = ?5 WHERE id = ?1",
                params![
                    user_id,
                    password.map(|p| &p.salt1),
                    password.map(|p| &p.salt2),
                    password.map(|p| &p.verifier),
                    password.and_then(|p| p.hint.as_ref()),
                ],
            )
            .during("set password")?;
            Ok(())
        })
    }
}

pub(super) fn insert_user(tx: &Connection, user: &NewUser, now: i64) -> Result<UserRecord, StoreError> {
    let id: i64 = tx
        .query_row("SELECT COALESCE(MAX(id) + 1, ?1) FROM users", [FIRST_USER_ID], |r| r.get(0))
        .during("allocate user id")?;
    let password = user.password.as_ref();
    tx.execute(
        &format!(
            "INSERT INTO users ({USER_COLUMNS}, bot_token_secret)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ),
        params![
            id,
            user.access_hash,
            user.phone,
            user.first_name,
            user.last_name,
            user.username,
            user.bot_token_secret.is_some(),
            user.home_dc,
            password.map(|p| &p.salt1),
            password.map(|p| &p.salt2),
            password.map(|p| &p.verifier),
            password.and_then(|p| p.hint.as_ref()),
            user.login_email,
            now,
            user.bot_token_secret,
        ],
    )
    .during("insert user")?;
    Ok(UserRecord {
        id,
        access_hash: user.access_hash,
        phone: user.phone.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        username: user.username.clone(),
        is_bot: user.bot_token_secret.is_some(),
        home_dc: user.home_dc,
        password: user.password.clone(),
        login_email: user.login_email.clone(),
        created: now,
    })
}

pub(super) fn user_row(r: &Row<'_>) -> rusqlite::Result<Result<UserRecord, StoreError>> {
    user_row_at(r, 0)
}

/// [`user_row`] of the user columns starting at column `at`.
fn user_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<Result<UserRecord, StoreError>> {
    let salt1: Option<Vec<u8>> = r.get(at + 8)?;
    let salt2: Option<Vec<u8>> = r.get(at + 9)?;
    let verifier: Option<Vec<u8>> = r.get(at + 10)?;
    let password = match (salt1, salt2, verifier) {
        (Some(salt1), Some(salt2), Some(verifier)) => {
            Some(PasswordRecord { salt1, salt2, verifier, hint: r.get(at + 11)? })
        }
        _ => None,
    };
    Ok(Ok(UserRecord {
        id: r.get(at)?,
        access_hash: r.get(at + 1)?,
        phone: r.get(at + 2)?,
        first_name: r.get(at + 3)?,
        last_name: r.get(at + 4)?,
        username: r.get(at + 5)?,
        is_bot: r.get(at + 6)?,
        home_dc: r.get(at + 7)?,
        password,
        login_email: r.get(at + 12)?,
        created: r.get(at + 13)?,
    }))
}
