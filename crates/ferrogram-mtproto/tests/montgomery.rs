//! The Montgomery exponentiation against `num_bigint::BigUint::modpow` (an independent
//! implementation): random odd moduli of 64..2048 bits, bases below and above the modulus,
//! exponents 0, 1, all ones and of random lengths, Telegram's prime, the fixed-base tables, and the
//! edge cases (even modulus, zero, modulus 1, too long).

use ferrogram_mtproto::crypto::dh;
use ferrogram_mtproto::crypto::montgomery::{self, FixedBase, Modulus, ModulusError, OddModulus};
use num_bigint::BigUint;

/// A deterministic byte source (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A random number of exactly `bits` bits (top bit set), big-endian.
    fn number(&mut self, bits: usize) -> Vec<u8> {
        let len = bits.div_ceil(8);
        let mut v = self.bytes(len);
        let extra = 8 * len - bits;
        v[0] &= 0xff >> extra;
        v[0] |= 0x80 >> extra;
        v
    }
}

/// What num-bigint says, as big-endian bytes of `len`.
fn reference(base: &[u8], exp: &[u8], modulus: &[u8], len: usize) -> Vec<u8> {
    let r = BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), &BigUint::from_bytes_be(modulus));
    let bytes = r.to_bytes_be();
    let mut out = vec![0u8; len - bytes.len().min(len)];
    out.extend_from_slice(&bytes);
    out
}

fn modulus_len(modulus: &[u8]) -> usize {
    modulus.iter().position(|&b| b != 0).map_or(0, |first| modulus.len() - first)
}

/// The interesting exponents for a modulus of `bits` bits.
fn exponents(rng: &mut Rng, bits: usize) -> Vec<Vec<u8>> {
    let mut exps = vec![vec![], vec![0], vec![1], vec![2], vec![0, 0, 1], vec![0xff; bits.div_ceil(8)], vec![0x80; 3]];
    for _ in 0..3 {
        let len = 1 + rng.below(bits.div_ceil(8) + 8);
        exps.push(rng.bytes(len));
    }
    exps
}

/// The interesting bases for a modulus: 0, 1, 2, small, modulus - 1, the modulus itself, random
/// below it, random above it (longer than the modulus too).
fn bases(rng: &mut Rng, modulus: &[u8]) -> Vec<Vec<u8>> {
    let n = BigUint::from_bytes_be(modulus);
    let mut out =
        vec![vec![], vec![1], vec![2], vec![7], (&n - 1u32).to_bytes_be(), modulus.to_vec(), (&n + 1u32).to_bytes_be()];
    let len = modulus.len();
    out.push((BigUint::from_bytes_be(&rng.bytes(len)) % &n).to_bytes_be());
    out.push(rng.bytes(len));
    let longer = len + 1 + rng.below(300);
    out.push(rng.bytes(longer));
    out
}

#[test]
fn agrees_with_num_bigint_on_random_odd_moduli() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut cases = 0;
    let mut sizes: Vec<usize> = vec![64, 65, 127, 128, 129, 512, 767, 768, 1023, 1024, 1025, 1536, 2047, 2048];
    sizes.extend((0..40).map(|_| 64 + rng.below(2048 - 64 + 1)));
    for bits in sizes {
        let mut modulus = rng.number(bits);
        *modulus.last_mut().unwrap() |= 1;
        let odd = OddModulus::from_be_bytes(&modulus).expect("odd modulus accepted");
        assert_eq!(odd.byte_len(), modulus.len());
        for exp in exponents(&mut rng, bits) {
            for base in bases(&mut rng, &modulus) {
                let expected = reference(&base, &exp, &modulus, modulus.len());
                assert_eq!(
                    odd.pow(&base, &exp),
                    expected,
                    "bits {bits}, base {base:02x?}, exp {exp:02x?}, modulus {modulus:02x?}"
                );
                cases += 1;
            }
        }
    }
    assert!(cases > 3000, "{cases} cases");
}

#[test]
fn agrees_with_num_bigint_on_small_moduli_and_leading_zeros() {
    let mut rng = Rng(77);
    for modulus in [
        vec![3u8],
        vec![5],
        vec![0, 0, 0xff],
        vec![0xff; 8],
        vec![0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01],
    ] {
        let len = modulus_len(&modulus);
        for exp in exponents(&mut rng, 64) {
            for base in bases(&mut rng, &modulus) {
                let ours = montgomery::mod_pow(&base, &exp, &modulus).unwrap();
                assert_eq!(
                    ours,
                    reference(&base, &exp, &modulus, len),
                    "modulus {modulus:02x?} base {base:02x?} exp {exp:02x?}"
                );
            }
        }
    }
}

#[test]
fn telegram_prime_with_2048_bit_exponents() {
    let p = dh::telegram_dh_prime();
    let modulus = Modulus::<32>::from_be_bytes(&p).unwrap();
    let mut rng = Rng(99);
    for _ in 0..20 {
        let base = rng.bytes(256);
        let exp = rng.bytes(256);
        assert_eq!(modulus.pow_to_be_bytes(&base, &exp), reference(&base, &exp, &p, 256));
    }
}

#[test]
fn fixed_base_tables_agree_with_num_bigint() {
    let p = dh::telegram_dh_prime();
    let modulus = Modulus::<32>::from_be_bytes(&p).unwrap();
    let mut rng = Rng(5);
    for g in 2u8..=7 {
        let table = FixedBase::new(&modulus, &[g], 2048);
        assert!(table.max_exp_bits() >= 2048);
        let mut exps = vec![vec![], vec![0], vec![1], vec![0x3f], vec![0x40], vec![0xff; 256], vec![0x01; 256]];
        for _ in 0..8 {
            let len = 1 + rng.below(256);
            exps.push(rng.bytes(len));
        }
        for exp in exps {
            let residue = table.pow(&modulus, &exp).expect("exponent fits the table");
            let mut ours = [0u8; 256];
            modulus.write_be(&residue, &mut ours);
            assert_eq!(ours.to_vec(), reference(&[g], &exp, &p, 256), "g {g}, exp {exp:02x?}");
        }
        assert!(table.pow(&modulus, &rng.number(2048 + 7)).is_none(), "too long an exponent is refused, not truncated");
    }
    // Random moduli and bases too, including a base above the modulus.
    for bits in [64, 200, 1024] {
        let mut m = rng.number(bits);
        *m.last_mut().unwrap() |= 1;
        let modulus = Modulus::<16>::from_be_bytes(&m).unwrap();
        let base = rng.bytes(m.len() + 3);
        let table = FixedBase::new(&modulus, &base, 1024);
        for _ in 0..5 {
            let len = 1 + rng.below(128);
            let exp = rng.bytes(len);
            let mut ours = vec![0u8; m.len()];
            modulus.write_be(&table.pow(&modulus, &exp).unwrap(), &mut ours);
            assert_eq!(ours, reference(&base, &exp, &m, m.len()));
        }
    }
    // A capacity that is not a multiple of the comb's shape, and exponents right at it.
    let mut m = rng.number(521);
    *m.last_mut().unwrap() |= 1;
    let modulus = Modulus::<9>::from_be_bytes(&m).unwrap();
    let table = FixedBase::new(&modulus, &[5], 100);
    assert!(table.max_exp_bits() >= 100);
    let full = table.max_exp_bits();
    for exp in [rng.number(100), rng.number(full), vec![0xff; full / 8], rng.number(1), vec![]] {
        let mut ours = vec![0u8; m.len()];
        modulus.write_be(&table.pow(&modulus, &exp).unwrap(), &mut ours);
        assert_eq!(ours, reference(&[5], &exp, &m, m.len()), "exp {exp:02x?}");
    }
    assert!(table.pow(&modulus, &rng.number(full + 1)).is_none());
}

#[test]
fn dh_mod_pow_matches_num_bigint() {
    let p = dh::telegram_dh_prime();
    let mut rng = Rng(31337);
    for g in 2u32..=7 {
        let exp = rng.bytes(256);
        assert_eq!(dh::mod_pow(&g.to_be_bytes(), &exp, &p).to_vec(), reference(&g.to_be_bytes(), &exp, &p, 256));
    }
    for _ in 0..5 {
        let (base, exp) = (rng.bytes(256), rng.bytes(256));
        assert_eq!(dh::mod_pow(&base, &exp, &p).to_vec(), reference(&base, &exp, &p, 256));
    }
    // Another prime-sized odd modulus (not cached), an even one (num-bigint fallback), zero.
    let mut other = rng.number(2048);
    *other.last_mut().unwrap() |= 1;
    let (base, exp) = (rng.bytes(256), rng.bytes(256));
    assert_eq!(dh::mod_pow(&base, &exp, &other).to_vec(), reference(&base, &exp, &other, 256));
    *other.last_mut().unwrap() &= 0xfe;
    assert_eq!(dh::mod_pow(&base, &exp, &other).to_vec(), reference(&base, &exp, &other, 256));
    assert_eq!(dh::mod_pow(&base, &exp, &[0; 256]), [0u8; 256]);
}

#[test]
fn edge_cases() {
    assert_eq!(OddModulus::from_be_bytes(&[0x10, 0x00]).unwrap_err(), ModulusError::Even);
    assert_eq!(OddModulus::from_be_bytes(&[]).unwrap_err(), ModulusError::Zero);
    assert_eq!(OddModulus::from_be_bytes(&[0, 0]).unwrap_err(), ModulusError::Zero);
    let too_long = {
        let mut v = vec![0u8; 257];
        v[0] = 1;
        v[256] = 1;
        v
    };
    assert_eq!(OddModulus::from_be_bytes(&too_long).unwrap_err(), ModulusError::TooLong { bits: 2049, limbs: 32 });
    assert!(matches!(Modulus::<2>::from_be_bytes(&[1; 17]), Err(ModulusError::TooLong { bits: 129, limbs: 2 })));
    // Modulus 1: everything is 0, even x^0.
    for exp in [&[][..], &[0], &[5]] {
        assert_eq!(montgomery::mod_pow(&[9], exp, &[1]).unwrap(), vec![0]);
    }
    // x^0 = 1 for any other modulus, 0^0 included (num-bigint's convention).
    assert_eq!(montgomery::mod_pow(&[], &[], &[0xff, 0xfb]).unwrap(), vec![0, 1]);
    assert_eq!(reference(&[], &[], &[0xff, 0xfb], 2), vec![0, 1]);
    // The largest 2048-bit odd modulus, base and exponent all ones.
    let max = vec![0xff; 256];
    assert_eq!(montgomery::mod_pow(&max, &max, &max).unwrap(), reference(&max, &max, &max, 256));
    let below = {
        let mut v = max.clone();
        v[255] = 0xfd;
        v
    };
    assert_eq!(montgomery::mod_pow(&max, &max, &below).unwrap(), reference(&max, &max, &below, 256));
}

/// RSA on the Montgomery code: a generated key (CRT primes prepared at generation) and the same
/// key re-read from (n, e, d) (CRT recovered) both invert RSA_PAD, and agree with num-bigint's
/// textbook decryption of the same ciphertext.
#[test]
fn rsa_pad_round_trips_on_montgomery() {
    use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
    let mut seed = 0x5eed_u64;
    let mut random = move |buf: &mut [u8]| {
        for b in buf {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = seed as u8;
        }
    };
    let key = RsaPrivateKey::generate(&mut random);
    let (n, e, d) = key.to_components();
    let reread = RsaPrivateKey::from_components(&n, &e, &d).unwrap();
    for len in [0usize, 1, 100, 144] {
        let mut data = vec![0u8; len];
        random(&mut data);
        let encrypted = key.public_key().rsa_pad_encrypt(&data, &mut random).unwrap();
        // Textbook RSA by num-bigint: the block our decryption must have seen.
        let expected = reference(&encrypted, &d, &n, 256);
        assert_eq!(reference(&expected, &e, &n, 256), encrypted.to_vec(), "num-bigint round trip");
        for k in [&key, &reread] {
            let padded = k.rsa_pad_decrypt(&encrypted).unwrap();
            assert_eq!(&padded[..len], &data[..]);
        }
    }
}
