//! What the store keeps about peers (<https://core.telegram.org/api/peers>): the secret every
//! `access_hash` is derived from, each account's contacts, usernames (unique whatever their
//! case, as Telegram's are) and profile texts (`about`).

use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{user_row, Context, Store, StoreError, UserRecord, USER_COLUMNS};

/// A user in an account's contacts, as that account saved them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRecord {
    /// The account whose contact list this is.
    pub owner_id: i64,
    /// The user the contact is.
    pub user_id: i64,
    /// The first name the owner saved (shown to the owner instead of the user's own).
    pub first_name: String,
    /// The last name the owner saved (may be empty).
    pub last_name: String,
    /// The phone number as the owner imported it.
    pub phone: String,
    /// When the contact was first added (Unix seconds).
    pub added: i64,
}

/// What [`Store::set_username`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsernameChange {
    /// The username was set (or removed).
    Changed,
    /// The user already had exactly this username.
    Unchanged,
    /// Another user has this username (in any case).
    Occupied,
    /// There is no such user.
    NoUser,
}

const CONTACT_COLUMNS: &str = "owner_id, user_id, first_name, last_name, phone, added";

/// The peer secret written by schema version 3.
pub(super) fn read_peer_secret(conn: &Connection) -> Result<[u8; 32], StoreError> {
    let secret: Option<Vec<u8>> = conn
        .query_row("SELECT secret FROM peer_secret WHERE id = 1", [], |r| r.get(0))
        .optional()
        .during("read peer secret")?;
    let corrupt = |value: String| StoreError::Corrupt { table: "peer_secret", column: "secret", value };
    let secret = secret.ok_or_else(|| corrupt("missing".into()))?;
    <[u8; 32]>::try_from(secret.as_slice()).map_err(|_| corrupt(format!("{} bytes", secret.len())))
}

fn contact_row(r: &Row<'_>) -> rusqlite::Result<ContactRecord> {
    Ok(ContactRecord {
        owner_id: r.get(0)?,
        user_id: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        phone: r.get(4)?,
        added: r.get(5)?,
    })
}

impl Store {
    /// The 32 random bytes every viewer-dependent `access_hash` is derived from. Made once, with
    /// the database; the same for the store's whole life (a changed secret would invalidate every
    /// hash clients hold).
    pub fn peer_secret(&self) -> &[u8; 32] {
        &self.peer_secret
    }

    /// The contact `user_id` in `owner_id`'s contacts, if there.
    pub fn contact(&self, owner_id: i64, user_id: i64) -> Result<Option<ContactRecord>, StoreError> {
        self.lock()
            .query_row(
                &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE owner_id = ?1 AND user_id = ?2"),
                [owner_id, user_id],
                contact_row,
            )
            .optional()
            .during("read contact")
    }

    /// Every contact of `owner_id`, by user id.
    pub fn contacts(&self, owner_id: i64) -> Result<Vec<ContactRecord>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare(&format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE owner_id = ?1 ORDER BY user_id"))
            .during("list contacts")?;
        let rows = stmt.query_map([owner_id], contact_row).during("list contacts")?;
        rows.collect::<Result<Vec<_>, _>>().during("list contacts")
    }

    /// Adds a contact, or replaces the saved name and phone of one already there. Returns
    /// whether anything changed.
    pub fn put_contact(&self, contact: &ContactRecord) -> Result<bool, StoreError> {
        self.write("save contact", |tx| {
            let changed = tx
                .execute(
                    &format!(
                        "INSERT INTO contacts ({CONTACT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT(owner_id, user_id) DO UPDATE SET first_name = excluded.first_name,
                         last_name = excluded.last_name, phone = excluded.phone
                         WHERE first_name IS NOT excluded.first_name OR last_name IS NOT excluded.last_name
                         OR phone IS NOT excluded.phone"
                    ),
                    params![
                        contact.owner_id,
                        contact.user_id,
                        contact.first_name,
                        contact.last_name,
                        contact.phone,
                        contact.added
                    ],
                )
                .during("save contact")?;
            Ok(changed > 0)
        })
    }

    /// Removes `user_ids` from `owner_id`'s contacts; returns how many were there.
    pub fn delete_contacts(&self, owner_id: i64, user_ids: &[i64]) -> Result<usize, StoreError> {
        self.write("delete contacts", |tx| {
            let mut removed = 0;
            for user_id in user_ids {
                removed += tx
                    .execute("DELETE FROM contacts WHERE owner_id = ?1 AND user_id = ?2", [owner_id, *user_id])
                    .during("delete contacts")?;
            }
            Ok(removed)
        })
    }

    /// The user with this username, whatever its case.
    pub fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        self.lock()
            .query_row(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE username = ?1 COLLATE NOCASE"),
                [username],
                user_row,
            )
            .optional()
            .during("read user by username")?
            .transpose()
    }

    /// Sets (or with `None` removes) a user's username, unless another user has it in any case.
    /// A change of case only is a change.
    pub fn set_username(&self, user_id: i64, username: Option<&str>) -> Result<UsernameChange, StoreError> {
        self.write("set username", |tx| {
            let current: Option<Option<String>> = tx
                .query_row("SELECT username FROM users WHERE id = ?1", [user_id], |r| r.get(0))
                .optional()
                .during("set username")?;
            let Some(current) = current else { return Ok(UsernameChange::NoUser) };
            if current.as_deref() == username {
                return Ok(UsernameChange::Unchanged);
            }
            if let Some(name) = username {
                let taken = tx
                    .query_row(
                        "SELECT 1 FROM users WHERE username = ?1 COLLATE NOCASE AND id != ?2",
                        params![name, user_id],
                        |_| Ok(()),
                    )
                    .optional()
                    .during("set username")?;
                if taken.is_some() {
                    return Ok(UsernameChange::Occupied);
                }
            }
            tx.execute("UPDATE users SET username = ?2 WHERE id = ?1", params![user_id, username])
                .during("set username")?;
            Ok(UsernameChange::Changed)
        })
    }

    /// Sets a user's names and profile text (`about`, `None` for none). Returns whether the user
    /// exists.
    pub fn set_profile(
        &self,
        user_id: i64,
        first_name: &str,
        last_name: &str,
        about: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.write("update profile", |tx| {
            let exists = tx
                .query_row("SELECT 1 FROM users WHERE id = ?1", [user_id], |_| Ok(()))
                .optional()
                .during("update profile")?
                .is_some();
            // Only what differs is written: an update to the same values changes nothing.
            tx.execute(
                "UPDATE users SET first_name = ?2, last_name = ?3, about = ?4 WHERE id = ?1
                 AND (first_name IS NOT ?2 OR last_name IS NOT ?3 OR about IS NOT ?4)",
                params![user_id, first_name, last_name, about],
            )
            .during("update profile")?;
            Ok(exists)
        })
    }

    /// A user's profile text, if set.
    pub fn about(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row("SELECT about FROM users WHERE id = ?1", [user_id], |r| r.get::<_, Option<String>>(0))
            .optional()
            .during("read profile text")?
            .flatten())
    }

    /// Users `owner_id` may find by `prefix`: its contacts and the users with a username (public
    /// ones) with a word of their full name, their username, or a word of the full name saved as
    /// `owner_id`'s contact that starts with `prefix` (ASCII letters in any case); never
    /// `owner_id`; by id, at most `limit`.
    pub fn search_users(&self, owner_id: i64, prefix: &str, limit: usize) -> Result<Vec<UserRecord>, StoreError> {
        let conn = self.lock();
        // A word of the full name starts with `prefix` (which may span words: "ada lo"):
        // ' ' || name has " prefix" somewhere.
        let pattern = format!("% {}%", escape_like(prefix));
        let columns: String = USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {columns} FROM users u LEFT JOIN contacts c ON c.owner_id = ?1 AND c.user_id = u.id
                 WHERE u.id != ?1 AND (c.user_id IS NOT NULL OR u.username IS NOT NULL)
                 AND (' ' || u.first_name || ' ' || u.last_name LIKE ?2 ESCAPE '\\'
                 OR ' ' || u.username LIKE ?2 ESCAPE '\\'
                 OR ' ' || c.first_name || ' ' || c.last_name LIKE ?2 ESCAPE '\\')
                 ORDER BY u.id LIMIT ?3"
            ))
            .during("search users")?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![owner_id, pattern, limit], user_row).during("search users")?;
        rows.map(|r| r.during("search users").and_then(|x| x)).collect()
    }
}

/// `text` matched literally by `LIKE … ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{SCHEMA_V1, SCHEMA_V2, SCHEMA_VERSION};
    use super::*;

    #[test]
    fn the_peer_secret_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = *Store::open_dir(dir.path()).unwrap().peer_secret();
        assert_ne!(first, [0u8; 32]);
        assert_eq!(*Store::open_dir(dir.path()).unwrap().peer_secret(), first);
        assert_ne!(*Store::open_in_memory().unwrap().peer_secret(), first, "each database has its own");
    }

    #[test]
    fn a_version_2_file_is_upgraded_with_its_users() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(SCHEMA_V1).unwrap();
            conn.execute_batch(SCHEMA_V2).unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
            conn.execute(
                "INSERT INTO users (id, access_hash, phone, first_name, last_name, username, home_dc, created)
                 VALUES (7, 1, '1555', 'Ada', '', 'Ada_L', 2, 1), (8, 1, '1556', 'Al', '', 'ada_l', 2, 1)",
                [],
            )
            .unwrap();
        }
        let store = Store::open_file(&path).unwrap();
        let version: i32 = store.lock().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        // Usernames that differed only in case: the older account keeps its own.
        assert_eq!(store.user_by_username("ada_l").unwrap().map(|u| u.id), Some(7));
        assert_eq!(store.user(8).unwrap().unwrap().username, None);
        assert!(store.set_profile(7, "Ada", "L", Some("hi")).unwrap());
        assert_eq!(store.about(7).unwrap().as_deref(), Some("hi"));
        drop(store);
        // Reopening a version-3 file runs no upgrade again.
        assert_eq!(Store::open_file(&path).unwrap().about(7).unwrap().as_deref(), Some("hi"));
    }
}
