//! One encrypted MTProto 2.0 message on the wire
//! (<https://core.telegram.org/mtproto/description#encrypted-message>):
//!
//! ```text
//! auth_key_id:long  msg_key:int128  encrypted_data
//! encrypted_data = AES-256-IGE(salt:long session_id:long message_id:long seq_no:int
//!                              message_data_length:int message_data padding[12..1024])
//! ```
//!
//! `msg_key` is the middle of SHA256 over part of the auth key and the whole plaintext, padding
//! included; the receiver recomputes it after decrypting and rejects the message on any mismatch
//! (<https://core.telegram.org/mtproto/security_guidelines>). Checking `session_id`, `msg_id` and
//! the salt is the session's job, not this module's.

use crate::authkey::AuthKey;
use crate::crypto::{ige, kdf, rsa::constant_time_eq, Side};
use crate::RandomSource;

/// The fixed part of the plaintext before `message_data`: salt, session_id, msg_id, seq_no, length.
const PLAIN_HEADER: usize = 32;
/// The smallest padding MTProto 2.0 allows.
pub const MIN_PADDING: usize = 12;
/// The largest padding MTProto 2.0 allows.
pub const MAX_PADDING: usize = 1024;

/// Why an encrypted message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Too short to hold the header, msg_key and one minimal plaintext.
    #[error("encrypted message of {0} bytes is too short")]
    TooShort(usize),
    /// Encrypted with another auth key (or the peer does not know ours).
    #[error("auth_key_id {got:016x} is not ours ({expected:016x})")]
    WrongAuthKeyId {
        /// The id of our key.
        expected: i64,
        /// The id the message names.
        got: i64,
    },
    /// The encrypted part is not a whole number of AES blocks.
    #[error("encrypted data of {0} bytes is not a multiple of 16")]
    NotBlockAligned(usize),
    /// The recomputed msg_key differs: wrong key, wrong direction, or tampering.
    #[error("msg_key does not match the decrypted message")]
    MsgKeyMismatch,
    /// `message_data_length` is negative, not a multiple of 4, or larger than what is there.
    #[error("message_data_length {length} does not fit the {available} bytes decrypted")]
    BadLength {
        /// The length field.
        length: i32,
        /// Bytes after the plaintext header.
        available: usize,
    },
    /// The padding is outside 12..=1024 bytes.
    #[error("padding of {0} bytes is outside 12..=1024")]
    BadPadding(usize),
}

/// The plaintext fields of a decrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The server salt the sender used.
    pub salt: i64,
    /// The sender's session id.
    pub session_id: i64,
    /// The message id.
    pub msg_id: i64,
    /// The sequence number.
    pub seq_no: i32,
    /// `message_data`: one TL object (possibly a container).
    pub body: Vec<u8>,
}

/// The plaintext header of one outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The server salt.
    pub salt: i64,
    /// The session id.
    pub session_id: i64,
    /// The message id.
    pub msg_id: i64,
    /// The sequence number.
    pub seq_no: i32,
}

/// The `auth_key_id` a packet names, if it is long enough to name one (0 is a plain message).
pub fn peek_auth_key_id(packet: &[u8]) -> Option<i64> {
    let id: [u8; 8] = packet.get(..8)?.try_into().ok()?;
    Some(i64::from_le_bytes(id))
}

/// Encrypts one message from `side` with `key`. The padding is random, 12..=1024 bytes long: the
/// least that makes the plaintext a multiple of 16, plus a random number of extra blocks (0..=3),
/// which hides exact lengths at little cost.
pub fn encrypt(key: &AuthKey, side: Side, header: Header, body: &[u8], random: &mut dyn RandomSource) -> Vec<u8> {
    let unpadded = PLAIN_HEADER + body.len();
    let mut extra_blocks = [0u8; 1];
    random.fill(&mut extra_blocks);
    let padding = MIN_PADDING + (16 - (unpadded + MIN_PADDING) % 16) % 16 + 16 * (extra_blocks[0] as usize % 4);
    let mut out = Vec::with_capacity(24 + unpadded + padding);
    out.extend_from_slice(&key.id().to_le_bytes());
    out.extend_from_slice(&[0u8; 16]); // msg_key, filled in below
    out.extend_from_slice(&header.salt.to_le_bytes());
    out.extend_from_slice(&header.session_id.to_le_bytes());
    out.extend_from_slice(&header.msg_id.to_le_bytes());
    out.extend_from_slice(&header.seq_no.to_le_bytes());
    out.extend_from_slice(&(body.len() as i32).to_le_bytes());
    out.extend_from_slice(body);
    let start = out.len();
    out.resize(start + padding, 0);
    random.fill(&mut out[start..]);

    let msg_key = kdf::msg_key(key.bytes(), side, &out[24..]);
    out[8..24].copy_from_slice(&msg_key);
    let (aes_key, iv) = kdf::message_key_iv(key.bytes(), side, &msg_key);
    // The plaintext length is a multiple of 16 by construction, so this cannot fail.
    let _ = ige::encrypt(&mut out[24..], &aes_key, &iv);
    out
}

/// Decrypts one message that `side` sent with `key`, checking everything the envelope carries.
pub fn decrypt(key: &AuthKey, side: Side, packet: &[u8]) -> Result<Decrypted, EnvelopeError> {
    if packet.len() < 24 + PLAIN_HEADER + MIN_PADDING {
        return Err(EnvelopeError::TooShort(packet.len()));
    }
    let got = peek_auth_key_id(packet).unwrap_or_default();
    if got != key.id() {
        return Err(EnvelopeError::WrongAuthKeyId { expected: key.id(), got });
    }
    let encrypted = &packet[24..];
    if !encrypted.len().is_multiple_of(16) {
        return Err(EnvelopeError::NotBlockAligned(encrypted.len()));
    }
    let mut msg_key = [0u8; 16];
    msg_key.copy_from_slice(&packet[8..24]);
    let (aes_key, iv) = kdf::message_key_iv(key.bytes(), side, &msg_key);
    let mut plain = encrypted.to_vec();
    ige::decrypt(&mut plain, &aes_key, &iv).map_err(|_| EnvelopeError::NotBlockAligned(encrypted.len()))?;
    if !constant_time_eq(&kdf::msg_key(key.bytes(), side, &plain), &msg_key) {
        return Err(EnvelopeError::MsgKeyMismatch);
    }

    let field = |at: usize| i64::from_le_bytes(plain[at..at + 8].try_into().unwrap_or_default());
    let salt = field(0);
    let session_id = field(8);
    let msg_id = field(16);
    let seq_no = i32::from_le_bytes(plain[24..28].try_into().unwrap_or_default());
    let length = i32::from_le_bytes(plain[28..32].try_into().unwrap_or_default());
    let available = plain.len() - PLAIN_HEADER;
    if length < 0 || length % 4 != 0 || length as usize > available {
        return Err(EnvelopeError::BadLength { length, available });
    }
    let padding = available - length as usize;
    if !(MIN_PADDING..=MAX_PADDING).contains(&padding) {
        return Err(EnvelopeError::BadPadding(padding));
    }
    plain.truncate(PLAIN_HEADER + length as usize);
    plain.drain(..PLAIN_HEADER);
    Ok(Decrypted { salt, session_id, msg_id, seq_no, body: plain })
}
