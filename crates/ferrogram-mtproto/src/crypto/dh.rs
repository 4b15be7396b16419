//! Diffie–Hellman of the key exchange with the checks of
//! <https://core.telegram.org/mtproto/auth_key> and
//! <https://core.telegram.org/mtproto/security_guidelines>: `dh_prime` a safe 2048-bit prime,
//! `g` in 2..=7 with its quadratic-residue condition, and `g_a`, `g_b` strictly inside
//! `(2^(2048-64), p - 2^(2048-64))`.

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::{One, Zero};
use std::sync::OnceLock;

use super::montgomery::{FixedBase, Modulus, OddModulus};

use crate::RandomSource;

/// The 2048-bit safe prime Telegram's servers use (from the worked example of
/// <https://core.telegram.org/mtproto/samples-auth_key>). Recognising it skips the primality
/// tests, which cost milliseconds.
pub const TELEGRAM_DH_PRIME_HEX: &str = "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b";

/// Telegram's prime as big-endian bytes.
pub fn telegram_dh_prime() -> Vec<u8> {
    (0..TELEGRAM_DH_PRIME_HEX.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&TELEGRAM_DH_PRIME_HEX[i..i + 2], 16).ok())
        .collect()
}

/// Why DH parameters or values were rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DhError {
    /// `dh_prime` is not 2048 bits long.
    #[error("dh_prime is not a 2048-bit number")]
    PrimeSize,
    /// `dh_prime` is not prime.
    #[error("dh_prime is not prime")]
    NotPrime,
    /// `(dh_prime - 1) / 2` is not prime.
    #[error("dh_prime is not a safe prime")]
    NotSafePrime,
    /// `g` is outside 2..=7.
    #[error("g = {0} is outside 2..=7")]
    GeneratorRange(i32),
    /// `g` does not generate the subgroup of order `(p-1)/2` for this `p`.
    #[error("g = {0} fails its residue condition for dh_prime")]
    GeneratorCondition(i32),
    /// `g_a` or `g_b` outside the safe range.
    #[error("g_a or g_b out of range")]
    ValueRange,
}

/// Checks `dh_prime` and `g`. `random` supplies the Miller–Rabin witnesses, so an adversarial
/// server cannot craft a pseudoprime for fixed bases.
pub fn check_dh_params(dh_prime: &[u8], g: i32, random: &mut dyn RandomSource) -> Result<(), DhError> {
    let p = BigUint::from_bytes_be(dh_prime);
    if p.bits() != 2048 {
        return Err(DhError::PrimeSize);
    }
    if !(2..=7).contains(&g) {
        return Err(DhError::GeneratorRange(g));
    }
    let residue_ok = match g {
        2 => (&p % 8u32) == BigUint::from(7u32),
        3 => (&p % 3u32) == BigUint::from(2u32),
        4 => true,
        5 => {
            let r = &p % 5u32;
            r == BigUint::from(1u32) || r == BigUint::from(4u32)
        }
        6 => {
            let r = &p % 24u32;
            r == BigUint::from(19u32) || r == BigUint::from(23u32)
        }
        _ => {
            let r = &p % 7u32;
            r == BigUint::from(3u32) || r == BigUint::from(5u32) || r == BigUint::from(6u32)
        }
    };
    if !residue_ok {
        return Err(DhError::GeneratorCondition(g));
    }
    if is_known_safe_prime(dh_prime) {
        return Ok(());
    }
    if !is_probable_prime(&p, 30, random) {
        return Err(DhError::NotPrime);
    }
    if !is_probable_prime(&((&p - 1u32) >> 1), 30, random) {
        return Err(DhError::NotSafePrime);
    }
    remember_safe_prime(dh_prime);
    Ok(())
}

/// How many verified primes [`check_dh_params`] remembers (servers change theirs rarely).
const VERIFIED_PRIMES_KEPT: usize = 8;

/// Safe primes that passed the full test in this process. The spec suggests caching the result
/// ("it makes sense to cache the result, so as not to repeat lengthy computations"): 60 Miller–Rabin
/// rounds on 2048-bit numbers take about a third of a second. Only primes that passed are kept, so
/// nothing an adversary sends can make a bad prime pass later.
static VERIFIED_PRIMES: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());

/// Whether `dh_prime` is Telegram's prime (embedded, checked when it was written down, as the spec
/// suggests) or one already verified by [`check_dh_params`].
pub fn is_known_safe_prime(dh_prime: &[u8]) -> bool {
    if dh_prime == telegram_prime_bytes() {
        return true;
    }
    // A poisoned lock only means another thread panicked mid-push: the list itself is still valid.
    let verified = VERIFIED_PRIMES.lock().unwrap_or_else(|e| e.into_inner());
    verified.iter().any(|known| known.as_slice() == dh_prime)
}

fn remember_safe_prime(dh_prime: &[u8]) {
    let mut verified = VERIFIED_PRIMES.lock().unwrap_or_else(|e| e.into_inner());
    if verified.len() >= VERIFIED_PRIMES_KEPT {
        verified.remove(0);
    }
    verified.push(dh_prime.to_vec());
}

/// Checks `1 < x < p - 1` and `2^(2048-64) <= x <= p - 2^(2048-64)` for `g_a`/`g_b`.
pub fn check_dh_value(value: &[u8], dh_prime: &[u8]) -> Result<(), DhError> {
    let x = BigUint::from_bytes_be(value);
    let p = BigUint::from_bytes_be(dh_prime);
    let one = BigUint::one();
    let bound = BigUint::one() << (2048 - 64);
    if x <= one || p < &bound + &one || x >= &p - &one || x < bound || x > &p - &bound {
        return Err(DhError::ValueRange);
    }
    Ok(())
}

/// `base^exp mod p`, as 256 big-endian bytes (0 if `p` is zero).
///
/// Runs on [`montgomery`](super::montgomery): Telegram's prime uses a cached [`Modulus`] and, for the small
/// generators `g = 2..=7` (`g^a`, `g^b`), a cached fixed-base table that needs no squarings;
/// another odd modulus of up to 2048 bits gets its Montgomery constants computed on the spot; an
/// even or longer one (never a valid `dh_prime`) falls back to `num-bigint`.
/// Not constant time (see [`montgomery`](super::montgomery)).
pub fn mod_pow(base: &[u8], exp: &[u8], p: &[u8]) -> [u8; 256] {
    #[cfg(feature = "fuzzing-cheap-crypto")]
    if let Some(out) = super::cheap::dh_pow(base, exp, p) {
        return out;
    }
    let mut out = [0u8; 256];
    if p == telegram_prime_bytes() {
        let modulus = telegram_modulus();
        let residue = match small_generator(base) {
            Some(g) => telegram_fixed_base(g).pow(modulus, exp),
            None => None,
        };
        let residue = residue.unwrap_or_else(|| modulus.pow(base, exp));
        modulus.write_be(&residue, &mut out);
        return out;
    }
    match OddModulus::from_be_bytes(p) {
        Ok(modulus) if modulus.byte_len() <= 256 => modulus.pow_into(base, exp, &mut out),
        _ => {
            let p = BigUint::from_bytes_be(p);
            let r = if p.is_zero() {
                BigUint::zero()
            } else {
                BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), &p)
            };
            let bytes = r.to_bytes_be();
            let len = bytes.len().min(256);
            out[256 - len..].copy_from_slice(&bytes[bytes.len() - len..]);
        }
    }
    out
}

/// `Some(g)` if `base` (big-endian, any length) is one of the generators 2..=7 the spec allows.
fn small_generator(base: &[u8]) -> Option<u8> {
    let (&last, rest) = base.split_last()?;
    (rest.iter().all(|&b| b == 0) && (2..=7).contains(&last)).then_some(last)
}

/// Telegram's prime as bytes, parsed once.
fn telegram_prime_bytes() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(telegram_dh_prime)
}

/// Telegram's prime with its Montgomery constants, computed once per process.
fn telegram_modulus() -> &'static Modulus<32> {
    static MODULUS: OnceLock<Modulus<32>> = OnceLock::new();
    // The constant is odd and 2048 bits long, so this cannot fail; the fallback keeps it panic-free.
    MODULUS.get_or_init(|| {
        Modulus::from_be_bytes(telegram_prime_bytes())
            .unwrap_or_else(|_| unreachable!("Telegram's prime is odd and 2048 bits"))
    })
}

/// The fixed-base table of `g` (2..=7) for Telegram's prime, for exponents of up to 2048 bits,
/// built on first use (about 2048 squarings, 88 KB) and kept for the process.
fn telegram_fixed_base(g: u8) -> &'static FixedBase<32> {
    static TABLES: [OnceLock<FixedBase<32>>; 6] = [const { OnceLock::new() }; 6];
    let index = usize::from(g.clamp(2, 7) - 2);
    TABLES[index].get_or_init(|| FixedBase::new(telegram_modulus(), &[g], 2048))
}

/// Miller–Rabin with `rounds` random witnesses.
pub fn is_probable_prime(n: &BigUint, rounds: usize, random: &mut dyn RandomSource) -> bool {
    let two = BigUint::from(2u32);
    if *n < two {
        return false;
    }
    for small in [2u32, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47] {
        if (n % small).is_zero() {
            return *n == BigUint::from(small);
        }
    }
    let n_minus_1 = n - 1u32;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    let byte_len = n.bits().div_ceil(8) as usize;
    'witness: for _ in 0..rounds {
        let mut buf = vec![0u8; byte_len];
        random.fill(&mut buf);
        let a = BigUint::from_bytes_be(&buf) % (n - 3u32) + 2u32;
        let mut x = a.modpow(&d, n);
        if x.is_one() || x == n_minus_1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

/// A random prime of exactly `bits` bits (top two bits set, so products have full length).
pub fn random_prime(bits: u64, random: &mut dyn RandomSource) -> BigUint {
    let bytes = bits.div_ceil(8) as usize;
    loop {
        let mut buf = vec![0u8; bytes];
        random.fill(&mut buf);
        let mut n = BigUint::from_bytes_be(&buf) >> (bytes as u64 * 8 - bits);
        n |= BigUint::from(3u32) << (bits - 2);
        n |= BigUint::one();
        if n.is_odd() && is_probable_prime(&n, 20, random) {
            return n;
        }
    }
}
