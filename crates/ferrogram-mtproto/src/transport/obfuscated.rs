//! Obfuscated2, the transport obfuscation under abridged and (padded) intermediate
//! (<https://core.telegram.org/mtproto/mtproto-transports#transport-obfuscation>).
//!
//! The client opens with 64 random bytes: bytes 8..40 and 40..56 are its sending key and iv, the
//! same ranges of the reversed init are its receiving key and iv. The protocol tag (4 bytes) and
//! the DC id (i16 little-endian) sit at 56..62 and are sent encrypted: the init is encrypted with
//! the sending stream and its last 8 bytes replaced by the ciphertext. With an MTProxy secret,
//! each key becomes SHA256(key || secret). Both streams then run AES-256-CTR to the end of the
//! connection.

use sha2::{Digest, Sha256};

use super::{FramingKind, TransportError, TransportKind};
use crate::crypto::ctr::AesCtr;
use crate::RandomSource;

/// Length of the init.
pub(super) const INIT_LEN: usize = 64;
/// Where the protocol tag starts in the (decrypted) init.
const TAG_AT: usize = 56;
/// Where the DC id starts in the (decrypted) init.
const DC_AT: usize = 60;

/// First words an init must not start with, because servers read them as another protocol:
/// HTTP methods (`HEAD`, `POST`, `GET `, `OPTI`ONS), a TLS handshake record, padded intermediate
/// and intermediate tags. (A first byte `0xef` and a second word of zeros are excluded too.)
pub(super) const RESERVED_FIRST_WORDS: [[u8; 4]; 7] =
    [*b"HEAD", *b"POST", *b"GET ", *b"OPTI", [0x16, 0x03, 0x01, 0x02], [0xdd; 4], [0xee; 4]];

/// Of the reserved first words, those that belong to protocols other than MTProto over TCP.
pub(super) const FOREIGN_FIRST_WORDS: [[u8; 4]; 5] = [*b"HEAD", *b"POST", *b"GET ", *b"OPTI", [0x16, 0x03, 0x01, 0x02]];

/// After this many rejected draws the random source is broken (a valid draw is ~99% likely);
/// the init is then made valid by hand rather than looping forever.
const MAX_DRAWS: usize = 32;

/// The two AES-256-CTR streams of an obfuscated connection.
#[derive(Debug)]
pub(super) struct Ciphers {
    /// For bytes this side sends.
    pub encrypt: AesCtr,
    /// For bytes this side receives.
    pub decrypt: AesCtr,
}

/// The 4-byte tag inside the init for a framing (abridged's one-byte tag repeated).
pub(super) fn obfuscated_tag(framing: FramingKind) -> Option<[u8; 4]> {
    match framing {
        FramingKind::Abridged => Some([0xef; 4]),
        FramingKind::Intermediate => Some([0xee; 4]),
        FramingKind::PaddedIntermediate => Some([0xdd; 4]),
        FramingKind::Full => None,
    }
}

fn is_valid(init: &[u8; INIT_LEN]) -> bool {
    init[0] != 0xef && !RESERVED_FIRST_WORDS.iter().any(|word| init[..4] == *word) && init[4..8] != [0; 4]
}

/// The stream keyed by `init[8..40]` (hashed with the secret, if any) starting at `init[40..56]`.
fn stream(init: &[u8; INIT_LEN], secret: Option<&[u8; 16]>) -> AesCtr {
    let mut key = [0u8; 32];
    key.copy_from_slice(&init[8..40]);
    if let Some(secret) = secret {
        key = Sha256::new().chain_update(key).chain_update(secret).finalize().into();
    }
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&init[40..56]);
    AesCtr::new(&key, &iv)
}

fn reversed(init: &[u8; INIT_LEN]) -> [u8; INIT_LEN] {
    let mut rev = *init;
    rev.reverse();
    rev
}

/// A client's init announcing `tag` and `dc_id`, as sent on the wire, and the client's streams
/// (the sending one already past the init).
pub(super) fn client_init(
    tag: [u8; 4],
    dc_id: i16,
    secret: Option<&[u8; 16]>,
    rng: &mut dyn RandomSource,
) -> ([u8; INIT_LEN], Ciphers) {
    let mut init = [0u8; INIT_LEN];
    for _ in 0..MAX_DRAWS {
        rng.fill(&mut init);
        if is_valid(&init) {
            break;
        }
    }
    if !is_valid(&init) {
        // Only a constant or otherwise broken random source gets here.
        init[0] = 0x01;
        init[4] |= 0x01;
    }
    init[TAG_AT..DC_AT].copy_from_slice(&tag);
    init[DC_AT..DC_AT + 2].copy_from_slice(&dc_id.to_le_bytes());

    let mut encrypt = stream(&init, secret);
    let decrypt = stream(&reversed(&init), secret);
    let mut encrypted = init;
    encrypt.apply(&mut encrypted);
    init[TAG_AT..].copy_from_slice(&encrypted[TAG_AT..]);
    (init, Ciphers { encrypt, decrypt })
}

/// What a server learns from a client's init.
#[derive(Debug)]
pub(super) struct Accepted {
    /// The transport named by the tag.
    pub kind: TransportKind,
    /// The DC id the client asked for.
    pub dc_id: i16,
    /// The server's streams (the receiving one already past the init).
    pub ciphers: Ciphers,
}

/// Reads a client's init on the server side.
pub(super) fn server_accept(init: &[u8; INIT_LEN], secret: Option<&[u8; 16]>) -> Result<Accepted, TransportError> {
    let mut decrypt = stream(init, secret);
    let encrypt = stream(&reversed(init), secret);
    let mut plain = *init;
    decrypt.apply(&mut plain);
    let tag = [plain[TAG_AT], plain[TAG_AT + 1], plain[TAG_AT + 2], plain[TAG_AT + 3]];
    let kind = [FramingKind::Abridged, FramingKind::Intermediate, FramingKind::PaddedIntermediate]
        .into_iter()
        .filter(|framing| obfuscated_tag(*framing) == Some(tag))
        .find_map(TransportKind::obfuscated)
        .ok_or(TransportError::BadTag(tag))?;
    let dc_id = i16::from_le_bytes([plain[DC_AT], plain[DC_AT + 1]]);
    Ok(Accepted { kind, dc_id, ciphers: Ciphers { encrypt, decrypt } })
}
