//! Server salts (<https://core.telegram.org/mtproto/description#server-salt>): 64-bit values a
//! server changes every half hour or so, which clients must put in every message.
//!
//! A salt here is derived, not stored: `SHA256(secret || auth_key_id || window)[..8]` for each
//! 30-minute window of Unix time. A server that keeps its secret (e.g. derived from its RSA key)
//! therefore hands out the same salts after a restart, and needs no salt table.

use std::time::Duration;

use sha2::{Digest, Sha256};

/// How long one salt is current, in seconds.
pub const SALT_WINDOW: u64 = 1800;

/// The salts of one auth key.
#[derive(Clone)]
pub struct ServerSalts {
    secret: [u8; 32],
    auth_key_id: i64,
    /// The salt the key exchange produced, accepted until [`Self::first_salt_until`].
    first_salt: Option<(i64, u64)>,
}

impl std::fmt::Debug for ServerSalts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSalts").field("auth_key_id", &self.auth_key_id).finish_non_exhaustive()
    }
}

impl ServerSalts {
    /// The salts of `auth_key_id` under the server's `secret`.
    pub fn new(secret: [u8; 32], auth_key_id: i64) -> Self {
        ServerSalts { secret, auth_key_id, first_salt: None }
    }

    /// Also accepts `salt` (the key exchange's first salt) until Unix time `until` seconds.
    pub fn with_first_salt(mut self, salt: i64, until: u64) -> Self {
        self.first_salt = Some((salt, until));
        self
    }

    fn salt_of_window(&self, window: u64) -> i64 {
        let hash = Sha256::new()
            .chain_update(self.secret)
            .chain_update(self.auth_key_id.to_le_bytes())
            .chain_update(window.to_le_bytes())
            .finalize();
        let mut salt = [0u8; 8];
        salt.copy_from_slice(&hash[..8]);
        i64::from_le_bytes(salt)
    }

    /// The salt to hand out at `now`.
    pub fn current(&self, now: Duration) -> i64 {
        self.salt_of_window(now.as_secs() / SALT_WINDOW)
    }

    /// Whether a client may use `salt` at `now`: the current window's, the previous window's
    /// (clients learn of a change late), or the key exchange's first salt while it is young.
    pub fn is_valid(&self, salt: i64, now: Duration) -> bool {
        let window = now.as_secs() / SALT_WINDOW;
        if let Some((first, until)) = self.first_salt {
            if salt == first && now.as_secs() <= until {
                return true;
            }
        }
        salt == self.salt_of_window(window) || (window > 0 && salt == self.salt_of_window(window - 1))
    }

    /// The next `count` salts from `now` on, as `future_salt` values.
    pub fn future(&self, now: Duration, count: usize) -> Vec<ferrogram_tl::mtproto::types::FutureSalt> {
        let window = now.as_secs() / SALT_WINDOW;
        (0..count as u64)
            .map(|i| ferrogram_tl::mtproto::types::FutureSalt {
                valid_since: ((window + i) * SALT_WINDOW).min(i32::MAX as u64) as i32,
                valid_until: ((window + i + 1) * SALT_WINDOW).min(i32::MAX as u64) as i32,
                salt: self.salt_of_window(window + i),
            })
            .collect()
    }
}
