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

use std::time::Duration;

use ferrogram_tl::errors::MethodErrors;

use crate::session::SessionError;

pub use ferrogram_mtproto::RpcError;

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
