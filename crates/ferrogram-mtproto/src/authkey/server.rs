//! The server side of the key exchange (<https://core.telegram.org/mtproto/auth_key>): answers
//! `req_pq(_multi)`, `req_DH_params` and `set_client_DH_params`, checking everything a server must.
//!
//! An `Err` from [`ServerHandshake::handle`] means the query was incorrect: the spec has the server
//! answer with the transport error `-404` and treat the exchange as over (the state machine then
//! answers [`AuthKeyError::Finished`] to anything else).
//!
//! `req_DH_params` carries `p_q_inner_data*` encrypted one of two ways, and both are accepted:
//! `RSA_PAD`, as the spec describes it now (and as our client sends it), or the older
//! `RSA(SHA1(data) + data + padding)`, which the spec no longer describes but Telegram's servers
//! still accept and Telethon, Pyrogram and Pyrogram's forks still send. `RSA_PAD` is tried first.
//! A block that fails it counts as the older form only if the decrypted number fits 255 bytes, a
//! `p_q_inner_data*` object (any of the four) reads from after the 20-byte hash without running
//! past the block, and the hash is the SHA1 of exactly that object; anything else is refused with
//! [`AuthKeyError::EncryptedData`] saying which check failed.
//!
//! When a new key's `auth_key_id` is already taken (the caller's store says so through
//! [`ServerHandshake::handle_with_key_check`]), the server answers `dh_gen_retry` and the client
//! draws a new `b`; after [`MAX_KEY_ID_RETRIES`] such collisions it gives up with `dh_gen_fail`.

use std::time::Duration;

use ferrogram_tl::mtproto::{enums, types};
use ferrogram_tl::{Deserializable, Serializable};

use super::inner_data::decrypt_inner_data;
use super::{be_minimal, check_hashed, check_nonces, first_salt, with_hash_and_padding, AuthKey, AuthKeyError};
use crate::crypto::{dh, ige, kdf, pq, rsa::RsaPrivateKey};
use crate::RandomSource;

/// What the server needs to create keys.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's RSA key; its fingerprint is offered in `resPQ`.
    pub rsa_key: RsaPrivateKey,
    /// The DC this server is (clients may add 10000 for test DCs or negate for media DCs).
    pub dc_id: i32,
    /// The DH prime (big-endian, 2048-bit safe prime). Telegram's by default.
    pub dh_prime: Vec<u8>,
    /// The generator.
    pub g: i32,
}

impl ServerConfig {
    /// Telegram's prime with g = 3, the given key and DC.
    pub fn new(rsa_key: RsaPrivateKey, dc_id: i32) -> Self {
        ServerConfig { rsa_key, dc_id, dh_prime: dh::telegram_dh_prime(), g: 3 }
    }
}

/// A key the server created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerKey {
    /// The key.
    pub auth_key: AuthKey,
    /// The first server salt.
    pub first_salt: i64,
    /// The DC id the client asked for (as sent: maybe +10000 or negative).
    pub dc_id: i32,
    /// For temporary keys, their lifetime in seconds.
    pub temp_expires_in: Option<i32>,
}

/// What to do after handling a message.
// `Done` holds the 256-byte key inline: a step is made a few times per key exchange and moved
// once, so the size costs nothing, while a `Box` would cost an allocation and every caller a deref.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this body in a plain message and wait for the client's next one.
    Send(Vec<u8>),
    /// Send this last body (`dh_gen_ok`); the key is ready.
    Done {
        /// The `dh_gen_ok` body.
        send: Vec<u8>,
        /// The new key.
        key: ServerKey,
    },
    /// Send this last body (`dh_gen_fail`): no free key id was found, the exchange is over and the
    /// client has to start a new one.
    Refused(Vec<u8>),
}

/// How many `auth_key_id` collisions the server answers with `dh_gen_retry` before it sends
/// `dh_gen_fail`.
pub const MAX_KEY_ID_RETRIES: u32 = 3;

#[derive(Debug)]
enum State {
    Start,
    ReqDh { nonce: [u8; 16], server_nonce: [u8; 16], pq: u64, p: u64, q: u64 },
    SetClientDh(Box<DhState>),
    Over,
}

/// What the server keeps between `server_DH_params_ok` and the key.
#[derive(Debug)]
struct DhState {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
    /// The server's secret exponent.
    a: [u8; 256],
    dc_id: i32,
    temp_expires_in: Option<i32>,
    /// What `client_DH_inner_data.retry_id` must be: 0 at first, then the previous key's aux hash.
    retry_id: i64,
    /// How many `dh_gen_retry` answers were sent.
    retries: u32,
}

/// The server's side of one key exchange (one per connection).
#[derive(Debug)]
pub struct ServerHandshake {
    config: ServerConfig,
    state: State,
}

const REQ_PQ: u32 = 0x60469778;
const REQ_PQ_MULTI: u32 = 0xbe7e8ef1;

impl ServerHandshake {
    /// A new exchange, waiting for `req_pq_multi`.
    pub fn new(config: ServerConfig) -> Self {
        ServerHandshake { config, state: State::Start }
    }

    /// Handles the body of the client's message; `now` is the server's Unix time (a [`Duration`]
    /// since the epoch, as everywhere in this crate). Every new key id counts as free (see
    /// [`handle_with_key_check`](Self::handle_with_key_check)).
    pub fn handle(
        &mut self,
        body: &[u8],
        now: Duration,
        random: &mut dyn RandomSource,
    ) -> Result<ServerStep, AuthKeyError> {
        self.handle_with_key_check(body, now, random, &mut |_| false)
    }

    /// Like [`handle`](Self::handle), asking `key_id_taken(auth_key_id)` whether a new key's id
    /// already belongs to another key: if so the server answers `dh_gen_retry` (spec step 9).
    pub fn handle_with_key_check(
        &mut self,
        body: &[u8],
        now: Duration,
        random: &mut dyn RandomSource,
        key_id_taken: &mut dyn FnMut(i64) -> bool,
    ) -> Result<ServerStep, AuthKeyError> {
        let now = super::unix_seconds(now);
        // On error the state stays `Over`: after a -404 the exchange is not resumed.
        match std::mem::replace(&mut self.state, State::Over) {
            State::Start => self.on_req_pq(body, random),
            State::ReqDh { nonce, server_nonce, pq, p, q } => {
                self.on_req_dh(body, nonce, server_nonce, (pq, p, q), now, random)
            }
            State::SetClientDh(dh) => self.on_set_client_dh(body, *dh, key_id_taken),
            State::Over => Err(AuthKeyError::Finished),
        }
    }

    fn on_req_pq(&mut self, body: &[u8], random: &mut dyn RandomSource) -> Result<ServerStep, AuthKeyError> {
        let mut r = ferrogram_tl::Reader::new(body);
        match r.read_u32()? {
            REQ_PQ | REQ_PQ_MULTI => {}
            _ => return Err(AuthKeyError::Unexpected("message instead of req_pq_multi")),
        }
        let nonce = r.read_int128()?;
        let mut server_nonce = [0u8; 16];
        random.fill(&mut server_nonce);
        let (pq, p, q) = pq::generate_pq(random);
        let res = types::ResPq {
            nonce,
            server_nonce,
            pq: pq.to_be_bytes().to_vec(),
            server_public_key_fingerprints: vec![self.config.rsa_key.public_key().fingerprint()],
        };
        self.state = State::ReqDh { nonce, server_nonce, pq, p, q };
        Ok(ServerStep::Send(enums::ResPq::from(res).to_bytes()))
    }

    fn on_req_dh(
        &mut self,
        body: &[u8],
        nonce: [u8; 16],
        server_nonce: [u8; 16],
        (pq, p, q): (u64, u64, u64),
        now: i64,
        random: &mut dyn RandomSource,
    ) -> Result<ServerStep, AuthKeyError> {
        let req = ferrogram_tl::mtproto::functions::ReqDhParams::from_bytes(body)?;
        check_nonces(&req.nonce, &req.server_nonce, &nonce, &server_nonce)?;
        let fingerprint = self.config.rsa_key.public_key().fingerprint();
        if req.public_key_fingerprint != fingerprint {
            return Err(AuthKeyError::UnknownFingerprint(req.public_key_fingerprint));
        }
        if req.p != be_minimal(p) || req.q != be_minimal(q) {
            return Err(AuthKeyError::Pq("p and q do not factor the pq sent"));
        }
        use enums::PQInnerData as Inner;
        let (i_pq, i_p, i_q, i_nonce, i_server_nonce, new_nonce, dc_id, temp_expires_in) =
            match decrypt_inner_data(&self.config.rsa_key, &req.encrypted_data)? {
                Inner::PQInnerData(x) => {
                    (x.pq, x.p, x.q, x.nonce, x.server_nonce, x.new_nonce, self.config.dc_id, None)
                }
                Inner::Dc(x) => (x.pq, x.p, x.q, x.nonce, x.server_nonce, x.new_nonce, x.dc, None),
                Inner::TempDc(x) => (x.pq, x.p, x.q, x.nonce, x.server_nonce, x.new_nonce, x.dc, Some(x.expires_in)),
                Inner::Temp(x) => {
                    (x.pq, x.p, x.q, x.nonce, x.server_nonce, x.new_nonce, self.config.dc_id, Some(x.expires_in))
                }
            };
        check_nonces(&i_nonce, &i_server_nonce, &nonce, &server_nonce)?;
        if i_pq != pq.to_be_bytes() || i_p != req.p || i_q != req.q {
            return Err(AuthKeyError::Pq("inner data disagrees with req_DH_params"));
        }
        if let Some(seconds) = temp_expires_in.filter(|&s| s <= 0) {
            return Err(AuthKeyError::TempKeyLifetime(seconds));
        }
        let a = server_exponent(random);
        let g_a = dh::mod_pow(&(self.config.g as u32).to_be_bytes(), &a, &self.config.dh_prime);
        let inner = types::ServerDhInnerData {
            nonce,
            server_nonce,
            g: self.config.g,
            dh_prime: self.config.dh_prime.clone(),
            g_a: g_a.to_vec(),
            server_time: now as i32,
        };
        let mut answer = with_hash_and_padding(&enums::ServerDhInnerData::from(inner).to_bytes(), random);
        let (key, iv) = kdf::temp_key_iv(&new_nonce, &server_nonce);
        ige::encrypt(&mut answer, &key, &iv).map_err(|e| AuthKeyError::BlockLength(e.0))?;
        self.state = State::SetClientDh(Box::new(DhState {
            nonce,
            server_nonce,
            new_nonce,
            a,
            dc_id,
            temp_expires_in,
            retry_id: 0,
            retries: 0,
        }));
        let ok = types::ServerDhParamsOk { nonce, server_nonce, encrypted_answer: answer };
        Ok(ServerStep::Send(enums::ServerDhParams::from(ok).to_bytes()))
    }

    fn on_set_client_dh(
        &mut self,
        body: &[u8],
        mut dh_state: DhState,
        key_id_taken: &mut dyn FnMut(i64) -> bool,
    ) -> Result<ServerStep, AuthKeyError> {
        let DhState { nonce, server_nonce, new_nonce, .. } = dh_state;
        let req = ferrogram_tl::mtproto::functions::SetClientDhParams::from_bytes(body)?;
        check_nonces(&req.nonce, &req.server_nonce, &nonce, &server_nonce)?;
        let mut data = req.encrypted_data;
        if data.len() % 16 != 0 || data.len() < 32 {
            return Err(AuthKeyError::BlockLength(data.len()));
        }
        let (key, iv) = kdf::temp_key_iv(&new_nonce, &server_nonce);
        ige::decrypt(&mut data, &key, &iv).map_err(|e| AuthKeyError::BlockLength(e.0))?;
        let enums::ClientDhInnerData::ClientDhInnerData(inner) = check_hashed::<enums::ClientDhInnerData>(&data)?;
        check_nonces(&inner.nonce, &inner.server_nonce, &nonce, &server_nonce)?;
        if inner.retry_id != dh_state.retry_id {
            return Err(AuthKeyError::RetryId);
        }
        dh::check_dh_value(&inner.g_b, &self.config.dh_prime)?;
        let auth_key = AuthKey::from_bytes(dh::mod_pow(&inner.g_b, &dh_state.a, &self.config.dh_prime));
        if key_id_taken(auth_key.id()) {
            if dh_state.retries >= MAX_KEY_ID_RETRIES {
                let fail = types::DhGenFail {
                    nonce,
                    server_nonce,
                    new_nonce_hash3: kdf::new_nonce_hash(&new_nonce, 3, auth_key.bytes()),
                };
                return Ok(ServerStep::Refused(enums::SetClientDhParamsAnswer::from(fail).to_bytes()));
            }
            let retry = types::DhGenRetry {
                nonce,
                server_nonce,
                new_nonce_hash2: kdf::new_nonce_hash(&new_nonce, 2, auth_key.bytes()),
            };
            dh_state.retry_id = auth_key.aux_hash();
            dh_state.retries += 1;
            self.state = State::SetClientDh(Box::new(dh_state));
            return Ok(ServerStep::Send(enums::SetClientDhParamsAnswer::from(retry).to_bytes()));
        }
        let ok = types::DhGenOk {
            nonce,
            server_nonce,
            new_nonce_hash1: kdf::new_nonce_hash(&new_nonce, 1, auth_key.bytes()),
        };
        Ok(ServerStep::Done {
            send: enums::SetClientDhParamsAnswer::from(ok).to_bytes(),
            key: ServerKey {
                auth_key,
                first_salt: first_salt(&new_nonce, &server_nonce),
                dc_id: dh_state.dc_id,
                temp_expires_in: dh_state.temp_expires_in,
            },
        })
    }
}

/// Bytes of the server's secret DH exponent `a`.
///
/// 256 bits, not the 2048 of the client's `b`: an exponent needs about twice the group's
/// security level in bits (a 2048-bit safe-prime group gives about 112 bits, so at least 224),
/// and the discrete logarithm of a short exponent in such a group is no easier than that (the
/// best attacks on short exponents, Pollard's kangaroo and van Oorschot-Wiener, cost about
/// 2^(bits/2) = 2^128). The two exponentiations with `a` are most of the server's CPU per login,
/// and they shrink eightfold. The client keeps the spec's full-length `b`.
pub const SERVER_EXPONENT_BYTES: usize = 32;

/// A fresh secret exponent `a` of exactly `8 * SERVER_EXPONENT_BYTES` bits (the top bit set, so
/// it is never short), big-endian in 256 bytes as the exponentiation takes it.
fn server_exponent(random: &mut dyn RandomSource) -> [u8; 256] {
    let mut a = [0u8; 256];
    let low = &mut a[256 - SERVER_EXPONENT_BYTES..];
    random.fill(low);
    low[0] |= 0x80;
    a
}

#[cfg(test)]
mod exponent_tests {
    use super::*;

    #[test]
    fn the_server_exponent_has_exactly_256_bits() {
        let mut zeros = |b: &mut [u8]| b.fill(0);
        let a = server_exponent(&mut zeros);
        assert!(a[..256 - SERVER_EXPONENT_BYTES].iter().all(|&b| b == 0));
        assert_eq!(a[256 - SERVER_EXPONENT_BYTES], 0x80, "never shorter, even from zero randomness");
        let mut ones = |b: &mut [u8]| b.fill(0xff);
        let a = server_exponent(&mut ones);
        assert!(a[..256 - SERVER_EXPONENT_BYTES].iter().all(|&b| b == 0), "never longer");
    }
}
