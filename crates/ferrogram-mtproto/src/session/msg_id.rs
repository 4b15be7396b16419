//! Message identifiers and sequence numbers
//! (<https://core.telegram.org/mtproto/description#message-identifier-msg-id>).
//!
//! A `msg_id` is about `unix_time * 2^32`: the upper 32 bits are seconds, the lower bits a
//! fraction of a second. Ids a client makes are divisible by 4; ids a server makes are 1 mod 4
//! when answering a client's message and 3 mod 4 otherwise. Each side's ids must grow strictly.

use std::time::Duration;

/// Who makes the ids, which decides their residue mod 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// A client's message: `msg_id % 4 == 0`.
    Client,
    /// A server's answer to a client message: `msg_id % 4 == 1`.
    ServerResponse,
    /// A server's message of its own (updates, service messages): `msg_id % 4 == 3`.
    ServerOther,
}

impl IdKind {
    fn residue(self) -> i64 {
        match self {
            IdKind::Client => 0,
            IdKind::ServerResponse => 1,
            IdKind::ServerOther => 3,
        }
    }
}

/// The approximate time a `msg_id` was made, in Unix seconds (its upper 32 bits).
pub fn msg_id_seconds(msg_id: i64) -> i64 {
    msg_id >> 32
}

/// Makes strictly increasing, time-based msg_ids. Time is an argument: Unix time as a
/// [`Duration`] since the epoch, already corrected by the caller's server time offset.
#[derive(Debug, Clone, Default)]
pub struct MsgIdGenerator {
    last: i64,
}

impl MsgIdGenerator {
    /// A generator that has made no id yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The next id of `kind` at time `now`.
    pub fn next(&mut self, now: Duration, kind: IdKind) -> i64 {
        let seconds = now.as_secs() as i64;
        // The fraction of the second in the lower 32 bits.
        let fraction = ((now.subsec_nanos() as u64) << 32) / 1_000_000_000;
        let by_time = (seconds << 32) | (fraction as i64 & !3);
        let after_last = (self.last & !3) + 4;
        let id = by_time.max(after_last) | kind.residue();
        self.last = id;
        id
    }

    /// The last id made (0 before the first).
    pub fn last(&self) -> i64 {
        self.last
    }
}

/// Sequence numbers (<https://core.telegram.org/mtproto/description#message-sequence-number-msg-seqno>):
/// twice the number of content-related messages sent before, plus one if this one is
/// content-related.
#[derive(Debug, Clone, Default)]
pub struct SeqNo {
    content_sent: i32,
}

impl SeqNo {
    /// A counter for a new session.
    pub fn new() -> Self {
        Self::default()
    }

    /// The seq_no of the next message; `content_related` is true for everything but acks,
    /// containers, pings' pongs and other pure service messages.
    pub fn next(&mut self, content_related: bool) -> i32 {
        let seq = self.content_sent.wrapping_mul(2);
        if content_related {
            self.content_sent = self.content_sent.wrapping_add(1);
            seq + 1
        } else {
            seq
        }
    }
}

/// Whether a TL object (by its constructor id) is content-related, that is, needs an
/// acknowledgement: everything except acks, containers and the service notifications that the
/// spec says need none.
pub fn is_content_related(constructor_id: u32) -> bool {
    use ferrogram_tl::mtproto::{types, MsgContainer};
    use ferrogram_tl::Identifiable;
    ![
        types::MsgsAck::CONSTRUCTOR_ID,
        MsgContainer::CONSTRUCTOR_ID,
        types::MsgsStateInfo::CONSTRUCTOR_ID,
        types::MsgsAllInfo::CONSTRUCTOR_ID,
        types::MsgDetailedInfo::CONSTRUCTOR_ID,
        types::MsgNewDetailedInfo::CONSTRUCTOR_ID,
        types::BadMsgNotification::CONSTRUCTOR_ID,
        types::BadServerSalt::CONSTRUCTOR_ID,
        types::HttpWait::CONSTRUCTOR_ID,
    ]
    .contains(&constructor_id)
}
