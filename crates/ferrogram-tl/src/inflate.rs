//! Inflating `gzip_packed` payloads (<https://core.telegram.org/mtproto/serialize>, "Service
//! messages") under limits a hostile peer cannot get past.
//!
//! **Two formats.** The spec calls `packed_data` gzip, and gzip is what Telegram, TDLib and our
//! own encoder ([`GzipPacked::pack`](crate::mtproto::GzipPacked::pack)) write. Some clients send a
//! zlib stream instead (mtcute compresses with Node's `zlib.deflateSync`), and Telegram takes it,
//! so [`inflate`] takes either. The header tells them apart ([`StreamFormat::detect`]): a gzip
//! member starts with `1f 8b`; a zlib stream starts with a CMF/FLG pair naming deflate (`CM = 8`)
//! whose big-endian value is a multiple of 31. No zlib header starts with `1f`, so the two never
//! overlap.
//!
//! **Bounded output.** A few kilobytes of deflate can claim gigabytes, so no size a stream
//! declares is trusted: output is read in small steps and its buffer never grows past the limit,
//! and a stream that would go beyond is refused with [`InflateError::TooLarge`] as soon as it
//! does.
//!
//! **One budget per message.** Every `gzip_packed` in one message (nested inside one another, or
//! side by side in a container) draws on one [`InflateBudget`], so a `gzip_packed` inside another
//! gets what the outer one left, not a fresh allowance; and how deep they may nest is capped too.
//! Both limits are an [`InflateLimits`].

use std::io::Read;

/// The limits on inflating the `gzip_packed` payloads of one message.
///
/// The [`Default`] (16 MiB in all, nested at most 4 deep) is far above what real MTProto traffic
/// needs (Telegram's answers are a few megabytes at most, and nobody nests `gzip_packed`), and low
/// enough that a few hostile messages cannot exhaust a server's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InflateLimits {
    /// The most bytes all of one message's `gzip_packed` payloads may inflate to, together.
    pub max_total_bytes: usize,
    /// How many `gzip_packed` may be nested inside one another: 1 allows a `gzip_packed` but
    /// none inside it, 0 refuses `gzip_packed` altogether.
    pub max_depth: usize,
}

impl InflateLimits {
    /// The default limits: 16 MiB in all, 4 levels deep.
    pub const DEFAULT: InflateLimits = InflateLimits { max_total_bytes: 16 << 20, max_depth: 4 };
}

impl Default for InflateLimits {
    fn default() -> Self {
        InflateLimits::DEFAULT
    }
}

/// The compressed stream formats `gzip_packed` is found to carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// A gzip member (RFC 1952): what the spec names, and what Telegram and TDLib send.
    Gzip,
    /// A zlib stream (RFC 1950), as sent by clients that compress with zlib's `deflate`
    /// (mtcute, through Node's `zlib.deflateSync`).
    Zlib,
}

impl StreamFormat {
    /// The format `packed` starts with, if it is either.
    pub fn detect(packed: &[u8]) -> Option<StreamFormat> {
        match *packed {
            [0x1f, 0x8b, ..] => Some(StreamFormat::Gzip),
            // CMF: compression method 8 (deflate), window at most 2^15; FLG: a check value that
            // makes CMF * 256 + FLG a multiple of 31.
            [cmf, flg, ..] if cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(cmf) << 8 | u16::from(flg)) % 31 == 0 => {
                Some(StreamFormat::Zlib)
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for StreamFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamFormat::Gzip => "gzip",
            StreamFormat::Zlib => "zlib",
        })
    }
}

/// Why a `gzip_packed` payload was not inflated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InflateError {
    /// The payload starts with neither a gzip nor a zlib header.
    #[error("the payload is neither a gzip nor a zlib stream")]
    UnknownFormat,
    /// The stream is damaged or cut short (or, for zlib, asks for a preset dictionary).
    #[error("invalid {format} stream: {reason}")]
    Corrupt {
        /// The format its header announced.
        format: StreamFormat,
        /// What the decompressor reported.
        reason: String,
    },
    /// The payloads inflate to more than the limit allows (the stream was refused as soon as it
    /// went beyond, not inflated to the end).
    #[error("gzip_packed inflates beyond the limit of {limit} bytes per message")]
    TooLarge {
        /// The limit exceeded: [`InflateLimits::max_total_bytes`], or the `max_bytes` given to
        /// [`inflate`].
        limit: usize,
    },
    /// `gzip_packed` nested inside one another deeper than [`InflateLimits::max_depth`].
    #[error("gzip_packed nested deeper than the limit of {limit} levels")]
    TooDeep {
        /// The limit exceeded.
        limit: usize,
    },
}

/// How much output is read from the decompressor at a time.
const STEP: usize = 16 << 10;

/// Inflates one gzip or zlib stream (told apart by its header) to at most `max_bytes`.
///
/// Never allocates more than `max_bytes` for the output, whatever the stream claims: a stream
/// that inflates beyond is [`InflateError::TooLarge`]. Bytes after the end of the stream are
/// ignored. This is the one inflater behind every `gzip_packed` reader of ferrogram; to share a
/// limit between the payloads of a message, use an [`InflateBudget`].
pub fn inflate(packed: &[u8], max_bytes: usize) -> Result<Vec<u8>, InflateError> {
    let format = StreamFormat::detect(packed).ok_or(InflateError::UnknownFormat)?;
    let decoder: Box<dyn Read + '_> = match format {
        StreamFormat::Gzip => Box::new(flate2::read::GzDecoder::new(packed)),
        StreamFormat::Zlib => Box::new(flate2::read::ZlibDecoder::new(packed)),
    };
    read_bounded(decoder, max_bytes).map_err(|e| match e {
        Bounded::TooLarge => InflateError::TooLarge { limit: max_bytes },
        Bounded::Io(e) => InflateError::Corrupt { format, reason: e.to_string() },
    })
}

enum Bounded {
    TooLarge,
    Io(std::io::Error),
}

/// Reads `reader` to its end into a buffer that never holds more than `max_bytes`.
fn read_bounded(mut reader: impl Read, max_bytes: usize) -> Result<Vec<u8>, Bounded> {
    let mut out = Vec::new();
    let mut step = [0u8; STEP];
    loop {
        let n = match reader.read(&mut step) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Bounded::Io(e)),
        };
        if n > max_bytes - out.len() {
            return Err(Bounded::TooLarge);
        }
        if out.capacity() - out.len() < n {
            // Grow by doubling, as `Vec` would, but never past the limit.
            let target = out.capacity().saturating_mul(2).max(out.len() + n).min(max_bytes);
            out.reserve_exact(target - out.len());
        }
        out.extend_from_slice(&step[..n]);
    }
}

/// What one message may still inflate: the bytes left of its [`InflateLimits::max_total_bytes`],
/// and how deep the `gzip_packed` being read are nested.
///
/// A reader makes one budget per message and passes it everywhere a `gzip_packed` may appear:
///
/// ```
/// use ferrogram_tl::inflate::{InflateBudget, InflateError, InflateLimits};
/// use ferrogram_tl::mtproto::GzipPacked;
///
/// let limits = InflateLimits { max_total_bytes: 1000, max_depth: 2 };
/// let mut budget = InflateBudget::new(limits);
/// let packed = GzipPacked::pack(&[7; 600]).packed_data;
/// let content = budget.inflate_then(&packed, |_, content| Ok::<_, InflateError>(content)).unwrap();
/// assert_eq!(content.len(), 600);
/// // 600 of the 1000 bytes are spent: the same payload again is too much for this message.
/// let again = budget.inflate_then(&packed, |_, content| Ok::<_, InflateError>(content));
/// assert_eq!(again, Err(InflateError::TooLarge { limit: 1000 }));
/// ```
#[derive(Debug, Clone)]
pub struct InflateBudget {
    limits: InflateLimits,
    used: usize,
    depth: usize,
}

impl InflateBudget {
    /// The full budget of a new message.
    pub fn new(limits: InflateLimits) -> Self {
        InflateBudget { limits, used: 0, depth: 0 }
    }

    /// The limits this budget enforces.
    pub fn limits(&self) -> InflateLimits {
        self.limits
    }

    /// Bytes inflated so far for this message.
    pub fn used(&self) -> usize {
        self.used
    }

    /// How many `gzip_packed` enclose what is being read now (0 outside any).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Inflates the payload of a `gzip_packed` met at the current depth and hands its content to
    /// `read`, one level deeper: a `gzip_packed` that `read` meets (and inflates through the budget
    /// it is given) counts as nested in this one, and draws on what this one left.
    ///
    /// Refuses with [`InflateError::TooDeep`] when this `gzip_packed` would be nested deeper than
    /// [`InflateLimits::max_depth`], and [`InflateError::TooLarge`] when the message's payloads
    /// together inflate beyond [`InflateLimits::max_total_bytes`].
    pub fn inflate_then<T, E: From<InflateError>>(
        &mut self,
        packed: &[u8],
        read: impl FnOnce(&mut InflateBudget, Vec<u8>) -> Result<T, E>,
    ) -> Result<T, E> {
        if self.depth >= self.limits.max_depth {
            return Err(InflateError::TooDeep { limit: self.limits.max_depth }.into());
        }
        let limit = self.limits.max_total_bytes;
        let content = inflate(packed, limit.saturating_sub(self.used)).map_err(|e| match e {
            // Report the message's limit, not what happened to be left of it.
            InflateError::TooLarge { .. } => InflateError::TooLarge { limit },
            other => other,
        })?;
        self.used += content.len();
        self.depth += 1;
        let result = read(self, content);
        self.depth -= 1;
        result
    }
}
