//! Delivering the updates a call produced to the other sessions they concern: each in its
//! client's layer, to the auth key's session that takes updates (the endpoint's choice), unless
//! a test withholds it ([`Faults::withhold_updates_of_key`](crate::Faults::withhold_updates_of_key)).

use std::collections::HashMap;
use std::sync::Mutex;

use ferrogram_mtproto::endpoint::PushOutcome;

use super::layers::lower_updates;
use super::Shared;

/// The most keys whose layer [`PushLayers`] keeps; past it the cache starts over (a bound on
/// memory, at the price of one store read per key afterwards).
const MAX_CACHED_LAYERS: usize = 100_000;

/// The layer each auth key's client announced, as pushes need it: read from the store once per
/// key instead of once per push (a store read waits for the writer's batch to commit, and was
/// one more query per message). Forgotten when a call that may change it commits.
#[derive(Debug, Default)]
pub(crate) struct PushLayers {
    layers: Mutex<HashMap<i64, Option<i32>>>,
}

impl PushLayers {
    fn cached(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Option<i32>>> {
        self.layers.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The layer of `auth_key_id` (`Some(None)`: none announced), `None` if the key is gone.
    pub(crate) fn layer(&self, shared: &Shared, auth_key_id: i64) -> Option<Option<i32>> {
        if let Some(layer) = self.cached().get(&auth_key_id) {
            return Some(*layer);
        }
        let layer = match shared.api.auth_key(auth_key_id) {
            Ok(Some(record)) => record.layer,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%error, "cannot read an auth key to push an update");
                return None;
            }
        };
        let mut cached = self.cached();
        if cached.len() >= MAX_CACHED_LAYERS {
            cached.clear();
        }
        cached.insert(auth_key_id, layer);
        Some(layer)
    }

    /// Reads the layer of `auth_key_id` from the store again next time.
    pub(crate) fn forget(&self, auth_key_id: i64) {
        self.cached().remove(&auth_key_id);
    }
}

/// Pushes each `(auth_key_id, updates)` (a boxed `Updates` in our layer), then wakes the
/// connections that have something to send. An update nobody can take now is not lost: it is in
/// the account's update log, for `updates.getDifference`.
pub(crate) fn deliver(shared: &Shared, pushes: impl IntoIterator<Item = (i64, Vec<u8>)>) {
    if deliver_quietly(shared, pushes) {
        shared.wake_connections();
    }
}

/// [`deliver`] without waking the connections (the caller does, once for many); returns whether
/// anything was queued.
pub(crate) fn deliver_quietly(shared: &Shared, pushes: impl IntoIterator<Item = (i64, Vec<u8>)>) -> bool {
    let mut any = false;
    for (auth_key_id, updates) in pushes {
        let Some(layer) = shared.push_layers.layer(shared, auth_key_id) else { continue };
        if shared.faults.take_withheld(auth_key_id) {
            tracing::debug!(auth_key_id, "update withheld (an injected gap)");
            continue;
        }
        let Some(bytes) = lower_updates(&shared.layers, layer, &updates) else { continue };
        match shared.endpoint().push(auth_key_id, bytes) {
            PushOutcome::TooLong(_) => tracing::debug!(auth_key_id, "a client's update queue is full: updatesTooLong"),
            PushOutcome::Queued(_) | PushOutcome::NoSession => {}
        }
        any = true;
    }
    any
}
