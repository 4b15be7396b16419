//! AES-256 in Infinite Garble Extension mode, as MTProto uses it
//! (<https://core.telegram.org/mtproto/description#defining-aes-key-and-initialization-vector>).
//!
//! The 32-byte iv is two halves: the first plays the "previous ciphertext block", the second the
//! "previous plaintext block" (Telegram's convention, also tgcrypto's).

use aes::cipher::consts::U16;
use aes::cipher::{
    generic_array::GenericArray, BlockBackend, BlockClosure, BlockDecrypt, BlockEncrypt, BlockSizeUser, KeyInit,
};
use aes::Aes256;

/// The data to encrypt or decrypt is not a whole number of 16-byte blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("AES-IGE input of {0} bytes is not a multiple of 16")]
pub struct NotBlockAligned(pub usize);

// Why the loops below look the way they do (measured by `benches/crypto.rs`, see
// docs/PERFORMANCE.md): the `aes` crate picks AES-NI or its software fallback on every
// `encrypt_block` call; `encrypt_with_backend` picks once and hands the chosen backend to a
// closure, the way the `cbc` crate drives it. Blocks are `u128`s so each XOR is one operation, and
// the chaining values live in registers rather than in arrays copied per block.

/// One IGE pass in either direction, run by the `aes` crate with its selected backend.
///
/// Encryption: `c_i = E(p_i ^ c_{i-1}) ^ p_{i-1}`; decryption: `p_i = D(c_i ^ p_{i-1}) ^ c_{i-1}`.
/// Both have the same shape, `out_i = F(in_i ^ x) ^ y` then `x = out_i`, `y = in_i`; only the
/// iv half each of `x` and `y` starts from differs.
struct IgePass<'a> {
    blocks: &'a mut [[u8; 16]],
    /// The value XORed into the cipher's input (previous ciphertext when encrypting).
    before: u128,
    /// The value XORed into the cipher's output (previous plaintext when encrypting).
    after: u128,
}

impl BlockSizeUser for IgePass<'_> {
    type BlockSize = U16;
}

impl BlockClosure for IgePass<'_> {
    fn call<B: BlockBackend<BlockSize = U16>>(self, backend: &mut B) {
        let (mut before, mut after) = (self.before, self.after);
        for bytes in self.blocks.iter_mut() {
            let input = u128::from_ne_bytes(*bytes);
            let mut block = GenericArray::from((input ^ before).to_ne_bytes());
            backend.proc_block((&mut block).into());
            let output = u128::from_ne_bytes(block.into()) ^ after;
            *bytes = output.to_ne_bytes();
            (before, after) = (output, input);
        }
    }
}

/// The iv halves as `u128`s: (previous ciphertext, previous plaintext).
fn halves(iv: &[u8; 32]) -> (u128, u128) {
    let (c, p) = iv.split_at(16);
    let mut first = [0u8; 16];
    let mut second = [0u8; 16];
    first.copy_from_slice(c);
    second.copy_from_slice(p);
    (u128::from_ne_bytes(first), u128::from_ne_bytes(second))
}

/// The data as whole 16-byte blocks.
fn blocks(data: &mut [u8]) -> Result<&mut [[u8; 16]], NotBlockAligned> {
    let len = data.len();
    match data.as_chunks_mut::<16>() {
        (blocks, []) => Ok(blocks),
        _ => Err(NotBlockAligned(len)),
    }
}

/// Encrypts `data` in place with AES-256 (MTProto's IGE).
pub fn encrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> Result<(), NotBlockAligned> {
    encrypt_with(&Aes256::new(GenericArray::from_slice(key)), data, iv)
}

/// Decrypts `data` in place with AES-256 (MTProto's IGE).
pub fn decrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> Result<(), NotBlockAligned> {
    decrypt_with(&Aes256::new(GenericArray::from_slice(key)), data, iv)
}

/// IGE encryption in place with any 128-bit block cipher (MTProto uses AES-256 through
/// [`encrypt`]; the published IGE test vectors use AES-128, which this lets the tests check).
pub fn encrypt_with<C: BlockEncrypt + BlockSizeUser<BlockSize = U16>>(
    cipher: &C,
    data: &mut [u8],
    iv: &[u8; 32],
) -> Result<(), NotBlockAligned> {
    let blocks = blocks(data)?;
    let (prev_c, prev_p) = halves(iv);
    cipher.encrypt_with_backend(IgePass { blocks, before: prev_c, after: prev_p });
    Ok(())
}

/// IGE decryption in place with any 128-bit block cipher (see [`encrypt_with`]).
pub fn decrypt_with<C: BlockDecrypt + BlockSizeUser<BlockSize = U16>>(
    cipher: &C,
    data: &mut [u8],
    iv: &[u8; 32],
) -> Result<(), NotBlockAligned> {
    let blocks = blocks(data)?;
    let (prev_c, prev_p) = halves(iv);
    cipher.decrypt_with_backend(IgePass { blocks, before: prev_p, after: prev_c });
    Ok(())
}
