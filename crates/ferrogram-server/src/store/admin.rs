//! What the server's admin functions read: the auth keys an account is signed in with.

use super::{Context, Store, StoreError};

impl Store {
    /// The auth keys signed in as `user_id`, oldest first.
    pub fn signed_in_keys(&self, user_id: i64) -> Result<Vec<i64>, StoreError> {
        let conn = self.lock();
        let mut statement = conn
            .prepare_cached("SELECT id FROM auth_keys WHERE user_id = ?1 ORDER BY created, id")
            .during("keys of a user")?;
        let rows = statement.query_map([user_id], |row| row.get(0)).during("keys of a user")?;
        rows.collect::<Result<Vec<i64>, _>>().during("keys of a user")
    }
}
