//! Factorisation of the key exchange's `pq` (a product of two primes below 2^32) with
//! Pollard–Brent (<https://core.telegram.org/mtproto/auth_key>, step 2), and the server's
//! generation of such a product.

use crate::RandomSource;

/// `pq` could not be split into two factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot factor pq = {0}")]
pub struct FactorError(pub u64);

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn mul_mod(a: u64, b: u64, m: u64) -> u64 {
    ((a as u128 * b as u128) % m as u128) as u64
}

/// Multiplication modulo an odd `n` in Montgomery form (values stand for `x * 2^64 mod n`):
/// the `u128 %` of [`mul_mod`] is a slow library call, and the factorisation's walk does little
/// else. The walk needs no conversion in or out: `x -> x^2 + c` on Montgomery values is still a
/// polynomial map, and gcds with `n` do not see the factor `2^64`, which is coprime to `n`.
struct Montgomery {
    n: u64,
    /// `-n^-1 mod 2^64`.
    n_neg_inv: u64,
}

impl Montgomery {
    fn new(n: u64) -> Self {
        // Newton's iteration doubles the correct low bits of an inverse each step (odd n).
        let mut inv = n;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n.wrapping_mul(inv)));
        }
        Montgomery { n, n_neg_inv: inv.wrapping_neg() }
    }

    /// `a * b * 2^-64 mod n`, for `a, b < n`.
    fn mul(&self, a: u64, b: u64) -> u64 {
        let t = a as u128 * b as u128;
        let m = (t as u64).wrapping_mul(self.n_neg_inv);
        let (sum, carry) = t.overflowing_add(m as u128 * self.n as u128);
        let reduced = (sum >> 64) | ((carry as u128) << 64);
        if reduced >= self.n as u128 {
            (reduced - self.n as u128) as u64
        } else {
            reduced as u64
        }
    }
}

/// Splits `pq` into `(p, q)` with `p <= q`, both greater than 1. Deterministic: the walk's
/// constants are tried in order, so the same `pq` always gives the same answer quickly.
pub fn factorize(pq: u64) -> Result<(u64, u64), FactorError> {
    if pq < 4 {
        return Err(FactorError(pq));
    }
    if pq.is_multiple_of(2) {
        return Ok((2, pq / 2));
    }
    let mont = Montgomery::new(pq);
    for c in 1..64u64 {
        let f = |x: u64| {
            let y = mont.mul(x, x) + c;
            if y >= pq {
                y - pq
            } else {
                y
            }
        };
        let (mut y, m) = (2u64, 128u64);
        let (mut g, mut r, mut q) = (1u64, 1u64, 1u64);
        let (mut x, mut ys) = (0u64, 0u64);
        while g == 1 {
            x = y;
            for _ in 0..r {
                y = f(y);
            }
            let mut k = 0;
            while k < r && g == 1 {
                ys = y;
                for _ in 0..m.min(r - k) {
                    y = f(y);
                    q = mont.mul(q, x.abs_diff(y));
                }
                g = gcd(q, pq);
                k += m;
            }
            r *= 2;
            if r > 1 << 40 {
                break;
            }
        }
        if g == pq || g == 0 {
            loop {
                ys = f(ys);
                g = gcd(x.abs_diff(ys), pq);
                if g > 1 {
                    break;
                }
            }
        }
        if g > 1 && g < pq {
            let (a, b) = (g, pq / g);
            return Ok((a.min(b), a.max(b)));
        }
    }
    Err(FactorError(pq))
}

/// Deterministic Miller–Rabin for 64-bit numbers (these bases are exact below 2^64).
pub fn is_prime_u64(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    for p in [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let (mut d, mut s) = (n - 1, 0);
    while d % 2 == 0 {
        d /= 2;
        s += 1;
    }
    let pow = |mut b: u64, mut e: u64| {
        let mut r = 1u64;
        b %= n;
        while e > 0 {
            if e & 1 == 1 {
                r = mul_mod(r, b, n);
            }
            b = mul_mod(b, b, n);
            e >>= 1;
        }
        r
    };
    'outer: for a in [2u64, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37] {
        let mut x = pow(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul_mod(x, x, n);
            if x == n - 1 {
                continue 'outer;
            }
        }
        return false;
    }
    true
}

/// The bit range `[2^LOW, 2^HIGH)` of the server's primes: Telegram's own are in `[2^29, 2^31)`.
#[cfg(not(feature = "fuzzing-cheap-crypto"))]
const PRIME_BITS: (u32, u32) = (29, 31);
/// With `fuzzing-cheap-crypto`, the server's primes are tiny, so the client factors `pq` in a
/// few steps rather than tens of thousands (the longest part of a key exchange once its
/// exponentiations are cheap).
#[cfg(feature = "fuzzing-cheap-crypto")]
const PRIME_BITS: (u32, u32) = (9, 11);

/// The server's `pq`: two distinct random primes in `[2^29, 2^31)` (Telegram's own are in that
/// range), returned as `(pq, p, q)` with `p < q`. Each candidate is 4 little-endian random bytes
/// with the top bit cleared, rejected unless in range and prime.
pub fn generate_pq(random: &mut dyn RandomSource) -> (u64, u64, u64) {
    let (low, high) = PRIME_BITS;
    let prime = |random: &mut dyn RandomSource| loop {
        let mut b = [0u8; 4];
        random.fill(&mut b);
        let candidate = u32::from_le_bytes(b) as u64 & ((1 << high) - 1);
        if candidate >= 1 << low && is_prime_u64(candidate) {
            return candidate;
        }
    };
    loop {
        let (a, b) = (prime(random), prime(random));
        if a != b {
            let (p, q) = (a.min(b), a.max(b));
            return (p * q, p, q);
        }
    }
}
