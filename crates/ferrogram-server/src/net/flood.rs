//! A flood of private messages from one account to another, pushed as fast as the receiver's
//! clients take them: for load tests of a client's updates (how many pushed messages per second
//! it receives, and at what CPU cost) with a server that is not the bottleneck.
//!
//! The messages are real: stored in both boxes as `messages.sendMessage` stores them
//! ([`Api::deliver_bulk`](crate::Api)), batches of [`STORE_BATCH`] in one transaction, with
//! consecutive ids and pts in the receiver's box, so a client that applies the pushes in order
//! sees no gap and never needs `updates.getDifference`. Each is then pushed, as the
//! `updateShortMessage` a real sender's message causes, to every device (auth key) of the
//! receiver, translated once into the layer that device's client speaks. The pushes are paced by
//! each session's queue of unsent updates: the flood fills it to half its bound
//! ([`Budgets::session_update_bytes`](crate::Budgets::session_update_bytes)) and waits until the
//! connection has taken it for its socket, instead of overrunning it into `updatesTooLong`. A
//! device that takes nothing for [`STALL_TIMEOUT`] gets the rest unpaced (its queue collapses into
//! `updatesTooLong`, and it recovers from the update log like any client that fell behind), as
//! does one whose session no connection sends for; one with no session that takes updates
//! learns of the messages from the log when it asks.
//! The sender's own devices are not pushed to; they learn of the messages from the log. The
//! log keeps [`ApiConfig::update_log_limit`](crate::ApiConfig::update_log_limit) pts per account:
//! a flood larger than that can be fetched again with `updates.getDifference` only in part (a
//! client further behind is told `updates.differenceTooLong`), so a server that floods clients
//! which may fall behind keeps a log as long as the flood.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrogram_mtproto::endpoint::PushOutcome;

use super::layers::lower_updates;
use super::{unix_now, Shared};
use crate::store::StoreError;

/// The most messages one flood makes (each stays in memory, as its pushes, until pushed).
pub const MAX_FLOOD_MESSAGES: u32 = 1_000_000;

/// Messages stored per transaction: big enough that the cost per message is the rows', small
/// enough that other calls do not wait long for the store.
pub const STORE_BATCH: usize = 10_000;

/// How long a device may take none of its pushes before the flood stops pacing itself for it.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Pushes queued per hold of the endpoint's lock, so connections are not kept waiting for it.
const PUSHES_PER_LOCK: usize = 512;

/// What a flood did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodReport {
    /// Messages stored (each in the sender's and the receiver's box).
    pub messages: u32,
    /// The id of the first in the receiver's box (the others follow it one by one).
    pub first_id: i32,
    /// The pts of the receiver's box after the first message.
    pub first_pts: i32,
    /// The pts of the receiver's box after the last message.
    pub last_pts: i32,
    /// The receiver's devices (signed-in auth keys) pushed to.
    pub devices: usize,
    /// Pushes queued, over all devices.
    pub pushed: u64,
    /// Pushes that found their session's queue full and collapsed it into `updatesTooLong` (0
    /// unless a device stalled).
    pub too_long: u64,
    /// How many times the flood waited for a device's client to take what was queued: more
    /// than zero means the server pushed faster than that client received.
    pub paused: u64,
    /// How long storing the messages (and translating their pushes into each device's layer)
    /// took.
    pub storing: Duration,
    /// How long pushing them took, from the first push to the last one queued.
    pub pushing: Duration,
}

/// Why a flood could not run.
#[derive(Debug, thiserror::Error)]
pub enum FloodError {
    /// The store failed (nothing of the failed batch is kept).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No user has this id.
    #[error("no user with id {0}")]
    UnknownUser(i64),
    /// More messages than [`MAX_FLOOD_MESSAGES`] were asked for.
    #[error("{0} messages asked for; a flood makes at most {MAX_FLOOD_MESSAGES}")]
    TooMany(u32),
    /// The storing thread was lost (it panicked, or the runtime is shutting down).
    #[error("the storing thread failed: {0}")]
    Thread(String),
}

/// See [`LocalServer::flood_messages`](super::LocalServer::flood_messages).
pub(crate) async fn flood_messages(
    shared: &Arc<Shared>,
    from: i64,
    to: i64,
    count: u32,
) -> Result<FloodReport, FloodError> {
    if count > MAX_FLOOD_MESSAGES {
        return Err(FloodError::TooMany(count));
    }
    let started = Instant::now();
    let prepare = shared.clone();
    // The store is synchronous, and translating many pushes takes a while: off the runtime.
    let (devices, summary) = tokio::task::spawn_blocking(move || prepare_flood(&prepare, from, to, count))
        .await
        .map_err(|e| FloodError::Thread(e.to_string()))??;
    let storing = started.elapsed();
    let (first_id, first_pts, last_pts) = summary;
    let device_count = devices.len();
    let started = Instant::now();
    let (pushed, too_long, paused) = push_paced(shared, devices).await;
    Ok(FloodReport {
        messages: count,
        first_id,
        first_pts,
        last_pts,
        devices: device_count,
        pushed,
        too_long,
        paused,
        storing,
        pushing: started.elapsed(),
    })
}

/// Each device of the receiver with its pushes, in its client's layer.
type DevicePushes = Vec<(i64, Vec<Vec<u8>>)>;

/// Checks the users, stores the messages and translates their pushes for each device of `to`
/// (before the first push, so that pushing costs only queueing). Returns the devices' pushes and
/// the receiver's first id, first pts and last pts.
fn prepare_flood(
    shared: &Shared,
    from: i64,
    to: i64,
    count: u32,
) -> Result<(DevicePushes, (i32, i32, i32)), FloodError> {
    for user in [from, to] {
        if shared.api.store().user(user)?.is_none() {
            return Err(FloodError::UnknownUser(user));
        }
    }
    let messages = store_messages(shared, from, to, count)?;
    let summary = match (messages.first(), messages.last()) {
        (Some(first), Some(last)) => (first.id, first.pts, last.pts),
        _ => (0, 0, 0),
    };
    let devices = shared
        .api
        .store()
        .auth_keys_of(to)?
        .into_iter()
        .filter_map(|key| {
            let layer = shared.push_layers.layer(shared, key)?;
            let pushes = messages.iter().filter_map(|m| lower_updates(&shared.layers, layer, &m.push)).collect();
            Some((key, pushes))
        })
        .collect();
    Ok((devices, summary))
}

/// Stores the messages, [`STORE_BATCH`] per transaction; the receiver's copies in order.
fn store_messages(
    shared: &Shared,
    from: i64,
    to: i64,
    count: u32,
) -> Result<Vec<crate::api::bulk::BulkMessage>, StoreError> {
    let date = unix_now().as_secs() as i64;
    let mut messages = Vec::with_capacity(count as usize);
    let mut made = 0u32;
    while made < count {
        let batch = (count - made).min(STORE_BATCH as u32);
        let texts = (made..made + batch).map(|n| format!("message {} of {count}", n + 1));
        messages.extend(shared.api.deliver_bulk(from, to, texts, date)?);
        made += batch;
    }
    Ok(messages)
}

/// Pushes each device's updates in order, keeping each device's queue of unsent updates under
/// half its bound; returns the pushes queued, those that collapsed a full queue, and how many
/// times it waited for a client.
async fn push_paced(shared: &Shared, devices: DevicePushes) -> (u64, u64, u64) {
    let high_water = shared.endpoint().max_queued_update_bytes() / 2;
    let mut queues: Vec<(i64, std::vec::IntoIter<Vec<u8>>, bool)> =
        devices.into_iter().map(|(key, pushes)| (key, pushes.into_iter(), true)).collect();
    let (mut pushed, mut too_long, mut paused) = (0u64, 0u64, 0u64);
    let mut last_progress = Instant::now();
    loop {
        // Made before looking at the queues, so a transmit in between is not missed.
        let sent = shared.pushes_sent.notified();
        tokio::pin!(sent);
        sent.as_mut().enable();
        let mut progressed = false;
        {
            let mut endpoint = shared.endpoint();
            for (key, pushes, paced) in queues.iter_mut() {
                for _ in 0..PUSHES_PER_LOCK {
                    let Some(next_len) = pushes.as_slice().first().map(Vec::len) else { break };
                    match endpoint.update_queue(*key) {
                        // No session takes this device's updates: the rest wait in the update log.
                        None => {
                            pushes.by_ref().for_each(drop);
                            break;
                        }
                        // No connection takes them now: pushed as any update would be (the queue
                        // collapses at its bound, and the client catches up when it is back);
                        // paced again as soon as a connection takes them (a client between two
                        // connections, or one not yet attached, is not a stalled one).
                        Some(queue) if !queue.connected => {}
                        Some(queue) if *paced && queue.bytes > 0 && queue.bytes + next_len > high_water => break,
                        Some(_) => {}
                    }
                    let Some(update) = pushes.next() else { break };
                    progressed = true;
                    if shared.faults.take_withheld(*key) {
                        continue;
                    }
                    pushed += 1;
                    if let PushOutcome::TooLong(_) = endpoint.push(*key, update) {
                        too_long += 1;
                    }
                }
            }
        }
        queues.retain(|(_, pushes, _)| pushes.len() > 0);
        if progressed {
            shared.wake_connections();
            last_progress = Instant::now();
            continue;
        }
        if queues.is_empty() {
            return (pushed, too_long, paused);
        }
        paused += 1;
        let left = STALL_TIMEOUT.saturating_sub(last_progress.elapsed());
        if tokio::time::timeout(left, sent).await.is_err() {
            tracing::warn!("a device took no pushed update for {STALL_TIMEOUT:?}: the rest of the flood goes unpaced");
            for (_, _, paced) in queues.iter_mut() {
                *paced = false;
            }
        }
    }
}
