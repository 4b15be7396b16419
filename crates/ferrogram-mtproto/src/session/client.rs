//! The client's half of the session layer.
//!
//! Driven like quinn-proto's connection: [`ClientSession::enqueue`] requests,
//! [`ClientSession::poll_transmit`] packets to send, feed received packets to
//! [`ClientSession::handle_packet`], then drain [`ClientSession::poll_event`] for answers, updates
//! and notices. Time and randomness are arguments.
//!
//! Requests keep their msg_id until the server answers or rejects them: after a lost connection
//! [`ClientSession::connection_lost`] queues them again under the same ids, so a server that already
//! ran one answers it from its cache instead of running it twice. Only a request the server
//! refused before running it (bad salt, clock skew) gets a new id.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use ferrogram_tl::mtproto::{enums, types, Message, MsgContainer, RpcResult};
use ferrogram_tl::{Deserializable, Identifiable, Serializable};

use super::client_timers::{ClientTimers, TimerState};
use super::envelope::{self, Header};
use super::msg_id::{is_content_related, msg_id_seconds, IdKind, MsgIdGenerator, SeqNo};
use super::recent::{RecentIds, Seen};
use super::{constructor_of, unpack_gzip, InflateLimits, RpcError, SessionError};
use crate::authkey::AuthKey;
use crate::crypto::Side;
use crate::RandomSource;
use ferrogram_tl::inflate::InflateBudget;

/// Most messages packed into one container (the server's limit is 1020).
const MAX_CONTAINER_MESSAGES: usize = 100;
/// Stop adding messages to a packet beyond this many body bytes (the limit is 1 MiB).
const MAX_PACKET_BODY: usize = 512 * 1024;
/// Most msg_ids in one `msgs_ack` (the spec's limit is 8192).
const MAX_ACKS: usize = 8192;
/// A server msg_id more than this many seconds behind our clock is refused.
pub const MAX_PAST: i64 = 300;
/// A server msg_id more than this many seconds ahead of our clock is refused.
pub const MAX_FUTURE: i64 = 30;
/// How many received msg_ids a session remembers to refuse duplicates; once it remembers this
/// many, an unseen id lower than all of them is refused too.
pub const RECENT_MSG_IDS: usize = 4096;

/// Identifies one request for its caller, across resends under new msg_ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// What the session has for its caller after handling packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The answer to a request: the result object (unpacked from `gzip_packed`) or an RPC error.
    Result {
        /// The request answered.
        request: RequestId,
        /// The serialized result, or the error the server answered with.
        result: Result<Vec<u8>, RpcError>,
    },
    /// An object the server sent on its own: updates.
    Update(Vec<u8>),
    /// The server created a new session for us: updates sent before `first_msg_id` may be lost.
    NewSession {
        /// The first message id the new session covers.
        first_msg_id: i64,
    },
    /// Nothing came from the server for longer than the timers allow
    /// ([`ClientTimers::ping_interval`] plus [`ClientTimers::silence_grace`]): the connection is
    /// dead, and the caller should drop it and call [`ClientSession::connection_lost`]. Only
    /// reported with [`ClientSession::with_timers`].
    ServerSilent,
    /// The server refused a request in a way resending cannot fix (`bad_msg_notification` with
    /// this `error_code`).
    Rejected {
        /// The request.
        request: RequestId,
        /// The notification's error code (see the service messages spec).
        error_code: i32,
    },
}

#[derive(Debug, Clone)]
struct Queued {
    request: RequestId,
    body: Vec<u8>,
    /// msg_id and seq_no from an earlier send, kept so the server can recognise a resend.
    assigned: Option<(i64, i32)>,
}

#[derive(Debug, Clone)]
struct Sent {
    request: RequestId,
    body: Vec<u8>,
    seq_no: i32,
    acked: bool,
    /// When it was last sent (for the resend timer).
    sent_at: Duration,
}

/// The client's state of one MTProto session on one auth key.
#[derive(Debug)]
pub struct ClientSession {
    key: AuthKey,
    session_id: i64,
    salt: i64,
    /// Server time minus local time, in seconds.
    time_offset: i64,
    ids: MsgIdGenerator,
    seq: SeqNo,
    queue: VecDeque<Queued>,
    sent: HashMap<i64, Sent>,
    containers: HashMap<i64, Vec<i64>>,
    acks: Vec<i64>,
    received: RecentIds,
    /// Whether a packet was accepted since the session started or the connection was lost
    /// (until then the server's time may move our offset forward).
    clock_confirmed: bool,
    events: VecDeque<Event>,
    next_request: u64,
    /// How much the `gzip_packed` of one packet may inflate to.
    inflate_limits: InflateLimits,
    /// Pings, acknowledgement delay, resends and silence, if the caller asked for them.
    timers: Option<TimerState>,
    /// Requests that are the timers' own pings (their answers are not the caller's).
    pings: HashSet<RequestId>,
}

impl ClientSession {
    /// A new session on `key` with the server `salt` and clock offset (`server - local`,
    /// seconds) the key exchange gave; the session id is drawn from `random`.
    pub fn new(key: AuthKey, salt: i64, time_offset: i64, random: &mut dyn RandomSource) -> Self {
        let mut id = [0u8; 8];
        random.fill(&mut id);
        ClientSession {
            key,
            session_id: i64::from_le_bytes(id),
            salt,
            time_offset,
            ids: MsgIdGenerator::new(),
            seq: SeqNo::new(),
            queue: VecDeque::new(),
            sent: HashMap::new(),
            containers: HashMap::new(),
            acks: Vec::new(),
            received: RecentIds::with_capacity(RECENT_MSG_IDS),
            clock_confirmed: false,
            events: VecDeque::new(),
            next_request: 0,
            inflate_limits: InflateLimits::default(),
            timers: None,
            pings: HashSet::new(),
        }
    }

    /// The same session with its timers running from `now` (see [`ClientTimers`]): it pings,
    /// delays acknowledgements to let them ride along, resends what the server did not
    /// acknowledge, and reports [`Event::ServerSilent`]. Drive them with
    /// [`poll_timeout`](Self::poll_timeout) and [`handle_timeout`](Self::handle_timeout).
    /// Without this call the session has no timers: acknowledgements go out at once and the
    /// caller pings on its own.
    pub fn with_timers(mut self, timers: ClientTimers, now: Duration) -> Self {
        self.timers = Some(TimerState::new(timers, now));
        self
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called (Unix time), if a timer
    /// is running.
    pub fn poll_timeout(&self) -> Option<Duration> {
        let timers = self.timers.as_ref()?;
        let resend = self.sent.values().filter(|s| !s.acked).map(|s| s.sent_at + timers.config.resend_after).min();
        let silence = (!timers.silence_reported).then(|| timers.silent_since());
        [Some(timers.next_ping), timers.acks_deadline(), resend, silence].into_iter().flatten().min()
    }

    /// Runs the timers that are due at `now`: queues a ping, releases delayed
    /// acknowledgements, queues unacknowledged requests again (same msg_ids), and reports a
    /// silent server. Call [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_event`](Self::poll_event) afterwards.
    pub fn handle_timeout(&mut self, now: Duration) {
        let Some(timers) = self.timers.as_mut() else { return };
        let config = timers.config;
        if now >= timers.next_ping {
            timers.next_ping = now + config.ping_interval;
            let ping = ferrogram_tl::mtproto::functions::PingDelayDisconnect {
                ping_id: timers.next_ping_id,
                disconnect_delay: config.disconnect_delay(),
            };
            timers.next_ping_id = timers.next_ping_id.wrapping_add(1);
            let request = self.enqueue(ping.to_bytes());
            self.pings.insert(request);
        }
        let Some(timers) = self.timers.as_mut() else { return };
        if timers.acks_deadline().is_some_and(|due| now >= due) {
            timers.acks_due = true;
        }
        if !timers.silence_reported && now >= timers.silent_since() {
            timers.silence_reported = true;
            self.events.push_back(Event::ServerSilent);
        }
        let mut overdue: Vec<i64> = self
            .sent
            .iter()
            .filter(|(_, s)| !s.acked && now >= s.sent_at + config.resend_after)
            .map(|(id, _)| *id)
            .collect();
        overdue.sort_unstable();
        for msg_id in overdue.into_iter().rev() {
            if let Some(s) = self.sent.remove(&msg_id) {
                self.queue.push_front(Queued { request: s.request, body: s.body, assigned: Some((msg_id, s.seq_no)) });
            }
        }
    }

    /// A new connection to the server is up at `now` (after [`connection_lost`](Self::connection_lost)):
    /// the timers count pings and silence from now.
    pub fn connected(&mut self, now: Duration) {
        if let Some(timers) = self.timers.as_mut() {
            timers.connected(now);
        }
    }

    /// The same session with other limits on inflating the server's `gzip_packed` answers and
    /// updates (the default is [`InflateLimits::default`]).
    pub fn with_inflate_limits(mut self, limits: InflateLimits) -> Self {
        self.inflate_limits = limits;
        self
    }

    /// The limits on inflating `gzip_packed`, per packet.
    pub fn inflate_limits(&self) -> InflateLimits {
        self.inflate_limits
    }

    /// The auth key.
    pub fn auth_key(&self) -> &AuthKey {
        &self.key
    }

    /// The session id.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// The current server salt (worth persisting with the key).
    pub fn salt(&self) -> i64 {
        self.salt
    }

    /// The server's clock minus ours, in seconds.
    pub fn time_offset(&self) -> i64 {
        self.time_offset
    }

    /// Queues a serialized request (a boxed function); it goes out with the next
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn enqueue(&mut self, body: Vec<u8>) -> RequestId {
        let request = RequestId(self.next_request);
        self.next_request += 1;
        self.queue.push_back(Queued { request, body, assigned: None });
        request
    }

    /// Requests sent or queued and not yet answered.
    pub fn pending(&self) -> usize {
        self.queue.len() + self.sent.len()
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has something to send.
    pub fn wants_transmit(&self) -> bool {
        // With timers, acknowledgements wait (up to the ack delay) for something to ride along.
        let acks_ready = self.timers.as_ref().is_none_or(|t| t.acks_due);
        !self.queue.is_empty() || (!self.acks.is_empty() && acks_ready)
    }

    /// The msg_id a request was last sent under, while it waits for its answer.
    pub fn msg_id_of(&self, request: RequestId) -> Option<i64> {
        self.sent.iter().find(|(_, s)| s.request == request).map(|(id, _)| *id)
    }

    /// Whether the server acknowledged receiving `request` (it may still be running).
    pub fn is_acknowledged(&self, request: RequestId) -> bool {
        self.sent.values().any(|s| s.request == request && s.acked)
    }

    /// The transport was lost: everything sent and unanswered goes out again, under the same
    /// msg_ids, on the next connection.
    pub fn connection_lost(&mut self) {
        let mut resend: Vec<(i64, Sent)> = self.sent.drain().collect();
        resend.sort_by_key(|(id, _)| *id);
        for (msg_id, s) in resend.into_iter().rev() {
            self.queue.push_front(Queued { request: s.request, body: s.body, assigned: Some((msg_id, s.seq_no)) });
        }
        self.containers.clear();
        self.clock_confirmed = false;
    }

    fn local_time(&self, now: Duration) -> Duration {
        let shifted = now.as_secs() as i64 + self.time_offset;
        Duration::new(shifted.max(0) as u64, now.subsec_nanos())
    }

    /// The next packet to send (encrypted, ready for the transport), if anything is queued.
    pub fn poll_transmit(&mut self, now: Duration, random: &mut dyn RandomSource) -> Option<Vec<u8>> {
        if !self.wants_transmit() {
            return None;
        }
        let time = self.local_time(now);
        let mut messages = Vec::new();
        let mut size = 0;
        if !self.acks.is_empty() {
            if let Some(timers) = self.timers.as_mut() {
                timers.acks_since = None;
                timers.acks_due = false;
            }
            let take = self.acks.len().min(MAX_ACKS);
            let msg_ids: Vec<i64> = self.acks.drain(..take).collect();
            let body = enums::MsgsAck::MsgsAck(types::MsgsAck { msg_ids }).to_bytes();
            size += body.len();
            messages.push(Message { msg_id: self.ids.next(time, IdKind::Client), seq_no: self.seq.next(false), body });
        }
        while messages.len() < MAX_CONTAINER_MESSAGES && (messages.is_empty() || size < MAX_PACKET_BODY) {
            let Some(q) = self.queue.front() else { break };
            if !messages.is_empty() && size + q.body.len() > MAX_PACKET_BODY {
                break;
            }
            let Some(q) = self.queue.pop_front() else { break };
            let content = constructor_of(&q.body).is_none_or(is_content_related);
            let (msg_id, seq_no) = match q.assigned {
                Some(ids) => ids,
                None => (self.ids.next(time, IdKind::Client), self.seq.next(content)),
            };
            size += q.body.len();
            self.sent
                .insert(msg_id, Sent { request: q.request, body: q.body.clone(), seq_no, acked: false, sent_at: now });
            messages.push(Message { msg_id, seq_no, body: q.body });
        }

        let (header, body) = if messages.len() == 1 {
            let m = messages.pop()?;
            (Header { salt: self.salt, session_id: self.session_id, msg_id: m.msg_id, seq_no: m.seq_no }, m.body)
        } else {
            let container_id = self.ids.next(time, IdKind::Client);
            self.containers.insert(container_id, messages.iter().map(|m| m.msg_id).collect());
            let header = Header {
                salt: self.salt,
                session_id: self.session_id,
                msg_id: container_id,
                seq_no: self.seq.next(false),
            };
            (header, MsgContainer { messages }.to_bytes())
        };
        Some(envelope::encrypt(&self.key, Side::Client, header, &body, random))
    }

    /// Handles one packet from the server. An error means the packet was refused as a whole
    /// (the caller should usually drop the connection); nothing in it was acted on.
    ///
    /// Besides the envelope and the session id, every message is checked as the security
    /// guidelines require (<https://core.telegram.org/mtproto/security_guidelines#checking-msg-id>):
    /// its msg_id must be odd (a server's), must not repeat or be older than every recently
    /// received one, and must lie within [`MAX_FUTURE`] seconds ahead and [`MAX_PAST`] seconds
    /// behind our clock. A container is checked whole before any message in it is acted on.
    ///
    /// Our clock is the local one plus the server time offset. The first packet after the
    /// session starts or after [`connection_lost`](Self::connection_lost) may move that offset
    /// forward (and only forward) to the server's time: a slow local clock would otherwise
    /// refuse every answer forever, while a fast one is corrected by the server's own
    /// `bad_msg_notification`. Replays are still caught by the memory of received ids.
    pub fn handle_packet(&mut self, packet: &[u8], now: Duration) -> Result<(), SessionError> {
        let message = envelope::decrypt(&self.key, Side::Server, packet)?;
        if message.session_id != self.session_id {
            return Err(SessionError::WrongSession { expected: self.session_id, got: message.session_id });
        }
        let mut time_offset = self.time_offset;
        if !self.clock_confirmed {
            let ahead = msg_id_seconds(message.msg_id) - server_seconds(now, time_offset);
            if ahead > MAX_FUTURE {
                time_offset = time_offset.saturating_add(ahead);
            }
        }
        let clock = server_seconds(now, time_offset);
        // Phase one: check and decode everything; nothing changes if any of it is refused.
        // Every gzip_packed of this packet, however nested, draws on one budget.
        let mut budget = InflateBudget::new(self.inflate_limits);
        let checked = self.check_packet(message.msg_id, message.seq_no, &message.body, clock, &mut budget)?;
        // Phase two: act.
        self.time_offset = time_offset;
        self.clock_confirmed = true;
        for m in checked {
            self.take(m, now);
        }
        if let Some(timers) = self.timers.as_mut() {
            timers.last_heard = now;
            timers.silence_reported = false;
            if !self.acks.is_empty() && timers.acks_since.is_none() {
                timers.acks_since = Some(now);
            }
        }
        Ok(())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Checks a packet's message (or the messages of its container) against the guidelines and
    /// decodes them, without changing any state.
    fn check_packet(
        &self,
        msg_id: i64,
        seq_no: i32,
        body: &[u8],
        clock: i64,
        budget: &mut InflateBudget,
    ) -> Result<Vec<Checked>, SessionError> {
        if constructor_of(body) != Some(MsgContainer::CONSTRUCTOR_ID) {
            return Ok(vec![self.check_message(msg_id, seq_no, body, clock, &[], budget)?]);
        }
        // The container is only a wrapper: its id must be a fresh server id, and the time
        // window applies to the messages it carries, which are what gets acted on.
        check_parity(msg_id)?;
        if self.seen(msg_id)? {
            // A resent container: everything in it was handled with the first copy.
            return Ok(vec![Checked { msg_id, seq_no, object: None }]);
        }
        // Remembered like any message, so a resent copy is recognised whole.
        let mut checked = vec![Checked { msg_id, seq_no, object: Some(Incoming::Nothing) }];
        let mut in_packet = vec![msg_id];
        for inner in MsgContainer::from_bytes_exact(body)?.messages {
            let m = self.check_message(inner.msg_id, inner.seq_no, &inner.body, clock, &in_packet, budget)?;
            in_packet.push(inner.msg_id);
            checked.push(m);
        }
        Ok(checked)
    }

    /// Checks one message; `earlier` are the ids before it in the same packet.
    fn check_message(
        &self,
        msg_id: i64,
        seq_no: i32,
        body: &[u8],
        clock: i64,
        earlier: &[i64],
        budget: &mut InflateBudget,
    ) -> Result<Checked, SessionError> {
        check_parity(msg_id)?;
        if self.seen(msg_id)? || earlier.contains(&msg_id) {
            return Ok(Checked { msg_id, seq_no, object: None });
        }
        // The guidelines let notices about our own messages through whatever their time: they
        // carry the server salt and the clock corrections a client with a wrong clock needs.
        let notice = matches!(
            constructor_of(body),
            Some(types::BadServerSalt::CONSTRUCTOR_ID | types::BadMsgNotification::CONSTRUCTOR_ID)
        );
        let skew = msg_id_seconds(msg_id) - clock;
        if !notice && !(-MAX_PAST..=MAX_FUTURE).contains(&skew) {
            return Err(SessionError::MsgIdOutsideWindow { msg_id, skew });
        }
        Ok(Checked { msg_id, seq_no, object: Some(decode(body, budget)?) })
    }

    /// Whether `msg_id` was received before (a duplicate, to acknowledge and ignore); an error
    /// if it is older than everything remembered.
    fn seen(&self, msg_id: i64) -> Result<bool, SessionError> {
        match self.received.check(msg_id) {
            Seen::New => Ok(false),
            Seen::Duplicate => Ok(true),
            Seen::TooOld => Err(SessionError::MsgIdTooOld(msg_id)),
        }
    }

    /// Acts on one checked message.
    fn take(&mut self, m: Checked, now: Duration) {
        // Acknowledge even a duplicate: our first ack may be what got lost.
        if m.seq_no & 1 == 1 {
            self.acks.push(m.msg_id);
        }
        let Some(object) = m.object else { return };
        self.received.insert(m.msg_id);
        match object {
            Incoming::Answer { req_msg_id, result } => self.answer(req_msg_id, result),
            Incoming::Acks(msg_ids) => {
                for id in msg_ids {
                    if let Some(sent) = self.sent.get_mut(&id) {
                        sent.acked = true;
                    }
                    if let Some(inner) = self.containers.get(&id).cloned() {
                        for i in inner {
                            if let Some(sent) = self.sent.get_mut(&i) {
                                sent.acked = true;
                            }
                        }
                    }
                }
            }
            Incoming::BadMsg(notice) => self.handle_bad_msg(notice, m.msg_id, now),
            Incoming::NewSession { first_msg_id, server_salt } => {
                self.salt = server_salt;
                self.events.push_back(Event::NewSession { first_msg_id });
            }
            // The server says it has an answer we may have missed: acknowledging it is enough,
            // the answer itself is resent by the server if we did not get it.
            Incoming::AnswerInfo { answer_msg_id } => self.acks.push(answer_msg_id),
            Incoming::Update(body) => self.events.push_back(Event::Update(body)),
            Incoming::Nothing => {}
        }
    }

    fn answer(&mut self, req_msg_id: i64, result: Result<Vec<u8>, RpcError>) {
        // An answer for a request we no longer wait for (answered twice, or a stray id) is dropped.
        if let Some(sent) = self.sent.remove(&req_msg_id) {
            // The timers' own pings are answered for nobody.
            if !self.pings.remove(&sent.request) {
                self.events.push_back(Event::Result { request: sent.request, result });
            }
        }
    }

    /// The messages a bad msg_id stood for: itself, or the messages of the container it named.
    fn take_sent(&mut self, bad_msg_id: i64) -> Vec<(i64, Sent)> {
        let mut ids = self.containers.remove(&bad_msg_id).unwrap_or_default();
        ids.push(bad_msg_id);
        let mut taken: Vec<(i64, Sent)> =
            ids.into_iter().filter_map(|id| self.sent.remove(&id).map(|s| (id, s))).collect();
        taken.sort_by_key(|(id, _)| *id);
        taken
    }

    /// Queues refused messages again, first in line, under new msg_ids.
    fn resend_fresh(&mut self, messages: Vec<(i64, Sent)>) {
        for (_, s) in messages.into_iter().rev() {
            self.queue.push_front(Queued { request: s.request, body: s.body, assigned: None });
        }
    }

    fn handle_bad_msg(&mut self, notice: enums::BadMsgNotification, notice_msg_id: i64, now: Duration) {
        match notice {
            enums::BadMsgNotification::BadServerSalt(bad) => {
                self.salt = bad.new_server_salt;
                let refused = self.take_sent(bad.bad_msg_id);
                self.resend_fresh(refused);
            }
            enums::BadMsgNotification::BadMsgNotification(bad) => {
                let refused = self.take_sent(bad.bad_msg_id);
                match bad.error_code {
                    // msg_id too low / too high: our clock is off; the notice's own id carries
                    // the server's time.
                    16 | 17 => {
                        self.time_offset = msg_id_seconds(notice_msg_id) - now.as_secs() as i64;
                        // Ids made under the wrong clock must not hold new ones up (or down).
                        self.ids = MsgIdGenerator::new();
                        self.resend_fresh(refused);
                    }
                    // seq_no too low / too high: start numbering afresh in a new session.
                    32 | 33 => {
                        // Session ids must be unique per key, not secret.
                        self.session_id = self.session_id.wrapping_add(1);
                        self.seq = SeqNo::new();
                        self.resend_fresh(refused);
                    }
                    // Parity, duplicate container id, too old to know: a fresh id fixes it.
                    18 | 19 | 20 | 48 => self.resend_fresh(refused),
                    code => {
                        for (_, s) in refused {
                            // A refused ping of the timers' own is nobody's to hear about.
                            if !self.pings.remove(&s.request) {
                                self.events.push_back(Event::Rejected { request: s.request, error_code: code });
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A message that passed the checks: `object` is `None` for a duplicate (acknowledged again,
/// otherwise ignored).
#[derive(Debug)]
struct Checked {
    msg_id: i64,
    seq_no: i32,
    object: Option<Incoming>,
}

/// What a server message asks of the session, decoded before anything is acted on.
#[derive(Debug)]
enum Incoming {
    /// `rpc_result`, `pong` or `future_salts`: the answer to one of our requests.
    Answer {
        req_msg_id: i64,
        result: Result<Vec<u8>, RpcError>,
    },
    Acks(Vec<i64>),
    BadMsg(enums::BadMsgNotification),
    NewSession {
        first_msg_id: i64,
        server_salt: i64,
    },
    /// `msg_detailed_info` / `msg_new_detailed_info`: an answer to acknowledge.
    AnswerInfo {
        answer_msg_id: i64,
    },
    Update(Vec<u8>),
    /// Service messages a client need not act on, and nested containers (which break the spec,
    /// so their contents are not trusted).
    Nothing,
}

/// Our estimate of the server's clock, in Unix seconds.
fn server_seconds(now: Duration, time_offset: i64) -> i64 {
    (now.as_secs() as i64).saturating_add(time_offset)
}

/// The server's ids are odd: 1 mod 4 for answers, 3 mod 4 for messages of its own.
fn check_parity(msg_id: i64) -> Result<(), SessionError> {
    if msg_id & 1 == 1 {
        Ok(())
    } else {
        Err(SessionError::MsgIdParity(msg_id))
    }
}

/// Decodes one message body (not a top-level container).
fn decode(body: &[u8], budget: &mut InflateBudget) -> Result<Incoming, SessionError> {
    Ok(match constructor_of(body).unwrap_or_default() {
        MsgContainer::CONSTRUCTOR_ID => Incoming::Nothing,
        RpcResult::CONSTRUCTOR_ID => {
            let result = RpcResult::from_bytes_exact(body)?;
            let inner = unpack_gzip(&result.result, budget)?;
            let answer = if constructor_of(&inner) == Some(types::RpcError::CONSTRUCTOR_ID) {
                let enums::RpcError::RpcError(e) = enums::RpcError::from_bytes_exact(&inner)?;
                Err(RpcError::new(e.error_code, e.error_message))
            } else {
                Ok(inner)
            };
            Incoming::Answer { req_msg_id: result.req_msg_id, result: answer }
        }
        ferrogram_tl::mtproto::GzipPacked::CONSTRUCTOR_ID => {
            let inner = unpack_gzip(body, budget)?;
            // A gzipped container would be a nested one.
            if constructor_of(&inner) == Some(MsgContainer::CONSTRUCTOR_ID) {
                Incoming::Nothing
            } else {
                decode(&inner, budget)?
            }
        }
        types::MsgsAck::CONSTRUCTOR_ID => {
            let enums::MsgsAck::MsgsAck(ack) = enums::MsgsAck::from_bytes_exact(body)?;
            Incoming::Acks(ack.msg_ids)
        }
        types::BadServerSalt::CONSTRUCTOR_ID | types::BadMsgNotification::CONSTRUCTOR_ID => {
            Incoming::BadMsg(enums::BadMsgNotification::from_bytes_exact(body)?)
        }
        types::NewSessionCreated::CONSTRUCTOR_ID => {
            let enums::NewSession::Created(new) = enums::NewSession::from_bytes_exact(body)?;
            Incoming::NewSession { first_msg_id: new.first_msg_id, server_salt: new.server_salt }
        }
        types::Pong::CONSTRUCTOR_ID => {
            let enums::Pong::Pong(pong) = enums::Pong::from_bytes_exact(body)?;
            Incoming::Answer { req_msg_id: pong.msg_id, result: Ok(body.to_vec()) }
        }
        types::FutureSalts::CONSTRUCTOR_ID => {
            let enums::FutureSalts::FutureSalts(salts) = enums::FutureSalts::from_bytes_exact(body)?;
            Incoming::Answer { req_msg_id: salts.req_msg_id, result: Ok(body.to_vec()) }
        }
        types::MsgDetailedInfo::CONSTRUCTOR_ID | types::MsgNewDetailedInfo::CONSTRUCTOR_ID => {
            match enums::MsgDetailedInfo::from_bytes_exact(body)? {
                enums::MsgDetailedInfo::MsgDetailedInfo(i) => Incoming::AnswerInfo { answer_msg_id: i.answer_msg_id },
                enums::MsgDetailedInfo::MsgNewDetailedInfo(i) => {
                    Incoming::AnswerInfo { answer_msg_id: i.answer_msg_id }
                }
            }
        }
        types::MsgsStateReq::CONSTRUCTOR_ID
        | types::MsgResendReq::CONSTRUCTOR_ID
        | types::MsgsAllInfo::CONSTRUCTOR_ID
        | types::MsgsStateInfo::CONSTRUCTOR_ID
        | types::HttpWait::CONSTRUCTOR_ID => Incoming::Nothing,
        _ => Incoming::Update(body.to_vec()),
    })
}
