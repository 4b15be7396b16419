//! Group commit: one thread runs every call against the store, the calls of all connections that
//! are waiting at once in one SQLite transaction.
//!
//! Each call is a savepoint of that transaction ([`Batch::once`](crate::store::Batch::once)):
//! answered from its record if it has one, otherwise run, with its answer recorded beside its
//! changes; a call that fails or panics rolls back only its own savepoint. Once the transaction
//! commits (one write of the WAL for the whole batch instead of one per call), and only then,
//! every answer is handed to its session and every push delivered, in call order; a commit that
//! fails answers every call of the batch `500 INTERNAL` and delivers nothing, as nothing of it
//! was kept. A replayed request is therefore still answered from its record, never run twice,
//! and no answer leaves before what it says is durable.
//!
//! The batch is whatever has queued while the previous one ran (at most [`MAX_BATCH_CALLS`]):
//! under light load a call runs alone, as soon as it arrives; under heavy load the cost of a
//! commit is shared by hundreds of calls.

use std::sync::mpsc;
use std::sync::Arc;

use ferrogram_mtproto::endpoint::{ConnectionHandle, SessionKey};
use ferrogram_mtproto::session::server::Call;
use tokio::sync::oneshot;

use super::calls::{answer_once, may_change_key_facts, CallSite, CallState, ServedLayer, SharedKeyFacts};
use super::Shared;
use crate::api::Push;
use crate::context::RpcError;
use crate::store::StoreError;

/// The most calls one transaction takes: enough to share a commit widely, few enough that a
/// batch (and the wait of the calls queued behind it) stays short.
pub(crate) const MAX_BATCH_CALLS: usize = 4096;

/// The calls one connection's read brought, and where to say they are done.
pub(super) struct Job {
    pub(super) shared: Arc<Shared>,
    pub(super) dc: i32,
    pub(super) connection: ConnectionHandle,
    pub(super) calls: Vec<(SessionKey, Vec<Call>)>,
    /// The connection's cache of key facts.
    pub(super) facts: SharedKeyFacts,
    pub(super) done: oneshot::Sender<Done>,
}

/// What the writer hands back once a job's answers are with their sessions.
pub(super) struct Done {
    pub(super) served: Option<ServedLayer>,
}

/// The sending side of the writer thread; the thread ends when this is dropped.
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread.
    pub(crate) fn start() -> Result<Writer, std::io::Error> {
        // Unbounded as a channel, bounded in use: a connection submits one job per read and
        // awaits its answer before reading again, so at most one job per open connection waits
        // here (`NetLimits::max_connections`), each of one read's calls.
        let (jobs, queue) = mpsc::channel();
        std::thread::Builder::new().name("ferrogram-store-writer".into()).spawn(move || run(queue))?;
        Ok(Writer { jobs })
    }

    /// Queues a job; gives it back if the writer is gone (the server is stopping).
    pub(super) fn submit(&self, job: Job) -> Result<(), Job> {
        self.jobs.send(job).map_err(|e| e.0)
    }
}

/// Takes every job waiting (up to [`MAX_BATCH_CALLS`] calls) and runs them as one batch, until
/// the server's [`Writer`] is dropped.
fn run(queue: mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut calls = count(&first);
        let mut jobs = vec![first];
        while calls < MAX_BATCH_CALLS {
            let Ok(job) = queue.try_recv() else { break };
            calls += count(&job);
            jobs.push(job);
        }
        run_batch(jobs);
    }
}

fn count(job: &Job) -> usize {
    job.calls.iter().map(|(_, calls)| calls.len()).sum()
}

/// One call's outcome, held until the batch commits.
struct Answered {
    session: SessionKey,
    msg_id: i64,
    connection: ConnectionHandle,
    result: Result<Vec<u8>, RpcError>,
    pushes: Vec<Push>,
    /// The call may have changed its key's layer (see [`may_change_key_facts`]).
    changes_key: bool,
}

/// What the fault injector decided for one call, kept so that a batch run again (see
/// [`run_batch`]) injects a fault as often as it was asked to, not once per run.
type FaultDecision = Option<Option<RpcError>>;

/// Runs a batch unguarded (no savepoint per call: see [`Store::batch`](crate::store::Store::batch));
/// if a call failed part-way, rolls it all back and runs it again with a savepoint per call, so
/// that the call that failed is undone alone. Nothing of the first run has left the writer: its
/// answers and pushes are only released after a commit.
fn run_batch(mut jobs: Vec<Job>) {
    let Some(shared) = jobs.first().map(|job| job.shared.clone()) else { return };
    let mut faults = vec![None; jobs.iter().map(count).sum()];
    let mut served = vec![None; jobs.len()];
    let (mut answered, mut committed) = run_calls(&shared, &mut jobs, &mut served, &mut faults, false);
    if matches!(committed, Err(StoreError::Poisoned)) {
        tracing::debug!(calls = answered.len(), "a call failed part-way; running its batch again with savepoints");
        served.iter_mut().for_each(|s| *s = None);
        (answered, committed) = run_calls(&shared, &mut jobs, &mut served, &mut faults, true);
    }
    if let Err(error) = committed {
        // Nothing of the batch was kept: no call's answer or push may go out. The clients try
        // again (a recorded request of the batch is still answered from its record then).
        tracing::warn!(%error, calls = answered.len(), "cannot commit a batch of calls");
        for call in &mut answered {
            call.result = Err(RpcError::new(500, "INTERNAL"));
            call.pushes.clear();
        }
    }
    release(&shared, answered);
    for (job, served) in jobs.into_iter().zip(served) {
        let _ = job.done.send(Done { served });
    }
}

/// Runs every call of `jobs` in one batch and commits it. An unguarded batch stops at the first
/// call that poisons it (the rest would be rolled back with it anyway).
fn run_calls(
    shared: &Shared,
    jobs: &mut [Job],
    served: &mut [Option<ServedLayer>],
    faults: &mut [FaultDecision],
    guarded: bool,
) -> (Vec<Answered>, Result<(), StoreError>) {
    let mut answered = Vec::with_capacity(faults.len());
    let mut batch = match shared.api.store().batch(guarded) {
        Ok(batch) => batch,
        Err(error) => return (answered, Err(error)),
    };
    let mut faults = faults.iter_mut();
    for (job, served) in jobs.iter_mut().zip(served.iter_mut()) {
        // Only this thread and, between jobs, the connection use it.
        let mut facts = job.facts.lock().unwrap_or_else(|p| p.into_inner());
        for (session, calls) in &job.calls {
            for call in calls {
                let site = CallSite { dc: job.dc, key_id: session.0, session_id: session.1, msg_id: call.msg_id };
                let mut pushes = Vec::new();
                let mut unused = None;
                let fault = faults.next().unwrap_or(&mut unused);
                // A handler that panics fails its own call, not the batch or the connection
                // (in a guarded batch its savepoint is rolled back; an unguarded one is run
                // again guarded).
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let state = CallState { facts: &mut facts, served: &mut *served, fault: &mut *fault };
                    answer_once(shared, &mut batch, site, state, &call.body, &mut pushes)
                }))
                .unwrap_or_else(|_| Err(RpcError::new(500, "INTERNAL")));
                answered.push(Answered {
                    session: *session,
                    msg_id: call.msg_id,
                    connection: job.connection,
                    result,
                    pushes,
                    changes_key: may_change_key_facts(&call.body),
                });
                if batch.poisoned() {
                    return (answered, Err(StoreError::Poisoned));
                }
            }
        }
    }
    (answered, batch.commit())
}

/// Hands every committed answer to its session and delivers every push, in call order (the
/// other parties' updates go out with the caller's answer), then wakes the connections that
/// have something to send.
fn release(shared: &Shared, answered: Vec<Answered>) {
    for call in &answered {
        if call.changes_key {
            // Its layer is read from the store again, now that the change is committed.
            shared.push_layers.forget(call.session.0);
        }
    }
    for call in answered {
        shared.endpoint().answer(call.session, call.msg_id, call.result, call.connection);
        if !call.pushes.is_empty() {
            super::pushes::deliver_quietly(shared, call.pushes.into_iter().map(|p| (p.auth_key_id, p.updates)));
        }
    }
    shared.wake_connections();
}
