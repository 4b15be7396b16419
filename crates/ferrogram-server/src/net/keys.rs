//! The server's RSA key: generated on first start, kept in the store, and published as PEM in the
//! data dir so clients can trust it. The server salts' secret is derived from it, so salts stay
//! valid across restarts without a table of their own.

use std::path::Path;

use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_mtproto::RandomSource;
use ferrogram_tl::{Deserializable, Reader, Serializable};
use sha2::{Digest, Sha256};

use super::ServerError;
use crate::store::Store;

/// Where the public key goes in the data dir (the interop contract's file name).
pub const PUBLIC_KEY_FILE: &str = "server-public.pem";

/// The key in the store, or a new one (saved there) if the store has none.
pub fn load_or_create(store: &Store, random: &mut dyn RandomSource, now: i64) -> Result<RsaPrivateKey, ServerError> {
    if let Some(bytes) = store.rsa_key()? {
        return decode(&bytes);
    }
    let key = RsaPrivateKey::generate(random);
    store.set_rsa_key(&encode(&key), now)?;
    Ok(key)
}

/// The key's stored form: n, e and d as three TL `bytes`.
pub fn encode(key: &RsaPrivateKey) -> Vec<u8> {
    let (n, e, d) = key.to_components();
    let mut out = Vec::new();
    n.serialize(&mut out);
    e.serialize(&mut out);
    d.serialize(&mut out);
    out
}

/// Reads [`encode`]'s form back.
pub fn decode(bytes: &[u8]) -> Result<RsaPrivateKey, ServerError> {
    let mut r = Reader::new(bytes);
    let mut part = || Vec::<u8>::deserialize(&mut r).map_err(|e| ServerError::RsaKey(e.to_string()));
    let (n, e, d) = (part()?, part()?, part()?);
    RsaPrivateKey::from_components(&n, &e, &d).map_err(|e| ServerError::RsaKey(e.to_string()))
}

/// Writes the public key as PEM to `dir/server-public.pem`, atomically (a reader never sees half a
/// file: the interop harness polls for it).
pub fn publish(key: &RsaPrivateKey, dir: &Path) -> Result<(), ServerError> {
    let path = dir.join(PUBLIC_KEY_FILE);
    let tmp = dir.join(format!("{PUBLIC_KEY_FILE}.tmp"));
    let io = |e: std::io::Error| ServerError::Io { what: format!("writing {}", path.display()), source: e };
    std::fs::write(&tmp, key.public_key().to_pem()).map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)
}

/// The secret the server salts derive from: a hash of the private key, so it is as stable and as
/// secret as the key itself.
pub fn salt_secret(key: &RsaPrivateKey) -> [u8; 32] {
    let (_, _, d) = key.to_components();
    Sha256::new().chain_update(b"ferrogram server salts").chain_update(d).finalize().into()
}
