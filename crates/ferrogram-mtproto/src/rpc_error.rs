//! [`RpcError`]: an error the server answers a call with (`rpc_error`,
//! <https://core.telegram.org/api/errors>), one type for the session layer, the server that
//! answers with it and the client that receives it.
//!
//! An `rpc_error` carries a code and a message such as `FLOOD_WAIT_42`; [`RpcError`] splits the
//! message into the error's name and the number it carries (`FLOOD_WAIT`, 42) the way
//! [`ferrogram_tl::errors::split_message`] documents, and shows the description from the docs data.
//!
//! ```
//! use ferrogram_mtproto::RpcError;
//! let flood = RpcError::new(420, "FLOOD_WAIT_42");
//! assert_eq!((flood.name.as_str(), flood.value), ("FLOOD_WAIT", Some(42)));
//! assert_eq!(flood.message(), "FLOOD_WAIT_42");
//! assert_eq!(RpcError::new(400, "FILE_PART_3_MISSING").message(), "FILE_PART_3_MISSING");
//! ```

use std::fmt;
use std::time::Duration;

use ferrogram_tl::errors::{self as tl_errors, MethodError, MethodErrors};
use ferrogram_tl::ErrorInfo;

/// An error the server answered a call with (`rpc_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    /// The HTTP-like code: 303 (see other DC), 400, 401, 403, 406, 420 (flood), 500 ...
    pub code: i32,
    /// The error's name without the number it may carry: `PHONE_CODE_INVALID`, `FLOOD_WAIT` for
    /// `FLOOD_WAIT_42`, `FILE_PART_MISSING` for `FILE_PART_3_MISSING`.
    pub name: String,
    /// The number the message carried (`42` in `FLOOD_WAIT_42`), if any.
    pub value: Option<u32>,
    /// The TL name of the method whose call failed (`auth.signIn`), when known.
    pub caused_by: Option<&'static str>,
}

impl RpcError {
    /// The error for an `rpc_error`'s code and message (`420`, `FLOOD_WAIT_42`).
    pub fn new(code: i32, message: impl AsRef<str>) -> Self {
        let (name, value) = tl_errors::split_message(message.as_ref());
        RpcError { code, name: name.to_string(), value, caused_by: None }
    }

    /// The same error, recorded as caused by calling `method` (its TL name, `auth.signIn`).
    pub fn caused_by(mut self, method: &'static str) -> Self {
        self.caused_by = Some(method);
        self
    }

    /// The message as the server sent it (`FLOOD_WAIT_42`).
    pub fn message(&self) -> String {
        tl_errors::join_message(&self.name, self.value)
    }

    /// Whether this is the error `name`: its name (`FLOOD_WAIT`) or its whole message
    /// (`FLOOD_WAIT_42`).
    pub fn is(&self, name: &str) -> bool {
        self.name == name || (self.value.is_some() && self.message() == name)
    }

    /// The documentation of this error (code, documented name, description), from the docs data
    /// or else from the list of the method that caused it.
    pub fn info(&self) -> Option<&'static ErrorInfo> {
        tl_errors::describe(&self.name, self.value, self.caused_by)
    }

    /// The DC to repeat the call on, for the `*_MIGRATE_X` errors (`PHONE_MIGRATE_2` → 2):
    /// `PHONE_MIGRATE`, `USER_MIGRATE`, `NETWORK_MIGRATE`, `FILE_MIGRATE`, `STATS_MIGRATE`.
    /// `None` for other errors and for a migrate error without a DC number.
    pub fn migrate_dc(&self) -> Option<i32> {
        if !self.name.ends_with("_MIGRATE") {
            return None;
        }
        self.value.and_then(|dc| i32::try_from(dc).ok())
    }

    /// How long to wait before calling again, for the flood errors `FLOOD_WAIT_X`,
    /// `FLOOD_PREMIUM_WAIT_X` and `FLOOD_TEST_PHONE_WAIT_X` (X seconds). Other waits
    /// (`SLOWMODE_WAIT_X`, `2FA_CONFIRM_WAIT_X`) are not floods to sleep through and give `None`.
    pub fn flood_wait(&self) -> Option<Duration> {
        match self.name.as_str() {
            "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" | "FLOOD_TEST_PHONE_WAIT" => {
                self.value.map(|s| Duration::from_secs(s.into()))
            }
            _ => None,
        }
    }

    /// This error as method `R`'s typed error (`SignInError::PhoneCodeInvalid`); errors the
    /// method's documentation does not list become its `Other` variant.
    pub fn method_error<R: MethodErrors>(&self) -> R::Error {
        R::Error::from_name(&self.message())
    }
}

impl From<ferrogram_tl::mtproto::types::RpcError> for RpcError {
    fn from(error: ferrogram_tl::mtproto::types::RpcError) -> Self {
        RpcError::new(error.error_code, &error.error_message)
    }
}

impl fmt::Display for RpcError {
    /// `PHONE_CODE_INVALID (400): The provided phone code is invalid.`; a number the message
    /// carried is put back in the name and the description (`FLOOD_WAIT_42 (420): A wait of 42
    /// seconds is required`); without a description, `NAME (code)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message(), self.code)?;
        if let Some(info) = self.info() {
            match self.value {
                Some(v) => write!(f, ": {}", info.description.replace("%d", &v.to_string()))?,
                None => write!(f, ": {}", info.description)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for RpcError {}

impl From<RpcError> for ferrogram_tl::mtproto::types::RpcError {
    fn from(error: RpcError) -> Self {
        ferrogram_tl::mtproto::types::RpcError { error_message: error.message(), error_code: error.code }
    }
}
