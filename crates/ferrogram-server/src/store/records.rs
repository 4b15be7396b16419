//! The rows the store keeps, as plain Rust values.

/// A user account (or a bot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The user id (as in `user.id`).
    pub id: i64,
    /// The `access_hash` other users would need; random per user.
    pub access_hash: i64,
    /// Phone number, digits only, without `+` (`None` for bots).
    pub phone: Option<String>,
    /// First name.
    pub first_name: String,
    /// Last name (may be empty).
    pub last_name: String,
    /// Username without `@`, if any.
    pub username: Option<String>,
    /// Whether this is a bot account.
    pub is_bot: bool,
    /// The DC the account lives on.
    pub home_dc: i32,
    /// Two-factor authentication, if the account has a password.
    pub password: Option<PasswordRecord>,
    /// The login email: if set, login codes go there (`auth.sentCodeTypeEmailCode`).
    pub login_email: Option<String>,
    /// When the account was created (Unix seconds).
    pub created: i64,
}

/// A 2FA password as the server keeps it: SRP salts and verifier, never the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordRecord {
    /// `salt1` of the KDF.
    pub salt1: Vec<u8>,
    /// `salt2` of the KDF.
    pub salt2: Vec<u8>,
    /// `v = g^x mod p`, 256 bytes big-endian.
    pub verifier: Vec<u8>,
    /// The hint shown to the user.
    pub hint: Option<String>,
}

/// What a client told about itself in `initConnection`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// `api_id`.
    pub api_id: Option<i32>,
    /// `device_model`.
    pub device_model: Option<String>,
    /// `system_version`.
    pub system_version: Option<String>,
    /// `app_version`.
    pub app_version: Option<String>,
    /// `lang_code`.
    pub lang_code: Option<String>,
}

/// An auth key the server created in a key exchange, and what is bound to it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthKeyRecord {
    /// `auth_key_id` (lower 64 bits of SHA1 of the key).
    pub id: i64,
    /// The 256-byte key.
    pub key: [u8; 256],
    /// The DC the key was created on.
    pub dc: i32,
    /// The user the key is signed in as.
    pub user_id: Option<i64>,
    /// The user whose password (2FA) this key must still pass `auth.checkPassword` for.
    pub password_pending_user: Option<i64>,
    /// The layer the client announced with `invokeWithLayer`, if it did.
    pub layer: Option<i32>,
    /// What the client said in `initConnection`.
    pub client: ClientInfo,
    /// For temporary keys, the Unix time they expire.
    pub expires: Option<i64>,
    /// When the key was created (Unix seconds).
    pub created: i64,
}

impl std::fmt::Debug for AuthKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key bytes never go into logs.
        f.debug_struct("AuthKeyRecord")
            .field("id", &self.id)
            .field("key", &"<secret>")
            .field("dc", &self.dc)
            .field("user_id", &self.user_id)
            .field("password_pending_user", &self.password_pending_user)
            .field("layer", &self.layer)
            .field("client", &self.client)
            .field("expires", &self.expires)
            .field("created", &self.created)
            .finish()
    }
}

/// Where a login code was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// As a Telegram message to the account's other sessions (`auth.sentCodeTypeApp`).
    App,
    /// By SMS (`auth.sentCodeTypeSms`).
    Sms,
    /// To the account's login email (`auth.sentCodeTypeEmailCode`).
    Email,
}

impl CodeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CodeKind::App => "app",
            CodeKind::Sms => "sms",
            CodeKind::Email => "email",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "app" => CodeKind::App,
            "sms" => CodeKind::Sms,
            "email" => CodeKind::Email,
            _ => return None,
        })
    }
}

/// The life of a login code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeState {
    /// Issued and still usable (until it expires).
    Active,
    /// Cancelled by `auth.cancelCode`.
    Cancelled,
    /// Replaced by a newer code (`auth.resendCode` or another `auth.sendCode`).
    Superseded,
    /// Consumed by a successful sign-in or sign-up.
    Used,
    /// Invalidated after too many wrong attempts.
    Invalidated,
}

impl CodeState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CodeState::Active => "active",
            CodeState::Cancelled => "cancelled",
            CodeState::Superseded => "superseded",
            CodeState::Used => "used",
            CodeState::Invalidated => "invalidated",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "active" => CodeState::Active,
            "cancelled" => CodeState::Cancelled,
            "superseded" => CodeState::Superseded,
            "used" => CodeState::Used,
            "invalidated" => CodeState::Invalidated,
            _ => return None,
        })
    }
}

/// A login code issued by `auth.sendCode` / `auth.resendCode`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCode {
    /// The `phone_code_hash` the client got; identifies the code.
    pub phone_code_hash: String,
    /// The phone number, digits only.
    pub phone: String,
    /// The phone number exactly as the client sent it.
    pub phone_as_sent: String,
    /// The code (5 digits).
    pub code: String,
    /// Where it was delivered.
    pub kind: CodeKind,
    /// The DC that issued it.
    pub dc: i32,
    /// Issued at (Unix seconds).
    pub created: i64,
    /// Valid until (Unix seconds).
    pub expires: i64,
    /// Wrong attempts so far.
    pub attempts: i32,
    /// Its state.
    pub state: CodeState,
    /// The code was entered correctly for a number without an account: `auth.signUp` may use it.
    pub verified: bool,
}

/// A one-time authorization made by `auth.exportAuthorization` for another DC.
#[derive(Clone, PartialEq, Eq)]
pub struct ExportedAuth {
    /// The user it signs in.
    pub user_id: i64,
    /// The secret bytes.
    pub bytes: Vec<u8>,
    /// The DC it may be imported on.
    pub dc: i32,
    /// Made at (Unix seconds).
    pub created: i64,
}

impl std::fmt::Debug for ExportedAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportedAuth")
            .field("user_id", &self.user_id)
            .field("bytes", &"<secret>")
            .field("dc", &self.dc)
            .field("created", &self.created)
            .finish()
    }
}
