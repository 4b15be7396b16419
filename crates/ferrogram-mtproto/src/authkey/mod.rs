//! Creating an authorization key (<https://core.telegram.org/mtproto/auth_key>) as two sans-IO
//! state machines: [`client::ClientHandshake`] and [`server::ServerHandshake`].
//!
//! Both are driven the same way: bytes in (the body of the peer's last plain message), the current
//! time and a [`RandomSource`](crate::RandomSource) as arguments, and a step out: bytes to send
//! next, or the finished key. The unencrypted envelope around those bodies is [`plain`].
//!
//! ```
//! use ferrogram_mtproto::authkey::{client::*, server::*};
//! use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
//! # let mut seed = 1u64;
//! # let mut random = move |b: &mut [u8]| for x in b { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; *x = seed as u8 };
//! let key = RsaPrivateKey::generate(&mut random);
//! let mut server = ServerHandshake::new(ServerConfig::new(key.clone(), 2));
//! let (mut client, mut request) = ClientHandshake::start(ClientConfig::new(vec![key.public_key().clone()], 2), &mut random);
//! let now = std::time::Duration::from_secs(1_700_000_000);
//! let (client_key, server_key) = loop {
//!     let (reply, server_done) = match server.handle(&request, now, &mut random).unwrap() {
//!         ServerStep::Send(bytes) => (bytes, None),
//!         ServerStep::Done { send, key } => (send, Some(key)),
//!         ServerStep::Refused(_) => unreachable!("every key id is free here"),
//!     };
//!     match client.handle(&reply, now, &mut random).unwrap() {
//!         ClientStep::Send(bytes) => request = bytes,
//!         ClientStep::Done(done) => break (done.auth_key, server_done.unwrap().auth_key),
//!     }
//! };
//! assert_eq!(client_key, server_key);
//! ```

pub mod client;
#[doc(hidden)]
pub mod fuzzing;
mod inner_data;
pub mod plain;
pub mod server;

pub use inner_data::LegacyBlockError;

use ferrogram_tl::DeserializeError;

use crate::crypto::{dh::DhError, kdf, pq::FactorError, rsa::RsaError};

/// A 2048-bit authorization key. Its `Debug` shows only its id, never the key.
#[derive(Clone)]
pub struct AuthKey([u8; 256]);

impl AuthKey {
    /// Wraps 256 key bytes.
    pub fn from_bytes(bytes: [u8; 256]) -> Self {
        AuthKey(bytes)
    }

    /// The key bytes.
    pub fn bytes(&self) -> &[u8; 256] {
        &self.0
    }

    /// `auth_key_id`: lower 64 bits of SHA1 of the key.
    pub fn id(&self) -> i64 {
        kdf::auth_key_id(&self.0)
    }

    /// `auth_key_aux_hash`: higher 64 bits of SHA1 of the key, as the little-endian `long` a
    /// retried `client_DH_inner_data` carries in `retry_id`.
    pub fn aux_hash(&self) -> i64 {
        i64::from_le_bytes(kdf::auth_key_aux_hash(&self.0))
    }
}

impl PartialEq for AuthKey {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        crate::crypto::rsa::constant_time_eq(&self.0, &other.0)
    }
}

impl Eq for AuthKey {}

impl std::fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthKey(id {:016x})", self.id() as u64)
    }
}

/// Why a key exchange failed. Each variant is a check the spec requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthKeyError {
    /// The peer's message is not valid TL of the expected type.
    #[error("malformed key exchange message: {0}")]
    Decode(#[from] DeserializeError),
    /// A message arrived that this step does not expect.
    #[error("unexpected {0} at this step of the key exchange")]
    Unexpected(&'static str),
    /// The exchange already finished or failed.
    #[error("the key exchange is over")]
    Finished,
    /// `nonce` differs from the one this exchange started with.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// `server_nonce` differs from the one `resPQ` gave.
    #[error("server_nonce mismatch")]
    ServerNonceMismatch,
    /// `new_nonce` (or its hash) does not match.
    #[error("new_nonce or new_nonce_hash mismatch")]
    NewNonceMismatch,
    /// None of the fingerprints the server offered is a key this client trusts.
    #[error("the server offers no RSA key this client trusts ({0:x?})")]
    NoTrustedKey(Vec<i64>),
    /// The client used an RSA key the server does not have.
    #[error("unknown RSA key fingerprint {0:016x}")]
    UnknownFingerprint(i64),
    /// `pq` is not a product of two primes the client can factor, or p and q do not match it.
    #[error("invalid pq: {0}")]
    Pq(&'static str),
    /// `pq` could not be factored.
    #[error(transparent)]
    Factor(#[from] FactorError),
    /// RSA decryption or `RSA_PAD` failed.
    #[error(transparent)]
    Rsa(#[from] RsaError),
    /// The client's `encrypted_data` decrypted to neither encoding a server accepts: not an
    /// `RSA_PAD` block (its hash does not match), and not a `SHA1(data) + data + padding` block
    /// either, for the reason given. Usually data encrypted for another key, or tampered with.
    #[error("encrypted p_q_inner_data is neither RSA_PAD nor SHA1 + data + padding: {0}")]
    EncryptedData(LegacyBlockError),
    /// A DH parameter or value failed its check.
    #[error(transparent)]
    Dh(#[from] DhError),
    /// The SHA1 inside an encrypted answer does not match its content (wrong key or tampering).
    #[error("hash of the encrypted answer does not match")]
    AnswerHash,
    /// Encrypted data is not a whole number of AES blocks.
    #[error("encrypted data of {0} bytes is not a multiple of 16")]
    BlockLength(usize),
    /// The server answered `server_DH_params_fail`.
    #[error("server refused the DH parameters (server_DH_params_fail)")]
    ServerDhParamsFail,
    /// The server answered `dh_gen_fail`.
    #[error("server refused the key (dh_gen_fail)")]
    DhGenFail,
    /// The server asked to retry more often than allowed.
    #[error("too many dh_gen_retry answers")]
    TooManyRetries,
    /// `retry_id` does not name the previous attempt's key.
    #[error("retry_id does not match the previous attempt")]
    RetryId,
    /// A temporary key was asked for with a lifetime that is not positive.
    #[error("temporary key lifetime of {0} seconds is not positive")]
    TempKeyLifetime(i32),
}

/// The SHA1 + data + padding layout of the encrypted DH messages: returns `data` (as decoded by
/// `decode`) after checking the SHA1 of exactly the bytes it consumed.
fn check_hashed<T: ferrogram_tl::Deserializable>(with_hash: &[u8]) -> Result<T, AuthKeyError> {
    use sha1::{Digest, Sha1};
    let (hash, rest) = with_hash.split_at(20.min(with_hash.len()));
    let mut reader = ferrogram_tl::Reader::new(rest);
    let value = T::deserialize(&mut reader)?;
    let used = reader.position();
    if rest.len() - used > 15 || Sha1::digest(&rest[..used]).as_slice() != hash {
        return Err(AuthKeyError::AnswerHash);
    }
    Ok(value)
}

/// SHA1(data) + data + random padding to a multiple of 16.
fn with_hash_and_padding(data: &[u8], random: &mut dyn crate::RandomSource) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    let mut out = Sha1::digest(data).to_vec();
    out.extend_from_slice(data);
    let pad = (16 - out.len() % 16) % 16;
    let mut padding = vec![0u8; pad];
    random.fill(&mut padding);
    out.extend_from_slice(&padding);
    out
}

/// `substr(new_nonce, 0, 8) XOR substr(server_nonce, 0, 8)`: the first server salt.
fn first_salt(new_nonce: &[u8; 32], server_nonce: &[u8; 16]) -> i64 {
    let mut salt = [0u8; 8];
    for i in 0..8 {
        salt[i] = new_nonce[i] ^ server_nonce[i];
    }
    i64::from_le_bytes(salt)
}

/// Lower 128 bits of SHA1(new_nonce): the `new_nonce_hash` of `server_DH_params_fail`.
fn new_nonce_hash_fail(new_nonce: &[u8; 32]) -> [u8; 16] {
    use sha1::{Digest, Sha1};
    let h = Sha1::digest(new_nonce);
    let mut out = [0u8; 16];
    out.copy_from_slice(&h[4..20]);
    out
}

/// Big-endian bytes of a number without leading zeros (how `pq`, `p`, `q` travel).
fn be_minimal(x: u64) -> Vec<u8> {
    let b = x.to_be_bytes();
    let skip = b.iter().take_while(|&&v| v == 0).count().min(7);
    b[skip..].to_vec()
}

fn be_u64(bytes: &[u8]) -> Result<u64, AuthKeyError> {
    if bytes.is_empty() || bytes.len() > 8 {
        return Err(AuthKeyError::Pq("not 1..=8 bytes"));
    }
    Ok(bytes.iter().fold(0u64, |acc, &b| acc << 8 | b as u64))
}

/// Both sides: the nonces an answer carries must be the exchange's own.
pub(crate) fn check_nonces(
    nonce: &[u8; 16],
    server_nonce: &[u8; 16],
    expected: &[u8; 16],
    expected_server: &[u8; 16],
) -> Result<(), AuthKeyError> {
    if nonce != expected {
        return Err(AuthKeyError::NonceMismatch);
    }
    if server_nonce != expected_server {
        return Err(AuthKeyError::ServerNonceMismatch);
    }
    Ok(())
}

/// Whole seconds of a Unix time (what the key exchange's `server_time` and checks work in).
fn unix_seconds(now: std::time::Duration) -> i64 {
    i64::try_from(now.as_secs()).unwrap_or(i64::MAX)
}
