//! Key derivation of MTProto 2.0 (<https://core.telegram.org/mtproto/description>) and of the key
//! exchange (<https://core.telegram.org/mtproto/auth_key>).

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::Side;

/// `msg_key`: the middle 128 bits of SHA256(substr(auth_key, 88+x, 32) + plaintext), where the
/// plaintext includes its padding.
pub fn msg_key(auth_key: &[u8; 256], side: Side, plaintext: &[u8]) -> [u8; 16] {
    let x = side.x();
    let large = Sha256::new().chain_update(&auth_key[88 + x..120 + x]).chain_update(plaintext).finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&large[8..24]);
    key
}

/// The AES key and iv of one message, from the auth key and its `msg_key`.
pub fn message_key_iv(auth_key: &[u8; 256], side: Side, msg_key: &[u8; 16]) -> ([u8; 32], [u8; 32]) {
    let x = side.x();
    let a = Sha256::new().chain_update(msg_key).chain_update(&auth_key[x..x + 36]).finalize();
    let b = Sha256::new().chain_update(&auth_key[40 + x..76 + x]).chain_update(msg_key).finalize();
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&a[..8]);
    key[8..24].copy_from_slice(&b[8..24]);
    key[24..].copy_from_slice(&a[24..32]);
    let mut iv = [0u8; 32];
    iv[..8].copy_from_slice(&b[..8]);
    iv[8..24].copy_from_slice(&a[8..24]);
    iv[24..].copy_from_slice(&b[24..32]);
    (key, iv)
}

/// `auth_key_id`: the lower 64 bits of SHA1(auth_key), as the little-endian integer on the wire.
pub fn auth_key_id(auth_key: &[u8; 256]) -> i64 {
    let h = Sha1::digest(auth_key);
    let mut id = [0u8; 8];
    id.copy_from_slice(&h[12..20]);
    i64::from_le_bytes(id)
}

/// `auth_key_aux_hash`: the higher 64 bits of SHA1(auth_key), used in `new_nonce_hash`.
pub fn auth_key_aux_hash(auth_key: &[u8; 256]) -> [u8; 8] {
    let h = Sha1::digest(auth_key);
    let mut aux = [0u8; 8];
    aux.copy_from_slice(&h[..8]);
    aux
}

/// `tmp_aes_key` and `tmp_aes_iv` that encrypt `server_DH_inner_data` and `client_DH_inner_data`.
pub fn temp_key_iv(new_nonce: &[u8; 32], server_nonce: &[u8; 16]) -> ([u8; 32], [u8; 32]) {
    let ns = Sha1::new().chain_update(new_nonce).chain_update(server_nonce).finalize();
    let sn = Sha1::new().chain_update(server_nonce).chain_update(new_nonce).finalize();
    let nn = Sha1::new().chain_update(new_nonce).chain_update(new_nonce).finalize();
    let mut key = [0u8; 32];
    key[..20].copy_from_slice(&ns);
    key[20..].copy_from_slice(&sn[..12]);
    let mut iv = [0u8; 32];
    iv[..8].copy_from_slice(&sn[12..20]);
    iv[8..28].copy_from_slice(&nn);
    iv[28..].copy_from_slice(&new_nonce[..4]);
    (key, iv)
}

/// `new_nonce_hash1/2/3`: the lower 128 bits of SHA1(new_nonce + \[n\] + auth_key_aux_hash).
pub fn new_nonce_hash(new_nonce: &[u8; 32], n: u8, auth_key: &[u8; 256]) -> [u8; 16] {
    let h = Sha1::new().chain_update(new_nonce).chain_update([n]).chain_update(auth_key_aux_hash(auth_key)).finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&h[4..20]);
    out
}
