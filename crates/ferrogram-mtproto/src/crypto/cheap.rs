//! Stand-ins for the key exchange's modular exponentiations, compiled only with the
//! `fuzzing-cheap-crypto` feature, so that a fuzzer runs the key exchange millions of times instead
//! of thousands: a 2048-bit exponentiation costs about a millisecond, these a microsecond.
//!
//! Every check, hash, AES-IGE layer, nonce and parser of the exchange runs as usual; only the
//! arithmetic is replaced, keeping what the two sides need to agree:
//!
//! - RSA (`RSA_PAD` and the older block of `req_DH_params`) is the identity: encrypting `m` gives
//!   `m`, decrypting `c` gives `c`, so the server still reads exactly what the client wrote.
//! - Diffie–Hellman's `base^exp mod p` is `(base + exp) mod p`: like exponentiation it commutes
//!   (`(g + a) + b = (g + b) + a`), so both sides still derive the same auth key, and the results
//!   are uniform below `p`, so the range checks on `g_a` and `g_b` pass as they do for real values.
//!
//! This breaks all security. It exists for the fuzz crate (`fuzz/`) only.

use num_bigint::BigUint;
use num_traits::Zero;

/// `m` as 256 big-endian bytes, the cheap "RSA" both ways; `None` if it does not fit.
pub(crate) fn rsa(m: &BigUint) -> Option<[u8; 256]> {
    let bytes = m.to_bytes_be();
    let mut out = [0u8; 256];
    out.get_mut(256usize.checked_sub(bytes.len())?..)?.copy_from_slice(&bytes);
    Some(out)
}

/// `(base + exp) mod p` as 256 big-endian bytes, the cheap `base^exp mod p`; `None` for a zero or
/// longer-than-2048-bit `p` (left to the real code).
pub(crate) fn dh_pow(base: &[u8], exp: &[u8], p: &[u8]) -> Option<[u8; 256]> {
    let p = BigUint::from_bytes_be(p);
    if p.is_zero() || p.bits() > 2048 {
        return None;
    }
    rsa(&((BigUint::from_bytes_be(base) + BigUint::from_bytes_be(exp)) % p))
}
