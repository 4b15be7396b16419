//! The RPC errors handlers answer, with codes taken from the docs data
//! (<https://core.telegram.org/api/errors>): a method's own list first (`PHONE_NUMBER_INVALID` is
//! 406 for `auth.sendCode` but 400 elsewhere), then the global list.

use ferrogram_tl::{describe_error, ErrorInfo};

use crate::context::RpcError;
use crate::store::StoreError;

/// The error `name` as `method_errors` (a method's `POSSIBLE_ERRORS`) or the global docs data
/// list it; 400 if neither does.
pub(crate) fn fail(method_errors: &[ErrorInfo], name: &str) -> RpcError {
    let code = method_errors.iter().find(|e| e.name == name).or_else(|| describe_error(name)).map_or(400, |e| e.code);
    RpcError::new(code, name)
}

/// `420 FLOOD_WAIT_X`: retry after `seconds` (at least 1).
pub(crate) fn flood_wait(seconds: i64) -> RpcError {
    RpcError::new(420, format!("FLOOD_WAIT_{}", seconds.max(1)))
}

/// `303 PHONE_MIGRATE_X`: the number lives on DC `dc`.
pub(crate) fn phone_migrate(dc: i32) -> RpcError {
    RpcError::new(303, format!("PHONE_MIGRATE_{dc}"))
}

/// `401 AUTH_KEY_UNREGISTERED`: the call needs a signed-in user and the key has none.
pub(crate) fn unregistered() -> RpcError {
    fail(&[], "AUTH_KEY_UNREGISTERED")
}

/// `500 INTERNAL`: the store failed; the details go to the log, not to the client.
pub(crate) fn internal(error: &StoreError) -> RpcError {
    tracing::error!(%error, "store failure while serving a call");
    RpcError::new(500, "INTERNAL")
}

/// `500 <name>`: a server-side failure other than the store (details in the log).
pub(crate) fn internal_named(name: &str) -> RpcError {
    RpcError::new(500, name)
}
