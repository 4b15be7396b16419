//! Fixed-width Montgomery modular exponentiation for the key exchange's 2048-bit Diffie–Hellman
//! (<https://core.telegram.org/mtproto/auth_key>, "DH exchange initiation") and the 1024-bit CRT
//! halves of the server's RSA decryption.
//!
//! Why it is written here: the key exchange costs four 2048-bit exponentiations with 2048-bit
//! exponents, and no maintained pure-Rust crate offers a fast *variable-time* fixed-width one.
//! `num-bigint`'s `modpow` (heap-allocated digits, a generic Montgomery loop) took about 4.7 ms each
//! on our machine, `crypto-bigint`'s constant-time `pow` 5.1 ms. This module works on stack arrays
//! of `N` 64-bit limbs with `u128` accumulation and no `unsafe`:
//!
//! - multiplication and squaring by product scanning with the reduction interleaved (FIPS,
//!   "finely integrated product scanning", Koç–Acar–Kaliski 1996): each result limb is one column
//!   sum in registers; squaring computes each cross product once and doubles it, about half the
//!   multiplies of the product step;
//! - `n' = -n^-1 mod 2^64` by Newton iteration, `R mod n` and `R^2 mod n` (`R = 2^(64N)`) computed
//!   once per [`Modulus`] (callers cache the modulus: `dh` keeps Telegram's prime in a `OnceLock`,
//!   `rsa` keeps its two primes in the private key);
//! - sliding-window exponentiation (window of 1 to 6 bits by exponent length) for any base, and
//!   for a base known in advance ([`FixedBase`], `g` of Diffie–Hellman) the Lim–Lee comb over
//!   precomputed tables: 63 squarings and 256 multiplications instead of 2048 squarings and
//!   about 300 multiplications for a 2048-bit exponent.
//!
//! **Not constant time.** The running time depends on the exponent's bits (window choices, skipped
//! digits) and on final conditional subtractions, as `num-bigint`'s `modpow`, which this replaces,
//! did too. The exponents are secrets (DH `a`/`b`, RSA `d`), so a peer who can time many operations
//! precisely might learn something about them; timing side channels are outside the threat model of
//! a library and a local test server, and this keeps the status quo. Do not present it as
//! constant-time.

/// The largest supported modulus, in 64-bit limbs (2048 bits).
pub const MAX_LIMBS: usize = 32;

/// Why a modulus cannot be used for Montgomery arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ModulusError {
    /// The modulus is even: Montgomery reduction needs `n` invertible modulo `2^64`.
    #[error("Montgomery arithmetic needs an odd modulus")]
    Even,
    /// The modulus is zero (arithmetic modulo zero is undefined).
    #[error("the modulus is zero")]
    Zero,
    /// The modulus has more bits than the chosen width holds (at most [`MAX_LIMBS`] limbs).
    #[error("a modulus of {bits} bits does not fit in {limbs} 64-bit limbs")]
    TooLong {
        /// The modulus's length in bits.
        bits: usize,
        /// The limb count it had to fit in.
        limbs: usize,
    },
}

/// A three-word column sum for product scanning: up to `2^64` products of two words fit.
#[derive(Default, Clone, Copy)]
struct Accumulator {
    /// The low two words.
    low: u128,
    /// The third word (carries out of `low`).
    high: u64,
}

impl Accumulator {
    /// `self += x * y`.
    #[inline(always)]
    fn add_product(&mut self, x: u64, y: u64) {
        let (sum, carry) = self.low.overflowing_add(x as u128 * y as u128);
        self.low = sum;
        self.high += carry as u64;
    }

    /// `self += other`.
    #[inline(always)]
    fn add(&mut self, other: &Accumulator) {
        let (sum, carry) = self.low.overflowing_add(other.low);
        self.low = sum;
        self.high += other.high + carry as u64;
    }

    /// `self += word`.
    #[inline(always)]
    fn add_word(&mut self, word: u64) {
        let (sum, carry) = self.low.overflowing_add(word as u128);
        self.low = sum;
        self.high += carry as u64;
    }

    /// The lowest word.
    #[inline(always)]
    fn low(&self) -> u64 {
        self.low as u64
    }

    /// Returns the lowest word and shifts the sum down by one word (on to the next column).
    #[inline(always)]
    fn shift_word(&mut self) -> u64 {
        let word = self.low as u64;
        self.low = (self.low >> 64) | (self.high as u128) << 64;
        self.high = 0;
        word
    }
}

/// `sum xs[t] * ys[len - 1 - t]` (one column of a product) added to `acc`, two products per step
/// into two independent accumulators so their carry chains overlap.
#[inline(always)]
fn add_column(acc: &mut Accumulator, xs: &[u64], ys: &[u64]) {
    let mut second = Accumulator::default();
    let mut x_pairs = xs.chunks_exact(2);
    let mut y_pairs = ys.rchunks_exact(2);
    for (x, y) in (&mut x_pairs).zip(&mut y_pairs) {
        acc.add_product(x[0], y[1]);
        second.add_product(x[1], y[0]);
    }
    if let (Some(&x), Some(&y)) = (x_pairs.remainder().first(), y_pairs.remainder().first()) {
        acc.add_product(x, y);
    }
    acc.add(&second);
}

/// Little-endian limbs of a big-endian byte string that fits in `N` limbs (the caller checks).
fn limbs_from_be<const N: usize>(bytes: &[u8]) -> [u64; N] {
    let mut out = [0u64; N];
    for (i, chunk) in bytes.rchunks(8).enumerate().take(N) {
        out[i] = chunk.iter().fold(0u64, |acc, &b| acc << 8 | b as u64);
    }
    out
}

/// `bytes` without its leading zero bytes.
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// Writes `limbs` big-endian into `out`, right-aligned; limbs beyond `out` are dropped (callers
/// size `out` to hold any residue of their modulus).
fn write_be(limbs: &[u64], out: &mut [u8]) {
    let len = out.len();
    for (i, byte) in out.iter_mut().enumerate() {
        let from_right = len - 1 - i;
        *byte = limbs.get(from_right / 8).map_or(0, |limb| (limb >> (8 * (from_right % 8))) as u8);
    }
}

/// `a >= b` for equal-width numbers.
fn geq<const N: usize>(a: &[u64; N], b: &[u64; N]) -> bool {
    for i in (0..N).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// `a - b` modulo `2^(64N)`.
fn sub<const N: usize>(a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    let mut out = [0u64; N];
    let mut borrow = false;
    for i in 0..N {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(borrow as u64);
        out[i] = d;
        borrow = b1 | b2;
    }
    out
}

/// An exponent as big-endian bytes, read bit by bit from the least significant end.
struct Exponent<'a> {
    bytes: &'a [u8],
    bits: usize,
}

impl<'a> Exponent<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let bytes = strip_leading_zeros(bytes);
        let bits = bytes.first().map_or(0, |&top| 8 * bytes.len() - top.leading_zeros() as usize);
        Exponent { bytes, bits }
    }

    /// Bit `i` (0 = least significant); zero past the end.
    fn bit(&self, i: usize) -> bool {
        let from_right = i / 8;
        from_right < self.bytes.len() && (self.bytes[self.bytes.len() - 1 - from_right] >> (i % 8)) & 1 == 1
    }

    /// Bits `low .. low + width` as a number (`width` <= 8).
    fn bits_at(&self, low: usize, width: usize) -> usize {
        (0..width).fold(0, |acc, k| acc | (self.bit(low + k) as usize) << k)
    }
}

/// A residue in Montgomery form (`x * R mod n`) for a [`Modulus`] of `N` limbs.
pub type Residue<const N: usize> = [u64; N];

/// An odd modulus of at most `N` 64-bit limbs with its Montgomery constants, ready for many
/// exponentiations (computing the constants costs about a dozen squarings: cache the value).
#[derive(Clone)]
pub struct Modulus<const N: usize> {
    /// The modulus, little-endian limbs.
    n: [u64; N],
    /// `-n^-1 mod 2^64`.
    n0_inv: u64,
    /// `R mod n`: 1 in Montgomery form.
    one: [u64; N],
    /// `R^2 mod n`: multiplying by it converts into Montgomery form.
    r2: [u64; N],
    /// Length of the modulus in bytes (the width of results written as bytes).
    byte_len: usize,
}

impl<const N: usize> std::fmt::Debug for Modulus<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Modulus<{N}>({} bytes)", self.byte_len)
    }
}

impl<const N: usize> Modulus<N> {
    /// A modulus from big-endian bytes (leading zeros allowed). It must be odd and fit in `N` limbs.
    pub fn from_be_bytes(bytes: &[u8]) -> Result<Self, ModulusError> {
        let bytes = strip_leading_zeros(bytes);
        let Some(&top) = bytes.first() else { return Err(ModulusError::Zero) };
        if bytes.len() > 8 * N {
            return Err(ModulusError::TooLong { bits: 8 * bytes.len() - top.leading_zeros() as usize, limbs: N });
        }
        let n = limbs_from_be::<N>(bytes);
        if n[0] & 1 == 0 {
            return Err(ModulusError::Even);
        }
        let mut modulus =
            Modulus { n, n0_inv: neg_inverse_mod_2_64(n[0]), one: [0; N], r2: [0; N], byte_len: bytes.len() };
        modulus.one = modulus.r_mod_n();
        // R^2 mod n is 2^(64N) in Montgomery form: raise 2 (in Montgomery form, 2R mod n) to 64N
        // inside the Montgomery domain, which only needs `one`.
        let two = modulus.add(&modulus.one, &modulus.one);
        let exponent = ((64 * N) as u64).to_be_bytes();
        modulus.r2 = modulus.pow_montgomery(&two, &Exponent::new(&exponent));
        Ok(modulus)
    }

    /// Length of the modulus in bytes.
    pub fn byte_len(&self) -> usize {
        self.byte_len
    }

    /// `R mod n` by doubling: start from the modulus's top bit, `2^(bits-1) < n`, and double
    /// (with a conditional subtraction) up to `2^(64N)`.
    fn r_mod_n(&self) -> [u64; N] {
        let top = (0..N).rev().find(|&i| self.n[i] != 0).unwrap_or(0);
        let bits = 64 * top + 64 - self.n[top].leading_zeros() as usize;
        let mut x = [0u64; N];
        if bits == 1 {
            return x; // n = 1: everything is 0
        }
        x[(bits - 1) / 64] = 1 << ((bits - 1) % 64);
        for _ in bits - 1..64 * N {
            x = self.add(&x, &x);
        }
        x
    }

    /// `a + b mod n` for `a, b < n`.
    fn add(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let mut sum = [0u64; N];
        let mut carry = 0u64;
        for i in 0..N {
            let s = a[i] as u128 + b[i] as u128 + carry as u128;
            sum[i] = s as u64;
            carry = (s >> 64) as u64;
        }
        self.reduce_once(sum, carry)
    }

    /// `t + carry * R` minus `n` if that is at least `n`, for inputs below `2n`.
    #[inline(always)]
    fn reduce_once(&self, t: [u64; N], carry: u64) -> [u64; N] {
        if carry != 0 || geq(&t, &self.n) {
            sub(&t, &self.n)
        } else {
            t
        }
    }

    /// Montgomery product `a * b / R mod n` by product scanning with the reduction interleaved
    /// (FIPS, "finely integrated product scanning", Koç–Acar–Kaliski 1996): result limb by result
    /// limb, every product of that column summed into a three-word accumulator that stays in
    /// registers, so no intermediate array is written back and forth. Needs `a < R` and `b < n`:
    /// the result `(a b + m n) / R` is then below `2n`, and one subtraction reduces it.
    #[inline]
    pub fn mul(&self, a: &Residue<N>, b: &Residue<N>) -> Residue<N> {
        let n = &self.n;
        let mut m = [0u64; N];
        let mut out = [0u64; N];
        let mut acc = Accumulator::default();
        for i in 0..N {
            add_column(&mut acc, &a[..=i], &b[..=i]);
            add_column(&mut acc, &m[..i], &n[1..=i]);
            // The multiple of n that clears this column's low word.
            m[i] = acc.low().wrapping_mul(self.n0_inv);
            acc.add_product(m[i], n[0]);
            acc.shift_word();
        }
        for i in N..2 * N - 1 {
            let s = i + 1 - N;
            add_column(&mut acc, &a[s..], &b[s..]);
            add_column(&mut acc, &m[s..], &n[s..]);
            out[i - N] = acc.shift_word();
        }
        out[N - 1] = acc.shift_word();
        self.reduce_once(out, acc.low())
    }

    /// Montgomery square `a^2 / R mod n` for `a < n`: the full square first, each cross product
    /// `a_i a_j` (`i < j`) computed once row by row, doubled, plus the diagonal squares (about half
    /// the multiplications of the product step of [`mul`](Self::mul)); then a product-scanning
    /// Montgomery reduction of the `2N`-limb square.
    #[inline]
    pub fn square(&self, a: &Residue<N>) -> Residue<N> {
        let mut wide = [[0u64; N]; 2];
        let t = wide.as_flattened_mut();
        // Cross products a_i a_j, i < j, row by row.
        for i in 0..N - 1 {
            let ai = a[i];
            let mut carry = 0u64;
            for (tk, &aj) in t[2 * i + 1..i + N].iter_mut().zip(&a[i + 1..]) {
                let s = *tk as u128 + ai as u128 * aj as u128 + carry as u128;
                *tk = s as u64;
                carry = (s >> 64) as u64;
            }
            t[i + N] = carry;
        }
        // Double them and add the diagonal squares.
        let mut top_bit = 0u64;
        let mut carry = 0u64;
        for (pair, &ai) in t.chunks_exact_mut(2).zip(a.iter()) {
            let low = pair[0] << 1 | top_bit;
            let high = pair[1] << 1 | pair[0] >> 63;
            top_bit = pair[1] >> 63;
            let sq = ai as u128 * ai as u128;
            let s = low as u128 + (sq as u64) as u128 + carry as u128;
            pair[0] = s as u64;
            let s2 = high as u128 + (sq >> 64) + (s >> 64);
            pair[1] = s2 as u64;
            carry = (s2 >> 64) as u64;
        }
        self.reduce_wide(t)
    }

    /// Montgomery reduction `t / R mod n` of a `2N`-limb `t < nR`, by product scanning.
    #[inline(always)]
    fn reduce_wide(&self, t: &[u64]) -> Residue<N> {
        let n = &self.n;
        let mut m = [0u64; N];
        let mut out = [0u64; N];
        let mut acc = Accumulator::default();
        for k in 0..N {
            acc.add_word(t[k]);
            add_column(&mut acc, &m[..k], &n[1..=k]);
            m[k] = acc.low().wrapping_mul(self.n0_inv);
            acc.add_product(m[k], n[0]);
            acc.shift_word();
        }
        for k in N..2 * N - 1 {
            acc.add_word(t[k]);
            let s = k + 1 - N;
            add_column(&mut acc, &m[s..], &n[s..]);
            out[k - N] = acc.shift_word();
        }
        acc.add_word(t[2 * N - 1]);
        out[N - 1] = acc.shift_word();
        self.reduce_once(out, acc.low())
    }

    /// Converts `x mod n` into Montgomery form; `x` may be any length (even longer than the
    /// modulus, like an RSA ciphertext reduced modulo a CRT prime): its `N`-limb chunks are folded
    /// in from the most significant, `M(acc * R + chunk) = M(acc) * R^2 / R + M(chunk)`.
    pub fn to_montgomery(&self, x_be: &[u8]) -> Residue<N> {
        let x = strip_leading_zeros(x_be);
        let mut acc = [0u64; N];
        let chunk_bytes = 8 * N;
        let first = x.len() % chunk_bytes;
        let chunks = (first > 0).then(|| &x[..first]).into_iter().chain(x[first..].chunks(chunk_bytes));
        for chunk in chunks {
            // mul(chunk, r2) = chunk * R mod n, valid for any chunk < R since r2 < n.
            let chunk = self.mul(&limbs_from_be::<N>(chunk), &self.r2);
            acc = self.add(&self.mul(&acc, &self.r2), &chunk);
        }
        acc
    }

    /// Converts out of Montgomery form: the plain residue, `0 <= x < n`, as limbs.
    pub fn from_montgomery(&self, x: &Residue<N>) -> [u64; N] {
        let mut unit = [0u64; N];
        unit[0] = 1;
        // a < n times 1: REDC gives a / R mod n, fully reduced.
        self.mul(x, &unit)
    }

    /// Writes a Montgomery-form residue as a big-endian plain number into `out`, right-aligned
    /// (`out` should be at least [`byte_len`](Self::byte_len) long).
    pub fn write_be(&self, x: &Residue<N>, out: &mut [u8]) {
        write_be(&self.from_montgomery(x), out);
    }

    /// `base^exp mod n` by sliding windows. `base` and `exp` are big-endian, of any length.
    /// Returns the result in Montgomery form (see [`write_be`](Self::write_be)).
    pub fn pow(&self, base_be: &[u8], exp_be: &[u8]) -> Residue<N> {
        let base = self.to_montgomery(base_be);
        self.pow_montgomery(&base, &Exponent::new(exp_be))
    }

    /// `base^exp mod n` as big-endian bytes of the modulus's length.
    pub fn pow_to_be_bytes(&self, base_be: &[u8], exp_be: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; self.byte_len];
        self.write_be(&self.pow(base_be, exp_be), &mut out);
        out
    }

    /// Left-to-right sliding-window exponentiation of a Montgomery-form base (< n).
    fn pow_montgomery(&self, base: &Residue<N>, exp: &Exponent<'_>) -> Residue<N> {
        let window = match exp.bits {
            0..=23 => 1,
            24..=79 => 3,
            80..=239 => 4,
            240..=671 => 5,
            _ => 6,
        };
        // Odd powers base^1, base^3, .. base^(2^window - 1).
        let mut odd_powers = [[0u64; N]; 1 << (6 - 1)];
        odd_powers[0] = *base;
        let table_len = 1usize << (window - 1);
        if table_len > 1 {
            let base_squared = self.square(base);
            for k in 1..table_len {
                odd_powers[k] = self.mul(&odd_powers[k - 1], &base_squared);
            }
        }
        let mut acc = self.one;
        let mut started = false;
        let mut i = exp.bits;
        while i > 0 {
            let top = i - 1;
            if !exp.bit(top) {
                if started {
                    acc = self.square(&acc);
                }
                i -= 1;
                continue;
            }
            // The longest window starting at `top`, at most `window` bits, ending on a one bit.
            let mut low = top.saturating_sub(window - 1);
            while !exp.bit(low) {
                low += 1;
            }
            let width = top - low + 1;
            let digit = exp.bits_at(low, width);
            if started {
                for _ in 0..width {
                    acc = self.square(&acc);
                }
                acc = self.mul(&acc, &odd_powers[digit >> 1]);
            } else {
                acc = odd_powers[digit >> 1];
                started = true;
            }
            i = low;
        }
        acc
    }
}

/// `-n0^-1 mod 2^64` for odd `n0`, by Newton's iteration `x <- x (2 - n0 x)`, which doubles the
/// number of correct low bits each step (`x = n0` is right to 3 bits: odd squares are 1 mod 8).
fn neg_inverse_mod_2_64(n0: u64) -> u64 {
    let mut x = n0;
    for _ in 0..5 {
        x = x.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(x)));
    }
    x.wrapping_neg()
}

/// Precomputed powers of one base for one modulus, for exponentiations with that base (the `g` of
/// Diffie–Hellman), by the Lim–Lee comb (C. H. Lim, P. J. Lee, "More flexible exponentiation with
/// precomputation", CRYPTO '94).
///
/// An exponent of up to `L` bits is cut into 8 rows (`COMB_TEETH`) of `a = L / 8` bits, each row
/// into 4 blocks (`COMB_TABLES`) of `b = a / 4` bits. Table `j` holds, for every 8-bit pattern `u`,
/// the product of `g^(2^(i a + j b))` over the bits `i` set in `u`. Then `g^e` is `b` steps of one
/// squaring and one table multiplication per block: for 2048 bits, 63 squarings and 256
/// multiplications instead of 2048 squarings and ~300 multiplications (4 tables of 255 residues,
/// 256 KB for a 2048-bit modulus).
#[derive(Clone)]
pub struct FixedBase<const N: usize> {
    /// `tables[j][u - 1]` for `u = 1 .. 2^COMB_TEETH`, in Montgomery form.
    tables: Vec<Vec<Residue<N>>>,
    /// Bits per block (`b`): the number of comb steps.
    block_bits: usize,
}

/// Rows of the comb: bits read at once per table lookup.
const COMB_TEETH: usize = 8;
/// Blocks per row: tables, each looked up once per comb step.
const COMB_TABLES: usize = 4;

impl<const N: usize> FixedBase<N> {
    /// Precomputes the comb tables of `base_be` modulo `modulus` for exponents of up to
    /// `max_exp_bits` bits (once: about `max_exp_bits` squarings and 1020 multiplications).
    pub fn new(modulus: &Modulus<N>, base_be: &[u8], max_exp_bits: usize) -> Self {
        let block_bits = max_exp_bits.div_ceil(COMB_TEETH * COMB_TABLES).max(1);
        let row_bits = block_bits * COMB_TABLES;
        // g^(2^t) for every t that starts a row block: t = i * row_bits + j * block_bits.
        let mut power = modulus.to_montgomery(base_be);
        let mut block_powers = Vec::with_capacity(COMB_TEETH * COMB_TABLES);
        for t in 0..COMB_TEETH * row_bits {
            if t % block_bits == 0 {
                block_powers.push(power);
            }
            power = modulus.square(&power);
        }
        let tables = (0..COMB_TABLES)
            .map(|j| {
                let mut table: Vec<Residue<N>> = Vec::with_capacity((1 << COMB_TEETH) - 1);
                for u in 1usize..1 << COMB_TEETH {
                    // u = (u without its top bit) + top bit: one multiplication per entry.
                    let top = usize::BITS as usize - 1 - u.leading_zeros() as usize;
                    let tooth = &block_powers[top * COMB_TABLES + j];
                    let rest = u & !(1 << top);
                    let entry = if rest == 0 { *tooth } else { modulus.mul(&table[rest - 1], tooth) };
                    table.push(entry);
                }
                table
            })
            .collect();
        FixedBase { tables, block_bits }
    }

    /// The longest exponent, in bits, this table serves.
    pub fn max_exp_bits(&self) -> usize {
        self.block_bits * COMB_TABLES * COMB_TEETH
    }

    /// `base^exp mod n` in Montgomery form, or `None` if `exp` is longer than
    /// [`max_exp_bits`](Self::max_exp_bits). `modulus` must be the one the table was built for.
    pub fn pow(&self, modulus: &Modulus<N>, exp_be: &[u8]) -> Option<Residue<N>> {
        let exp = Exponent::new(exp_be);
        if exp.bits > self.max_exp_bits() {
            return None;
        }
        let row_bits = self.block_bits * COMB_TABLES;
        let mut acc: Option<Residue<N>> = None;
        for k in (0..self.block_bits).rev() {
            if let Some(a) = &acc {
                acc = Some(modulus.square(a));
            }
            for (j, table) in self.tables.iter().enumerate() {
                let u = (0..COMB_TEETH)
                    .fold(0usize, |u, i| u | (exp.bit(i * row_bits + j * self.block_bits + k) as usize) << i);
                if u != 0 {
                    let entry = &table[u - 1];
                    acc = Some(match &acc {
                        Some(a) => modulus.mul(a, entry),
                        None => *entry,
                    });
                }
            }
        }
        Some(acc.unwrap_or(modulus.one))
    }
}

macro_rules! odd_modulus_sizes {
    ($($variant:ident = $limbs:literal),+ $(,)?) => {
        /// An odd modulus of any length up to 2048 bits, held at the smallest of a few fixed
        /// widths that fits it (each width is a separate monomorphised [`Modulus`]).
        #[derive(Clone, Debug)]
        pub enum OddModulus {
            $(
                #[doc = concat!("A modulus of at most ", stringify!($limbs), " limbs.")]
                $variant(Modulus<$limbs>),
            )+
        }

        impl OddModulus {
            /// A modulus from big-endian bytes: odd, nonzero, at most 2048 bits.
            pub fn from_be_bytes(bytes: &[u8]) -> Result<Self, ModulusError> {
                let bytes = strip_leading_zeros(bytes);
                let limbs = bytes.len().div_ceil(8);
                $(
                    if limbs <= $limbs {
                        return Modulus::<$limbs>::from_be_bytes(bytes).map(OddModulus::$variant);
                    }
                )+
                let bits = 8 * bytes.len() - bytes.first().map_or(0, |b| b.leading_zeros() as usize);
                Err(ModulusError::TooLong { bits, limbs: MAX_LIMBS })
            }

            /// Length of the modulus in bytes.
            pub fn byte_len(&self) -> usize {
                match self {
                    $(OddModulus::$variant(m) => m.byte_len(),)+
                }
            }

            /// `base^exp mod n`, written big-endian and right-aligned into `out` (which should
            /// hold [`byte_len`](Self::byte_len) bytes; longer is zero-padded on the left).
            pub fn pow_into(&self, base_be: &[u8], exp_be: &[u8], out: &mut [u8]) {
                match self {
                    $(OddModulus::$variant(m) => m.write_be(&m.pow(base_be, exp_be), out),)+
                }
            }

            /// `base^exp mod n` as big-endian bytes of the modulus's length.
            pub fn pow(&self, base_be: &[u8], exp_be: &[u8]) -> Vec<u8> {
                let mut out = vec![0u8; self.byte_len()];
                self.pow_into(base_be, exp_be, &mut out);
                out
            }
        }
    };
}

odd_modulus_sizes!(L1 = 1, L2 = 2, L4 = 4, L8 = 8, L12 = 12, L16 = 16, L24 = 24, L32 = 32);

/// `base^exp mod modulus` for an odd modulus of up to 2048 bits, as big-endian bytes of the
/// modulus's length. Sets up the Montgomery constants on every call (about a dozen squarings);
/// keep an [`OddModulus`] or a [`Modulus`] to exponentiate repeatedly with one modulus.
pub fn mod_pow(base_be: &[u8], exp_be: &[u8], modulus_be: &[u8]) -> Result<Vec<u8>, ModulusError> {
    Ok(OddModulus::from_be_bytes(modulus_be)?.pow(base_be, exp_be))
}
