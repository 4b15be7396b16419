//! Running calls: each at most once, in our layer, on the store's writer thread (see
//! [`super::writer`]).

use std::collections::HashMap;

use ferrogram_tl::{functions, Identifiable, RawQuery};

use super::layers::{lift, lower};
use super::{unix_now, Shared};
use crate::api::Push;
use crate::context::{CallContext, RpcError};
use crate::store::{Batch, Once, RequestKey};

/// What the handlers need to know of an auth key besides its id, cached per connection so that
/// a call costs no store read. Only a call wrapped in `invokeWithLayer`/`initConnection` (or in
/// a wrapper that may hold them) changes what the store has, so the entry is read again after
/// such a call; the signed-in user is read from the store by the handlers themselves.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct KeyFacts {
    layer: Option<i32>,
    api_id: Option<i32>,
    user_id: Option<i64>,
}

/// A connection's [`KeyFacts`], lent to the writer thread while it runs the connection's calls.
pub(super) type SharedKeyFacts = std::sync::Arc<std::sync::Mutex<HashMap<i64, KeyFacts>>>;

/// The layer a call was served in, and the one its client announced.
#[derive(Debug, Clone, Copy)]
pub(super) struct ServedLayer {
    pub(super) announced: i32,
    pub(super) layer: i32,
}

/// Where a call came from.
#[derive(Debug, Clone, Copy)]
pub(super) struct CallSite {
    /// The DC the connection serves.
    pub(super) dc: i32,
    pub(super) key_id: i64,
    pub(super) session_id: i64,
    /// The request's msg_id.
    pub(super) msg_id: i64,
}

/// What running a call reads and leaves for the calls after it, or for its own run again.
pub(super) struct CallState<'a> {
    /// The connection's cache of key facts.
    pub(super) facts: &'a mut HashMap<i64, KeyFacts>,
    /// The layer of the connection's first call that lifted.
    pub(super) served: &'a mut Option<ServedLayer>,
    /// The fault injector's decision for this call, made on its first run and kept.
    pub(super) fault: &'a mut Option<Option<RpcError>>,
}

/// Answers one call of `batch` at most once: a request recorded by an earlier run (before a
/// restart, in a session since evicted, or earlier in this batch) gets its recorded answer;
/// otherwise it runs, and if it changed the store its answer is recorded in the same savepoint
/// (see [`Batch::once`](crate::store::Batch::once)). Neither may be sent before the batch
/// commits.
/// The updates the call produced for other sessions go into `pushes`, only if it ran (a recorded
/// request pushes nothing again: its updates went out when it ran, and are in the update log in
/// any case); they too wait for the commit.
pub(super) fn answer_once(
    shared: &Shared,
    batch: &mut Batch<'_>,
    site: CallSite,
    state: CallState<'_>,
    body: &[u8],
    pushes: &mut Vec<Push>,
) -> Result<Vec<u8>, RpcError> {
    let request = RequestKey { auth_key_id: site.key_id, session_id: site.session_id, msg_id: site.msg_id };
    let mut produced = Vec::new();
    match batch.once(request, || run_call(shared, site, state, body, &mut produced)) {
        Ok(Once::Recorded(answer)) => {
            tracing::debug!(msg_id = site.msg_id, "answered from the record of an earlier run");
            answer
        }
        Ok(Once::Ran { answer, .. }) => {
            pushes.append(&mut produced);
            answer
        }
        Err(error) => {
            // Nothing of the call was kept; the client may try again.
            tracing::warn!(%error, "cannot run a call in its transaction");
            Err(RpcError::new(500, "INTERNAL"))
        }
    }
}

/// Answers one call: lift it into our layer, answer it, lower the answer. `served` gets the
/// layer of the first call that lifted.
fn run_call(
    shared: &Shared,
    site: CallSite,
    state: CallState<'_>,
    body: &[u8],
    pushes: &mut Vec<Push>,
) -> Result<Vec<u8>, RpcError> {
    let CallState { facts, served, fault } = state;
    let CallSite { dc, key_id, session_id, .. } = site;
    let now = unix_now().as_secs() as i64;
    let known = match facts.get(&key_id) {
        Some(known) => *known,
        None => {
            let record = shared.api.auth_key(key_id).map_err(|e| {
                tracing::warn!(error = %e, "cannot read an auth key");
                RpcError::new(500, "INTERNAL")
            })?;
            let known = record.map_or_else(KeyFacts::default, |r| KeyFacts {
                layer: r.layer,
                api_id: r.client.api_id,
                user_id: r.user_id,
            });
            facts.insert(key_id, known);
            known
        }
    };
    if may_change_key_facts(body) {
        // Read the key again for the next call, whatever this one does.
        facts.remove(&key_id);
    }
    let call = lift(&shared.layers, body, known.layer)?;
    served.get_or_insert(ServedLayer { announced: call.announced, layer: call.layer });
    let caller = || shared.api.auth_key(key_id).ok().flatten().and_then(|record| record.user_id);
    // Decided once per call, however often its batch runs.
    let injected =
        fault.get_or_insert_with(|| call.method.and_then(|method| shared.faults.take_method_fault(method, caller)));
    if let Some(error) = injected.clone() {
        tracing::info!(method = call.method, error = %error, "answered with an injected fault");
        return Err(error);
    }
    let ctx = CallContext {
        dc_id: dc,
        auth_key_id: key_id,
        session_id,
        layer: known.layer.unwrap_or(ferrogram_tl::LAYER),
        api_id: known.api_id,
        user_id: known.user_id,
        now,
    };
    let answer = shared.api.call_with_pushes(&ctx, &call.query, pushes)?;
    lower(&shared.layers, &call, answer)
}

/// Whether a call starts with a wrapper the handlers unwrap, and so may carry `invokeWithLayer`
/// or `initConnection`, which record the client's layer and `api_id` on the key.
pub(super) fn may_change_key_facts(body: &[u8]) -> bool {
    let Some(id) = body.get(..4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])) else { return false };
    [
        functions::InvokeWithLayer::<RawQuery>::CONSTRUCTOR_ID,
        functions::InitConnection::<RawQuery>::CONSTRUCTOR_ID,
        functions::InvokeWithoutUpdates::<RawQuery>::CONSTRUCTOR_ID,
        functions::InvokeAfterMsg::<RawQuery>::CONSTRUCTOR_ID,
    ]
    .contains(&id)
}
