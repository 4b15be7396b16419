//! SRP-6a for two-factor authentication, as Telegram specifies it in
//! <https://core.telegram.org/api/srp>: the KDF
//! `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`, the client's
//! `inputCheckPasswordSRP` computation, and the server's side (verifier, `srp_B`, the `M1` check).
//!
//! Notation of the spec page: `H = sha256`, `SH(data, salt) = H(salt | data | salt)`,
//! `PH1 = SH(SH(password, salt1), salt2)`,
//! `PH2 = SH(pbkdf2(sha512, PH1, salt1, 100000), salt2)`. Every number that is hashed is
//! big-endian and padded to 2048 bits (256 bytes), `g` included.
//!
//! Sans-IO: the secret exponents `a` and `b` come from the caller's [`RandomSource`].
//!
//! ```
//! use ferrogram_mtproto::crypto::{dh, srp};
//! # let mut seed = 1u64;
//! # let mut random = move |b: &mut [u8]| for x in b { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; *x = seed as u8 };
//! let params = srp::SrpParams { salt1: vec![1; 40], salt2: vec![2; 16], g: 3, p: dh::telegram_dh_prime() };
//! // Server, when the password is set: store the verifier (never the password).
//! let verifier = srp::verifier(b"hunter2", &params);
//! // Server, answering account.getPassword: a fresh srp_B (keep the challenge under its srp_id).
//! let challenge = srp::server_challenge(&params, &verifier, &mut random)?;
//! // Client: A and M1 for inputCheckPasswordSRP.
//! let answer = srp::client_answer(b"hunter2", &params, &challenge.srp_b, &mut random)?;
//! // Server, on auth.checkPassword: Err(WrongPassword) becomes PASSWORD_HASH_INVALID.
//! srp::server_check(&params, &verifier, &challenge, &answer)?;
//! # Ok::<(), srp::SrpError>(())
//! ```

use num_bigint::BigUint;
use num_traits::Zero;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

use crate::crypto::dh::{self, DhError};
use crate::RandomSource;

/// PBKDF2 rounds of the only algorithm Telegram defines
/// (`...PBKDF2HMACSHA512iter100000...`).
pub const PBKDF2_ITERATIONS: u32 = 100_000;

/// Length of every SRP number on the wire (`A`, `B`, `p`, `v`): 2048 bits.
pub const NUMBER_LEN: usize = 256;

/// The algorithm parameters (from passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrpParams {
    /// `salt1`: the `I` of SRP (the client appends 32 random bytes to it when it sets a new
    /// password, see [`SrpParams::with_fresh_salt1`]).
    pub salt1: Vec<u8>,
    /// `salt2`: the `s` of SRP.
    pub salt2: Vec<u8>,
    /// The generator, 2..=7.
    pub g: i32,
    /// The 2048-bit safe prime, big-endian.
    pub p: Vec<u8>,
}

impl SrpParams {
    /// The parameters for a new password: `salt1` with 32 random bytes appended, as
    /// <https://core.telegram.org/api/srp#setting-a-new-2fa-password> asks of the client.
    pub fn with_fresh_salt1(&self, random: &mut dyn RandomSource) -> SrpParams {
        let mut extra = [0u8; 32];
        random.fill(&mut extra);
        let mut salt1 = self.salt1.clone();
        salt1.extend_from_slice(&extra);
        SrpParams { salt1, salt2: self.salt2.clone(), g: self.g, p: self.p.clone() }
    }
}

/// What the client sends in inputCheckPasswordSRP (besides srp_id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrpAnswer {
    /// `A = g^a mod p`, 256 bytes big-endian.
    pub a: Vec<u8>,
    /// `M1`, 32 bytes.
    pub m1: Vec<u8>,
}

/// The server's half of one `account.password` answer: its secret exponent and the `srp_B` it
/// sends. Keep it (keyed by `srp_id`) until the client's `inputCheckPasswordSRP` arrives.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerChallenge {
    /// The secret `b`, 256 bytes big-endian. Never sent.
    pub b_secret: Vec<u8>,
    /// `srp_B = (k*v + g^b) mod p`, 256 bytes big-endian: the `srp_B` of `account.password`.
    pub srp_b: Vec<u8>,
}

impl std::fmt::Debug for ServerChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret exponent stays out of logs.
        f.debug_struct("ServerChallenge").field("b_secret", &"<secret>").field("srp_b", &self.srp_b).finish()
    }
}

/// Why an SRP computation or check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    /// The server's `p`/`g` are not a safe 2048-bit prime with a generator of the prime-order
    /// subgroup: a client must refuse them (the server may be trying to learn the password).
    #[error("SRP parameters rejected: {0}")]
    Params(#[from] DhError),
    /// The server's `srp_B` is not in `(2^(2048-64), p - 2^(2048-64))` (or is longer than
    /// 2048 bits): a broken or malicious server.
    #[error("srp_B ({len} bytes) is out of range for p")]
    ServerValueRange {
        /// Length of the `srp_B` received.
        len: usize,
    },
    /// The client's `A` is not in `(2^(2048-64), p - 2^(2048-64))` (or is longer than 2048 bits);
    /// `A = 0 mod p` would let a client log in without the password.
    #[error("A ({len} bytes) is out of range for p")]
    ClientValueRange {
        /// Length of the `A` received.
        len: usize,
    },
    /// The stored verifier is not a number in `1..p`: the account's password record is corrupt.
    #[error("the stored verifier is not in 1..p")]
    BadVerifier,
    /// The caller's random source gave [`SECRET_ATTEMPTS`] secret exponents in a row whose public
    /// value is out of range (e.g. all zeros, which would make `S` independent of the password):
    /// it is broken, and nothing was computed from it.
    #[error("the random source gave {SECRET_ATTEMPTS} unusable SRP secrets in a row")]
    BadRandomSource,
    /// `M1` is not 32 bytes: the client sent a malformed `inputCheckPasswordSRP`.
    #[error("M1 is {0} bytes, expected 32")]
    M1Length(usize),
    /// `M1` does not match: the password was wrong (the server answers `PASSWORD_HASH_INVALID`).
    #[error("M1 does not match: wrong password")]
    WrongPassword,
}

/// `SH(data, salt) = H(salt | data | salt)`.
fn salted_hash(data: &[u8], salt: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update(salt).chain_update(data).chain_update(salt).finalize().into()
}

/// A number as 256 big-endian bytes (the padding every hashed number gets). Values are reduced
/// mod p before this, so they fit.
fn pad(n: &BigUint) -> [u8; NUMBER_LEN] {
    let bytes = n.to_bytes_be();
    let mut out = [0u8; NUMBER_LEN];
    let len = bytes.len().min(NUMBER_LEN);
    out[NUMBER_LEN - len..].copy_from_slice(&bytes[bytes.len() - len..]);
    out
}

/// `g` as a 2048-bit big-endian number, the way it is hashed in `k` and `M1`.
fn g_padded(g: i32) -> [u8; NUMBER_LEN] {
    let mut out = [0u8; NUMBER_LEN];
    out[NUMBER_LEN - 4..].copy_from_slice(&g.to_be_bytes());
    out
}

/// x = PH2(password, salt1, salt2)
pub fn password_hash(password: &[u8], params: &SrpParams) -> [u8; 32] {
    let ph1 = salted_hash(&salted_hash(password, &params.salt1), &params.salt2);
    let mut derived = [0u8; 64];
    pbkdf2::pbkdf2_hmac::<Sha512>(&ph1, &params.salt1, PBKDF2_ITERATIONS, &mut derived);
    salted_hash(&derived, &params.salt2)
}

/// The numbers both sides derive from the parameters alone.
struct Group {
    p: BigUint,
    g: BigUint,
    /// `k = H(p | g)`.
    k: BigUint,
}

impl Group {
    fn new(params: &SrpParams) -> Group {
        let p_padded = pad(&BigUint::from_bytes_be(&params.p));
        let k = Sha256::new().chain_update(p_padded).chain_update(g_padded(params.g)).finalize();
        Group {
            p: BigUint::from_bytes_be(&params.p),
            g: BigUint::from(params.g.unsigned_abs()),
            k: BigUint::from_bytes_be(&k),
        }
    }

    /// `v = g^x mod p`.
    fn verifier(&self, x: &[u8; 32]) -> BigUint {
        if self.p.is_zero() {
            return BigUint::zero();
        }
        self.g.modpow(&BigUint::from_bytes_be(x), &self.p)
    }

    /// `M = H(H(p) xor H(g) | H(salt1) | H(salt2) | A | B | H(S))`.
    fn proof(&self, params: &SrpParams, a: &[u8; NUMBER_LEN], b: &[u8; NUMBER_LEN], s: &BigUint) -> [u8; 32] {
        let h_p = Sha256::digest(pad(&self.p));
        let h_g = Sha256::digest(g_padded(params.g));
        let mut p_xor_g = [0u8; 32];
        for (out, (x, y)) in p_xor_g.iter_mut().zip(h_p.iter().zip(h_g.iter())) {
            *out = x ^ y;
        }
        let k_s = Sha256::digest(pad(s));
        Sha256::new()
            .chain_update(p_xor_g)
            .chain_update(Sha256::digest(&params.salt1))
            .chain_update(Sha256::digest(&params.salt2))
            .chain_update(a)
            .chain_update(b)
            .chain_update(k_s)
            .finalize()
            .into()
    }

    /// `u = H(A | B)`.
    fn scrambler(a: &[u8; NUMBER_LEN], b: &[u8; NUMBER_LEN]) -> BigUint {
        BigUint::from_bytes_be(&Sha256::new().chain_update(a).chain_update(b).finalize())
    }
}

/// Parses a public value (`A` or `srp_B`) and checks the range the security guidelines ask of
/// every DH value: `2^(2048-64) <= value <= p - 2^(2048-64)`.
fn public_value(value: &[u8], params: &SrpParams) -> Option<[u8; NUMBER_LEN]> {
    if value.len() > NUMBER_LEN {
        return None;
    }
    let padded = pad(&BigUint::from_bytes_be(value));
    dh::check_dh_value(&padded, &params.p).ok()?;
    Some(padded)
}

/// A 2048-bit secret exponent from `random`.
fn secret_exponent(random: &mut dyn RandomSource) -> [u8; NUMBER_LEN] {
    let mut secret = [0u8; NUMBER_LEN];
    random.fill(&mut secret);
    secret
}

/// How many fresh secrets to try before giving up on producing an in-range public value. With
/// a real random source the first one is out of range with probability ~2^-64; only a broken
/// source (e.g. all zeros) exhausts this.
pub const SECRET_ATTEMPTS: usize = 8;

/// Client: given srp_B from account.password, compute A and M1.
///
/// Checks `p` and `g` ([`dh::check_dh_params`], whose Miller–Rabin witnesses come from `random`)
/// and the range of `srp_B` before using them; draws the secret `a` from `random`.
pub fn client_answer(
    password: &[u8],
    params: &SrpParams,
    srp_b: &[u8],
    random: &mut dyn RandomSource,
) -> Result<SrpAnswer, SrpError> {
    dh::check_dh_params(&params.p, params.g, random)?;
    let b_padded = public_value(srp_b, params).ok_or(SrpError::ServerValueRange { len: srp_b.len() })?;
    let group = Group::new(params);

    let (a_secret, a_padded) = (0..SECRET_ATTEMPTS)
        .find_map(|_| {
            let a_secret = BigUint::from_bytes_be(&secret_exponent(random));
            let a_padded = pad(&group.g.modpow(&a_secret, &group.p));
            dh::check_dh_value(&a_padded, &params.p).ok().map(|()| (a_secret, a_padded))
        })
        .ok_or(SrpError::BadRandomSource)?;

    let x = password_hash(password, params);
    let u = Group::scrambler(&a_padded, &b_padded);
    let k_v = (&group.k * group.verifier(&x)) % &group.p;
    // t = (B - k*v) mod p, kept non-negative by adding p first.
    let t = (BigUint::from_bytes_be(&b_padded) + &group.p - k_v) % &group.p;
    let s_a = t.modpow(&(a_secret + u * BigUint::from_bytes_be(&x)), &group.p);
    let m1 = group.proof(params, &a_padded, &b_padded, &s_a);
    Ok(SrpAnswer { a: a_padded.to_vec(), m1: m1.to_vec() })
}

/// Server: the verifier v = g^x mod p stored for an account (256 bytes big-endian).
///
/// This is also the `new_password_hash` a client sends when it sets a password (computed with
/// the new salt from [`SrpParams::with_fresh_salt1`]).
pub fn verifier(password: &[u8], params: &SrpParams) -> Vec<u8> {
    let group = Group::new(params);
    pad(&group.verifier(&password_hash(password, params))).to_vec()
}

/// Parses a stored verifier: a number in `1..p`.
fn parse_verifier(verifier: &[u8], group: &Group) -> Result<BigUint, SrpError> {
    let v = BigUint::from_bytes_be(verifier);
    if verifier.len() > NUMBER_LEN || v.is_zero() || v >= group.p {
        return Err(SrpError::BadVerifier);
    }
    Ok(v)
}

/// Server: a fresh (secret b, public B) for one account.password answer.
///
/// Checks `p` and `g` too (cheap for Telegram's prime), so a misconfigured server fails here
/// rather than at every client.
pub fn server_challenge(
    params: &SrpParams,
    verifier: &[u8],
    random: &mut dyn RandomSource,
) -> Result<ServerChallenge, SrpError> {
    dh::check_dh_params(&params.p, params.g, random)?;
    let group = Group::new(params);
    let v = parse_verifier(verifier, &group)?;
    let k_v = (&group.k * v) % &group.p;
    (0..SECRET_ATTEMPTS)
        .find_map(|_| {
            let b_secret = secret_exponent(random);
            let g_b = group.g.modpow(&BigUint::from_bytes_be(&b_secret), &group.p);
            // g^b itself must be in range too: a tiny b (say 0, giving S = 1) would let a
            // client compute S without the password even though B = k*v + g^b looks random.
            dh::check_dh_value(&pad(&g_b), &params.p).ok()?;
            let srp_b = pad(&((&k_v + g_b) % &group.p));
            dh::check_dh_value(&srp_b, &params.p)
                .ok()
                .map(|()| ServerChallenge { b_secret: b_secret.to_vec(), srp_b: srp_b.to_vec() })
        })
        .ok_or(SrpError::BadRandomSource)
}

/// Server: checks the client's A and M1 against the challenge; Ok(()) if the password was right.
///
/// `S = (A * v^u)^b mod p`, then `M1` is recomputed and compared in constant time.
pub fn server_check(
    params: &SrpParams,
    verifier: &[u8],
    challenge: &ServerChallenge,
    answer: &SrpAnswer,
) -> Result<(), SrpError> {
    if answer.m1.len() != 32 {
        return Err(SrpError::M1Length(answer.m1.len()));
    }
    let a_padded = public_value(&answer.a, params).ok_or(SrpError::ClientValueRange { len: answer.a.len() })?;
    let b_padded =
        public_value(&challenge.srp_b, params).ok_or(SrpError::ServerValueRange { len: challenge.srp_b.len() })?;
    let group = Group::new(params);
    let v = parse_verifier(verifier, &group)?;
    let u = Group::scrambler(&a_padded, &b_padded);
    let base = (BigUint::from_bytes_be(&a_padded) * v.modpow(&u, &group.p)) % &group.p;
    let s_b = base.modpow(&BigUint::from_bytes_be(&challenge.b_secret), &group.p);
    let expected = group.proof(params, &a_padded, &b_padded, &s_b);
    if bool::from(expected.ct_eq(answer.m1.as_slice())) {
        Ok(())
    } else {
        Err(SrpError::WrongPassword)
    }
}
