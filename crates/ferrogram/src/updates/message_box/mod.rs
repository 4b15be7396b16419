//! [`MessageBox`]: the update sequences of <https://core.telegram.org/api/updates> as a sans-IO
//! state machine.
//!
//! The box takes what the server pushes ([`process`](MessageBox::process)) and the answers to the
//! requests it asks for ([`set_state`](MessageBox::set_state) for `updates.getState`,
//! [`apply_difference`](MessageBox::apply_difference) for `updates.getDifference`), and hands
//! back the updates to apply, in order, each exactly once. It has no clock: every call that
//! depends on time takes `now` (any monotonic [`Duration`], such as the time since the Unix
//! epoch), and [`poll_timeout`](MessageBox::poll_timeout) says when
//! [`handle_timeout`](MessageBox::handle_timeout) is due. It does no I/O: the driver asks
//! [`needs_state`](MessageBox::needs_state) and
//! [`difference_request`](MessageBox::difference_request) what to send.
//!
//! The rules, per sequence (the common `pts`, the secondary `qts`, each channel's `pts`, and
//! `seq` for `updates`/`updatesCombined`):
//!
//! - `local + count == remote`: the update applies, and the local value becomes `remote`;
//! - `local + count > remote`: it was applied already and is dropped (de-duplication);
//! - `local + count < remote`: a gap. The update is held for [`GAP_WAIT`] (the missing ones
//!   often arrive meanwhile, out of order); if the gap is still open then, the box asks for
//!   `updates.getDifference` and checks what it held against the state the difference ends at.
//!
//! While a difference is due, updates of the common sequences are held rather than applied, so
//! that nothing the difference brings is applied twice. `updatesTooLong`, a new server session,
//! a push the client could not read or keep, and [`IDLE_DIFFERENCE`] without any update also
//! call for a difference ([`request_difference`](MessageBox::request_difference)).
//!
//! Channels: their `pts` is tracked and checked the same way; a channel gap still open after
//! [`GAP_WAIT`] makes that channel's `updates.getChannelDifference` due (see [`channels`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ferrogram_tl::{enums, functions, types};

use super::state::UpdateState;
use sequences::{entry_in_difference, local_of, predates, set_local};
pub use sequences::{sequence_of, Entry};

pub mod channels;
mod sequences;

#[cfg(test)]
mod tests;

/// How long a gap may stay open before the box asks for a difference: the half second the
/// documentation suggests.
pub const GAP_WAIT: Duration = Duration::from_millis(500);
/// How long without any update before the box asks for a difference anyway (the
/// documentation's "no updates for 15 minutes or longer").
pub const IDLE_DIFFERENCE: Duration = Duration::from_secs(15 * 60);
/// The most updates held while gaps are open; past it the held ones are dropped and a
/// difference (which brings them again) is asked for.
pub const MAX_HELD: usize = 10_000;

/// An update the box lets through.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// An update as the server sent it (or a message of a difference, as `updateNewMessage`
    /// with `pts` and `pts_count` 0).
    Update(Box<enums::Update>),
    /// A private message in its short form.
    ShortMessage(types::UpdateShortMessage),
    /// A basic group message in its short form.
    ShortChatMessage(types::UpdateShortChatMessage),
    /// The server could not say everything that was missed (`updates.differenceTooLong`): what
    /// the client shows (dialogs, histories) must be reloaded.
    TooLong,
}

/// An update numbered in a sequence, waiting for its turn (`item` `None`: it only advances the
/// sequence, as `updateShortSentMessage` does).
#[derive(Debug, Clone)]
struct Held {
    pts: i32,
    count: i32,
    item: Option<Applied>,
}

/// An open gap: when it expires and what waits behind it.
#[derive(Debug, Clone)]
struct Gap {
    deadline: Duration,
    held: Vec<Held>,
}

/// An `updates`/`updatesCombined` waiting for its `seq`.
#[derive(Debug, Clone)]
struct HeldSeq {
    seq_start: i32,
    seq: i32,
    date: i32,
    updates: Vec<enums::Update>,
}

/// The client's update state machine (see the [module docs](self)).
#[derive(Debug, Clone, Default)]
pub struct MessageBox {
    state: Option<UpdateState>,
    gaps: BTreeMap<Entry, Gap>,
    seq_gap: Option<(Duration, Vec<HeldSeq>)>,
    need_difference: bool,
    /// Channels whose gap outlived its wait: their difference is due.
    channel_differences: BTreeSet<i64>,
    refetch_state: bool,
    last_activity: Duration,
}

impl MessageBox {
    /// A box with no state yet: [`needs_state`](Self::needs_state) until
    /// [`set_state`](Self::set_state). Until then updates pass through unchecked.
    pub fn new() -> Self {
        Self::default()
    }

    /// A box starting from a stored state, at `now`.
    pub fn with_state(state: UpdateState, now: Duration) -> Self {
        MessageBox { state: Some(state), last_activity: now, ..Self::default() }
    }

    /// The current state (`None` before the first [`set_state`](Self::set_state)).
    pub fn state(&self) -> Option<&UpdateState> {
        self.state.as_ref()
    }

    /// Whether the driver must call `updates.getState` and hand the answer to
    /// [`set_state`](Self::set_state).
    pub fn needs_state(&self) -> bool {
        self.state.is_none() || self.refetch_state
    }

    /// Takes `updates.getState`'s answer: the sequences start from there.
    /// Returns what was held behind gaps and applies from there.
    pub fn set_state(&mut self, state: &enums::updates::State, now: Duration) -> Vec<Applied> {
        match &mut self.state {
            Some(current) => current.set_common(state),
            None => self.state = Some(UpdateState::from_tl(state)),
        }
        self.refetch_state = false;
        self.need_difference = false;
        self.last_activity = now;
        self.recheck_held(now)
    }

    /// Forgets the state (the server refused it): the next step is `updates.getState`.
    pub fn forget_state(&mut self) {
        *self = MessageBox { last_activity: self.last_activity, ..Self::default() };
    }

    /// Asks for `updates.getDifference` (a push was lost, the server's session is new, the
    /// server said `updatesTooLong`). Without a state there is nothing to catch up on.
    pub fn request_difference(&mut self) {
        if self.state.is_some() {
            self.need_difference = true;
        }
    }

    /// Whether a difference is due.
    pub fn needs_difference(&self) -> bool {
        self.need_difference && self.state.is_some()
    }

    /// How many updates wait behind open gaps.
    pub fn held(&self) -> usize {
        let pts: usize = self.gaps.values().map(|g| g.held.len()).sum();
        let seq: usize = self.seq_gap.iter().flat_map(|(_, h)| h).map(|h| h.updates.len()).sum();
        pts + seq
    }

    /// The `updates.getDifference` to send now, if one is due (at most `pts_limit` pts per
    /// answer when given). The box asks for it until [`apply_difference`](Self::apply_difference)
    /// gets an answer that completes it.
    ///
    /// What the common sequences held until now is dropped: the difference brings it again
    /// (a whole difference reaches at least every update pushed before it was asked for), and
    /// the box would only have to drop it then. Updates that arrive while the request is out
    /// are held, and checked against the state the answer reaches.
    pub fn difference_request(&mut self, pts_limit: Option<i32>) -> Option<functions::updates::GetDifference> {
        let state = self.state.as_ref().filter(|_| self.need_difference && !self.refetch_state)?;
        let request = functions::updates::GetDifference {
            pts: state.pts.max(1),
            pts_limit,
            pts_total_limit: None,
            // The server refuses a date of 0: a state without one asks from the epoch's first second.
            date: state.date.max(1),
            qts: state.qts,
            qts_limit: None,
        };
        self.gaps.retain(|entry, _| !entry_in_difference(*entry));
        self.seq_gap = None;
        Some(request)
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due, if ever.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let gaps = self.gaps.values().map(|g| g.deadline);
        let seq = self.seq_gap.iter().map(|(deadline, _)| *deadline);
        let idle = (self.state.is_some() && !self.need_difference).then(|| self.last_activity + IDLE_DIFFERENCE);
        // Duration::MAX: a gap waiting for the difference, which has no deadline of its own.
        gaps.chain(seq).chain(idle).filter(|at| *at != Duration::MAX).min()
    }

    /// Expires the gaps due at `now`: the common ones call for a difference, channel ones for
    /// that channel's difference.
    pub fn handle_timeout(&mut self, now: Duration) {
        let due: Vec<Entry> = self.gaps.iter().filter(|(_, g)| g.deadline <= now).map(|(e, _)| *e).collect();
        for entry in due {
            match entry {
                Entry::Common | Entry::Secondary => {
                    self.request_difference();
                    // Checked again when the difference comes; no further deadline meanwhile.
                    if let Some(gap) = self.gaps.get_mut(&entry) {
                        gap.deadline = Duration::MAX;
                    }
                }
                Entry::Channel(id) => {
                    self.channel_differences.insert(id);
                    if let Some(gap) = self.gaps.get_mut(&entry) {
                        gap.deadline = Duration::MAX;
                    }
                }
            }
        }
        if self.seq_gap.as_ref().is_some_and(|(deadline, _)| *deadline <= now) {
            self.request_difference();
            if let Some((deadline, _)) = self.seq_gap.as_mut() {
                *deadline = Duration::MAX;
            }
        }
        if self.state.is_some() && !self.need_difference && now >= self.last_activity + IDLE_DIFFERENCE {
            self.need_difference = true;
            self.last_activity = now;
        }
    }

    /// Takes a pushed `Updates` (or one a call answered with) at `now`; returns what applies now,
    /// in order.
    pub fn process(&mut self, updates: enums::Updates, now: Duration) -> Vec<Applied> {
        self.last_activity = now;
        let mut out = Vec::new();
        match updates {
            enums::Updates::TooLong(_) => self.request_difference(),
            enums::Updates::UpdateShort(short) => self.one(short.update, now, &mut out),
            enums::Updates::UpdateShortMessage(m) => {
                let held = Held { pts: m.pts, count: m.pts_count, item: None };
                let item = Applied::ShortMessage(m);
                self.numbered(Entry::Common, Held { item: Some(item), ..held }, now, &mut out);
            }
            enums::Updates::UpdateShortChatMessage(m) => {
                let held = Held { pts: m.pts, count: m.pts_count, item: None };
                let item = Applied::ShortChatMessage(m);
                self.numbered(Entry::Common, Held { item: Some(item), ..held }, now, &mut out);
            }
            enums::Updates::UpdateShortSentMessage(sent) => {
                let held = Held { pts: sent.pts, count: sent.pts_count, item: None };
                self.numbered(Entry::Common, held, now, &mut out);
            }
            enums::Updates::Updates(u) => {
                let held = HeldSeq { seq_start: u.seq, seq: u.seq, date: u.date, updates: u.updates };
                self.sequenced(held, now, &mut out);
            }
            enums::Updates::Combined(u) => {
                let held = HeldSeq { seq_start: u.seq_start, seq: u.seq, date: u.date, updates: u.updates };
                self.sequenced(held, now, &mut out);
            }
        }
        out
    }

    /// [`process`](Self::process) for what arrived while `updates.getState` was out, right
    /// after [`set_state`](Self::set_state): an update at or below the new state was pushed
    /// before it and never applied, so it passes (instead of being dropped as applied already);
    /// later ones are checked as usual.
    pub fn process_undelivered(&mut self, updates: enums::Updates, now: Duration) -> Vec<Applied> {
        if !self.state.as_ref().is_some_and(|state| predates(&updates, state)) {
            return self.process(updates, now);
        }
        let state = self.state.take();
        let out = self.process(updates, now);
        self.state = state;
        out
    }

    /// Takes `updates.getDifference`'s answer at `now`; returns its updates, then whatever held
    /// update applies after it. A slice leaves the difference due (from the slice's state).
    pub fn apply_difference(&mut self, difference: enums::updates::Difference, now: Duration) -> Vec<Applied> {
        self.last_activity = now;
        let mut out = Vec::new();
        let Some(state) = self.state.as_mut() else { return out };
        let (messages, others, done) = match difference {
            enums::updates::Difference::Empty(empty) => {
                state.date = empty.date;
                state.seq = empty.seq;
                (Vec::new(), Vec::new(), true)
            }
            enums::updates::Difference::Difference(d) => {
                state.set_common(&d.state);
                (d.new_messages, d.other_updates, true)
            }
            enums::updates::Difference::Slice(d) => {
                state.set_common(&d.intermediate_state);
                (d.new_messages, d.other_updates, false)
            }
            enums::updates::Difference::TooLong(too_long) => {
                state.pts = too_long.pts;
                out.push(Applied::TooLong);
                (Vec::new(), Vec::new(), true)
            }
        };
        for message in messages {
            out.push(Applied::Update(Box::new(types::UpdateNewMessage { message, pts: 0, pts_count: 0 }.into())));
        }
        for update in others {
            match sequence_of(&update) {
                // Channel updates keep their own sequences; the common ones are covered by the
                // difference's state.
                Some((entry @ Entry::Channel(_), pts, count)) => self.numbered(
                    entry,
                    Held { pts, count, item: Some(Applied::Update(Box::new(update))) },
                    now,
                    &mut out,
                ),
                _ => out.push(Applied::Update(Box::new(update))),
            }
        }
        if done {
            self.need_difference = false;
            out.extend(self.recheck_held(now));
        }
        out
    }

    /// One update outside any `seq`: numbered ones through their sequence, others as they are.
    fn one(&mut self, update: enums::Update, now: Duration, out: &mut Vec<Applied>) {
        if matches!(update, enums::Update::PtsChanged(_)) {
            self.refetch_state = true;
            return;
        }
        match sequence_of(&update) {
            Some((entry, pts, count)) => {
                self.numbered(entry, Held { pts, count, item: Some(Applied::Update(Box::new(update))) }, now, out)
            }
            None => out.push(Applied::Update(Box::new(update))),
        }
    }

    /// An `updates`/`updatesCombined`: checked against `seq` (unless unnumbered), then each of
    /// its updates.
    fn sequenced(&mut self, held: HeldSeq, now: Duration, out: &mut Vec<Applied>) {
        let Some(state) = self.state.as_mut() else {
            held.updates.into_iter().for_each(|u| self.one(u, now, out));
            return;
        };
        if held.seq_start != 0 {
            let next = i64::from(state.seq) + 1;
            let start = i64::from(held.seq_start);
            if next > start {
                return; // applied already
            }
            if next < start || self.need_difference {
                let (_, waiting) = self.seq_gap.get_or_insert_with(|| (now + GAP_WAIT, Vec::new()));
                waiting.push(held);
                self.limit_held();
                return;
            }
            state.seq = held.seq;
        }
        if held.date != 0 {
            state.date = held.date;
        }
        held.updates.into_iter().for_each(|u| self.one(u, now, out));
        if held.seq_start != 0 {
            self.recheck_seq(now, out);
        }
    }

    /// An update numbered in `entry`: applied, dropped as a duplicate, or held behind a gap.
    fn numbered(&mut self, entry: Entry, held: Held, now: Duration, out: &mut Vec<Applied>) {
        let Some(state) = self.state.as_mut() else {
            out.extend(held.item);
            return;
        };
        let local = match entry {
            Entry::Common => state.pts,
            Entry::Secondary => state.qts,
            Entry::Channel(id) => match state.channels.get(&id) {
                Some(pts) => *pts,
                // A channel seen for the first time: this update starts its sequence.
                None => held.pts - held.count,
            },
        };
        let waiting_for_difference = self.need_difference && entry_in_difference(entry);
        let expected = i64::from(local) + i64::from(held.count);
        let remote = i64::from(held.pts);
        if expected > remote {
            return; // applied already
        }
        if expected < remote || waiting_for_difference {
            let gap = self.gaps.entry(entry).or_insert_with(|| Gap { deadline: now + GAP_WAIT, held: Vec::new() });
            if waiting_for_difference {
                gap.deadline = Duration::MAX;
            }
            gap.held.push(held);
            self.limit_held();
            return;
        }
        set_local(state, entry, held.pts);
        out.extend(held.item);
        self.drain_gap(entry, out);
    }

    /// Applies what waited behind `entry`'s gap as far as it is now contiguous.
    fn drain_gap(&mut self, entry: Entry, out: &mut Vec<Applied>) {
        let Some(state) = self.state.as_mut() else { return };
        let Some(gap) = self.gaps.get_mut(&entry) else { return };
        gap.held.sort_by_key(|h| h.pts - h.count);
        loop {
            let local = local_of(state, entry);
            let Some(first) = gap.held.first() else { break };
            let expected = i64::from(local) + i64::from(first.count);
            if expected > i64::from(first.pts) {
                gap.held.remove(0); // covered meanwhile
            } else if expected == i64::from(first.pts) {
                let h = gap.held.remove(0);
                set_local(state, entry, h.pts);
                out.extend(h.item);
            } else {
                break;
            }
        }
        if gap.held.is_empty() {
            self.gaps.remove(&entry);
        }
    }

    /// After a state or a difference: every held update checked again, in order; gaps still
    /// open get a new deadline from `now`.
    fn recheck_held(&mut self, now: Duration) -> Vec<Applied> {
        let mut out = Vec::new();
        let entries: Vec<Entry> = self.gaps.keys().copied().collect();
        for entry in entries {
            self.drain_gap(entry, &mut out);
            if let Some(gap) = self.gaps.get_mut(&entry) {
                gap.deadline = now + GAP_WAIT;
            }
        }
        self.recheck_seq(now, &mut out);
        if let Some((deadline, _)) = self.seq_gap.as_mut() {
            *deadline = now + GAP_WAIT;
        }
        out
    }

    /// Applies held `updates` whose `seq` has come, and drops those applied already.
    fn recheck_seq(&mut self, now: Duration, out: &mut Vec<Applied>) {
        loop {
            let Some(state) = self.state.as_ref() else { return };
            let Some((_, waiting)) = self.seq_gap.as_mut() else { return };
            waiting.sort_by_key(|h| h.seq_start);
            let next = i64::from(state.seq) + 1;
            waiting.retain(|h| i64::from(h.seq_start) >= next);
            let ready = waiting.first().is_some_and(|h| i64::from(h.seq_start) == next) && !self.need_difference;
            let held = if ready { Some(waiting.remove(0)) } else { None };
            if waiting.is_empty() {
                self.seq_gap = None;
            }
            match held {
                Some(held) => self.sequenced(held, now, out),
                None => return,
            }
        }
    }

    /// Past [`MAX_HELD`], drops what is held and asks for the difference that brings it again.
    fn limit_held(&mut self) {
        if self.held() > MAX_HELD {
            tracing::debug!(held = self.held(), "too many updates behind gaps; fetching the difference instead");
            self.gaps.retain(|entry, _| matches!(entry, Entry::Channel(_)));
            self.seq_gap = None;
            self.request_difference();
        }
    }
}
