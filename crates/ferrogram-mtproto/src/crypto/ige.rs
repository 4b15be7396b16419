//! AES-256 in Infinite Garble Extension mode, as MTProto uses it
//! (<https://core.telegram.org/mtproto/description#defining-aes-key-and-initialization-vector>).
//!
//! The 32-byte iv is two halves: the first plays the "previous ciphertext block", the second the
//! "previous plaintext block" (Telegram's convention, also tgcrypto's).

use aes::cipher::{generic_array::GenericArray, BlockDecrypt, BlockEncrypt, KeyInit};
use aes::Aes256;

/// The data to encrypt or decrypt is not a whole number of 16-byte blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("AES-IGE input of {0} bytes is not a multiple of 16")]
pub struct NotBlockAligned(pub usize);

fn xor16(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

fn halves(iv: &[u8; 32]) -> ([u8; 16], [u8; 16]) {
    let mut a = [0u8; 16];
    let mut b = [0u8; 16];
    a.copy_from_slice(&iv[..16]);
    b.copy_from_slice(&iv[16..]);
    (a, b)
}

/// Encrypts `data` in place.
pub fn encrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> Result<(), NotBlockAligned> {
    if data.len() % 16 != 0 {
        return Err(NotBlockAligned(data.len()));
    }
    let cipher = Aes256::new(GenericArray::from_slice(key));
    let (mut prev_c, mut prev_p) = halves(iv);
    for chunk in data.chunks_exact_mut(16) {
        let mut p = [0u8; 16];
        p.copy_from_slice(chunk);
        let mut block = p;
        xor16(&mut block, &prev_c);
        cipher.encrypt_block(GenericArray::from_mut_slice(&mut block));
        xor16(&mut block, &prev_p);
        chunk.copy_from_slice(&block);
        prev_c = block;
        prev_p = p;
    }
    Ok(())
}

/// Decrypts `data` in place.
pub fn decrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> Result<(), NotBlockAligned> {
    if data.len() % 16 != 0 {
        return Err(NotBlockAligned(data.len()));
    }
    let cipher = Aes256::new(GenericArray::from_slice(key));
    let (mut prev_c, mut prev_p) = halves(iv);
    for chunk in data.chunks_exact_mut(16) {
        let mut c = [0u8; 16];
        c.copy_from_slice(chunk);
        let mut block = c;
        xor16(&mut block, &prev_p);
        cipher.decrypt_block(GenericArray::from_mut_slice(&mut block));
        xor16(&mut block, &prev_c);
        chunk.copy_from_slice(&block);
        prev_c = c;
        prev_p = block;
    }
    Ok(())
}
