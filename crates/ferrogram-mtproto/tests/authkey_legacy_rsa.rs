//! The server accepts `p_q_inner_data*` in the older `RSA(SHA1(data) + data + padding)` encoding
//! that Telethon, Pyrogram and Kurigram send, as well as `RSA_PAD`, for every variant of the
//! object, and refuses a malformed block of either kind.
//!
//! The older block is built here by hand, the way Telethon builds it (`telethon/crypto/rsa.py`,
//! `encrypt`): `SHA1(data) + data + padding` to 255 bytes, read as a big-endian number, raised to
//! `e` modulo `n`, written as 256 big-endian bytes. [`telethon_encrypt`] is checked against the
//! vector Telethon publishes for it first, so the exchanges below run on Telethon's exact bytes.

use std::sync::OnceLock;
use std::time::Duration;

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientHandshake, ClientStep};
use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerKey, ServerStep};
use ferrogram_mtproto::authkey::{AuthKeyError, LegacyBlockError};
use ferrogram_mtproto::crypto::rsa::{RsaError, RsaPrivateKey, RsaPublicKey};
use ferrogram_mtproto::RandomSource;
use ferrogram_tl::mtproto::{enums, functions, types};
use ferrogram_tl::{Deserializable, DeserializeError, Serializable};
use num_bigint::BigUint;
use sha1::{Digest, Sha1};

const NOW: Duration = Duration::from_secs(1_700_000_000);
const DC: i32 = 2;

/// A deterministic random source (xorshift64), the seeded generator of every test here.
struct Rng(u64);

impl RandomSource for Rng {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }
}

fn rng(seed: u64) -> Rng {
    Rng(seed)
}

fn server_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut rng(7)))
}

fn other_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut rng(8)))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// `pow(int.from_bytes(block, 'big'), e, n).to_bytes(256, 'big')`: textbook RSA of any block.
fn raw_rsa(key: &RsaPublicKey, block: &[u8]) -> Vec<u8> {
    let (n, e) = (BigUint::from_bytes_be(&key.modulus()), BigUint::from_bytes_be(&key.exponent()));
    let c = BigUint::from_bytes_be(block).modpow(&e, &n).to_bytes_be();
    let mut out = vec![0u8; 256 - c.len()];
    out.extend_from_slice(&c);
    out
}

/// The 255-byte block Telethon encrypts: `sha1(data).digest() + data + padding[:235 - len(data)]`.
fn telethon_block(data: &[u8], padding: &[u8]) -> Vec<u8> {
    let mut block = Sha1::digest(data).to_vec();
    block.extend_from_slice(data);
    block.extend_from_slice(&padding[..235 - data.len()]);
    block
}

/// Telethon's `encrypt` with its random padding given.
fn telethon_encrypt(key: &RsaPublicKey, data: &[u8], padding: &[u8]) -> Vec<u8> {
    raw_rsa(key, &telethon_block(data, padding))
}

/// 235 bytes of padding from a seeded generator (Telethon draws them from `os.urandom`).
fn padding(seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; 235];
    rng(seed).fill(&mut out);
    out
}

#[test]
fn our_telethon_block_matches_telethons_own_vector() {
    // Telethon's `test_rsa_encryption` (LonamiWebs/Telethon, client/tests/rsa_test.py):
    // `encrypt_hashed(b"Hello!", key, bytes(256))` under this key, e = 65537.
    let n = hex(concat!(
        "aeec36c8ffc109cb099624685b97815415657bd76d8c9c3e398103d7ad16c9bba6f525ed0412d7ae2c2de2b44e77d72c",
        "bf4b7438709a4e646a05c43427c7f184debf72947519680e651500890c6832796dd11f772c25ff8f576755afe055b0a3",
        "752c696eb7d8da0d8be1faf38c9bdd97ce0a77d3916230c4032167100edd0f9e7a3a9b602d04367b689536af0d64b613",
        "ccba7962939d3b57682beb6dae5b608130b2e52aca78ba023cf6ce806b1dc49c72cf928a7199d22e3d7ac84e47bc9427",
        "d0236945d10dbd15177bab413fbf0edfda09f014c7a7da088dde9759702ca760af2b8e4e97cc055c617bd74c3d970086",
        "35b98dc4d621b4891da9fb0473047927",
    ));
    let expected = hex(concat!(
        "75702d4c88d29b6ab934355124dd28d9b62a47558841c8031450f7499b1c9c6bd39d27c1581c51344e51c179237064a7",
        "23ae939d5ac35014fd8b4fe24f75e3115c32a16369ee2b373a61ec9446b92b2e3df07618db0a8afda999b6702b32b581",
        "9bd6ea4970fb347ca84a60d0c38ab70c66e5ed0140448889a3b882eea533bad05efa2045eda717123c414abfded43e1e",
        "b483a049786ef5031b12d51a3ff7ecb7d804d44135945f98f75a4a6cf1a1df37559e30bbe92a4b7966c34f0738e6d130",
        "5985776d26dfab7c0fdfd7ec202cc78c54cf82ac2386c79d0e197580a4fa94300a2382f9e116fe82df9bd872e5b9da7b",
        "426223bf1ad8588930b51e165d6cdd02",
    ));
    let key = RsaPublicKey::from_components(&n, &[1, 0, 1]).unwrap();
    assert_eq!(telethon_encrypt(&key, b"Hello!", &[0u8; 256]), expected);
}

/// How the test encrypts `p_q_inner_data*`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Encoding {
    /// What Telethon and Pyrogram send.
    Legacy,
    /// What the spec describes now (and our client sends).
    RsaPad,
}

/// The four constructors of `P_Q_inner_data`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Variant {
    Plain,
    Dc,
    Temp,
    TempDc,
}

const VARIANTS: [Variant; 4] = [Variant::Plain, Variant::Dc, Variant::Temp, Variant::TempDc];
const EXPIRES_IN: i32 = 3_600;
const CLIENT_DC: i32 = -10_002;

/// An exchange with an honest client, stopped before the server sees `req_DH_params`, so the test
/// can replace its `encrypted_data`.
struct Exchange {
    client: ClientHandshake,
    server: ServerHandshake,
    random: Rng,
    req: functions::ReqDhParams,
    /// What the honest client encrypted (decrypted with the server's key).
    honest: types::PQInnerDataDc,
}

impl Exchange {
    fn start(seed: u64) -> Exchange {
        let mut random = rng(seed);
        let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), DC));
        let config = ClientConfig::new(vec![server_key().public_key().clone()], CLIENT_DC);
        let (mut client, req_pq) = ClientHandshake::start(config, &mut random);
        let res_pq = send(server.handle(&req_pq, NOW, &mut random).unwrap());
        let req_dh = match client.handle(&res_pq, NOW, &mut random).unwrap() {
            ClientStep::Send(body) => body,
            other => panic!("expected req_DH_params, got {other:?}"),
        };
        let req = functions::ReqDhParams::from_bytes(&req_dh).unwrap();
        let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
        let enums::PQInnerData::Dc(honest) = enums::PQInnerData::from_bytes(&inner).unwrap() else {
            panic!("the client sends p_q_inner_data_dc")
        };
        Exchange { client, server, random, req, honest }
    }

    /// The client's values as `variant`, serialized.
    fn inner_data(&self, variant: Variant) -> Vec<u8> {
        let h = self.honest.clone();
        let (pq, p, q, nonce, server_nonce, new_nonce) = (h.pq, h.p, h.q, h.nonce, h.server_nonce, h.new_nonce);
        match variant {
            Variant::Plain => enums::PQInnerData::from(types::PQInnerData { pq, p, q, nonce, server_nonce, new_nonce }),
            Variant::Dc => enums::PQInnerData::from(types::PQInnerDataDc {
                pq,
                p,
                q,
                nonce,
                server_nonce,
                new_nonce,
                dc: CLIENT_DC,
            }),
            Variant::Temp => enums::PQInnerData::from(types::PQInnerDataTemp {
                pq,
                p,
                q,
                nonce,
                server_nonce,
                new_nonce,
                expires_in: EXPIRES_IN,
            }),
            Variant::TempDc => enums::PQInnerData::from(types::PQInnerDataTempDc {
                pq,
                p,
                q,
                nonce,
                server_nonce,
                new_nonce,
                dc: CLIENT_DC,
                expires_in: EXPIRES_IN,
            }),
        }
        .to_bytes()
    }

    /// Gives the server `req_DH_params` with `encrypted_data` replaced.
    fn send_req_dh(&mut self, encrypted_data: Vec<u8>) -> Result<ServerStep, AuthKeyError> {
        let req = functions::ReqDhParams { encrypted_data, ..self.req.clone() };
        self.server.handle(&req.to_bytes(), NOW, &mut self.random)
    }

    /// The same with a modified fingerprint.
    fn send_req_dh_with_fingerprint(
        &mut self,
        encrypted_data: Vec<u8>,
        fingerprint: i64,
    ) -> Result<ServerStep, AuthKeyError> {
        let req = functions::ReqDhParams { encrypted_data, public_key_fingerprint: fingerprint, ..self.req.clone() };
        self.server.handle(&req.to_bytes(), NOW, &mut self.random)
    }

    /// Runs the exchange to the end with this `encrypted_data`: both sides' keys.
    fn finish(mut self, encrypted_data: Vec<u8>) -> (ferrogram_mtproto::authkey::AuthKey, ServerKey) {
        let dh_params = send(self.send_req_dh(encrypted_data).unwrap());
        let set_client_dh = match self.client.handle(&dh_params, NOW, &mut self.random).unwrap() {
            ClientStep::Send(body) => body,
            other => panic!("expected set_client_DH_params, got {other:?}"),
        };
        let (dh_gen_ok, server_key) = match self.server.handle(&set_client_dh, NOW, &mut self.random).unwrap() {
            ServerStep::Done { send, key } => (send, key),
            other => panic!("expected dh_gen_ok, got {other:?}"),
        };
        match self.client.handle(&dh_gen_ok, NOW, &mut self.random).unwrap() {
            ClientStep::Done(done) => (done.auth_key, server_key),
            other => panic!("expected the finished key, got {other:?}"),
        }
    }
}

fn send(step: ServerStep) -> Vec<u8> {
    match step {
        ServerStep::Send(body) => body,
        other => panic!("expected a message to send, got {other:?}"),
    }
}

#[test]
fn every_variant_completes_in_both_encodings() {
    let mut seed = 100;
    for encoding in [Encoding::Legacy, Encoding::RsaPad] {
        for variant in VARIANTS {
            seed += 1;
            let exchange = Exchange::start(seed);
            let data = exchange.inner_data(variant);
            let encrypted = match encoding {
                Encoding::Legacy => {
                    let encrypted = telethon_encrypt(server_key().public_key(), &data, &padding(seed));
                    // Really the older form: RSA_PAD's check fails on it.
                    assert_eq!(server_key().rsa_pad_decrypt(&encrypted), Err(RsaError::PadHash));
                    encrypted
                }
                Encoding::RsaPad => server_key().public_key().rsa_pad_encrypt(&data, &mut rng(seed)).unwrap().to_vec(),
            };
            let (client_key, server_key) = exchange.finish(encrypted);
            assert_eq!(client_key, server_key.auth_key, "{encoding:?} {variant:?}");
            let (dc_id, temp) = match variant {
                Variant::Plain => (DC, None),
                Variant::Dc => (CLIENT_DC, None),
                Variant::Temp => (DC, Some(EXPIRES_IN)),
                Variant::TempDc => (CLIENT_DC, Some(EXPIRES_IN)),
            };
            assert_eq!((server_key.dc_id, server_key.temp_expires_in), (dc_id, temp), "{encoding:?} {variant:?}");
        }
    }
}

#[test]
fn legacy_block_decodes_whatever_its_padding_holds() {
    // Padding fills whatever the object leaves of 235 bytes: the server reads the object's length
    // from the object itself, whatever bytes (zeros, 0xff, random) follow it.
    for fill in [0x00u8, 0xff, 0x5a] {
        let exchange = Exchange::start(200 + fill as u64);
        let data = exchange.inner_data(Variant::Plain);
        let encrypted = telethon_encrypt(server_key().public_key(), &data, &[fill; 235]);
        let (client_key, server_key) = exchange.finish(encrypted);
        assert_eq!(client_key, server_key.auth_key);
    }
}

// ---- refusals ----

/// Sends `block` (255 bytes, or 256 with its leading byte) raw-RSA-encrypted for the server's key.
fn server_answer_to_block(exchange: &mut Exchange, block: &[u8]) -> Result<ServerStep, AuthKeyError> {
    let encrypted = raw_rsa(server_key().public_key(), block);
    exchange.send_req_dh(encrypted)
}

#[test]
fn legacy_block_with_a_wrong_sha1_is_refused() {
    let mut exchange = Exchange::start(1);
    let data = exchange.inner_data(Variant::Dc);
    let mut block = telethon_block(&data, &padding(1));
    block[0] ^= 1;
    assert_eq!(server_answer_to_block(&mut exchange, &block), Err(AuthKeyError::EncryptedData(LegacyBlockError::Hash)));
    // The exchange is over after a refusal, as after any other.
    assert_eq!(exchange.send_req_dh(vec![0; 256]), Err(AuthKeyError::Finished));
}

#[test]
fn legacy_block_whose_data_was_changed_after_hashing_is_refused() {
    let mut exchange = Exchange::start(2);
    let data = exchange.inner_data(Variant::TempDc);
    let mut block = telethon_block(&data, &padding(2));
    // The last byte of expires_in: still a well-formed object, no longer the one hashed.
    block[20 + data.len() - 1] ^= 0x40;
    assert_eq!(server_answer_to_block(&mut exchange, &block), Err(AuthKeyError::EncryptedData(LegacyBlockError::Hash)));
}

#[test]
fn legacy_block_hashing_the_padding_too_is_refused() {
    // SHA1 over data + padding (a plausible client bug) is not SHA1 over data.
    let mut exchange = Exchange::start(3);
    let data = exchange.inner_data(Variant::Dc);
    let mut with_padding = data.clone();
    with_padding.extend_from_slice(&padding(3)[..235 - data.len()]);
    let mut block = Sha1::digest(&with_padding).to_vec();
    block.extend_from_slice(&with_padding);
    assert_eq!(server_answer_to_block(&mut exchange, &block), Err(AuthKeyError::EncryptedData(LegacyBlockError::Hash)));
}

#[test]
fn legacy_block_whose_object_claims_more_than_fits_is_refused() {
    let mut exchange = Exchange::start(4);
    // `pq` announced as 254 bytes (the long length form), in a block with 235 bytes after the
    // hash: the object cannot end inside the block.
    let mut data = 0x83c95aecu32.to_le_bytes().to_vec(); // p_q_inner_data
    data.extend_from_slice(&[254, 254, 0, 0]);
    data.resize(235, 0x11);
    let mut block = Sha1::digest(&data).to_vec();
    block.extend_from_slice(&data);
    assert_eq!(
        server_answer_to_block(&mut exchange, &block),
        Err(AuthKeyError::EncryptedData(LegacyBlockError::Overrun))
    );
}

#[test]
fn legacy_block_with_an_object_too_long_for_the_block_is_refused() {
    let mut exchange = Exchange::start(5);
    // A real object of more than 235 bytes (a 160-byte pq), cut to what the block holds, with
    // the SHA1 of the whole object: it still does not fit.
    let enums::PQInnerData::Dc(mut long) = enums::PQInnerData::from_bytes(&exchange.inner_data(Variant::Dc)).unwrap()
    else {
        unreachable!()
    };
    long.pq = vec![7; 160];
    let data = enums::PQInnerData::from(long).to_bytes();
    assert!(data.len() > 235);
    let mut block = Sha1::digest(&data).to_vec();
    block.extend_from_slice(&data[..235]);
    assert_eq!(
        server_answer_to_block(&mut exchange, &block),
        Err(AuthKeyError::EncryptedData(LegacyBlockError::Overrun))
    );
}

#[test]
fn legacy_block_without_a_p_q_inner_data_is_refused() {
    let mut exchange = Exchange::start(6);
    // A well-hashed block around some other object (here a client_DH_inner_data-like id).
    let mut data = 0x6643b654u32.to_le_bytes().to_vec();
    data.resize(64, 0);
    let block = telethon_block(&data, &padding(6));
    assert!(matches!(
        server_answer_to_block(&mut exchange, &block),
        Err(AuthKeyError::EncryptedData(LegacyBlockError::Decode(DeserializeError::UnexpectedConstructor { .. })))
    ));
}

#[test]
fn plaintext_that_does_not_fit_255_bytes_is_refused() {
    let mut exchange = Exchange::start(7);
    let data = exchange.inner_data(Variant::Dc);
    // A correct block shifted up by one byte: 256 significant bytes (still below n, whose top
    // byte is at least 0x80).
    let mut block = vec![0x01];
    block.extend_from_slice(&telethon_block(&data, &padding(7)));
    assert_eq!(
        server_answer_to_block(&mut exchange, &block),
        Err(AuthKeyError::EncryptedData(LegacyBlockError::TooLong))
    );
}

#[test]
fn truncated_or_oversized_ciphertext_is_refused() {
    let data = Exchange::start(8).inner_data(Variant::Dc);
    let encrypted = telethon_encrypt(server_key().public_key(), &data, &padding(8));
    let modulus = server_key().public_key().modulus();
    let longer = [encrypted.clone(), vec![0]].concat();
    for bad in [encrypted[..255].to_vec(), encrypted[1..].to_vec(), longer, modulus, vec![0xff; 256], vec![]] {
        let mut exchange = Exchange::start(8);
        assert_eq!(exchange.send_req_dh(bad), Err(AuthKeyError::Rsa(RsaError::CiphertextRange)));
    }
}

#[test]
fn legacy_block_under_a_wrong_fingerprint_is_refused() {
    let mut exchange = Exchange::start(9);
    let data = exchange.inner_data(Variant::Dc);
    let encrypted = telethon_encrypt(server_key().public_key(), &data, &padding(9));
    let unknown = other_key().public_key().fingerprint();
    assert_eq!(
        exchange.send_req_dh_with_fingerprint(encrypted, unknown),
        Err(AuthKeyError::UnknownFingerprint(unknown))
    );
}

#[test]
fn legacy_block_encrypted_for_another_key_is_refused() {
    let mut exchange = Exchange::start(10);
    let data = exchange.inner_data(Variant::Dc);
    let encrypted = telethon_encrypt(other_key().public_key(), &data, &padding(10));
    let result = exchange.send_req_dh(encrypted);
    assert!(matches!(result, Err(AuthKeyError::EncryptedData(_) | AuthKeyError::Rsa(_))), "{result:?}");
}

#[test]
fn legacy_block_still_gets_every_check_of_its_content() {
    // A valid block carrying a wrong nonce: decoding succeeds, the nonce check refuses it.
    let mut exchange = Exchange::start(11);
    let enums::PQInnerData::Dc(mut inner) = enums::PQInnerData::from_bytes(&exchange.inner_data(Variant::Dc)).unwrap()
    else {
        unreachable!()
    };
    inner.nonce[0] ^= 1;
    let data = enums::PQInnerData::from(inner).to_bytes();
    let encrypted = telethon_encrypt(server_key().public_key(), &data, &padding(11));
    assert_eq!(exchange.send_req_dh(encrypted), Err(AuthKeyError::NonceMismatch));
    // And a wrong pq.
    let mut exchange = Exchange::start(12);
    let enums::PQInnerData::Dc(mut inner) = enums::PQInnerData::from_bytes(&exchange.inner_data(Variant::Dc)).unwrap()
    else {
        unreachable!()
    };
    inner.pq[7] ^= 2;
    let data = enums::PQInnerData::from(inner).to_bytes();
    let encrypted = telethon_encrypt(server_key().public_key(), &data, &padding(12));
    assert_eq!(exchange.send_req_dh(encrypted), Err(AuthKeyError::Pq("inner data disagrees with req_DH_params")));
}

#[test]
fn tampered_rsa_pad_block_is_still_refused() {
    // An RSA_PAD block for this key with a byte of its data changed fails RSA_PAD's hash, and the
    // fallback does not take it either.
    let mut exchange = Exchange::start(13);
    let mut rsa_pad =
        server_key().public_key().rsa_pad_encrypt(&exchange.inner_data(Variant::Dc), &mut rng(13)).unwrap();
    rsa_pad[100] ^= 1;
    let result = exchange.send_req_dh(rsa_pad.to_vec());
    assert!(matches!(result, Err(AuthKeyError::EncryptedData(_) | AuthKeyError::Rsa(_))), "{result:?}");
}
