//! Which transport a new connection speaks, from its first bytes (server side).
//!
//! In order: `0xef` is abridged, `0xeeeeeeee` intermediate, `0xdddddddd` padded intermediate; an
//! HTTP method or a TLS record is refused; a second word of zeros is the full transport's first
//! sequence number; anything else must be a 64-byte obfuscated2 init, whose decrypted tag names
//! the framing (and which carries the DC id). These are the rules obfuscated inits are drawn to
//! avoid, so the order is unambiguous.

use super::obfuscated::{self, Ciphers, FOREIGN_FIRST_WORDS, INIT_LEN};
use super::{Codec, FramingKind, TransportError, TransportKind};

/// The outcome of [`detect`].
#[derive(Debug)]
pub enum Detection {
    /// Not enough bytes to tell yet; call again with at least `at_least` bytes.
    NeedMore {
        /// Total input length needed.
        at_least: usize,
    },
    /// The transport is known: `codec` is the server side of it, and `input[consumed..]` is the
    /// start of the first frame (feed it to the codec).
    Found {
        /// Server codec for the rest of the stream; [`Codec::kind`] and [`Codec::dc_id`] say what
        /// was found.
        codec: Codec,
        /// How many input bytes the transport header took (0 for full, which has none).
        consumed: usize,
    },
}

/// A transport header read by the server.
#[derive(Debug)]
pub(super) struct Header {
    pub kind: TransportKind,
    pub dc_id: Option<i16>,
    pub ciphers: Option<Box<Ciphers>>,
    pub consumed: usize,
}

/// [`detect`] without building the codec.
pub(super) enum HeaderRead {
    NeedMore(usize),
    Found(Header),
}

pub(super) fn read_header(input: &[u8], secret: Option<&[u8; 16]>) -> Result<HeaderRead, TransportError> {
    let plain = |kind: TransportKind| {
        let consumed = kind.framing().tag().len();
        Ok(HeaderRead::Found(Header { kind, dc_id: None, ciphers: None, consumed }))
    };
    let Some(&first) = input.first() else {
        return Ok(HeaderRead::NeedMore(1));
    };
    if [first] == FramingKind::Abridged.tag() {
        return plain(TransportKind::Abridged);
    }
    let Some(word) = input.get(..4) else {
        return Ok(HeaderRead::NeedMore(4));
    };
    if word == FramingKind::Intermediate.tag() {
        return plain(TransportKind::Intermediate);
    }
    if word == FramingKind::PaddedIntermediate.tag() {
        return plain(TransportKind::PaddedIntermediate);
    }
    let word = [word[0], word[1], word[2], word[3]];
    if FOREIGN_FIRST_WORDS.contains(&word) {
        return Err(TransportError::UnsupportedProtocol(word));
    }
    let Some(seq) = input.get(4..8) else {
        return Ok(HeaderRead::NeedMore(8));
    };
    if seq == [0; 4] {
        return plain(TransportKind::Full);
    }
    let Some(init) = input.get(..INIT_LEN) else {
        return Ok(HeaderRead::NeedMore(INIT_LEN));
    };
    let mut bytes = [0u8; INIT_LEN];
    bytes.copy_from_slice(init);
    let accepted = obfuscated::server_accept(&bytes, secret)?;
    Ok(HeaderRead::Found(Header {
        kind: accepted.kind,
        dc_id: Some(accepted.dc_id),
        ciphers: Some(Box::new(accepted.ciphers)),
        consumed: INIT_LEN,
    }))
}

/// Tells from the first bytes of a connection which transport the client speaks. `secret` is the
/// MTProxy secret obfuscated inits are keyed with, if the server is one.
///
/// Errors: [`TransportError::UnsupportedProtocol`] for HTTP or TLS, [`TransportError::BadTag`]
/// for an obfuscated init that does not decrypt to a known tag (or keyed with another secret).
pub fn detect(input: &[u8], secret: Option<&[u8; 16]>) -> Result<Detection, TransportError> {
    Ok(match read_header(input, secret)? {
        HeaderRead::NeedMore(at_least) => Detection::NeedMore { at_least },
        HeaderRead::Found(header) => {
            let consumed = header.consumed;
            Detection::Found { codec: Codec::established_server(header), consumed }
        }
    })
}
