//! QR-login tokens (<https://core.telegram.org/api/qr-login>): the tokens signed-out keys
//! export (`auth.exportLoginToken`), their acceptance by a signed-in account
//! (`auth.acceptLoginToken`), and the tokens of a migration to the account's home DC
//! (`auth.importLoginToken`).
//!
//! The table is bounded by construction: [`Store::issue_login_token`] first drops the tokens
//! that expired longer ago than a retention (until then they answer "expired" rather than
//! "invalid"), keeps at most a given number of tokens per key (dropping the key's oldest) and
//! refuses a new one when the whole table is at its cap. [`Store::prune`] drops old ones as
//! well, so a server nobody asks for tokens does not keep them either.

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{bind, Context, Store, StoreError};

/// What a login token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginTokenKind {
    /// Exported by a signed-out key to be shown as a QR code and accepted by a signed-in one.
    Export,
    /// Handed out in `auth.loginTokenMigrateTo`: any key on its DC may import it once.
    Import,
}

impl LoginTokenKind {
    fn as_str(self) -> &'static str {
        match self {
            LoginTokenKind::Export => "export",
            LoginTokenKind::Import => "import",
        }
    }

    fn parse(value: &str) -> Result<LoginTokenKind, StoreError> {
        match value {
            "export" => Ok(LoginTokenKind::Export),
            "import" => Ok(LoginTokenKind::Import),
            other => Err(StoreError::Corrupt { table: "login_tokens", column: "kind", value: other.to_owned() }),
        }
    }
}

/// One login token as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginTokenRecord {
    /// The token's random bytes (what the QR code carries).
    pub token: Vec<u8>,
    /// What the token is for.
    pub kind: LoginTokenKind,
    /// The key that exported it and waits for its acceptance (`None` for import tokens).
    pub auth_key_id: Option<i64>,
    /// The DC it was exported on, or for an import token the DC that may import it.
    pub dc: i32,
    /// The accounts the exporting app is signed in to already (`except_ids`): none of them may
    /// accept it.
    pub except_ids: Vec<i64>,
    /// When it was made (Unix seconds).
    pub created: i64,
    /// When it stops being usable (Unix seconds); moved on when it is accepted, so that the
    /// waiting key has time to collect the authorization.
    pub expires: i64,
    /// The account that accepted it (always set for import tokens).
    pub accepted_by: Option<i64>,
}

/// Why [`Store::complete_login_token`] changed nothing.
enum Completion {
    /// The token or the key is gone.
    Gone,
    Store(StoreError),
}

impl From<StoreError> for Completion {
    fn from(error: StoreError) -> Self {
        Completion::Store(error)
    }
}

/// What [`Store::issue_login_token`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuedToken {
    /// The token is stored.
    Stored,
    /// The table is at its cap.
    Full {
        /// When the oldest token is pruned, freeing a slot (Unix seconds).
        next_free: i64,
    },
}

const TOKEN_COLUMNS: &str = "token, kind, auth_key_id, dc, except_ids, created, expires, accepted_by";

fn token_row(r: &Row<'_>) -> rusqlite::Result<Result<LoginTokenRecord, StoreError>> {
    let kind: String = r.get(1)?;
    let except: String = r.get(4)?;
    let mut record = LoginTokenRecord {
        token: r.get(0)?,
        kind: LoginTokenKind::Export,
        auth_key_id: r.get(2)?,
        dc: r.get(3)?,
        except_ids: Vec::new(),
        created: r.get(5)?,
        expires: r.get(6)?,
        accepted_by: r.get(7)?,
    };
    record.kind = match LoginTokenKind::parse(&kind) {
        Ok(kind) => kind,
        Err(error) => return Ok(Err(error)),
    };
    for id in except.split(',').filter(|s| !s.is_empty()) {
        match id.parse::<i64>() {
            Ok(id) => record.except_ids.push(id),
            Err(_) => {
                let value = except.clone();
                return Ok(Err(StoreError::Corrupt { table: "login_tokens", column: "except_ids", value }));
            }
        }
    }
    Ok(Ok(record))
}

fn insert_token(tx: &Connection, record: &LoginTokenRecord) -> Result<(), StoreError> {
    let except: Vec<String> = record.except_ids.iter().map(i64::to_string).collect();
    tx.execute(
        &format!("INSERT INTO login_tokens ({TOKEN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            record.token,
            record.kind.as_str(),
            record.auth_key_id,
            record.dc,
            except.join(","),
            record.created,
            record.expires,
            record.accepted_by,
        ],
    )
    .during("insert login token")?;
    Ok(())
}

/// Drops the tokens that expired `retention` seconds or longer before `now`; returns how many.
pub(super) fn prune_login_tokens(tx: &Connection, now: i64, retention: i64) -> Result<usize, StoreError> {
    tx.execute("DELETE FROM login_tokens WHERE expires <= ?1", [now.saturating_sub(retention.max(0))])
        .during("prune login tokens")
}

impl Store {
    /// Stores a new export token of `record.auth_key_id`, in one transaction: tokens that
    /// expired `retention` seconds ago or earlier go first; of the key's tokens only the newest
    /// `per_key - 1` stay (a phone may still be scanning the previous QR code while the app
    /// shows the next); and if `total` tokens remain in all, nothing is stored
    /// ([`IssuedToken::Full`]).
    pub fn issue_login_token(
        &self,
        record: &LoginTokenRecord,
        now: i64,
        retention: i64,
        (per_key, total): (usize, usize),
    ) -> Result<IssuedToken, StoreError> {
        let keep = i64::try_from(per_key.max(1) - 1).unwrap_or(i64::MAX);
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        self.write("issue login token", |tx| {
            prune_login_tokens(tx, now, retention)?;
            tx.execute(
                "DELETE FROM login_tokens WHERE auth_key_id = ?1 AND token NOT IN (
                   SELECT token FROM login_tokens WHERE auth_key_id = ?1
                   ORDER BY created DESC, expires DESC LIMIT ?2)",
                params![record.auth_key_id, keep],
            )
            .during("drop a key's oldest login tokens")?;
            let (live, oldest): (i64, Option<i64>) = tx
                .query_row("SELECT COUNT(*), MIN(expires) FROM login_tokens", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .during("count login tokens")?;
            if live >= total {
                let next_free = oldest.map_or(now, |expires| expires.saturating_add(retention.max(0)));
                return Ok(IssuedToken::Full { next_free });
            }
            insert_token(tx, record)?;
            Ok(IssuedToken::Stored)
        })
    }

    /// The token with these bytes, if stored (expired or not).
    pub fn login_token(&self, token: &[u8]) -> Result<Option<LoginTokenRecord>, StoreError> {
        self.lock()
            .query_row(&format!("SELECT {TOKEN_COLUMNS} FROM login_tokens WHERE token = ?1"), [token], token_row)
            .optional()
            .during("read login token")?
            .transpose()
    }

    /// The export token of `auth_key_id` that an account accepted and that is still usable at
    /// `now`, if any (the newest, should there be several).
    pub fn accepted_login_token(&self, auth_key_id: i64, now: i64) -> Result<Option<LoginTokenRecord>, StoreError> {
        self.lock()
            .query_row(
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM login_tokens
                     WHERE auth_key_id = ?1 AND kind = 'export' AND accepted_by IS NOT NULL AND expires > ?2
                     ORDER BY created DESC LIMIT 1"
                ),
                params![auth_key_id, now],
                token_row,
            )
            .optional()
            .during("read accepted login token")?
            .transpose()
    }

    /// Marks a live, unaccepted token as accepted by `user_id`, usable until `expires`. Returns
    /// `false` if it was accepted (or expired, or dropped) meanwhile: the check and the mark are
    /// one statement, so two acceptances cannot both succeed.
    pub fn accept_login_token(&self, token: &[u8], user_id: i64, now: i64, expires: i64) -> Result<bool, StoreError> {
        self.write("accept login token", |tx| {
            let changed = tx
                .execute(
                    "UPDATE login_tokens SET accepted_by = ?2, expires = ?4
                     WHERE token = ?1 AND kind = 'export' AND accepted_by IS NULL AND expires > ?3",
                    params![token, user_id, now, expires],
                )
                .during("accept login token")?;
            Ok(changed > 0)
        })
    }

    /// Replaces an accepted token by `import` (the token of a migration to the account's DC).
    pub fn migrate_login_token(&self, accepted: &[u8], import: &LoginTokenRecord) -> Result<(), StoreError> {
        self.write("migrate login token", |tx| {
            tx.execute("DELETE FROM login_tokens WHERE token = ?1", [accepted]).during("consume login token")?;
            insert_token(tx, import)
        })
    }

    /// Uses up an accepted token on `auth_key_id`, atomically: the token is dropped and the key
    /// is signed in as `user_id`, or with `password_pending` left waiting for that account's
    /// 2FA password (`auth.checkPassword`). Returns `false` (and changes nothing) if the token
    /// or the key is gone.
    pub fn complete_login_token(
        &self,
        token: &[u8],
        auth_key_id: i64,
        user_id: i64,
        password_pending: bool,
    ) -> Result<bool, StoreError> {
        let completed = self.atomically("complete login token", |tx| {
            let removed =
                tx.execute("DELETE FROM login_tokens WHERE token = ?1", [token]).during("consume login token")?;
            if removed == 0 {
                return Err(Completion::Gone);
            }
            let bound = if password_pending {
                tx.execute(
                    "UPDATE auth_keys SET password_pending_user = ?2 WHERE id = ?1",
                    params![auth_key_id, user_id],
                )
                .during("set password pending")?
                    > 0
            } else {
                bind(tx, auth_key_id, Some(user_id))?
            };
            // Without the key the removal is rolled back with the savepoint: the token stays.
            if bound {
                Ok(())
            } else {
                Err(Completion::Gone)
            }
        });
        match completed {
            Ok(()) => Ok(true),
            Err(Completion::Gone) => Ok(false),
            Err(Completion::Store(error)) => Err(error),
        }
    }

    /// How many login tokens the store has, expired ones included (tests and diagnostics).
    pub fn login_token_count(&self) -> Result<u64, StoreError> {
        self.lock().query_row("SELECT COUNT(*) FROM login_tokens", [], |r| r.get(0)).during("count login tokens")
    }
}
