//! The server reading `req_DH_params.encrypted_data`: the client's `p_q_inner_data*` under the
//! server's RSA key (<https://core.telegram.org/mtproto/auth_key>, step 4), in either of the two
//! encodings clients send.
//!
//! - `RSA_PAD`, the encoding the spec describes now. Our client, TDLib, GramJS and mtcute send it.
//! - The older `RSA(SHA1(data) + data + padding)`: a 255-byte block of the SHA1 of `data`, `data`
//!   itself and random padding, read as a big-endian number and raised to the key's exponent with
//!   no further padding scheme. The spec no longer describes it, but Telegram's servers still
//!   accept it, and Telethon, Pyrogram and Pyrogram's forks (Kurigram ...) still send it: a server
//!   that refused it would shut those clients out.
//!
//! One RSA decryption serves both. `RSA_PAD` is tried first because its SHA256 check is the
//! stronger one. A plaintext whose `RSA_PAD` hash fails counts as the older form only if all of
//! this holds: the number fits 255 bytes (its first byte is zero), a `p_q_inner_data*` object reads
//! from just after the 20-byte hash without running past the block, and the hash is the SHA1 of
//! exactly that object's bytes. The block's length carries no length field, so the TL object is
//! the only thing that says where `data` ends.

use ferrogram_tl::mtproto::enums::PQInnerData;
use ferrogram_tl::{Deserializable, DeserializeError, Reader};
use sha1::{Digest, Sha1};

use super::AuthKeyError;
use crate::crypto::rsa::{constant_time_eq, rsa_pad_unpad, RsaError, RsaPrivateKey};

/// Why a decrypted `encrypted_data` is not a `SHA1(data) + data + padding` block either (after
/// failing the `RSA_PAD` check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegacyBlockError {
    /// The decrypted number takes all 256 bytes: the older form is a 255-byte block, so its first
    /// byte is always zero.
    #[error("the plaintext does not fit in 255 bytes")]
    TooLong,
    /// The object after the hash runs past the end of the 255-byte block (a length inside it
    /// claims more than the block holds).
    #[error("the p_q_inner_data after the hash runs past the end of the block")]
    Overrun,
    /// What follows the hash is no `p_q_inner_data*` object.
    #[error("no p_q_inner_data after the hash: {0}")]
    Decode(DeserializeError),
    /// The SHA1 at the start of the block is not the SHA1 of the object after it (wrong key or
    /// tampered data).
    #[error("the SHA1 in the block does not match its p_q_inner_data")]
    Hash,
}

/// Decrypts and decodes the `encrypted_data` of `req_DH_params`, in whichever encoding the client
/// used (see the module docs).
pub(crate) fn decrypt_inner_data(key: &RsaPrivateKey, encrypted: &[u8]) -> Result<PQInnerData, AuthKeyError> {
    let plaintext = key.raw_decrypt(encrypted)?;
    match rsa_pad_unpad(&plaintext) {
        Ok(data_with_padding) => Ok(PQInnerData::from_bytes(&data_with_padding)?),
        Err(RsaError::PadHash) => legacy_block(&plaintext).map_err(AuthKeyError::EncryptedData),
        Err(other) => Err(other.into()),
    }
}

/// Reads `SHA1(data) + data + padding` from a decrypted 256-byte number, checking the hash.
fn legacy_block(plaintext: &[u8; 256]) -> Result<PQInnerData, LegacyBlockError> {
    let Some((&0, block)) = plaintext.split_first() else {
        return Err(LegacyBlockError::TooLong);
    };
    let (hash, rest) = block.split_at(20);
    let mut reader = Reader::new(rest);
    let inner = PQInnerData::deserialize(&mut reader).map_err(|e| match e {
        DeserializeError::UnexpectedEof { .. } | DeserializeError::LengthTooLarge { .. } => LegacyBlockError::Overrun,
        other => LegacyBlockError::Decode(other),
    })?;
    let data = &rest[..reader.position()];
    if !constant_time_eq(&Sha1::digest(data), hash) {
        return Err(LegacyBlockError::Hash);
    }
    Ok(inner)
}
