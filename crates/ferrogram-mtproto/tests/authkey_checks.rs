//! Every check of the key exchange (<https://core.telegram.org/mtproto/auth_key>,
//! <https://core.telegram.org/mtproto/security_guidelines>) rejects what it must, with its own
//! error variant.
//!
//! The honest client and server are driven up to the step under test; the message under test is
//! then altered, or forged whole. Forging the encrypted messages needs `new_nonce`, which the test
//! reads the way only the server could: by decrypting the client's `req_DH_params` with the
//! server's private key.

use std::sync::OnceLock;
use std::time::Duration;

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientHandshake, ClientStep};
use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep, MAX_KEY_ID_RETRIES};
use ferrogram_mtproto::authkey::AuthKeyError;
use ferrogram_mtproto::crypto::dh::{self, DhError};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_mtproto::crypto::{ige, kdf};
use ferrogram_tl::mtproto::{enums, functions, types};
use ferrogram_tl::{Deserializable, Serializable};
use num_bigint::BigUint;
use sha1::{Digest, Sha1};

const NOW: Duration = Duration::from_secs(1_700_000_000);

/// A deterministic random source (xorshift64).
fn rng(mut seed: u64) -> impl FnMut(&mut [u8]) {
    move |buf: &mut [u8]| {
        for b in buf {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            *b = (seed >> 24) as u8;
        }
    }
}

/// The server's RSA key, generated once for the whole test binary.
fn server_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut rng(7)))
}

/// Another key, which the server does not have.
fn other_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut rng(8)))
}

fn client_config() -> ClientConfig {
    ClientConfig::new(vec![server_key().public_key().clone()], 2)
}

fn send(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Send(body) => body,
        other => panic!("expected a message to send, got {other:?}"),
    }
}

fn client_send(step: ClientStep) -> Vec<u8> {
    match step {
        ClientStep::Send(body) => body,
        other => panic!("expected a message to send, got {other:?}"),
    }
}

/// The randomness both sides of a [`Run`] share.
type Random = Box<dyn FnMut(&mut [u8])>;

/// An honest exchange run up to a chosen point, with everything a forger needs.
struct Run {
    client: ClientHandshake,
    server: ServerHandshake,
    random: Random,
    /// The client's `req_DH_params`.
    req_dh: Vec<u8>,
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
}

// `to_*`: how far the exchange is run, not a conversion of `self`.
#[allow(clippy::wrong_self_convention)]
impl Run {
    /// req_pq_multi -> resPQ -> req_DH_params (not yet given to the server).
    fn to_req_dh(config: ClientConfig, server_config: ServerConfig) -> Run {
        let mut random: Random = Box::new(rng(42));
        let mut server = ServerHandshake::new(server_config);
        let (mut client, req_pq) = ClientHandshake::start(config, &mut random);
        let res_pq = send(server.handle(&req_pq, NOW, &mut random).unwrap());
        let req_dh = client_send(client.handle(&res_pq, NOW, &mut random).unwrap());
        let req = functions::ReqDhParams::from_bytes(&req_dh).unwrap();
        let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
        let new_nonce = match enums::PQInnerData::from_bytes(&inner).unwrap() {
            enums::PQInnerData::Dc(x) => x.new_nonce,
            enums::PQInnerData::TempDc(x) => x.new_nonce,
            other => panic!("client sent {other:?}"),
        };
        Run { client, server, random, req_dh, nonce: req.nonce, server_nonce: req.server_nonce, new_nonce }
    }

    /// The honest `server_DH_params_ok`.
    fn server_dh_params(&mut self) -> Vec<u8> {
        send(self.server.handle(&self.req_dh, NOW, &mut self.random).unwrap())
    }

    /// ... -> server_DH_params_ok -> set_client_DH_params (not yet given to the server).
    fn to_set_client_dh(&mut self) -> Vec<u8> {
        let dh_params = self.server_dh_params();
        client_send(self.client.handle(&dh_params, NOW, &mut self.random).unwrap())
    }

    fn client_handle(&mut self, body: &[u8]) -> Result<ClientStep, AuthKeyError> {
        self.client.handle(body, NOW, &mut self.random)
    }

    fn server_handle(&mut self, body: &[u8]) -> Result<ServerStep, AuthKeyError> {
        self.server.handle(body, NOW, &mut self.random)
    }

    /// SHA1 + data + padding, AES-IGE encrypted with the exchange's temporary key.
    fn encrypt(&self, data: &[u8], hash_ok: bool) -> Vec<u8> {
        let mut out = Sha1::digest(data).to_vec();
        if !hash_ok {
            out[0] ^= 1;
        }
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(16) * 16, 0xaa);
        let (key, iv) = kdf::temp_key_iv(&self.new_nonce, &self.server_nonce);
        ige::encrypt(&mut out, &key, &iv).unwrap();
        out
    }

    /// A `server_DH_params_ok` with the given DH parameters, as a malicious server could send.
    fn forged_dh_params(&self, g: i32, dh_prime: &[u8], g_a: &[u8], hash_ok: bool) -> Vec<u8> {
        let inner = types::ServerDhInnerData {
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            g,
            dh_prime: dh_prime.to_vec(),
            g_a: g_a.to_vec(),
            server_time: NOW.as_secs() as i32,
        };
        self.forged_dh_params_with(inner, hash_ok)
    }

    /// A `server_DH_params_ok` (with this exchange's outer nonces) around `inner`.
    fn forged_dh_params_with(&self, inner: types::ServerDhInnerData, hash_ok: bool) -> Vec<u8> {
        let encrypted_answer = self.encrypt(&enums::ServerDhInnerData::from(inner).to_bytes(), hash_ok);
        let ok = types::ServerDhParamsOk { nonce: self.nonce, server_nonce: self.server_nonce, encrypted_answer };
        enums::ServerDhParams::from(ok).to_bytes()
    }

    /// A `set_client_DH_params` carrying `g_b`, as a malicious client could send.
    fn forged_set_client_dh(&self, g_b: &[u8], retry_id: i64, hash_ok: bool) -> Vec<u8> {
        let inner = types::ClientDhInnerData {
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            retry_id,
            g_b: g_b.to_vec(),
        };
        let encrypted_data = self.encrypt(&enums::ClientDhInnerData::from(inner).to_bytes(), hash_ok);
        functions::SetClientDhParams { nonce: self.nonce, server_nonce: self.server_nonce, encrypted_data }.to_bytes()
    }
}

fn run() -> Run {
    Run::to_req_dh(client_config(), ServerConfig::new(server_key().clone(), 2))
}

fn server_with(dh_prime: Vec<u8>, g: i32) -> ServerConfig {
    ServerConfig { dh_prime, g, ..ServerConfig::new(server_key().clone(), 2) }
}

/// A valid g_a for Telegram's prime.
fn valid_g_a() -> Vec<u8> {
    dh::mod_pow(&[3], &[0x5a; 256], &dh::telegram_dh_prime()).to_vec()
}

fn be256(x: &BigUint) -> Vec<u8> {
    let b = x.to_bytes_be();
    let mut out = vec![0u8; 256 - b.len()];
    out.extend_from_slice(&b);
    out
}

// ---- nonces ----

#[test]
fn client_rejects_res_pq_with_wrong_nonce() {
    let mut random = rng(1);
    let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
    let (mut client, req_pq) = ClientHandshake::start(client_config(), &mut random);
    let mut res_pq = send(server.handle(&req_pq, NOW, &mut random).unwrap());
    res_pq[4] ^= 1; // first byte of nonce
    assert_eq!(client.handle(&res_pq, NOW, &mut random), Err(AuthKeyError::NonceMismatch));
    // A failed exchange is over.
    assert_eq!(client.handle(&res_pq, NOW, &mut random), Err(AuthKeyError::Finished));
}

#[test]
fn client_rejects_dh_params_with_wrong_nonce_or_server_nonce() {
    for (offset, expected) in [(4, AuthKeyError::NonceMismatch), (20, AuthKeyError::ServerNonceMismatch)] {
        let mut run = run();
        let mut dh_params = run.server_dh_params();
        dh_params[offset] ^= 0x80;
        assert_eq!(run.client_handle(&dh_params), Err(expected));
    }
}

#[test]
fn client_rejects_wrong_nonces_inside_the_encrypted_answer() {
    // Outer nonces right, inner ones wrong: only the decrypted answer tells.
    for (field, expected) in [(0, AuthKeyError::NonceMismatch), (1, AuthKeyError::ServerNonceMismatch)] {
        let mut run = run();
        let mut inner = types::ServerDhInnerData {
            nonce: run.nonce,
            server_nonce: run.server_nonce,
            g: 3,
            dh_prime: dh::telegram_dh_prime(),
            g_a: valid_g_a(),
            server_time: NOW.as_secs() as i32,
        };
        if field == 0 {
            inner.nonce[15] ^= 1;
        } else {
            inner.server_nonce[0] ^= 1;
        }
        let forged = run.forged_dh_params_with(inner, true);
        assert_eq!(run.client_handle(&forged), Err(expected));
    }
}

#[test]
fn client_rejects_dh_gen_answers_with_wrong_nonces() {
    for (offset, expected) in [(4, AuthKeyError::NonceMismatch), (20, AuthKeyError::ServerNonceMismatch)] {
        let mut run = run();
        let set_client_dh = run.to_set_client_dh();
        let ServerStep::Done { mut send, .. } = run.server_handle(&set_client_dh).unwrap() else {
            panic!("expected dh_gen_ok")
        };
        send[offset] ^= 1;
        assert_eq!(run.client_handle(&send), Err(expected));
    }
}

#[test]
fn server_rejects_req_dh_with_wrong_nonce_or_server_nonce() {
    for (offset, expected) in [(4, AuthKeyError::NonceMismatch), (20, AuthKeyError::ServerNonceMismatch)] {
        let mut run = run();
        let mut req_dh = run.req_dh.clone();
        req_dh[offset] ^= 1;
        assert_eq!(run.server_handle(&req_dh), Err(expected));
        // After an error (a -404 on the wire) the exchange is over.
        let honest = run.req_dh.clone();
        assert_eq!(run.server_handle(&honest), Err(AuthKeyError::Finished));
    }
}

#[test]
fn server_rejects_set_client_dh_with_wrong_nonce_or_server_nonce() {
    for (offset, expected) in [(4, AuthKeyError::NonceMismatch), (20, AuthKeyError::ServerNonceMismatch)] {
        let mut run = run();
        let mut set_client_dh = run.to_set_client_dh();
        set_client_dh[offset] ^= 1;
        assert_eq!(run.server_handle(&set_client_dh), Err(expected));
    }
}

// ---- new_nonce hashes ----

#[test]
fn client_rejects_dh_gen_ok_with_wrong_new_nonce_hash() {
    let mut run = run();
    let set_client_dh = run.to_set_client_dh();
    let ServerStep::Done { mut send, .. } = run.server_handle(&set_client_dh).unwrap() else {
        panic!("expected dh_gen_ok")
    };
    let last = send.len() - 1;
    send[last] ^= 1;
    assert_eq!(run.client_handle(&send), Err(AuthKeyError::NewNonceMismatch));
}

#[test]
fn client_rejects_dh_gen_retry_whose_hash_is_dh_gen_oks() {
    // An intruder turning dh_gen_ok into dh_gen_retry keeps new_nonce_hash1: must not pass as hash2.
    let mut run = run();
    let set_client_dh = run.to_set_client_dh();
    let ServerStep::Done { send, .. } = run.server_handle(&set_client_dh).unwrap() else {
        panic!("expected dh_gen_ok")
    };
    let enums::SetClientDhParamsAnswer::DhGenOk(ok) = enums::SetClientDhParamsAnswer::from_bytes(&send).unwrap() else {
        panic!()
    };
    let retry =
        types::DhGenRetry { nonce: ok.nonce, server_nonce: ok.server_nonce, new_nonce_hash2: ok.new_nonce_hash1 };
    assert_eq!(
        run.client_handle(&enums::SetClientDhParamsAnswer::from(retry).to_bytes()),
        Err(AuthKeyError::NewNonceMismatch)
    );
}

#[test]
fn client_handles_server_dh_params_fail() {
    for (hash_ok, expected) in [(true, AuthKeyError::ServerDhParamsFail), (false, AuthKeyError::NewNonceMismatch)] {
        let mut run = run();
        // new_nonce_hash: the 128 lower-order bits of SHA1(new_nonce).
        let mut new_nonce_hash: [u8; 16] = Sha1::digest(run.new_nonce)[4..].try_into().unwrap();
        if !hash_ok {
            new_nonce_hash[0] ^= 1;
        }
        let fail = types::ServerDhParamsFail { nonce: run.nonce, server_nonce: run.server_nonce, new_nonce_hash };
        assert_eq!(run.client_handle(&enums::ServerDhParams::from(fail).to_bytes()), Err(expected));
    }
}

// ---- DH parameters (client side) ----

#[test]
fn client_rejects_prime_that_is_not_prime() {
    // Telegram's prime + 6: still 2048 bits and still 2 mod 3 (so g = 3 passes its residue
    // condition), but composite.
    let p = BigUint::from_bytes_be(&dh::telegram_dh_prime()) + 6u32;
    assert!(!dh::is_probable_prime(&p, 10, &mut rng(3)));
    let mut run = Run::to_req_dh(client_config(), server_with(be256(&p), 3));
    let dh_params = run.server_dh_params();
    assert_eq!(run.client_handle(&dh_params), Err(AuthKeyError::Dh(DhError::NotPrime)));
}

#[test]
fn client_rejects_prime_that_is_not_safe() {
    // A 2048-bit prime p whose (p - 1) / 2 is not prime; g = 4 has no residue condition.
    let mut random = rng(11);
    let p = loop {
        let p = dh::random_prime(2048, &mut random);
        if !dh::is_probable_prime(&((&p - 1u32) >> 1), 5, &mut random) {
            break p;
        }
    };
    let mut run = Run::to_req_dh(client_config(), server_with(be256(&p), 4));
    let dh_params = run.server_dh_params();
    assert_eq!(run.client_handle(&dh_params), Err(AuthKeyError::Dh(DhError::NotSafePrime)));
}

#[test]
fn client_rejects_prime_that_is_not_2048_bits() {
    let p = dh::random_prime(1024, &mut rng(12));
    let mut run = run();
    let forged = run.forged_dh_params(3, &p.to_bytes_be(), &valid_g_a(), true);
    assert_eq!(run.client_handle(&forged), Err(AuthKeyError::Dh(DhError::PrimeSize)));
}

#[test]
fn client_rejects_g_outside_2_to_7() {
    for g in [-3, 0, 1, 8, 1 << 20] {
        let mut run = run();
        let forged = run.forged_dh_params(g, &dh::telegram_dh_prime(), &valid_g_a(), true);
        assert_eq!(run.client_handle(&forged), Err(AuthKeyError::Dh(DhError::GeneratorRange(g))), "g = {g}");
    }
}

#[test]
fn client_rejects_g_failing_its_residue_condition() {
    // Telegram's prime is 3 mod 8 and 4 mod 5 ... : g = 2 (needs p mod 8 = 7) fails.
    let p = BigUint::from_bytes_be(&dh::telegram_dh_prime());
    assert_ne!(&p % 8u32, BigUint::from(7u32));
    let mut run = Run::to_req_dh(client_config(), server_with(dh::telegram_dh_prime(), 2));
    let dh_params = run.server_dh_params();
    assert_eq!(run.client_handle(&dh_params), Err(AuthKeyError::Dh(DhError::GeneratorCondition(2))));
    // Every g in 2..=7 against its published condition on p.
    let r = |m: u32| (&p % m).to_u32_digits().first().copied().unwrap_or(0);
    for g in 2..=7 {
        let condition = match g {
            2 => r(8) == 7,
            3 => r(3) == 2,
            4 => true,
            5 => [1, 4].contains(&r(5)),
            6 => [19, 23].contains(&r(24)),
            _ => [3, 5, 6].contains(&r(7)),
        };
        let result = dh::check_dh_params(&dh::telegram_dh_prime(), g, &mut rng(1));
        assert_eq!(result.is_ok(), condition, "g = {g}");
        if !condition {
            assert_eq!(result, Err(DhError::GeneratorCondition(g)));
        }
    }
}

#[test]
fn client_rejects_g_a_out_of_range() {
    let p = BigUint::from_bytes_be(&dh::telegram_dh_prime());
    let bound: BigUint = BigUint::from(1u32) << (2048 - 64);
    for g_a in
        [BigUint::from(1u32), BigUint::from(2u32), &bound - 1u32, &p - &bound + 1u32, &p - 1u32, p.clone(), &p + 1u32]
    {
        let mut run = run();
        let forged = run.forged_dh_params(3, &dh::telegram_dh_prime(), &g_a.to_bytes_be(), true);
        assert_eq!(run.client_handle(&forged), Err(AuthKeyError::Dh(DhError::ValueRange)), "g_a = {g_a:x}");
    }
    // The bounds themselves are allowed.
    for g_a in [bound.clone(), &p - &bound] {
        let mut run = run();
        let forged = run.forged_dh_params(3, &dh::telegram_dh_prime(), &g_a.to_bytes_be(), true);
        assert!(matches!(run.client_handle(&forged), Ok(ClientStep::Send(_))));
    }
}

#[test]
fn client_rejects_answer_with_wrong_hash() {
    let mut run = run();
    let forged = run.forged_dh_params(3, &dh::telegram_dh_prime(), &valid_g_a(), false);
    assert_eq!(run.client_handle(&forged), Err(AuthKeyError::AnswerHash));
    // The same answer with its hash right is accepted: the hash was the only fault.
    let mut run = self::run();
    let forged = run.forged_dh_params(3, &dh::telegram_dh_prime(), &valid_g_a(), true);
    assert!(matches!(run.client_handle(&forged), Ok(ClientStep::Send(_))));
}

#[test]
fn client_rejects_tampered_encrypted_answer() {
    let mut run = run();
    let dh_params = run.server_dh_params();
    let mut tampered = dh_params.clone();
    // A bit in the last cipher block: IGE garbles that block (g_a's tail / server_time / padding),
    // the TL still parses, and the hash catches it.
    let at = tampered.len() - 20;
    tampered[at] ^= 1;
    assert_eq!(run.client_handle(&tampered), Err(AuthKeyError::AnswerHash));
}

// ---- RSA keys ----

#[test]
fn client_without_a_trusted_key_stops_at_res_pq() {
    let mut random = rng(5);
    let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
    let config = ClientConfig::new(vec![other_key().public_key().clone()], 2);
    let (mut client, req_pq) = ClientHandshake::start(config, &mut random);
    let res_pq = send(server.handle(&req_pq, NOW, &mut random).unwrap());
    assert_eq!(
        client.handle(&res_pq, NOW, &mut random),
        Err(AuthKeyError::NoTrustedKey(vec![server_key().public_key().fingerprint()]))
    );
}

#[test]
fn server_rejects_unknown_rsa_fingerprint() {
    let mut run = run();
    let mut req = functions::ReqDhParams::from_bytes(&run.req_dh).unwrap();
    let unknown = other_key().public_key().fingerprint();
    req.public_key_fingerprint = unknown;
    assert_eq!(run.server_handle(&req.to_bytes()), Err(AuthKeyError::UnknownFingerprint(unknown)));
}

#[test]
fn server_rejects_data_encrypted_for_another_key() {
    let mut run = run();
    let mut req = functions::ReqDhParams::from_bytes(&run.req_dh).unwrap();
    let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
    let data = enums::PQInnerData::from_bytes(&inner).unwrap().to_bytes();
    req.encrypted_data = other_key().public_key().rsa_pad_encrypt(&data, &mut rng(6)).unwrap().to_vec();
    let result = run.server_handle(&req.to_bytes());
    // Out of range for our modulus, or a plaintext that is neither RSA_PAD nor the older form.
    assert!(matches!(result, Err(AuthKeyError::Rsa(_) | AuthKeyError::EncryptedData(_))), "{result:?}");
}

// ---- pq ----

#[test]
fn server_rejects_p_and_q_that_do_not_match_pq() {
    let mut run = run();
    let mut req = functions::ReqDhParams::from_bytes(&run.req_dh).unwrap();
    std::mem::swap(&mut req.p, &mut req.q);
    assert_eq!(run.server_handle(&req.to_bytes()), Err(AuthKeyError::Pq("p and q do not factor the pq sent")));
}

#[test]
fn server_rejects_inner_data_whose_pq_disagrees() {
    let mut run = run();
    let mut req = functions::ReqDhParams::from_bytes(&run.req_dh).unwrap();
    let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
    let enums::PQInnerData::Dc(mut data) = enums::PQInnerData::from_bytes(&inner).unwrap() else { panic!() };
    data.pq[7] ^= 2;
    req.encrypted_data = server_key().public_key().rsa_pad_encrypt(&data.to_bytes(), &mut rng(6)).unwrap().to_vec();
    assert_eq!(run.server_handle(&req.to_bytes()), Err(AuthKeyError::Pq("inner data disagrees with req_DH_params")));
}

fn res_pq_with(run_pq: &[u8]) -> Result<ClientStep, AuthKeyError> {
    let mut random = rng(13);
    let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
    let (mut client, req_pq) = ClientHandshake::start(client_config(), &mut random);
    let res_pq = send(server.handle(&req_pq, NOW, &mut random).unwrap());
    let enums::ResPq::ResPq(mut res) = enums::ResPq::from_bytes(&res_pq).unwrap();
    res.pq = run_pq.to_vec();
    client.handle(&enums::ResPq::from(res).to_bytes(), NOW, &mut random)
}

#[test]
fn client_rejects_pq_that_is_not_two_primes() {
    // Three primes: Pollard-Brent finds a factor, but one side is composite.
    let three = 1_000_003u64 * 1_000_033 * 1_009;
    assert_eq!(res_pq_with(&three.to_be_bytes()), Err(AuthKeyError::Pq("pq is not a product of two distinct primes")));
    // A square of a prime.
    let square = 1_000_003u64 * 1_000_003;
    assert_eq!(res_pq_with(&square.to_be_bytes()), Err(AuthKeyError::Pq("pq is not a product of two distinct primes")));
    // A prime cannot be split at all.
    assert!(matches!(res_pq_with(&1_000_003u64.to_be_bytes()), Err(AuthKeyError::Factor(_))));
    // Longer than 64 bits.
    assert_eq!(res_pq_with(&[1; 9]), Err(AuthKeyError::Pq("not 1..=8 bytes")));
}

// ---- g_b and the client's encrypted data (server side) ----

#[test]
fn server_rejects_g_b_out_of_range() {
    let p = BigUint::from_bytes_be(&dh::telegram_dh_prime());
    let bound: BigUint = BigUint::from(1u32) << (2048 - 64);
    for g_b in [BigUint::from(0u32), BigUint::from(1u32), &bound - 1u32, &p - &bound + 1u32, &p - 1u32, p.clone()] {
        let mut run = run();
        run.server_dh_params();
        let forged = run.forged_set_client_dh(&g_b.to_bytes_be(), 0, true);
        assert_eq!(run.server_handle(&forged), Err(AuthKeyError::Dh(DhError::ValueRange)), "g_b = {g_b:x}");
    }
}

#[test]
fn server_rejects_client_data_with_wrong_hash() {
    let mut run = run();
    run.server_dh_params();
    let forged = run.forged_set_client_dh(&valid_g_a(), 0, false);
    assert_eq!(run.server_handle(&forged), Err(AuthKeyError::AnswerHash));
    // Control: the same with a right hash makes a key.
    let mut run = self::run();
    run.server_dh_params();
    let forged = run.forged_set_client_dh(&valid_g_a(), 0, true);
    assert!(matches!(run.server_handle(&forged), Ok(ServerStep::Done { .. })));
}

#[test]
fn server_rejects_wrong_retry_id() {
    let mut run = run();
    run.server_dh_params();
    let forged = run.forged_set_client_dh(&valid_g_a(), 12345, true);
    assert_eq!(run.server_handle(&forged), Err(AuthKeyError::RetryId));
}

#[test]
fn server_rejects_temp_key_without_lifetime() {
    let config = ClientConfig { temp_expires_in: Some(0), ..client_config() };
    let mut run = Run::to_req_dh(config, ServerConfig::new(server_key().clone(), 2));
    let req_dh = run.req_dh.clone();
    assert_eq!(run.server_handle(&req_dh), Err(AuthKeyError::TempKeyLifetime(0)));
}

#[test]
fn server_rejects_other_first_messages() {
    let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
    let ping = functions::Ping { ping_id: 1 }.to_bytes();
    assert_eq!(
        server.handle(&ping, NOW, &mut rng(1)),
        Err(AuthKeyError::Unexpected("message instead of req_pq_multi"))
    );
}

// ---- retry and fail ----

#[test]
fn server_gives_up_with_dh_gen_fail_and_client_reports_it() {
    let mut run = run();
    let mut set_client_dh = run.to_set_client_dh();
    let mut retries = 0;
    loop {
        let step = run.server.handle_with_key_check(&set_client_dh, NOW, &mut run.random, &mut |_| true).unwrap();
        match step {
            ServerStep::Send(retry) => {
                retries += 1;
                set_client_dh = client_send(run.client_handle(&retry).unwrap());
            }
            ServerStep::Refused(fail) => {
                assert_eq!(run.client_handle(&fail), Err(AuthKeyError::DhGenFail));
                break;
            }
            ServerStep::Done { .. } => panic!("every key id is taken"),
        }
    }
    assert_eq!(retries, MAX_KEY_ID_RETRIES);
}

#[test]
fn telegrams_prime_is_a_safe_2048_bit_prime() {
    // The embedded prime skips the runtime test; check here that it deserves to.
    let p = BigUint::from_bytes_be(&dh::telegram_dh_prime());
    assert_eq!(p.bits(), 2048);
    assert!(dh::is_probable_prime(&p, 20, &mut rng(2)));
    assert!(dh::is_probable_prime(&((&p - 1u32) >> 1), 20, &mut rng(3)));
    assert!(dh::is_known_safe_prime(&dh::telegram_dh_prime()));
    // Checking it draws no randomness (no Miller-Rabin run).
    dh::check_dh_params(&dh::telegram_dh_prime(), 3, &mut |_: &mut [u8]| panic!("no random draws expected")).unwrap();
}

#[test]
fn server_key_restored_from_components_completes_an_exchange() {
    // (n, e, d) is how the server persists its key; decryption then recovers p and q for CRT.
    let (n, e, d) = server_key().to_components();
    let restored = RsaPrivateKey::from_components(&n, &e, &d).unwrap();
    let mut run = Run::to_req_dh(client_config(), ServerConfig::new(restored.clone(), 2));
    let req = functions::ReqDhParams::from_bytes(&run.req_dh).unwrap();
    assert_eq!(restored.rsa_pad_decrypt(&req.encrypted_data), server_key().rsa_pad_decrypt(&req.encrypted_data));
    let set_client_dh = run.to_set_client_dh();
    assert!(matches!(run.server_handle(&set_client_dh), Ok(ServerStep::Done { .. })));
}
