//! Delivering the updates a call produced to the other sessions they concern: each in its
//! client's layer, to the auth key's session that takes updates (the endpoint's choice), unless
//! a test withholds it ([`Faults::withhold_updates_of_key`](crate::Faults::withhold_updates_of_key)).

use ferrogram_mtproto::endpoint::PushOutcome;

use super::layers::lower_updates;
use super::Shared;

/// Pushes each `(auth_key_id, updates)` (a boxed `Updates` in our layer), then wakes the
/// connections that have something to send. An update nobody can take now is not lost: it is in
/// the account's update log, for `updates.getDifference`.
pub(crate) fn deliver(shared: &Shared, pushes: impl IntoIterator<Item = (i64, Vec<u8>)>) {
    let mut any = false;
    for (auth_key_id, updates) in pushes {
        let record = match shared.api.auth_key(auth_key_id) {
            Ok(Some(record)) => record,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "cannot read an auth key to push an update");
                continue;
            }
        };
        if shared.faults.take_withheld(auth_key_id) {
            tracing::debug!(auth_key_id, "update withheld (an injected gap)");
            continue;
        }
        let Some(bytes) = lower_updates(&shared.layers, record.layer, &updates) else { continue };
        match shared.endpoint().push(auth_key_id, bytes) {
            PushOutcome::TooLong(_) => tracing::debug!(auth_key_id, "a client's update queue is full: updatesTooLong"),
            PushOutcome::Queued(_) | PushOutcome::NoSession => {}
        }
        any = true;
    }
    if any {
        shared.wake_connections();
    }
}
