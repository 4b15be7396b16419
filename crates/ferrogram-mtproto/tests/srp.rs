//! SRP for 2FA (<https://core.telegram.org/api/srp>): a published known-answer vector for the
//! client, client against server with the right and wrong passwords, and every rejection.
//!
//! The known-answer vector is the one grammers-crypto publishes (`src/two_factor_auth.rs`, test
//! `check_calculations_2`: Telegram's prime, g = 3, password "234567", fixed `a` and `srp_B`).
//! Its `A` and `M1` were also recomputed here with this independent Python (run with python3;
//! it prints the EXPECTED_* values below, including x and v which grammers does not publish):
//!
//! ```text
//! import hashlib
//! H = lambda *a: hashlib.sha256(b''.join(a)).digest()
//! SH = lambda d, s: H(s, d, s)
//! pad = lambda n: n.to_bytes(256, 'big')
//! P = int.from_bytes(p, 'big'); a = int.from_bytes(secret_a, 'big')
//! x = SH(hashlib.pbkdf2_hmac('sha512', SH(SH(pw, salt1), salt2), salt1, 100000), salt2)
//! X = int.from_bytes(x, 'big'); v = pow(g, X, P)
//! k = int.from_bytes(H(p, pad(g)), 'big'); ga = pow(g, a, P)
//! u = int.from_bytes(H(pad(ga), srp_b), 'big')
//! t = (int.from_bytes(srp_b, 'big') - k * v) % P
//! ka = H(pad(pow(t, a + u * X, P)))
//! m1 = H(bytes(i ^ j for i, j in zip(H(p), H(pad(g)))), H(salt1), H(salt2), pad(ga), srp_b, ka)
//! ```

use std::sync::OnceLock;

use ferrogram_mtproto::crypto::dh::{self, DhError};
use ferrogram_mtproto::crypto::srp::{self, ServerChallenge, SrpAnswer, SrpError, SrpParams};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

// Inputs of the vector (grammers-crypto `two_factor_auth.rs`, test `check_calculations_2`).
const SALT1: &str = "
    5f483c38bd0986e7cdc95ae138ef4f49b951c1f81c713fecdef3af692cec4b47
    16ac9b770a195ebe";
const SALT2: &str = "
    b616fc6bbedf511119c5ed34629527f1";
const SRP_B: &str = "
    93f70ebd50f6426aca2568769599f91f24d01284cc51a449e62dcc1527dfe501
    26b2aa44238e4fb2331419ed4aebf1a0ae15e03abd18bfc52ca6baec564c13b5
    a1d2e357799897757bb736fdc2ceb1b56aacf19ab3548d6d922a522f0b51f401
    24c3bc9936aff3e1dcfbea39ac9ad2addc6af0ad30783278bbb84cab0ed8464b
    0ffeb2b0c93a39a5d97dba0105672ca5475373d8d23e54a6ac9bed9519e8bef4
    f00719f5ad56151be5537648df2f8e3e7265cb57fb94a054ce2a82b8cc664ad0
    60e0d6c6df1879345440eb977fa0f2d36f31a253d8917732f133d40033a34b61
    52969b600d59cdabfea2ab2393ad659e56d66e13605b1f61e48e3cd65c0f58ac";
const SECRET_A: &str = "
    bf31574f34fce1e53891c59b7f62468a0ca682da8585df8de0a18873359755fb
    b1818878a9ee919bb1e94d20c5f0607e02a33176199bf3220256c9ea1a69f395
    a515d20539d88cda750a5252fb864f573f2b032f3b467d08b34fd9c89d1c5d06
    278e113e51d4e893c1c027455af4653f096607a4156d94fb8e1dc7cee5bfe328
    50982f941ae4414e83bf22df56270b43b7ccc44c26d40886464da8e344a85407
    95b8f69b8f508552a723cd6931e1d69204e8e9dc056f0a2a10a0d7951e355f3e
    def5a5e18a9091295a51eb9db10b8b0d30489c8d29bc0cd86e97781f5e30c5b6
    bfe7caf4aae81b282e653ac48aa1a8fde789722bc04f4320cd9f86849fe05ca4";
const PASSWORD: &[u8] = b"234567";

// Expected outputs. A and M1 are grammers' published values; x and v were computed by the
// independent Python below (python3 hashlib), which also reproduces grammers' A and M1.
const EXPECTED_X: &str = "ef792704447d41b8c41eaae6a9e4f8d50b5cd6a6ba71b7da5cc43de58bb7fa11";
const EXPECTED_V: &str = "
    5c6a703044a44c22babe5f578e00badcba2e34edbc75ff161976c9bd164a231b
    a6f842633a7aa6be742ed2a67ae999cfa4ff9bbf9bb0825ec45fcc4c87544b01
    d66fe67fc8e07f16bc3bf63c93f7f6d193147e0567dae8e2fa7f25e335d7d219
    9186496df55490c371373c312055368796a3a649c39b66075ae2d57f559641a1
    c8a0cbf215ec02739ec16e9eb09c7c91bc89db027f5abfc55af50dbbf3eeacec
    d2c248966541cc75de0b063e9c437abde2f4212e2c7282c7c32c2c79ac8ec72a
    b73011e0e77f1214228be6f72c9df40776ed9b6b1215aa3ffbe715168ff7a4b9
    d841e2a0ef4647e7153809776ee08fd882d64e3e56f20bc78923252e22804dbf";
const EXPECTED_A: &str = "
    0fa12bc655b1187a28296a69ae565d682782e0ceb05a089c0c41c1dce983dc7f
    4a53434ea78e065d9e1cb60e427b4468a4780609feba2f55654ee2efe0aeb72e
    dafde2652e26ed5b4d4baad9d2a381806af63416bf6263df45a43d85be5401bc
    223ebfac09421caddd7e260bd6b86542133c048d6cd54b38d8e2ccdf6b550e87
    5b1353a4acfe3292ffb56a0f58b2a39027c9bfdd91fd4c531d23c77d6e8f7d58
    3eaeea316dedded69935296ce7ea34e9be6ef2fbd829eac4c9bd646dc1563e47
    f77b91431ca002cf79fc149d968272835c15ca1c6b2c5e03712a2e1b5d52f5e4
    faa1c16cb177fafd96a6aa5b4b3f4c649915644b63855cfb38561ff17fedfb8a";
const EXPECTED_M1: &str = "4d7af412c5a2e7b15467376bd118b853604e687b31f51c4980c4d7c1876613e3";

/// A deterministic xorshift source, so failures reproduce.
fn rng(seed: u64) -> impl FnMut(&mut [u8]) {
    let mut state = seed | 1;
    move |buf: &mut [u8]| {
        for byte in buf {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = (state >> 24) as u8;
        }
    }
}

/// A source that hands out `first` for the first request of its length, then xorshift bytes.
fn injecting(first: Vec<u8>) -> impl FnMut(&mut [u8]) {
    let mut pending = Some(first);
    let mut rest = rng(7);
    move |buf: &mut [u8]| match pending.take_if(|v| v.len() == buf.len()) {
        Some(v) => buf.copy_from_slice(&v),
        None => rest(buf),
    }
}

fn telegram_params() -> SrpParams {
    SrpParams { salt1: hex(SALT1), salt2: hex(SALT2), g: 3, p: dh::telegram_dh_prime() }
}

const ACCOUNT_PASSWORD: &[u8] = b"correct horse battery staple";

/// The verifier of ACCOUNT_PASSWORD, computed once (PBKDF2 is slow by design).
fn account_verifier() -> &'static [u8] {
    static VERIFIER: OnceLock<Vec<u8>> = OnceLock::new();
    VERIFIER.get_or_init(|| srp::verifier(ACCOUNT_PASSWORD, &telegram_params()))
}

/// A client answer with ACCOUNT_PASSWORD to a fresh challenge, computed once.
fn account_exchange() -> &'static (ServerChallenge, SrpAnswer) {
    static EXCHANGE: OnceLock<(ServerChallenge, SrpAnswer)> = OnceLock::new();
    EXCHANGE.get_or_init(|| {
        let params = telegram_params();
        let challenge = srp::server_challenge(&params, account_verifier(), &mut rng(11)).unwrap();
        let answer = srp::client_answer(ACCOUNT_PASSWORD, &params, &challenge.srp_b, &mut rng(12)).unwrap();
        (challenge, answer)
    })
}

#[test]
fn known_answer_vector_client() {
    let params = telegram_params();
    assert_eq!(srp::password_hash(PASSWORD, &params).to_vec(), hex(EXPECTED_X));
    assert_eq!(srp::verifier(PASSWORD, &params), hex(EXPECTED_V));
    let answer = srp::client_answer(PASSWORD, &params, &hex(SRP_B), &mut injecting(hex(SECRET_A))).unwrap();
    assert_eq!(answer.a, hex(EXPECTED_A));
    assert_eq!(answer.m1, hex(EXPECTED_M1));
}

#[test]
fn right_password_passes_the_server_check() {
    let (challenge, answer) = account_exchange();
    assert_eq!(challenge.srp_b.len(), 256);
    assert_eq!(answer.a.len(), 256);
    assert_eq!(answer.m1.len(), 32);
    assert_eq!(srp::server_check(&telegram_params(), account_verifier(), challenge, answer), Ok(()));
}

#[test]
fn wrong_password_fails_with_wrong_password() {
    let params = telegram_params();
    let challenge = srp::server_challenge(&params, account_verifier(), &mut rng(21)).unwrap();
    let answer = srp::client_answer(b"correct horse battery stapler", &params, &challenge.srp_b, &mut rng(22)).unwrap();
    assert_eq!(srp::server_check(&params, account_verifier(), &challenge, &answer), Err(SrpError::WrongPassword));
}

#[test]
fn answer_to_another_challenge_fails() {
    // A replayed answer: right password, but for a different srp_B (another `b`).
    let params = telegram_params();
    let (_, answer) = account_exchange();
    let other = srp::server_challenge(&params, account_verifier(), &mut rng(31)).unwrap();
    assert_eq!(srp::server_check(&params, account_verifier(), &other, answer), Err(SrpError::WrongPassword));
}

#[test]
fn tampered_m1_or_a_fails() {
    let params = telegram_params();
    let (challenge, answer) = account_exchange();
    let mut bad_m1 = answer.clone();
    bad_m1.m1[31] ^= 1;
    assert_eq!(srp::server_check(&params, account_verifier(), challenge, &bad_m1), Err(SrpError::WrongPassword));
    let mut bad_a = answer.clone();
    bad_a.a[100] ^= 1;
    assert_eq!(srp::server_check(&params, account_verifier(), challenge, &bad_a), Err(SrpError::WrongPassword));
    let short = SrpAnswer { a: answer.a.clone(), m1: answer.m1[..31].to_vec() };
    assert_eq!(srp::server_check(&params, account_verifier(), challenge, &short), Err(SrpError::M1Length(31)));
}

/// Values every public SRP number must be refused as: 0, 1, small, p-1, p, p+1, above 2^2048,
/// and just outside both ends of the 2^(2048-64) margin.
fn out_of_range_values(p: &[u8]) -> Vec<Vec<u8>> {
    use num_bigint::BigUint;
    let p = BigUint::from_bytes_be(p);
    let margin = BigUint::from(1u32) << (2048 - 64);
    let to256 = |n: BigUint| {
        let b = n.to_bytes_be();
        let mut out = vec![0u8; 256usize.saturating_sub(b.len())];
        out.extend_from_slice(&b);
        out
    };
    vec![
        vec![],
        vec![0],
        vec![0; 256],
        vec![1],
        vec![2],
        to256(&p - 1u32),
        to256(p.clone()),
        to256(&p + 1u32),
        to256(&margin - 1u32),
        to256(&p - &margin + 1u32),
        vec![0xff; 256],
        vec![1; 257],
    ]
}

#[test]
fn client_rejects_srp_b_out_of_range() {
    let params = telegram_params();
    for bad in out_of_range_values(&params.p) {
        let result = srp::client_answer(PASSWORD, &params, &bad, &mut rng(41));
        assert_eq!(result, Err(SrpError::ServerValueRange { len: bad.len() }), "srp_B = {bad:02x?}");
    }
}

#[test]
fn server_rejects_a_out_of_range() {
    // A = 0 (or any multiple of p) would make S = 0 whatever the password: the classic SRP attack.
    let params = telegram_params();
    let (challenge, answer) = account_exchange();
    for bad in out_of_range_values(&params.p) {
        let forged = SrpAnswer { a: bad.clone(), m1: answer.m1.clone() };
        let result = srp::server_check(&params, account_verifier(), challenge, &forged);
        assert_eq!(result, Err(SrpError::ClientValueRange { len: bad.len() }), "A = {bad:02x?}");
    }
}

#[test]
fn client_rejects_bad_p_and_g() {
    let srp_b = hex(SRP_B);
    let mut params = telegram_params();
    params.g = 2; // Telegram's p is 3 mod 8: 2 is not a quadratic residue, so it fails.
    assert_eq!(
        srp::client_answer(PASSWORD, &params, &srp_b, &mut rng(51)),
        Err(SrpError::Params(DhError::GeneratorCondition(2)))
    );
    params.g = 8;
    assert_eq!(
        srp::client_answer(PASSWORD, &params, &srp_b, &mut rng(52)),
        Err(SrpError::Params(DhError::GeneratorRange(8)))
    );
    let mut short_p = telegram_params();
    short_p.p.remove(0);
    assert_eq!(srp::client_answer(PASSWORD, &short_p, &srp_b, &mut rng(53)), Err(SrpError::Params(DhError::PrimeSize)));
    // A 2048-bit p = 2 mod 3 (g = 3's condition holds) that is not prime.
    let mut composite = telegram_params();
    let last = composite.p.len() - 1;
    composite.p[last] = composite.p[last].wrapping_add(3);
    let result = srp::client_answer(PASSWORD, &composite, &srp_b, &mut rng(54));
    assert!(matches!(result, Err(SrpError::Params(DhError::NotPrime | DhError::NotSafePrime))), "{result:?}");
}

#[test]
fn server_rejects_bad_params_and_verifier() {
    let mut params = telegram_params();
    params.g = 0;
    assert_eq!(
        srp::server_challenge(&params, account_verifier(), &mut rng(61)).unwrap_err(),
        SrpError::Params(DhError::GeneratorRange(0))
    );
    let params = telegram_params();
    for bad in [vec![], vec![0; 256], params.p.clone(), vec![0xff; 256], vec![1; 257]] {
        assert_eq!(srp::server_challenge(&params, &bad, &mut rng(62)).unwrap_err(), SrpError::BadVerifier);
        let (challenge, answer) = account_exchange();
        assert_eq!(srp::server_check(&params, &bad, challenge, answer), Err(SrpError::BadVerifier));
    }
}

#[test]
fn broken_random_source_is_refused_not_used() {
    // All-zero randomness gives a = 0 (A = 1) and b = 0 (g^b = 1, so S = 1 whatever the
    // password, although B = k*v + 1 looks like any other number): neither side may go on.
    let params = telegram_params();
    let mut zeros = |buf: &mut [u8]| buf.fill(0);
    assert_eq!(srp::client_answer(PASSWORD, &params, &hex(SRP_B), &mut zeros), Err(SrpError::BadRandomSource));
    assert_eq!(srp::server_challenge(&params, account_verifier(), &mut zeros).unwrap_err(), SrpError::BadRandomSource);
}

#[test]
fn fresh_salt1_appends_32_random_bytes_and_changes_the_verifier() {
    let params = telegram_params();
    let fresh = params.with_fresh_salt1(&mut rng(71));
    assert_eq!(fresh.salt1.len(), params.salt1.len() + 32);
    assert_eq!(&fresh.salt1[..params.salt1.len()], params.salt1.as_slice());
    assert_eq!((&fresh.salt2, fresh.g, &fresh.p), (&params.salt2, params.g, &params.p));
    assert_ne!(srp::verifier(ACCOUNT_PASSWORD, &fresh), account_verifier());
}
