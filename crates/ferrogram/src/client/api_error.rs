//! [`ApiError`]: what the everyday methods of the client (messages, dialogs, groups, peer
//! resolution) fail with.

use crate::errors::InvocationError;
use crate::peers::PeerRef;
use crate::session::SessionError;
use crate::updates::Peer;

/// Why a high-level call failed: the peer could not be named, or the call itself failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// The client has no access hash for this peer: it has not seen it (in a message, a dialog,
    /// a contact list, a resolved username) on this account. Name it by username or phone, or
    /// load the dialogs first.
    #[error("unknown peer {0}: the client has not seen it on this account (name it by username or phone, or load the dialogs first)")]
    UnknownPeer(PeerRef),
    /// Only a *min* constructor of this peer was seen, whose access hash cannot name it alone.
    #[error("only a min constructor of {0:?} was seen; its access hash cannot name it")]
    OnlyMinPeer(Peer),
    /// No user or channel has this username (`USERNAME_NOT_OCCUPIED`, `USERNAME_INVALID`).
    #[error("no one has the username @{0}")]
    UsernameNotFound(String),
    /// No user has this phone number, or its owner does not show it (`PHONE_NOT_OCCUPIED`).
    #[error("no user with the phone +{0} is visible to this account")]
    PhoneNotFound(String),
    /// The peer is of the wrong kind for the call (a group where a user is needed, ...).
    #[error("{peer} is not {expected}")]
    WrongKind {
        /// The peer given.
        peer: PeerRef,
        /// What the call needs ("a user", "a basic group").
        expected: &'static str,
    },
    /// The call needs a signed-in account.
    #[error("the client is not signed in")]
    NotSignedIn,
    /// The server's answer lacks what the call returns (the sent message, the new group).
    #[error("the server's answer does not contain {0}")]
    UnexpectedAnswer(&'static str),
    /// The call failed (an RPC error, the connection, ...).
    #[error(transparent)]
    Invocation(#[from] InvocationError),
}

impl From<SessionError> for ApiError {
    fn from(error: SessionError) -> ApiError {
        ApiError::Invocation(InvocationError::Session(error))
    }
}

impl ApiError {
    /// The RPC error behind this one, if the server refused the call.
    pub fn rpc(&self) -> Option<&crate::RpcError> {
        match self {
            ApiError::Invocation(InvocationError::Rpc(error)) => Some(error),
            _ => None,
        }
    }
}
