//! What an invocation can fail with: [`RpcError`], the server's answer
//! (<https://core.telegram.org/api/errors>), and [`InvocationError`], everything else too.
//!
//! An `rpc_error` carries a code and a message such as `FLOOD_WAIT_42`; [`RpcError`] splits the
//! message into the error's name and the number it carries (`FLOOD_WAIT`, 42) the way
//! [`ferrogram_tl::errors::split_message`] documents, and shows the description from the docs
//! data. Each method's own typed error (`ferrogram_tl::errors::auth::SignInError`) is one call
//! away: [`RpcError::method_error`] or [`InvocationError::rpc_for`].
//!
//! ```
//! use ferrogram::RpcError;
//! use ferrogram_tl::{errors::auth::SignInError, functions};
//! let error = RpcError::new(400, "PHONE_CODE_INVALID").caused_by("auth.signIn");
//! assert_eq!(error.to_string(), "PHONE_CODE_INVALID (400): The provided phone code is invalid.");
//! assert_eq!(error.method_error::<functions::auth::SignIn>(), SignInError::PhoneCodeInvalid);
//!
//! let flood = RpcError::new(420, "FLOOD_WAIT_42");
//! assert_eq!((flood.name.as_str(), flood.value), ("FLOOD_WAIT", Some(42)));
//! assert_eq!(flood.flood_wait(), Some(std::time::Duration::from_secs(42)));
//! ```

use std::fmt;
use std::time::Duration;

use ferrogram_tl::errors::{self as tl_errors, MethodError, MethodErrors};
use ferrogram_tl::ErrorInfo;

use crate::session::SessionError;

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
    pub fn new(code: i32, message: &str) -> Self {
        let (name, value) = tl_errors::split_message(message);
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

/// Why an invocation failed. More variants will come with the network layer, so matches need a
/// wildcard arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvocationError {
    /// The server answered with an error.
    #[error("{0}")]
    Rpc(#[from] RpcError),
    /// Reading from or writing to the connection failed.
    #[error("connection I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The transport framing broke or the server sent a transport error code (-404, -429 ...).
    #[error("transport: {0}")]
    Transport(#[from] ferrogram_mtproto::transport::TransportError),
    /// Creating an authorization key with the server failed.
    #[error("auth key exchange: {0}")]
    AuthKey(#[from] ferrogram_mtproto::authkey::AuthKeyError),
    /// The server's answer is not valid TL for the method's result type.
    #[error("cannot decode the answer: {0}")]
    Deserialize(#[from] ferrogram_tl::DeserializeError),
    /// Loading or storing the session failed.
    #[error("session: {0}")]
    Session(#[from] SessionError),
    /// The request was dropped before an answer came (the client shut down, or gave up on the
    /// connection), so it may or may not have been executed.
    #[error("the request was dropped before an answer arrived")]
    Dropped,
    /// No answer arrived within the configured time.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// A plain (unencrypted) message of the key exchange is malformed: the peer is not an
    /// MTProto server, or the bytes were damaged.
    #[error("malformed plain message: {0}")]
    PlainMessage(#[from] ferrogram_mtproto::authkey::plain::PlainError),
    /// The server sent the client to a DC (`*_MIGRATE_X`) for which neither the session, nor
    /// `help.getConfig`, nor the built-in table has an address.
    #[error("no address known for DC {0}")]
    UnknownDc(i32),
    /// The server answered with a constructor the call cannot sensibly end with (named here).
    #[error("unexpected answer: {0}")]
    Unexpected(&'static str),
}

impl InvocationError {
    /// The server's error, if this is one.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            InvocationError::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is the server's error `name` (see [`RpcError::is`]).
    pub fn is(&self, name: &str) -> bool {
        self.rpc().is_some_and(|e| e.is(name))
    }

    /// The server's error as method `R`'s typed error, if this is a server error.
    ///
    /// ```
    /// use ferrogram::{InvocationError, RpcError};
    /// use ferrogram_tl::{errors::auth::SignInError, functions::auth::SignIn};
    /// let error = InvocationError::from(RpcError::new(400, "PHONE_CODE_EXPIRED"));
    /// assert_eq!(error.rpc_for::<SignIn>(), Some(SignInError::PhoneCodeExpired));
    /// assert_eq!(InvocationError::Dropped.rpc_for::<SignIn>(), None);
    /// ```
    pub fn rpc_for<R: MethodErrors>(&self) -> Option<R::Error> {
        self.rpc().map(RpcError::method_error::<R>)
    }
}
