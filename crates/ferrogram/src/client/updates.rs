//! The client's side of updates: pushes and `Updates` answers go into a bounded queue, and
//! [`Client::next_update`] runs them through the [`MessageBox`], fetching state and
//! differences as it asks, and hands out typed events.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use ferrogram_tl::{enums, functions, types, Deserializable, Identifiable};
use tokio::sync::{mpsc, Notify};

use super::Client;
use crate::errors::InvocationError;
use crate::net::unix_now;
use crate::updates::message_box::channels::CHANNEL_DIFFERENCE_LIMIT;
use crate::updates::message_box::Applied;
use crate::updates::{MessageBox, Update, UpdateState};

/// How often, at most, the consumed update state is written to the session store while
/// events are taken (it is also written on [`Client::disconnect`] and when the client is dropped).
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// The most pts one `updates.getDifference` answer is asked to cover.
const DIFFERENCE_LIMIT: usize = 1000;

/// The constructors of `Updates`.
const UPDATES_IDS: [u32; 7] = [
    types::UpdatesTooLong::CONSTRUCTOR_ID,
    types::UpdateShortMessage::CONSTRUCTOR_ID,
    types::UpdateShortChatMessage::CONSTRUCTOR_ID,
    types::UpdateShort::CONSTRUCTOR_ID,
    types::UpdatesCombined::CONSTRUCTOR_ID,
    types::Updates::CONSTRUCTOR_ID,
    types::UpdateShortSentMessage::CONSTRUCTOR_ID,
];

/// The calls whose `messages.affectedMessages` / `affectedHistory` answer is a pts of the
/// common box (the `channels.*` ones answer with a channel's).
const COMMON_BOX_CALLS: [u32; 4] = [
    functions::messages::DeleteMessages::CONSTRUCTOR_ID,
    functions::messages::ReadHistory::CONSTRUCTOR_ID,
    functions::messages::ReadMessageContents::CONSTRUCTOR_ID,
    functions::messages::DeleteHistory::CONSTRUCTOR_ID,
];

/// The constructor id a serialized value starts with.
fn constructor_id(bytes: &[u8]) -> Option<u32> {
    bytes.get(..4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes)
}

/// Where the connections put what the server pushes, within a budget of events.
#[derive(Debug)]
pub(crate) struct UpdateSink {
    sender: mpsc::UnboundedSender<(enums::Updates, usize)>,
    /// Events held by the client: queued pushes, updates behind gaps and events ready to be
    /// taken.
    held: AtomicUsize,
    capacity: usize,
    /// A push was refused (queue full) or unreadable, or the server's session is new: a
    /// difference is due.
    lost: AtomicBool,
    /// The session was (re)loaded: the message box starts again from its state.
    reload: AtomicBool,
    /// The consumed state is newer than the stored one.
    pub(crate) dirty: AtomicBool,
    wake: Notify,
    /// Notified for each `updateLoginToken`: a QR-login token of this key was accepted (see
    /// `auth/qr.rs`; the update is for the waiting login, not an event of the account).
    login_token: Notify,
}

impl UpdateSink {
    fn new(capacity: usize) -> (UpdateSink, mpsc::UnboundedReceiver<(enums::Updates, usize)>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let sink = UpdateSink {
            sender,
            held: AtomicUsize::new(0),
            capacity: capacity.max(1),
            lost: AtomicBool::new(false),
            reload: AtomicBool::new(true),
            dirty: AtomicBool::new(false),
            wake: Notify::new(),
            login_token: Notify::new(),
        };
        (sink, receiver)
    }

    /// Takes a serialized `Updates` the server pushed.
    pub(crate) fn push(&self, body: &[u8]) {
        match enums::Updates::from_bytes_exact(body) {
            // A signed-out key gets it: nothing for the message box, which has no account yet.
            Ok(enums::Updates::UpdateShort(short)) if matches!(short.update, enums::Update::LoginToken(_)) => {
                self.login_token.notify_one();
            }
            Ok(updates) => self.queue(updates),
            Err(error) => {
                tracing::debug!(%error, "an update the client cannot read; fetching the difference instead");
                self.request_difference();
            }
        }
    }

    /// Takes the answer to a call that moved the account's sequences: an `Updates`, or the
    /// `messages.affectedMessages` / `affectedHistory` of a call on the common box (its pts
    /// moves with no event to show: the application made the call).
    pub(crate) fn answered(&self, request: &[u8], answer: &[u8]) {
        let Some(id) = constructor_id(answer) else { return };
        if UPDATES_IDS.contains(&id) {
            return self.push(answer);
        }
        // Group creation and invitations answer their updates wrapped.
        if id == types::messages::InvitedUsers::CONSTRUCTOR_ID {
            match enums::messages::InvitedUsers::from_bytes_exact(answer) {
                Ok(enums::messages::InvitedUsers::InvitedUsers(invited)) => return self.queue(invited.updates),
                Err(_) => return self.request_difference(),
            }
        }
        if !constructor_id(request).is_some_and(|r| COMMON_BOX_CALLS.contains(&r)) {
            return;
        }
        let (pts, pts_count) = match enums::messages::AffectedMessages::from_bytes_exact(answer) {
            Ok(enums::messages::AffectedMessages::AffectedMessages(a)) => (a.pts, a.pts_count),
            Err(_) => match enums::messages::AffectedHistory::from_bytes_exact(answer) {
                Ok(enums::messages::AffectedHistory::AffectedHistory(a)) => (a.pts, a.pts_count),
                Err(_) => return,
            },
        };
        // The message box's "advance only" form: a sent message it has no event for.
        let advance = types::UpdateShortSentMessage {
            out: true,
            id: 0,
            pts,
            pts_count,
            date: 0,
            media: None,
            entities: None,
            ttl_period: None,
        };
        self.queue(advance.into());
    }

    /// Queues `updates` if the budget has room for its events, else drops it and asks for a
    /// difference.
    fn queue(&self, updates: enums::Updates) {
        let events = match &updates {
            enums::Updates::TooLong(_) => return self.request_difference(),
            enums::Updates::Updates(u) => u.updates.len().max(1),
            enums::Updates::Combined(u) => u.updates.len().max(1),
            _ => 1,
        };
        if self.held.fetch_add(events, Ordering::SeqCst) + events > self.capacity {
            self.held.fetch_sub(events, Ordering::SeqCst);
            tracing::debug!(events, capacity = self.capacity, "update queue full; the difference will bring it");
            return self.request_difference();
        }
        if self.sender.send((updates, events)).is_err() {
            self.held.fetch_sub(events, Ordering::SeqCst);
        }
    }

    /// How many events an answer may bring, at least one and at most `most`: the room the queue
    /// has besides the `held_by_box` updates held behind gaps (which the request drops).
    fn room_besides(&self, held_by_box: usize, most: usize) -> usize {
        let others = self.held.load(Ordering::SeqCst).saturating_sub(held_by_box);
        self.capacity.saturating_sub(others).clamp(1, most)
    }

    /// Asks the next [`Client::next_update`] to fetch the difference.
    pub(crate) fn request_difference(&self) {
        self.lost.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Makes the box start again from the session's state (after it was loaded).
    pub(crate) fn reload(&self) {
        self.reload.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn add(&self, delta: isize) {
        if delta >= 0 {
            self.held.fetch_add(delta.unsigned_abs(), Ordering::SeqCst);
        } else {
            let down = delta.unsigned_abs();
            // Never below zero, whatever the accounting says.
            let _ = self.held.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |h| Some(h.saturating_sub(down)));
        }
    }
}

/// What waits to be handed out: an event, or the state reached once the events before it are
/// taken.
#[derive(Debug)]
enum Ready {
    Event(Update),
    State(UpdateState),
}

/// The message box and what comes out of it; one `next_update` at a time drives it.
#[derive(Debug)]
pub(crate) struct Engine {
    receiver: mpsc::UnboundedReceiver<(enums::Updates, usize)>,
    message_box: MessageBox,
    ready: VecDeque<Ready>,
    last_saved: Option<Instant>,
}

/// The sink and the engine of a new client whose queue holds `capacity` events.
pub(crate) fn channel(capacity: usize) -> (UpdateSink, Engine) {
    let (sink, receiver) = UpdateSink::new(capacity);
    let engine = Engine { receiver, message_box: MessageBox::new(), ready: VecDeque::new(), last_saved: None };
    (sink, engine)
}

impl Engine {
    /// Queues the events of what the box let through, then the state they reach; `before` is
    /// how many updates the box held before the step that made them, and `taken` how many
    /// queued events that step consumed.
    fn queue(&mut self, sink: &UpdateSink, applied: Vec<Applied>, before: usize, taken: usize, self_id: Option<i64>) {
        let events = applied.len();
        self.ready.extend(applied.into_iter().map(|a| Ready::Event(Update::from_applied(a, self_id))));
        if let Some(state) = self.message_box.state() {
            self.ready.push_back(Ready::State(state.clone()));
        }
        let after = self.message_box.held();
        sink.add(events as isize + after as isize - before as isize - taken as isize);
    }
}

impl Client {
    /// The next update event: waits until there is one.
    ///
    /// Updates are processed here, while the application asks for them: every push, and every
    /// call answer that is an `Updates`, goes through the account's update sequences
    /// ([`MessageBox`]) so that each event comes once and in order. A gap is waited on for half
    /// a second, then filled with `updates.getDifference`; so is what happened while the client
    /// was offline, from the state stored in the session ([`ClientConfig::catch_up`]). A
    /// session without a state (a new sign-in) starts from `updates.getState` at the first
    /// call; what was pushed since the sign-in comes first.
    ///
    /// **The queue is bounded.** At most [`ClientConfig::update_queue_capacity`] events wait
    /// in the client (queued pushes, updates held behind gaps, events ready to be taken;
    /// [`queued_updates`](Self::queued_updates) says how many). A push that finds the queue
    /// full is dropped and the next call fetches the difference instead, which brings it again
    /// from the server once there is room: nothing is lost, memory does not grow with a slow
    /// consumer, and the events still come in order.
    ///
    /// What the session stores is the state reached by the events taken (not the state the
    /// client has fetched): at most once a second, on [`disconnect`](Self::disconnect) and when
    /// the last clone of the client is dropped. A restarted client never misses an event, and
    /// gets one again only if it was taken after the last store (a crash within that second),
    /// or if it was taken from a batch left unfinished: the state moves when a batch's last
    /// event is taken (a batch is what one push, one answer or one difference slice brought:
    /// usually one event, at most 1,000 for a slice, fewer with a small queue).
    ///
    /// An error (the server refused a `getState` or `getDifference`, the connection failed)
    /// is returned; the next call tries again. Only one call runs at a time: concurrent calls
    /// wait for each other. Cancel-safe: dropping the future (a `select!`, a timeout) loses no
    /// event; an unfinished `getDifference` is asked again by the next call.
    ///
    /// [`ClientConfig::catch_up`]: crate::ClientConfig::catch_up
    /// [`ClientConfig::update_queue_capacity`]: crate::ClientConfig::update_queue_capacity
    pub async fn next_update(&self) -> Result<Update, InvocationError> {
        let sink = &self.inner.updates;
        let mut engine = self.inner.engine.lock().await;
        loop {
            if sink.reload.swap(false, Ordering::SeqCst) {
                self.reload_box(&mut engine);
            }
            // First of all a state, so that every event taken moves it (what was pushed before
            // it passes: see `process_undelivered`).
            if engine.message_box.needs_state() {
                let self_id = self.data().user.map(|u| u.id);
                let held = engine.message_box.held();
                let state = self.invoke(&functions::updates::GetState {}).await?;
                let applied = engine.message_box.set_state(&state, unix_now());
                engine.queue(sink, applied, held, 0, self_id);
                // What came in meanwhile and predates the state was never applied: it passes.
                while let Ok((updates, taken)) = engine.receiver.try_recv() {
                    self.observe_updates(&updates);
                    let before = engine.message_box.held();
                    let applied = engine.message_box.process_undelivered(updates, unix_now());
                    engine.queue(sink, applied, before, taken, self_id);
                }
                continue;
            }
            match engine.ready.pop_front() {
                Some(Ready::Event(event)) => {
                    sink.add(-1);
                    // The state reached with this event counts as taken with it.
                    while let Some(Ready::State(_)) = engine.ready.front() {
                        if let Some(Ready::State(state)) = engine.ready.pop_front() {
                            self.consumed(&mut engine, state);
                        }
                    }
                    return Ok(event);
                }
                Some(Ready::State(state)) => {
                    self.consumed(&mut engine, state);
                    continue;
                }
                None => {}
            }
            let self_id = self.data().user.map(|u| u.id);
            let now = unix_now();
            if let Ok((updates, taken)) = engine.receiver.try_recv() {
                self.observe_updates(&updates);
                let before = engine.message_box.held();
                let applied = engine.message_box.process(updates, now);
                engine.queue(sink, applied, before, taken, self_id);
                continue;
            }
            if sink.lost.swap(false, Ordering::SeqCst) {
                engine.message_box.request_difference();
            }
            let before = engine.message_box.held();
            engine.message_box.handle_timeout(now);
            // The room the answer may fill, reserved while it is out so that pushes meanwhile
            // cannot take it.
            let room = sink.room_besides(before, DIFFERENCE_LIMIT);
            if let Some(request) = engine.message_box.difference_request(Some(room as i32)) {
                let kept = engine.message_box.held();
                sink.add(kept as isize - before as isize);
                let reserved = Reservation::new(sink, room);
                let answer = self.invoke(&request).await;
                drop(reserved);
                match answer {
                    Ok(difference) => {
                        let applied = engine.message_box.apply_difference(difference, unix_now());
                        engine.queue(sink, applied, kept, 0, self_id);
                    }
                    // The server does not know the state any more: start again from its present.
                    Err(InvocationError::Rpc(error)) if error.name.starts_with("PERSISTENT_TIMESTAMP") => {
                        tracing::info!(%error, "the server refused the update state; starting from its present");
                        let held = engine.message_box.held();
                        engine.message_box.forget_state();
                        engine.queue(sink, vec![Applied::TooLong], held, 0, self_id);
                    }
                    Err(error) => return Err(error),
                }
                continue;
            }
            if let Some(channel) = engine.message_box.channel_difference_due() {
                let applied = self.channel_difference(&mut engine, channel, before).await?;
                engine.queue(sink, applied, before, 0, self_id);
                continue;
            }
            let deadline = engine.message_box.poll_timeout();
            tokio::select! {
                received = engine.receiver.recv() => {
                    if let Some((updates, taken)) = received {
                        self.observe_updates(&updates);
                        let applied = engine.message_box.process(updates, unix_now());
                        engine.queue(sink, applied, before, taken, self_id);
                    }
                }
                _ = sink.wake.notified() => {}
                _ = sleep_until_unix(deadline) => {}
            }
        }
    }

    /// Fills the gap of `channel` with `updates.getChannelDifference` (one slice; a slice that
    /// is not final leaves it due), or, if the client cannot ask (no access hash for the
    /// channel, or the server refuses: it is private or gone now), closes the gap with what was
    /// held. `held` is what the box held before.
    async fn channel_difference(
        &self,
        engine: &mut Engine,
        channel: i64,
        held: usize,
    ) -> Result<Vec<Applied>, InvocationError> {
        let sink = &self.inner.updates;
        let known = self.cached_peer(crate::Peer::Channel(channel)).ok().flatten();
        let hash = known.filter(|peer| !peer.min).and_then(|peer| peer.access_hash);
        let room = sink.room_besides(held, CHANNEL_DIFFERENCE_LIMIT as usize);
        let limit = i32::try_from(room).unwrap_or(CHANNEL_DIFFERENCE_LIMIT);
        let Some(request) = hash.and_then(|hash| engine.message_box.channel_difference_request(channel, hash, limit))
        else {
            tracing::debug!(channel, "no access hash for a channel with a gap; applying what was held");
            return Ok(engine.message_box.close_channel_gap(channel));
        };
        let reserved = Reservation::new(sink, room);
        let answer = self.invoke(&request).await;
        drop(reserved);
        match answer {
            Ok(difference) => Ok(engine.message_box.apply_channel_difference(channel, difference, unix_now())),
            Err(InvocationError::Rpc(error)) => {
                tracing::info!(channel, %error, "the server refused a channel's difference; applying what was held");
                Ok(engine.message_box.close_channel_gap(channel))
            }
            Err(error) => Err(error),
        }
    }

    /// The update events as a [`Stream`](futures_core::Stream) of
    /// [`next_update`](Self::next_update) results (it never ends).
    pub fn updates(&self) -> UpdateStream {
        UpdateStream { client: self.clone(), next: None }
    }

    /// Notified when the server says a QR-login token of this client was accepted
    /// (`updateLoginToken`); a notification nobody waited for is kept for the next waiter.
    pub(crate) fn login_token_accepted(&self) -> &Notify {
        &self.inner.updates.login_token
    }

    /// How many update events wait in the client now (at most
    /// [`ClientConfig::update_queue_capacity`](crate::ClientConfig::update_queue_capacity)).
    pub fn queued_updates(&self) -> usize {
        self.inner.updates.held.load(Ordering::SeqCst)
    }

    /// Remembers the users and chats `updates` carries (see [`crate::peers`]).
    fn observe_updates(&self, updates: &enums::Updates) {
        let (users, chats) = crate::peers::observe::of_updates(updates);
        self.observe_peers(users, chats);
    }

    /// The box starts again from the session's state; with one, it catches up first.
    fn reload_box(&self, engine: &mut Engine) {
        let sink = &self.inner.updates;
        let stale: usize = engine.ready.iter().filter(|r| matches!(r, Ready::Event(_))).count();
        sink.add(-((stale + engine.message_box.held()) as isize));
        engine.ready.clear();
        engine.message_box = match self.data().updates.clone() {
            Some(state) => {
                let mut message_box = MessageBox::with_state(state, unix_now());
                message_box.request_difference();
                message_box
            }
            None => MessageBox::new(),
        };
    }

    /// Records that the events up to `state` were taken; stores it now and then. A store that
    /// fails is logged and tried again with the next event (the event is not withheld for it).
    fn consumed(&self, engine: &mut Engine, state: UpdateState) {
        let dirty = &self.inner.updates.dirty;
        self.data().updates = Some(state);
        if engine.last_saved.is_some_and(|at| at.elapsed() < SAVE_INTERVAL) {
            dirty.store(true, Ordering::SeqCst);
            return;
        }
        engine.last_saved = Some(Instant::now());
        match self.update_session(|_| {}) {
            Ok(()) => dirty.store(false, Ordering::SeqCst),
            Err(error) => {
                tracing::warn!(%error, "could not store the update state; trying again with the next event");
                dirty.store(true, Ordering::SeqCst);
                engine.last_saved = None;
            }
        }
    }
}

/// Room in the queue held for a `getDifference` answer while it is out (released when dropped,
/// also when the call is cancelled).
struct Reservation<'a> {
    sink: &'a UpdateSink,
    events: usize,
}

impl<'a> Reservation<'a> {
    fn new(sink: &'a UpdateSink, events: usize) -> Self {
        sink.add(events as isize);
        Reservation { sink, events }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.sink.add(-(self.events as isize));
    }
}

/// [`Client::updates`]: the update events as a `Stream`.
pub struct UpdateStream {
    client: Client,
    next: Option<NextUpdate>,
}

/// A [`Client::next_update`] call in progress.
type NextUpdate = Pin<Box<dyn Future<Output = Result<Update, InvocationError>> + Send>>;

impl std::fmt::Debug for UpdateStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdateStream").field("client", &self.client).finish_non_exhaustive()
    }
}

impl futures_core::Stream for UpdateStream {
    type Item = Result<Update, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let client = this.client.clone();
        let next = this.next.get_or_insert_with(|| Box::pin(async move { client.next_update().await }));
        match next.as_mut().poll(cx) {
            Poll::Ready(item) => {
                this.next = None;
                Poll::Ready(Some(item))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Sleeps until the Unix time `at` (for ever if `None`).
async fn sleep_until_unix(at: Option<Duration>) {
    match at {
        Some(at) => tokio::time::sleep(at.saturating_sub(unix_now())).await,
        None => std::future::pending().await,
    }
}
