//! The server's half of the session layer.
//!
//! One [`ServerSession`] per (auth key, session id). The network shell decrypts a packet with
//! [`envelope::decrypt`] (after looking up the key by `auth_key_id`), finds or creates the session
//! by `session_id`, and passes the message to [`ServerSession::handle`]. The session checks the
//! message against <https://core.telegram.org/mtproto/security_guidelines> and
//! <https://core.telegram.org/mtproto/service_messages_about_messages> (msg_id parity and time
//! window, replays, salt), answers service messages itself (ping, get_future_salts,
//! msgs_state_req, rpc_drop_answer, destroy_session) and hands RPC calls out through
//! [`ServerSession::poll_call`]. The application answers each with [`ServerSession::answer`].
//!
//! A request that arrives as `gzip_packed` (gzip or zlib) is inflated here, within the session's
//! [`InflateLimits`] for the whole packet. One that cannot be (corrupt, or beyond the limits) is
//! answered with the RPC error `400 INPUT_FETCH_ERROR`, and [`ServerSession::handle`] returns the
//! error so the shell can log it or close the connection; the session itself stays usable.
//!
//! Answers are cached by request msg_id: a client that lost its connection resends a request
//! under the same msg_id, and gets the cached answer instead of a second execution. The cache is
//! bounded in answers and bytes ([`AnswerCacheLimits`]); the application may shrink it further
//! ([`ServerSession::shrink_answer_cache`]) to keep many sessions under one budget.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use ferrogram_tl::inflate::InflateBudget;
use ferrogram_tl::mtproto::{enums, functions, types, GzipPacked, Message, MsgContainer, RpcResult};
use ferrogram_tl::{Deserializable, Identifiable, Serializable};

use super::envelope::{self, Decrypted, Header};
use super::msg_id::{is_content_related, msg_id_seconds, IdKind, MsgIdGenerator, SeqNo};
use super::recent::{RecentIds, Seen};
use super::salts::ServerSalts;
use super::{constructor_of, unpack_gzip, InflateLimits, RpcError, SessionError};
use crate::authkey::AuthKey;
use crate::crypto::Side;
use crate::RandomSource;

/// A client msg_id more than this many seconds in the past is refused (error 16).
pub const MAX_PAST: i64 = 300;
/// A client msg_id more than this many seconds in the future is refused (error 17).
pub const MAX_FUTURE: i64 = 30;
/// What one cached answer costs besides its bytes (map entry, order entry, allocation), counted
/// against [`AnswerCacheLimits::max_bytes`].
pub const ANSWER_OVERHEAD: usize = 64;
/// Answers larger than this are sent as `gzip_packed` when that makes them smaller.
const GZIP_THRESHOLD: usize = 4096;
/// Most messages packed into one container.
const MAX_CONTAINER_MESSAGES: usize = 100;
/// Most messages a client's container may hold (the limit the MTProto spec sets for containers).
pub const MAX_RECEIVED_CONTAINER_MESSAGES: usize = 1020;
/// Stop adding messages to a packet beyond this many body bytes.
const MAX_PACKET_BODY: usize = 512 * 1024;

/// Bounds of a session's cache of answers kept for resent requests. When an answer would exceed
/// either bound, the oldest cached answers are dropped first; an answer larger than `max_bytes`
/// on its own is sent but not cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerCacheLimits {
    /// Most answers kept (default 1024).
    pub max_answers: usize,
    /// Most bytes kept: serialized `rpc_result`s plus [`ANSWER_OVERHEAD`] each (default 1 MiB).
    pub max_bytes: usize,
    /// Whether a resent request whose answer was dropped from the cache is handed out again
    /// through [`ServerSession::poll_call`] (default false: it is ignored as a duplicate). Set
    /// it only if the application keeps answers of state-changing calls itself and answers such
    /// a call from that record instead of running it twice.
    pub rerun_dropped: bool,
}

impl Default for AnswerCacheLimits {
    fn default() -> Self {
        AnswerCacheLimits { max_answers: 1024, max_bytes: 1024 * 1024, rerun_dropped: false }
    }
}

/// An RPC call for the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The request's msg_id, to pass back to [`ServerSession::answer`].
    pub msg_id: i64,
    /// The serialized function (unpacked from `gzip_packed`).
    pub body: Vec<u8>,
}

/// Why a message was refused with a `bad_msg_notification` (the error codes of the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 16: msg_id too low (more than [`MAX_PAST`] seconds old).
    MsgIdTooLow,
    /// 17: msg_id too high (more than [`MAX_FUTURE`] seconds ahead).
    MsgIdTooHigh,
    /// 18: the two lower bits of msg_id are not 0 (not a client id).
    MsgIdParity,
    /// 48: wrong server salt (sent as `bad_server_salt`).
    BadSalt,
    /// 64: invalid container.
    BadContainer,
}

impl Refusal {
    /// The `error_code` on the wire.
    pub fn code(self) -> i32 {
        match self {
            Refusal::MsgIdTooLow => 16,
            Refusal::MsgIdTooHigh => 17,
            Refusal::MsgIdParity => 18,
            Refusal::BadSalt => 48,
            Refusal::BadContainer => 64,
        }
    }
}

/// What [`ServerSession::handle`] did with a message, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// Accepted: calls (if any) are waiting in [`ServerSession::poll_call`].
    Accepted,
    /// Refused with a `bad_msg_notification`/`bad_server_salt` (queued to send).
    Refused(Refusal),
    /// A message seen before: its cached answer (if any) was queued again, nothing was run.
    Duplicate,
}

struct Outgoing {
    body: Vec<u8>,
    kind: IdKind,
    /// Queued by [`ServerSession::push_update`]: counts against the pushed-bytes bound.
    pushed: bool,
}

/// What [`ServerSession::push_update`] did with an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pushed {
    /// Queued to send.
    Queued,
    /// The session's queue of unsent updates was full: they were all replaced by one
    /// `updatesTooLong`, which tells the client to fetch what it missed with
    /// `updates.getDifference`.
    TooLong,
}

/// The server's state of one client session.
pub struct ServerSession {
    key: AuthKey,
    session_id: i64,
    salts: ServerSalts,
    ids: MsgIdGenerator,
    seq: SeqNo,
    received: RecentIds,
    answers: HashMap<i64, Vec<u8>>,
    answer_order: VecDeque<i64>,
    answer_limits: AnswerCacheLimits,
    /// Bytes of `answers` as counted against `answer_limits.max_bytes`.
    answer_bytes: usize,
    running: HashSet<i64>,
    outbox: VecDeque<Outgoing>,
    acks: Vec<i64>,
    calls: VecDeque<Call>,
    /// `unique_id` of the `new_session_created` still to send with the first answer.
    announce: Option<i64>,
    /// How much the `gzip_packed` of one packet may inflate to.
    inflate_limits: InflateLimits,
    /// When the client's last `ping_delay_disconnect` asks for its connection to be closed.
    disconnect_at: Option<Duration>,
    /// The client's `ping_delay_disconnect` delay passed without a new one.
    disconnect_due: bool,
    /// Bytes of the updates queued by [`ServerSession::push_update`] and not yet sent.
    pushed_bytes: usize,
}

impl std::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSession")
            .field("key", &self.key)
            .field("session_id", &self.session_id)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// A session the client just started; `unique_id` (random) goes into the
    /// `new_session_created` this session announces itself with.
    pub fn new(key: AuthKey, session_id: i64, salts: ServerSalts, unique_id: i64) -> Self {
        ServerSession {
            key,
            session_id,
            salts,
            ids: MsgIdGenerator::new(),
            seq: SeqNo::new(),
            received: RecentIds::default(),
            answers: HashMap::new(),
            answer_order: VecDeque::new(),
            answer_limits: AnswerCacheLimits::default(),
            answer_bytes: 0,
            running: HashSet::new(),
            outbox: VecDeque::new(),
            acks: Vec::new(),
            calls: VecDeque::new(),
            announce: Some(unique_id),
            inflate_limits: InflateLimits::default(),
            disconnect_at: None,
            disconnect_due: false,
            pushed_bytes: 0,
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called (Unix time): the
    /// deadline the client's last `ping_delay_disconnect` set, if one is running.
    pub fn poll_timeout(&self) -> Option<Duration> {
        self.disconnect_at
    }

    /// Runs the timer due at `now`: once the client's `ping_delay_disconnect` delay has passed
    /// without a newer ping, [`take_disconnect`](Self::take_disconnect) says so.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.disconnect_at.is_some_and(|at| now >= at) {
            self.disconnect_at = None;
            self.disconnect_due = true;
        }
    }

    /// Whether the client asked (with `ping_delay_disconnect`) for its connection to be closed
    /// and the time has come: the shell closes the connection this session sends on. Reported
    /// once.
    pub fn take_disconnect(&mut self) -> bool {
        std::mem::take(&mut self.disconnect_due)
    }

    /// The same session with other limits on inflating `gzip_packed` requests (the default is
    /// [`InflateLimits::default`]).
    pub fn with_inflate_limits(mut self, limits: InflateLimits) -> Self {
        self.inflate_limits = limits;
        self
    }

    /// The limits on inflating `gzip_packed` requests, per packet.
    pub fn inflate_limits(&self) -> InflateLimits {
        self.inflate_limits
    }

    /// The same session with other bounds on its answer cache.
    pub fn with_answer_cache(mut self, limits: AnswerCacheLimits) -> Self {
        self.answer_limits = limits;
        self.shrink_answer_cache(limits.max_bytes);
        self
    }

    /// Bytes the answer cache holds, as counted against [`AnswerCacheLimits::max_bytes`].
    pub fn answer_cache_bytes(&self) -> usize {
        self.answer_bytes
    }

    /// Drops the oldest cached answers until at most `max_bytes` are left; returns the bytes left.
    pub fn shrink_answer_cache(&mut self, max_bytes: usize) -> usize {
        while self.answer_bytes > max_bytes && self.drop_oldest_answer() {}
        self.answer_bytes
    }

    /// Drops the oldest cached answer; false if there was none.
    fn drop_oldest_answer(&mut self) -> bool {
        let Some(old) = self.answer_order.pop_front() else { return false };
        if let Some(body) = self.answers.remove(&old) {
            self.answer_bytes = self.answer_bytes.saturating_sub(body.len() + ANSWER_OVERHEAD);
        }
        true
    }

    /// The session id.
    pub fn session_id(&self) -> i64 {
        self.session_id
    }

    /// The auth key.
    pub fn auth_key(&self) -> &AuthKey {
        &self.key
    }

    /// Checks and takes in one decrypted message of this session.
    ///
    /// An error means a message in it was malformed (for a container: the first such message;
    /// those before it were taken in, those after it were not). A request that could not be
    /// inflated is answered with `INPUT_FETCH_ERROR` before the error is returned.
    pub fn handle(&mut self, message: Decrypted, now: Duration) -> Result<Handled, SessionError> {
        if message.session_id != self.session_id {
            return Err(SessionError::WrongSession { expected: self.session_id, got: message.session_id });
        }
        if let Some(refusal) = self.check_msg_id(message.msg_id, now) {
            self.refuse(refusal, message.msg_id, message.seq_no, now);
            return Ok(Handled::Refused(refusal));
        }
        if !self.salts.is_valid(message.salt, now) {
            self.refuse(Refusal::BadSalt, message.msg_id, message.seq_no, now);
            return Ok(Handled::Refused(Refusal::BadSalt));
        }
        if let Some(unique_id) = self.announce.take() {
            let body = enums::NewSession::Created(types::NewSessionCreated {
                first_msg_id: message.msg_id,
                unique_id,
                server_salt: self.salts.current(now),
            })
            .to_bytes();
            self.outbox.push_back(Outgoing { body, kind: IdKind::ServerOther, pushed: false });
        }
        // Every gzip_packed of this packet, in a container or not, draws on one budget.
        let mut budget = InflateBudget::new(self.inflate_limits);
        if constructor_of(&message.body) == Some(MsgContainer::CONSTRUCTOR_ID) {
            if !self.received.insert(message.msg_id) {
                return Ok(Handled::Duplicate);
            }
            let container = match MsgContainer::from_bytes_exact(&message.body) {
                // The spec allows at most 1020 messages in a container: a longer one is refused
                // whole (bad_msg_notification 64), none of it run, never cut short in silence.
                Ok(c) if c.messages.len() <= MAX_RECEIVED_CONTAINER_MESSAGES => c,
                _ => {
                    self.refuse(Refusal::BadContainer, message.msg_id, message.seq_no, now);
                    return Ok(Handled::Refused(Refusal::BadContainer));
                }
            };
            for inner in container.messages {
                if inner.msg_id >= message.msg_id || self.check_msg_id(inner.msg_id, now).is_some() {
                    // The spec requires inner ids below the container's; such a message is
                    // skipped, the rest of the container still counts.
                    continue;
                }
                self.take_message(inner.msg_id, inner.seq_no, &inner.body, now, &mut budget)?;
            }
            Ok(Handled::Accepted)
        } else {
            self.take_message(message.msg_id, message.seq_no, &message.body, now, &mut budget)
        }
    }

    fn check_msg_id(&self, msg_id: i64, now: Duration) -> Option<Refusal> {
        let seconds = msg_id_seconds(msg_id);
        let now = now.as_secs() as i64;
        if msg_id % 4 != 0 {
            Some(Refusal::MsgIdParity)
        } else if seconds < now - MAX_PAST {
            Some(Refusal::MsgIdTooLow)
        } else if seconds > now + MAX_FUTURE {
            Some(Refusal::MsgIdTooHigh)
        } else {
            None
        }
    }

    fn refuse(&mut self, refusal: Refusal, bad_msg_id: i64, bad_msg_seqno: i32, now: Duration) {
        let body = if refusal == Refusal::BadSalt {
            enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
                bad_msg_id,
                bad_msg_seqno,
                error_code: refusal.code(),
                new_server_salt: self.salts.current(now),
            })
            .to_bytes()
        } else {
            enums::BadMsgNotification::BadMsgNotification(types::BadMsgNotification {
                bad_msg_id,
                bad_msg_seqno,
                error_code: refusal.code(),
            })
            .to_bytes()
        };
        self.outbox.push_back(Outgoing { body, kind: IdKind::ServerResponse, pushed: false });
    }

    fn take_message(
        &mut self,
        msg_id: i64,
        seq_no: i32,
        body: &[u8],
        now: Duration,
        budget: &mut InflateBudget,
    ) -> Result<Handled, SessionError> {
        if seq_no & 1 == 1 {
            // Acknowledge even a duplicate: the first ack may be what the client missed.
            self.acks.push(msg_id);
        }
        if !self.received.insert(msg_id) {
            if let Some(answer) = self.answers.get(&msg_id) {
                self.outbox.push_back(Outgoing { body: answer.clone(), kind: IdKind::ServerResponse, pushed: false });
                return Ok(Handled::Duplicate);
            }
            // Remembered, not running, and no answer left: the answer was dropped from the cache.
            // Only an application that keeps its own record may see such a call again.
            let dropped = self.received.check(msg_id) == Seen::Duplicate && !self.running.contains(&msg_id);
            if !(dropped && self.answer_limits.rerun_dropped) {
                return Ok(Handled::Duplicate);
            }
        }
        let body = match unpack_gzip(body, budget) {
            Ok(b) => b,
            Err(e) => {
                self.answer(msg_id, Err(RpcError::new(400, "INPUT_FETCH_ERROR")));
                return Err(e.into());
            }
        };
        self.take_object(msg_id, body, now);
        Ok(Handled::Accepted)
    }

    /// Answers service messages; everything else is a call for the application.
    fn take_object(&mut self, msg_id: i64, body: Vec<u8>, now: Duration) {
        let respond = |s: &mut Self, body: Vec<u8>| {
            s.outbox.push_back(Outgoing { body, kind: IdKind::ServerResponse, pushed: false })
        };
        match constructor_of(&body).unwrap_or_default() {
            functions::Ping::CONSTRUCTOR_ID => {
                if let Ok(ping) = functions::Ping::from_bytes_exact(&body) {
                    respond(self, enums::Pong::Pong(types::Pong { msg_id, ping_id: ping.ping_id }).to_bytes());
                }
            }
            functions::PingDelayDisconnect::CONSTRUCTOR_ID => {
                if let Ok(ping) = functions::PingDelayDisconnect::from_bytes_exact(&body) {
                    // Each such ping resets the timer: the connection is closed `disconnect_delay`
                    // seconds after the last one (a delay of 0 or less sets none).
                    self.disconnect_at = u64::try_from(ping.disconnect_delay)
                        .ok()
                        .filter(|&d| d > 0)
                        .map(|d| now + Duration::from_secs(d));
                    respond(self, enums::Pong::Pong(types::Pong { msg_id, ping_id: ping.ping_id }).to_bytes());
                }
            }
            functions::GetFutureSalts::CONSTRUCTOR_ID => {
                let count = functions::GetFutureSalts::from_bytes_exact(&body).map(|g| g.num.clamp(1, 64)).unwrap_or(1);
                let salts = enums::FutureSalts::FutureSalts(types::FutureSalts {
                    req_msg_id: msg_id,
                    now: now.as_secs().min(i32::MAX as u64) as i32,
                    salts: self.salts.future(now, count as usize),
                });
                respond(self, salts.to_bytes());
            }
            functions::RpcDropAnswer::CONSTRUCTOR_ID => {
                // Calls run to completion as soon as they are handed out, so there is never
                // anything left to drop.
                self.answer(msg_id, Ok(enums::RpcDropAnswer::RpcAnswerUnknown(types::RpcAnswerUnknown {}).to_bytes()));
            }
            functions::DestroySession::CONSTRUCTOR_ID => {
                let session_id =
                    functions::DestroySession::from_bytes_exact(&body).map(|d| d.session_id).unwrap_or_default();
                // Other sessions belong to the shell; from here only "none" is certain.
                let res = enums::DestroySessionRes::DestroySessionNone(types::DestroySessionNone { session_id });
                self.answer(msg_id, Ok(res.to_bytes()));
            }
            types::MsgsAck::CONSTRUCTOR_ID | types::MsgResendReq::CONSTRUCTOR_ID | types::HttpWait::CONSTRUCTOR_ID => {}
            types::MsgsStateReq::CONSTRUCTOR_ID => {
                if let Ok(enums::MsgsStateReq::MsgsStateReq(req)) = enums::MsgsStateReq::from_bytes_exact(&body) {
                    let info = req.msg_ids.iter().map(|&id| self.state_of(id)).collect();
                    respond(
                        self,
                        enums::MsgsStateInfo::MsgsStateInfo(types::MsgsStateInfo { req_msg_id: msg_id, info })
                            .to_bytes(),
                    );
                }
            }
            _ => {
                self.running.insert(msg_id);
                self.calls.push_back(Call { msg_id, body });
            }
        }
    }

    /// One byte of `msgs_state_info` (<https://core.telegram.org/mtproto/service_messages_about_messages>).
    fn state_of(&self, msg_id: i64) -> u8 {
        if self.answers.contains_key(&msg_id) {
            4 | 64 // received, answer generated
        } else if self.running.contains(&msg_id) {
            4 | 32 // received, being processed
        } else if self.received.contains(msg_id) {
            4
        } else {
            1 // nothing known
        }
    }

    /// The next call for the application.
    pub fn poll_call(&mut self) -> Option<Call> {
        self.calls.pop_front()
    }

    /// Answers the call `req_msg_id` with a serialized result or an RPC error.
    pub fn answer(&mut self, req_msg_id: i64, result: Result<Vec<u8>, RpcError>) {
        self.running.remove(&req_msg_id);
        let inner = match result {
            Ok(bytes) if bytes.len() > GZIP_THRESHOLD => {
                let packed = GzipPacked::pack(&bytes).to_bytes();
                if packed.len() < bytes.len() {
                    packed
                } else {
                    bytes
                }
            }
            Ok(bytes) => bytes,
            Err(e) => {
                enums::RpcError::RpcError(types::RpcError { error_code: e.code, error_message: e.message() }).to_bytes()
            }
        };
        let body = RpcResult { req_msg_id, result: inner }.to_bytes();
        self.cache_answer(req_msg_id, &body);
        self.outbox.push_back(Outgoing { body, kind: IdKind::ServerResponse, pushed: false });
    }

    /// Keeps `body` for a resend of `req_msg_id`, within the cache's limits.
    fn cache_answer(&mut self, req_msg_id: i64, body: &[u8]) {
        let limits = self.answer_limits;
        let cost = body.len() + ANSWER_OVERHEAD;
        if cost > limits.max_bytes || limits.max_answers == 0 {
            return;
        }
        if let Some(old) = self.answers.remove(&req_msg_id) {
            // Answered again (a dropped answer handed out again): replace, do not count twice.
            self.answer_bytes = self.answer_bytes.saturating_sub(old.len() + ANSWER_OVERHEAD);
            self.answer_order.retain(|id| *id != req_msg_id);
        }
        while self.answer_order.len() >= limits.max_answers && self.drop_oldest_answer() {}
        self.shrink_answer_cache(limits.max_bytes - cost);
        self.answers.insert(req_msg_id, body.to_vec());
        self.answer_order.push_back(req_msg_id);
        self.answer_bytes += cost;
    }

    /// Queues an update (a boxed `Updates`) for the client, with at most `max_queued_bytes` of
    /// updates waiting to be sent. Past that bound (a client that does not read, or reads
    /// slowly) the waiting updates are dropped and one `updatesTooLong` queued in their place:
    /// Telegram's signal to recover them with `updates.getDifference`, so nothing is lost and
    /// the queue stays bounded.
    pub fn push_update(&mut self, body: Vec<u8>, max_queued_bytes: usize) -> Pushed {
        if self.pushed_bytes + body.len() <= max_queued_bytes {
            self.pushed_bytes += body.len();
            self.outbox.push_back(Outgoing { body, kind: IdKind::ServerOther, pushed: true });
            return Pushed::Queued;
        }
        self.outbox.retain(|out| !out.pushed);
        let too_long = ferrogram_tl::enums::Updates::TooLong(ferrogram_tl::types::UpdatesTooLong {}).to_bytes();
        self.pushed_bytes = too_long.len();
        self.outbox.push_back(Outgoing { body: too_long, kind: IdKind::ServerOther, pushed: true });
        Pushed::TooLong
    }

    /// Bytes of pushed updates waiting to be sent.
    pub fn queued_update_bytes(&self) -> usize {
        self.pushed_bytes
    }

    /// Whether [`poll_transmit`](Self::poll_transmit) has something to send.
    pub fn wants_transmit(&self) -> bool {
        !self.outbox.is_empty() || !self.acks.is_empty()
    }

    /// The next encrypted packet for the client, if anything is waiting.
    pub fn poll_transmit(&mut self, now: Duration, random: &mut dyn RandomSource) -> Option<Vec<u8>> {
        if !self.wants_transmit() {
            return None;
        }
        let mut messages = Vec::new();
        let mut size = 0;
        if !self.acks.is_empty() {
            let take = self.acks.len().min(8192);
            let msg_ids: Vec<i64> = self.acks.drain(..take).collect();
            let body = enums::MsgsAck::MsgsAck(types::MsgsAck { msg_ids }).to_bytes();
            size += body.len();
            messages.push(Message {
                msg_id: self.ids.next(now, IdKind::ServerOther),
                seq_no: self.seq.next(false),
                body,
            });
        }
        while messages.len() < MAX_CONTAINER_MESSAGES {
            let Some(next) = self.outbox.front() else { break };
            if !messages.is_empty() && size + next.body.len() > MAX_PACKET_BODY {
                break;
            }
            let Some(out) = self.outbox.pop_front() else { break };
            if out.pushed {
                self.pushed_bytes = self.pushed_bytes.saturating_sub(out.body.len());
            }
            size += out.body.len();
            let content = constructor_of(&out.body).is_none_or(is_content_related);
            messages.push(Message {
                msg_id: self.ids.next(now, out.kind),
                seq_no: self.seq.next(content),
                body: out.body,
            });
        }
        let salt = self.salts.current(now);
        let (header, body) = if messages.len() == 1 {
            let m = messages.pop()?;
            (Header { salt, session_id: self.session_id, msg_id: m.msg_id, seq_no: m.seq_no }, m.body)
        } else {
            let msg_id = self.ids.next(now, IdKind::ServerOther);
            (
                Header { salt, session_id: self.session_id, msg_id, seq_no: self.seq.next(false) },
                MsgContainer { messages }.to_bytes(),
            )
        };
        Some(envelope::encrypt(&self.key, Side::Server, header, &body, random))
    }
}
