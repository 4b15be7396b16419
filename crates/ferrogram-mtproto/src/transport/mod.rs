//! MTProto transports: how MTProto payloads are framed on a byte stream
//! (<https://core.telegram.org/mtproto/mtproto-transports>, <https://core.telegram.org/mtproto/transports>).
//!
//! Framings, each usable from both ends of a connection:
//!
//! - [`Abridged`]: tag `0xef`, then a 1-byte length in 4-byte words (or `0x7f` and a 3-byte
//!   length), then the payload.
//! - [`Intermediate`]: tag `0xeeeeeeee`, then a 4-byte little-endian length and the payload.
//! - [`PaddedIntermediate`]: tag `0xdddddddd`, like intermediate plus 0..15 random padding bytes.
//! - [`Full`]: no tag; length (of the whole envelope), TCP sequence number, payload, CRC32.
//!
//! and, under the first three, **obfuscated2** ([`TransportKind::ObfuscatedAbridged`] and friends):
//! a 64-byte random init carrying the protocol tag and DC id, then AES-256-CTR both ways, optionally
//! keyed with an MTProxy secret.
//!
//! Everything here is sans-IO: [`Framing::pack`] appends bytes to a `Vec`, [`Framing::unpack`]
//! reads a frame in place from whatever bytes have arrived. [`Codec`] puts a framing, the
//! transport's header and the obfuscation together for one connection: the client side writes the
//! tag (or init) before its first frame, the server side consumes it. [`detect`] tells what a new
//! connection speaks from its first bytes. Quick acks and the peer's 4-byte transport errors
//! (-404, -429, ...) come out as [`Incoming::QuickAck`] and [`TransportError::Status`].

mod abridged;
mod codec;
mod detect;
mod full;
#[doc(hidden)]
pub mod fuzzing;
mod intermediate;
mod obfuscated;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

pub use crate::crypto::Side;
use crate::RandomSource;
pub use abridged::Abridged;
pub use codec::{Codec, Incoming};
pub use detect::{detect, Detection};
pub use full::Full;
pub use intermediate::{Intermediate, PaddedIntermediate};

/// The largest MTProto payload a frame may carry: 16 MiB. A length field announcing more is
/// rejected with [`TransportError::FrameTooLarge`] before any byte of it is buffered.
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// The result of [`Framing::unpack`] on the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unpacked {
    /// The input does not yet hold a whole frame; nothing was consumed. Call again once the input
    /// holds at least `at_least` bytes (the true frame length when the header has arrived, a lower
    /// bound before that).
    NeedMore {
        /// Total input length needed before the next call can make progress.
        at_least: usize,
    },
    /// A whole frame: its payload is `input[payload]`, and the frame took `input[..consumed]`.
    Frame {
        /// Where the payload lies in the input.
        payload: Range<usize>,
        /// How many input bytes the frame took (header, payload and trailer).
        consumed: usize,
        /// The client asked for a quick acknowledgement of this frame (only seen by servers).
        quick_ack_requested: bool,
    },
    /// A quick acknowledgement from the server (only seen by clients): the 32 high bits of the
    /// acknowledged packet's SHA256, most significant bit set.
    QuickAck {
        /// The acknowledgement token, as the server computed it (bit 31 set).
        token: u32,
        /// How many input bytes it took.
        consumed: usize,
    },
}

/// One MTProto framing, as seen from one side of the connection. Neither the transport's tag nor
/// obfuscation is part of it (see [`Codec`] for those).
pub trait Framing {
    /// Appends one frame carrying `payload` to `out`. With `quick_ack` a client asks the server to
    /// acknowledge the frame as soon as it arrives; servers ignore the flag (in their direction
    /// the bit means "this is a quick ack"). Nothing is written on error.
    fn pack(
        &mut self,
        payload: &[u8],
        quick_ack: bool,
        rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError>;

    /// Appends a quick acknowledgement carrying `token` (the server side sends these; bit 31 is
    /// set whatever `token` holds).
    fn pack_quick_ack(&mut self, token: u32, out: &mut Vec<u8>);

    /// Reads the next frame from the start of `input`. A returned frame counts as received (the
    /// full transport advances its sequence number), so the caller must drop `consumed` bytes.
    fn unpack(&mut self, input: &[u8]) -> Result<Unpacked, TransportError>;
}

/// How a framing puts payloads on the wire, without obfuscation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FramingKind {
    /// See [`Abridged`].
    Abridged,
    /// See [`Intermediate`].
    Intermediate,
    /// See [`PaddedIntermediate`].
    PaddedIntermediate,
    /// See [`Full`].
    Full,
}

impl FramingKind {
    /// The bytes a client sends before its first frame in the clear (empty for the full transport).
    pub fn tag(self) -> &'static [u8] {
        match self {
            FramingKind::Abridged => &[0xef],
            FramingKind::Intermediate => &[0xee; 4],
            FramingKind::PaddedIntermediate => &[0xdd; 4],
            FramingKind::Full => &[],
        }
    }

    /// A fresh framing of this kind for `side` of a connection.
    pub fn framing(self, side: Side) -> Box<dyn Framing + Send> {
        match self {
            FramingKind::Abridged => Box::new(Abridged::new(side)),
            FramingKind::Intermediate => Box::new(Intermediate::new(side)),
            FramingKind::PaddedIntermediate => Box::new(PaddedIntermediate::new(side)),
            FramingKind::Full => Box::new(Full::new(side)),
        }
    }
}

/// Which transport a connection speaks: a framing, obfuscated or not. This is what a client
/// configuration names (`"abridged"`, `"obfuscated-intermediate"`, ... through [`FromStr`]).
///
/// The full transport has no obfuscated form: obfuscation carries a 4-byte protocol tag and full
/// has none (Telegram's own clients never obfuscate it either).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// Abridged framing in the clear.
    Abridged,
    /// Intermediate framing in the clear.
    Intermediate,
    /// Padded intermediate framing in the clear.
    PaddedIntermediate,
    /// Full framing (seq + CRC32) in the clear.
    Full,
    /// Abridged framing under obfuscated2.
    ObfuscatedAbridged,
    /// Intermediate framing under obfuscated2.
    ObfuscatedIntermediate,
    /// Padded intermediate framing under obfuscated2 (what MTProxies expect).
    ObfuscatedPaddedIntermediate,
}

impl TransportKind {
    /// Every kind, for configuration listings and tests.
    pub const ALL: [TransportKind; 7] = [
        TransportKind::Abridged,
        TransportKind::Intermediate,
        TransportKind::PaddedIntermediate,
        TransportKind::Full,
        TransportKind::ObfuscatedAbridged,
        TransportKind::ObfuscatedIntermediate,
        TransportKind::ObfuscatedPaddedIntermediate,
    ];

    /// The framing under the (possible) obfuscation.
    pub fn framing(self) -> FramingKind {
        match self {
            TransportKind::Abridged | TransportKind::ObfuscatedAbridged => FramingKind::Abridged,
            TransportKind::Intermediate | TransportKind::ObfuscatedIntermediate => FramingKind::Intermediate,
            TransportKind::PaddedIntermediate | TransportKind::ObfuscatedPaddedIntermediate => {
                FramingKind::PaddedIntermediate
            }
            TransportKind::Full => FramingKind::Full,
        }
    }

    /// Whether the stream is obfuscated2.
    pub fn is_obfuscated(self) -> bool {
        matches!(
            self,
            TransportKind::ObfuscatedAbridged
                | TransportKind::ObfuscatedIntermediate
                | TransportKind::ObfuscatedPaddedIntermediate
        )
    }

    /// The obfuscated form of `framing`, if it has one (full has none).
    pub fn obfuscated(framing: FramingKind) -> Option<TransportKind> {
        match framing {
            FramingKind::Abridged => Some(TransportKind::ObfuscatedAbridged),
            FramingKind::Intermediate => Some(TransportKind::ObfuscatedIntermediate),
            FramingKind::PaddedIntermediate => Some(TransportKind::ObfuscatedPaddedIntermediate),
            FramingKind::Full => None,
        }
    }

    /// The configuration name: `abridged`, `intermediate`, `padded-intermediate`, `full`, and the
    /// same with an `obfuscated-` prefix.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::Abridged => "abridged",
            TransportKind::Intermediate => "intermediate",
            TransportKind::PaddedIntermediate => "padded-intermediate",
            TransportKind::Full => "full",
            TransportKind::ObfuscatedAbridged => "obfuscated-abridged",
            TransportKind::ObfuscatedIntermediate => "obfuscated-intermediate",
            TransportKind::ObfuscatedPaddedIntermediate => "obfuscated-padded-intermediate",
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A configuration named a transport that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown transport {0:?} (expected one of: abridged, intermediate, padded-intermediate, full, or obfuscated-<one of the first three>)")]
pub struct UnknownTransportKind(pub String);

impl FromStr for TransportKind {
    type Err = UnknownTransportKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransportKind::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownTransportKind(s.to_owned()))
    }
}

/// What went wrong at the transport level. After any of these the connection cannot go on: a
/// [`Codec`] keeps returning the same error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The server sent a transport error instead of a payload: a 4-byte negative number whose
    /// absolute value is the code (-404 auth key not found, -429 transport flood, -444 invalid
    /// DC, -403 what HTTP would call forbidden; see [`describe_status`]).
    #[error("transport error {0} from the server ({desc})", desc = describe_status(*.0))]
    Status(i32),
    /// A length field announced a frame bigger than [`MAX_FRAME_LEN`] or the codec's own limit
    /// (see [`Codec::with_max_frame_len`]), or the caller tried to send one: the peer is broken or
    /// hostile, and nothing more is buffered for it.
    #[error("frame of {len} bytes exceeds the {max}-byte limit")]
    FrameTooLarge {
        /// The announced (or attempted) payload length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A full-transport frame announced a length too short to hold its own length, sequence
    /// number and CRC (12 bytes).
    #[error("full-transport frame length {len} is shorter than its 12-byte envelope")]
    FrameTooShort {
        /// The announced length.
        len: usize,
    },
    /// The CRC32 of a full-transport frame does not match its bytes: corruption in transit, or a
    /// peer that does not speak the full transport.
    #[error("full-transport CRC32 mismatch: frame says {received:#010x}, bytes give {computed:#010x}")]
    BadCrc {
        /// The CRC carried by the frame.
        received: u32,
        /// The CRC of the bytes received.
        computed: u32,
    },
    /// A full-transport frame carried the wrong TCP sequence number: frames were lost, repeated
    /// or reordered.
    #[error("full-transport sequence number {received}, expected {expected}")]
    BadSeq {
        /// The sequence number the next frame had to carry.
        expected: u32,
        /// The one it carried.
        received: u32,
    },
    /// An obfuscated2 init decrypted to a protocol tag that is none of abridged (`efefefef`),
    /// intermediate (`eeeeeeee`) or padded intermediate (`dddddddd`): a wrong MTProxy secret, or
    /// not an MTProto client.
    #[error("obfuscated init carries unknown protocol tag {0:02x?}")]
    BadTag([u8; 4]),
    /// A server codec configured for one transport received the header of another.
    #[error("expected the {expected} transport, the client speaks {received}")]
    UnexpectedTransport {
        /// The transport the server codec was made for.
        expected: TransportKind,
        /// The transport the client's header announced.
        received: TransportKind,
    },
    /// The connection opens like HTTP or TLS, which these transports do not serve.
    #[error("connection opens with {0:02x?}: an HTTP or TLS client, not an MTProto TCP transport")]
    UnsupportedProtocol([u8; 4]),
    /// The caller tried to send an abridged payload whose length is not a multiple of 4 (every
    /// MTProto payload is, abridged counts the length in 4-byte words).
    #[error("abridged payload of {0} bytes is not a multiple of 4")]
    PayloadNotAligned(usize),
    /// The caller asked for an MTProxy secret with a transport that is not obfuscated.
    #[error("an MTProxy secret needs an obfuscated transport, not {0}")]
    SecretNeedsObfuscation(TransportKind),
    /// The caller tried to send on a server codec before the client's transport header arrived,
    /// so the framing (and for obfuscation the keys) are not known yet.
    #[error("nothing can be sent before the client's transport header has arrived")]
    NotEstablished,
}

/// The MTProto message at the start of a frame's payload, without the padding
/// [`PaddedIntermediate`] may leave after it (which the frame length cannot tell from the
/// payload): an unencrypted message (`auth_key_id` 0) ends where its length field says, an
/// encrypted one after its 24 header bytes and whole 16-byte blocks. A payload too short for
/// that, or whose length field claims more than arrived, is returned whole, for the message
/// layer to refuse. Every shell calls this on every payload: for the other transports it
/// changes nothing.
pub fn strip_padding(payload: &[u8]) -> &[u8] {
    let end = if payload.get(..8) == Some(&[0u8; 8][..]) {
        payload
            .get(16..20)
            .and_then(|field| usize::try_from(i32::from_le_bytes([field[0], field[1], field[2], field[3]])).ok())
            .and_then(|len| len.checked_add(20))
    } else {
        payload.len().checked_sub(24).map(|blocks| 24 + blocks / 16 * 16)
    };
    match end {
        Some(end) if end <= payload.len() => &payload[..end],
        _ => payload,
    }
}

/// What a transport error code (as carried by [`TransportError::Status`], negative) means.
pub fn describe_status(code: i32) -> &'static str {
    match code.unsigned_abs() {
        403 => "forbidden, where HTTP would have answered 403",
        404 => "auth key not found",
        429 => "transport flood: too many connections or a container/service message limit reached",
        444 => "invalid DC id",
        _ => "unknown transport error",
    }
}

/// The transport error in a payload received from the server, if it is one: a lone negative
/// little-endian int (padded intermediate may add up to 15 padding bytes after it; a real MTProto
/// message is at least 20 bytes, so a shorter frame cannot be one).
fn status_in(payload: &[u8], padded: bool) -> Option<i32> {
    let fits = if padded { (4..20).contains(&payload.len()) } else { payload.len() == 4 };
    if !fits {
        return None;
    }
    let code = i32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]]);
    (code < 0).then_some(code)
}

/// A complete frame's payload, or the server's transport error when that is what it carries.
fn frame(
    side: Side,
    input: &[u8],
    payload: Range<usize>,
    consumed: usize,
    quick_ack_requested: bool,
    padded: bool,
) -> Result<Unpacked, TransportError> {
    if side == Side::Client {
        if let Some(code) = status_in(&input[payload.clone()], padded) {
            return Err(TransportError::Status(code));
        }
    }
    Ok(Unpacked::Frame { payload, consumed, quick_ack_requested })
}

/// Bit 31 of a length field: a quick-ack request from a client, a quick ack from a server.
const QUICK_ACK_BIT: u32 = 0x8000_0000;

fn read_u32(input: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([input[at], input[at + 1], input[at + 2], input[at + 3]])
}
