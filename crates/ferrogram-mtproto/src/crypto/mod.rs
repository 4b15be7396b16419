//! Cryptographic primitives of MTProto 2.0 (<https://core.telegram.org/mtproto/description>,
//! <https://core.telegram.org/mtproto/auth_key>), on RustCrypto's `aes`, `sha1` and `sha2`.
//!
//! - [`ige`]: AES-256-IGE, the mode MTProto encrypts messages with (no maintained crate offers it
//!   on `aes` 0.8 with in-place operation, so it is written here: a dozen lines over the block
//!   cipher).
//! - [`kdf`]: `msg_key` and the key/iv derivation of MTProto 2.0, the auth key id, and the
//!   temporary key of the key exchange.
//! - [`rsa`]: RSA public keys (PEM, fingerprints), `RSA_PAD` for `req_DH_params` and its inverse.
//! - [`pq`]: Pollard–Brent factorisation of the key exchange's `pq`.
//! - [`dh`]: Diffie–Hellman with every check the security guidelines require.

#[cfg(feature = "fuzzing-cheap-crypto")]
mod cheap;
pub mod ctr;
pub mod dh;
pub mod ige;
pub mod kdf;
pub mod montgomery;
pub mod pq;
pub mod rsa;
pub mod srp;

/// Which side produced a message: decides the `x` offset into the auth key (0 from the client,
/// 8 from the server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Client to server (`x = 0`).
    Client,
    /// Server to client (`x = 8`).
    Server,
}

impl Side {
    /// The `x` of the MTProto 2.0 key derivation.
    pub fn x(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 8,
        }
    }
}
