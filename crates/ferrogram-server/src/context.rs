//! What an RPC handler knows about the call it serves, and how it fails.
//!
//! Shared by the network shell (which fills in the context from the connection, the auth key and
//! the session) and the handlers (which answer with a typed result or an [`RpcError`]).

/// The facts about one RPC call that handlers may depend on.
#[derive(Debug, Clone, PartialEq)]
pub struct CallContext {
    /// The DC this connection is served as (1-based, as in `help.getConfig`).
    pub dc_id: i32,
    /// The id of the auth key the request was encrypted with.
    pub auth_key_id: i64,
    /// The client's MTProto session id.
    pub session_id: i64,
    /// The API layer the client announced with `invokeWithLayer` (ours if it never did).
    pub layer: i32,
    /// The `api_id` from `initConnection`, if the client sent one on this auth key.
    pub api_id: Option<i32>,
    /// The user the auth key is signed in as, if any.
    pub user_id: Option<i64>,
    /// Server time of the call, in Unix seconds.
    pub now: i64,
}

/// Why a call failed, as the client will see it: the one RPC error type of the project
/// ([`ferrogram_mtproto::RpcError`]: code, name and the number the name may carry).
pub use ferrogram_mtproto::RpcError;
