//! RSA as the key exchange uses it (<https://core.telegram.org/mtproto/auth_key>): public keys
//! read from PEM, their fingerprints, `RSA_PAD` encryption of `p_q_inner_data`, and for the
//! server side, key generation, raw decryption and the inverse of `RSA_PAD`.
//!
//! Clients encrypt `p_q_inner_data` in one of two ways, and a server has to accept both: `RSA_PAD`
//! (what the spec describes now, and what our client sends), or the older
//! `RSA(SHA1(data) + data + padding)` that Telegram's servers still accept and that Telethon,
//! Pyrogram and their forks still send. This module only decrypts; telling the two plaintexts apart
//! needs the TL object inside, so the server's key exchange does it
//! ([`authkey::server`](crate::authkey::server)).
//!
//! Written on `num-bigint` rather than the `rsa` crate because MTProto uses raw ("textbook") RSA
//! under its own padding scheme, which that crate deliberately does not expose. The
//! exponentiations themselves run on [`montgomery`](super::montgomery) (the private key keeps both CRT primes
//! prepared), about 1.5x faster than `num-bigint`'s `modpow`; like it, not constant time.

use base64::Engine as _;
use num_bigint::BigUint;
use num_traits::{One, Zero};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::ige;
use super::montgomery::OddModulus;
use crate::RandomSource;

/// Why an RSA operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RsaError {
    /// The PEM text or its DER body could not be read.
    #[error("invalid RSA key PEM: {0}")]
    Pem(&'static str),
    /// The data to pad is longer than `RSA_PAD` allows (144 bytes).
    #[error("RSA_PAD data of {0} bytes is longer than 144")]
    DataTooLong(usize),
    /// The modulus is not 2048 bits, as MTProto requires.
    #[error("RSA modulus must be 2048 bits, not {0}")]
    ModulusSize(u64),
    /// The ciphertext is not 256 bytes or not below the modulus.
    #[error("RSA ciphertext out of range")]
    CiphertextRange,
    /// The hash inside an `RSA_PAD` block did not match: wrong key or tampered data.
    #[error("RSA_PAD hash mismatch")]
    PadHash,
}

/// An RSA public key.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    n: BigUint,
    e: BigUint,
}

impl std::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPublicKey(fingerprint {:016x})", self.fingerprint() as u64)
    }
}

/// Appends TL `bytes` (length prefix, data, padding to 4).
fn tl_bytes(data: &[u8], out: &mut Vec<u8>) {
    if data.len() < 254 {
        out.push(data.len() as u8);
    } else {
        out.extend_from_slice(&[254, data.len() as u8, (data.len() >> 8) as u8, (data.len() >> 16) as u8]);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

impl RsaPublicKey {
    /// A key from its big-endian modulus and exponent.
    pub fn from_components(modulus: &[u8], exponent: &[u8]) -> Result<Self, RsaError> {
        let n = BigUint::from_bytes_be(modulus);
        if n.bits() != 2048 {
            return Err(RsaError::ModulusSize(n.bits()));
        }
        Ok(RsaPublicKey { n, e: BigUint::from_bytes_be(exponent) })
    }

    /// Reads a PEM public key: PKCS#1 (`BEGIN RSA PUBLIC KEY`) or SubjectPublicKeyInfo
    /// (`BEGIN PUBLIC KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, RsaError> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| RsaError::Pem("bad base64"))?;
        let mut outer = Der::new(&der).sequence()?;
        if outer.peek_tag() == Some(0x30) {
            // SubjectPublicKeyInfo: algorithm identifier, then the PKCS#1 key in a BIT STRING.
            outer.skip()?;
            let bits = outer.bit_string()?;
            let mut key = Der::new(bits).sequence()?;
            let n = key.integer()?;
            let e = key.integer()?;
            Self::from_components(n, e)
        } else {
            let n = outer.integer()?;
            let e = outer.integer()?;
            Self::from_components(n, e)
        }
    }

    /// The key as PKCS#1 PEM (`BEGIN RSA PUBLIC KEY`).
    pub fn to_pem(&self) -> String {
        let mut body = Vec::new();
        der_integer(&self.n.to_bytes_be(), &mut body);
        der_integer(&self.e.to_bytes_be(), &mut body);
        let mut der = Vec::new();
        der_header(0x30, body.len(), &mut der);
        der.extend_from_slice(&body);
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN RSA PUBLIC KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).unwrap_or_default());
            pem.push('\n');
        }
        pem.push_str("-----END RSA PUBLIC KEY-----\n");
        pem
    }

    /// Big-endian modulus.
    pub fn modulus(&self) -> Vec<u8> {
        self.n.to_bytes_be()
    }

    /// Big-endian exponent.
    pub fn exponent(&self) -> Vec<u8> {
        self.e.to_bytes_be()
    }

    /// The key's fingerprint: the lower 64 bits of SHA1 of TL-serialized `bytes n` + `bytes e`,
    /// as the little-endian `long` sent in `resPQ`.
    pub fn fingerprint(&self) -> i64 {
        let mut data = Vec::with_capacity(270);
        tl_bytes(&self.n.to_bytes_be(), &mut data);
        tl_bytes(&self.e.to_bytes_be(), &mut data);
        let h = Sha1::digest(&data);
        let mut fp = [0u8; 8];
        fp.copy_from_slice(&h[12..20]);
        i64::from_le_bytes(fp)
    }

    /// Raw RSA: `m^e mod n`, as 256 big-endian bytes (on [`montgomery`](super::montgomery); `num-bigint` if `n`
    /// were even, which no RSA modulus is).
    pub(crate) fn raw_encrypt(&self, m: &BigUint) -> [u8; 256] {
        #[cfg(feature = "fuzzing-cheap-crypto")]
        if let Some(out) = super::cheap::rsa(m) {
            return out;
        }
        match OddModulus::from_be_bytes(&self.n.to_bytes_be()) {
            Ok(n) => {
                let mut out = [0u8; 256];
                n.pow_into(&m.to_bytes_be(), &self.e.to_bytes_be(), &mut out);
                out
            }
            Err(_) => to_256(&m.modpow(&self.e, &self.n)),
        }
    }

    /// `RSA_PAD(data, key)` of the key exchange: `data` (at most 144 bytes, the serialized
    /// `p_q_inner_data`) padded with random bytes to 192, reversed, hashed with a random temporary
    /// key, AES-IGE encrypted, key-masked, and RSA-encrypted. Returns the 256-byte
    /// `encrypted_data`.
    pub fn rsa_pad_encrypt(&self, data: &[u8], random: &mut dyn RandomSource) -> Result<[u8; 256], RsaError> {
        if data.len() > 144 {
            return Err(RsaError::DataTooLong(data.len()));
        }
        let mut with_padding = [0u8; 192];
        with_padding[..data.len()].copy_from_slice(data);
        random.fill(&mut with_padding[data.len()..]);
        let mut reversed = with_padding;
        reversed.reverse();
        loop {
            let mut temp_key = [0u8; 32];
            random.fill(&mut temp_key);
            let hash = Sha256::new().chain_update(temp_key).chain_update(with_padding).finalize();
            let mut block = [0u8; 224];
            block[..192].copy_from_slice(&reversed);
            block[192..].copy_from_slice(&hash);
            // 224 is a multiple of 16: cannot fail.
            let _ = ige::encrypt(&mut block, &temp_key, &[0u8; 32]);
            let block_hash = Sha256::digest(block);
            let mut out = [0u8; 256];
            for i in 0..32 {
                out[i] = temp_key[i] ^ block_hash[i];
            }
            out[32..].copy_from_slice(&block);
            let m = BigUint::from_bytes_be(&out);
            if m < self.n {
                return Ok(self.raw_encrypt(&m));
            }
        }
    }
}

fn to_256(x: &BigUint) -> [u8; 256] {
    let bytes = x.to_bytes_be();
    let mut out = [0u8; 256];
    let len = bytes.len().min(256);
    out[256 - len..].copy_from_slice(&bytes[bytes.len() - len..]);
    out
}

/// An RSA private key, held by the server.
#[derive(Clone)]
pub struct RsaPrivateKey {
    public: RsaPublicKey,
    d: BigUint,
    /// The prime factors, for decrypting by the Chinese remainder theorem (about 3x faster than
    /// `c^d mod n`); `None` if `n` could not be factored from `(n, e, d)`.
    crt: Option<Crt>,
}

/// `n = p * q` with the CRT exponents and coefficient, and both primes ready for Montgomery
/// exponentiation (their constants computed once per key, not per decryption).
#[derive(Clone)]
struct Crt {
    p: BigUint,
    q: BigUint,
    /// `p` for [`montgomery`](super::montgomery).
    p_modulus: OddModulus,
    /// `q` for [`montgomery`](super::montgomery).
    q_modulus: OddModulus,
    /// `d mod (p - 1)`, big-endian (the form the exponentiation reads).
    dp: Vec<u8>,
    /// `d mod (q - 1)`, big-endian.
    dq: Vec<u8>,
    /// `q^-1 mod p`.
    q_inv: BigUint,
}

impl Crt {
    /// `None` if `q` has no inverse modulo `p` or a prime is even or longer than 2048 bits (not
    /// the factors of a usable key: decryption then falls back to `c^d mod n`).
    fn new(p: BigUint, q: BigUint, d: &BigUint) -> Option<Crt> {
        let q_inv = mod_inverse(&q, &p)?;
        let p_modulus = OddModulus::from_be_bytes(&p.to_bytes_be()).ok()?;
        let q_modulus = OddModulus::from_be_bytes(&q.to_bytes_be()).ok()?;
        let (dp, dq) = (d % (&p - 1u32), d % (&q - 1u32));
        Some(Crt { dp: dp.to_bytes_be(), dq: dq.to_bytes_be(), p_modulus, q_modulus, q_inv, p, q })
    }

    /// `c^d mod n` as `m_q + q * ((m_p - m_q) * q_inv mod p)`, the two half-size exponentiations
    /// on [`montgomery`](super::montgomery) (which reduces the 2048-bit `c` modulo each prime itself).
    fn decrypt(&self, c: &[u8]) -> BigUint {
        let m_p = BigUint::from_bytes_be(&self.p_modulus.pow(c, &self.dp));
        let m_q = BigUint::from_bytes_be(&self.q_modulus.pow(c, &self.dq));
        let diff = (&m_p + &self.p - (&m_q % &self.p)) % &self.p;
        &m_q + &self.q * ((diff * &self.q_inv) % &self.p)
    }

    /// Recovers `p` and `q` from `(n, e, d)` (the standard method: `e*d - 1 = 2^t * r`, and a
    /// nontrivial square root of 1 mod n shares a factor with n).
    fn recover(n: &BigUint, e: &BigUint, d: &BigUint) -> Option<Crt> {
        use num_integer::Integer;
        let k = e * d - 1u32;
        let t = k.trailing_zeros()?;
        let r = &k >> t;
        let n_minus_1 = n - 1u32;
        for base in [2u32, 3, 5, 7, 11, 13, 17, 19, 23, 29] {
            let mut x = BigUint::from(base).modpow(&r, n);
            for _ in 0..t {
                let y = x.modpow(&BigUint::from(2u32), n);
                if y.is_one() && !x.is_one() && x != n_minus_1 {
                    let p = (&x - 1u32).gcd(n);
                    let q = n / &p;
                    return Crt::new(p, q, d);
                }
                x = y;
            }
        }
        None
    }
}

impl std::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaPrivateKey(fingerprint {:016x})", self.public.fingerprint() as u64)
    }
}

impl RsaPrivateKey {
    /// Generates a 2048-bit key with exponent 65537 from `random`.
    pub fn generate(random: &mut dyn RandomSource) -> Self {
        let e = BigUint::from(65537u32);
        loop {
            let p = super::dh::random_prime(1024, random);
            let q = super::dh::random_prime(1024, random);
            if p == q {
                continue;
            }
            let n = &p * &q;
            if n.bits() != 2048 {
                continue;
            }
            let phi = (&p - 1u32) * (&q - 1u32);
            let Some(d) = mod_inverse(&e, &phi) else { continue };
            let crt = Crt::new(p, q, &d);
            return RsaPrivateKey { public: RsaPublicKey { n, e }, d, crt };
        }
    }

    /// A key from big-endian n, e, d (as persisted by [`to_components`](Self::to_components)).
    pub fn from_components(n: &[u8], e: &[u8], d: &[u8]) -> Result<Self, RsaError> {
        let public = RsaPublicKey::from_components(n, e)?;
        let d = BigUint::from_bytes_be(d);
        let crt = Crt::recover(&public.n, &public.e, &d);
        Ok(RsaPrivateKey { public, d, crt })
    }

    /// Big-endian (n, e, d), for persisting the key.
    pub fn to_components(&self) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        (self.public.modulus(), self.public.exponent(), self.d.to_bytes_be())
    }

    /// The public half.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Inverts [`RsaPublicKey::rsa_pad_encrypt`]: returns the 192-byte `data_with_padding`
    /// (the caller reads the TL object from its start), or an error if the block is malformed or
    /// its hash does not match.
    pub fn rsa_pad_decrypt(&self, encrypted: &[u8]) -> Result<[u8; 192], RsaError> {
        rsa_pad_unpad(&self.raw_decrypt(encrypted)?)
    }

    /// Raw ("textbook") RSA decryption: `c^d mod n` as 256 big-endian bytes, for a `c` of exactly
    /// 256 bytes below the modulus. What the plaintext means (an `RSA_PAD` block, or the older
    /// SHA1 + data + padding block) is for the caller to check: see [`rsa_pad_unpad`].
    pub(crate) fn raw_decrypt(&self, encrypted: &[u8]) -> Result<[u8; 256], RsaError> {
        if encrypted.len() != 256 {
            return Err(RsaError::CiphertextRange);
        }
        let c = BigUint::from_bytes_be(encrypted);
        if c >= self.public.n {
            return Err(RsaError::CiphertextRange);
        }
        #[cfg(feature = "fuzzing-cheap-crypto")]
        if let Some(m) = super::cheap::rsa(&c) {
            return Ok(m);
        }
        Ok(match &self.crt {
            Some(crt) => to_256(&crt.decrypt(encrypted)),
            None => {
                let mut m = [0u8; 256];
                match OddModulus::from_be_bytes(&self.public.modulus()) {
                    Ok(n) => n.pow_into(encrypted, &self.d.to_bytes_be(), &mut m),
                    // An even modulus is no RSA key, but decrypt as before rather than fail.
                    Err(_) => m = to_256(&c.modpow(&self.d, &self.public.n)),
                }
                m
            }
        })
    }
}

/// Undoes the `RSA_PAD` layers of a decrypted block (see [`RsaPublicKey::rsa_pad_encrypt`]):
/// unmasks the temporary key, AES-IGE decrypts, and checks the SHA256 inside. Returns the 192-byte
/// `data_with_padding`, or [`RsaError::PadHash`] if the block is no `RSA_PAD` block for this key.
pub(crate) fn rsa_pad_unpad(m: &[u8; 256]) -> Result<[u8; 192], RsaError> {
    let mut block = [0u8; 224];
    block.copy_from_slice(&m[32..]);
    let block_hash = Sha256::digest(block);
    let mut temp_key = [0u8; 32];
    for i in 0..32 {
        temp_key[i] = m[i] ^ block_hash[i];
    }
    let _ = ige::decrypt(&mut block, &temp_key, &[0u8; 32]);
    let mut with_padding = [0u8; 192];
    with_padding.copy_from_slice(&block[..192]);
    with_padding.reverse();
    let hash = Sha256::new().chain_update(temp_key).chain_update(with_padding).finalize();
    if !constant_time_eq(&hash, &block[192..]) {
        return Err(RsaError::PadHash);
    }
    Ok(with_padding)
}

/// Compares two byte strings without an early exit.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn mod_inverse(a: &BigUint, m: &BigUint) -> Option<BigUint> {
    use num_bigint::BigInt;
    let (mut old_r, mut r) = (BigInt::from(a.clone()), BigInt::from(m.clone()));
    let (mut old_s, mut s) = (BigInt::one(), BigInt::zero());
    while !r.is_zero() {
        let q = &old_r / &r;
        let next_r = &old_r - &q * &r;
        old_r = std::mem::replace(&mut r, next_r);
        let next_s = &old_s - &q * &s;
        old_s = std::mem::replace(&mut s, next_s);
    }
    if !old_r.is_one() {
        return None;
    }
    let m = BigInt::from(m.clone());
    ((old_s % &m + &m) % &m).to_biguint()
}

/// A minimal DER reader: just what RSA public keys need.
struct Der<'a> {
    data: &'a [u8],
}

impl<'a> Der<'a> {
    fn new(data: &'a [u8]) -> Self {
        Der { data }
    }

    fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    fn element(&mut self, tag: u8) -> Result<&'a [u8], RsaError> {
        let (&t, rest) = self.data.split_first().ok_or(RsaError::Pem("truncated DER"))?;
        if t != tag {
            return Err(RsaError::Pem("unexpected DER tag"));
        }
        let (&first, mut rest) = rest.split_first().ok_or(RsaError::Pem("truncated DER"))?;
        let len = if first < 0x80 {
            first as usize
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return Err(RsaError::Pem("bad DER length"));
            }
            let len = rest[..n].iter().fold(0usize, |acc, &b| acc << 8 | b as usize);
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(RsaError::Pem("truncated DER"));
        }
        let (body, after) = rest.split_at(len);
        self.data = after;
        Ok(body)
    }

    fn sequence(&mut self) -> Result<Der<'a>, RsaError> {
        self.element(0x30).map(Der::new)
    }

    fn skip(&mut self) -> Result<(), RsaError> {
        let tag = self.peek_tag().ok_or(RsaError::Pem("truncated DER"))?;
        self.element(tag).map(drop)
    }

    fn integer(&mut self) -> Result<&'a [u8], RsaError> {
        let body = self.element(0x02)?;
        Ok(match body.split_first() {
            Some((0, rest)) => rest,
            _ => body,
        })
    }

    fn bit_string(&mut self) -> Result<&'a [u8], RsaError> {
        match self.element(0x03)?.split_first() {
            Some((0, rest)) => Ok(rest),
            _ => Err(RsaError::Pem("bit string with unused bits")),
        }
    }
}

fn der_header(tag: u8, len: usize, out: &mut Vec<u8>) {
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

fn der_integer(be: &[u8], out: &mut Vec<u8>) {
    let needs_zero = be.first().is_some_and(|b| b & 0x80 != 0);
    der_header(0x02, be.len() + needs_zero as usize, out);
    if needs_zero {
        out.push(0);
    }
    out.extend_from_slice(be);
}
