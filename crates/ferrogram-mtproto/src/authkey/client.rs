//! The client side of the key exchange (<https://core.telegram.org/mtproto/auth_key>).

use std::time::Duration;

use ferrogram_tl::mtproto::{enums, functions, types};
use ferrogram_tl::{Deserializable, Serializable};

use super::{
    be_minimal, be_u64, check_hashed, check_nonces, first_salt, new_nonce_hash_fail, with_hash_and_padding, AuthKey,
    AuthKeyError,
};
use crate::crypto::{dh, ige, kdf, pq, rsa::RsaPublicKey};
use crate::RandomSource;

/// How many `dh_gen_retry` answers the client accepts before giving up.
const MAX_RETRIES: u32 = 5;

/// What the client needs to create a key.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The server RSA keys this client trusts; the server must offer one of them.
    pub rsa_keys: Vec<RsaPublicKey>,
    /// The DC id sent in `p_q_inner_data_dc` (+10000 for test DCs, negative for media DCs).
    pub dc_id: i32,
    /// `Some(seconds)` creates a temporary key (`p_q_inner_data_temp_dc`) valid that long.
    pub temp_expires_in: Option<i32>,
}

impl ClientConfig {
    /// A permanent key for `dc_id`, trusting `rsa_keys`.
    pub fn new(rsa_keys: Vec<RsaPublicKey>, dc_id: i32) -> Self {
        ClientConfig { rsa_keys, dc_id, temp_expires_in: None }
    }
}

/// The finished exchange, from the client's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDone {
    /// The new key.
    pub auth_key: AuthKey,
    /// `server_time - now` at `server_DH_inner_data`, in seconds: add it to local time when
    /// making msg_ids.
    pub time_offset: i32,
    /// The first server salt.
    pub first_salt: i64,
    /// For temporary keys, how long the key is valid, in seconds.
    pub temp_expires_in: Option<i32>,
}

/// What to do after handling a message.
// `Done` holds the 256-byte key inline: a step is made a few times per key exchange and moved
// once, so the size costs nothing, while a `Box` would cost an allocation and every caller a deref.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientStep {
    /// Send this body in a plain message and feed the answer to
    /// [`handle`](ClientHandshake::handle).
    Send(Vec<u8>),
    /// The key is ready.
    Done(ClientDone),
}

#[derive(Debug)]
enum State {
    ResPq { nonce: [u8; 16] },
    DhParams { nonce: [u8; 16], server_nonce: [u8; 16], new_nonce: [u8; 32] },
    DhGen(Box<AwaitingDhGen>),
    Over,
}

/// What the client keeps between `set_client_DH_params` and the server's `dh_gen_*` answer.
#[derive(Debug)]
struct AwaitingDhGen {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
    /// The key this attempt made.
    auth_key: AuthKey,
    time_offset: i32,
    /// Kept to build another `client_DH_inner_data` if the server asks to retry.
    dh: DhContext,
    retries: u32,
}

#[derive(Debug, Clone)]
struct DhContext {
    g: i32,
    dh_prime: Vec<u8>,
    g_a: Vec<u8>,
}

/// The client's side of one key exchange.
#[derive(Debug)]
pub struct ClientHandshake {
    config: ClientConfig,
    state: State,
}

impl ClientHandshake {
    /// Starts an exchange: returns the state machine and the body of the first message
    /// (`req_pq_multi` with a random nonce).
    pub fn start(config: ClientConfig, random: &mut dyn RandomSource) -> (Self, Vec<u8>) {
        let mut nonce = [0u8; 16];
        random.fill(&mut nonce);
        let body = functions::ReqPqMulti { nonce }.to_bytes();
        (ClientHandshake { config, state: State::ResPq { nonce } }, body)
    }

    /// Handles the body of the server's answer; `now` is the local Unix time (a [`Duration`]
    /// since the epoch, as everywhere in this crate).
    pub fn handle(
        &mut self,
        body: &[u8],
        now: Duration,
        random: &mut dyn RandomSource,
    ) -> Result<ClientStep, AuthKeyError> {
        let now = super::unix_seconds(now);
        let state = std::mem::replace(&mut self.state, State::Over);
        let result = match state {
            State::ResPq { nonce } => self.on_res_pq(nonce, body, random),
            State::DhParams { nonce, server_nonce, new_nonce } => {
                self.on_dh_params(nonce, server_nonce, new_nonce, body, now, random)
            }
            State::DhGen(awaiting) => self.on_dh_gen(*awaiting, body, random),
            State::Over => Err(AuthKeyError::Finished),
        };
        // On error the state stays `Over`: a failed exchange is not resumed.
        result
    }

    fn on_res_pq(
        &mut self,
        nonce: [u8; 16],
        body: &[u8],
        random: &mut dyn RandomSource,
    ) -> Result<ClientStep, AuthKeyError> {
        let enums::ResPq::ResPq(res) = enums::ResPq::from_bytes(body)?;
        if res.nonce != nonce {
            return Err(AuthKeyError::NonceMismatch);
        }
        let key = self
            .config
            .rsa_keys
            .iter()
            .find(|k| res.server_public_key_fingerprints.contains(&k.fingerprint()))
            .ok_or_else(|| AuthKeyError::NoTrustedKey(res.server_public_key_fingerprints.clone()))?;
        let pq_value = be_u64(&res.pq)?;
        let (p, q) = pq::factorize(pq_value)?;
        // Pollard-Brent finds *a* factor; a pq of three or more primes would give a composite one.
        if !pq::is_prime_u64(p) || !pq::is_prime_u64(q) || p == q {
            return Err(AuthKeyError::Pq("pq is not a product of two distinct primes"));
        }
        let mut new_nonce = [0u8; 32];
        random.fill(&mut new_nonce);
        let (pq_b, p_b, q_b) = (res.pq.clone(), be_minimal(p), be_minimal(q));
        let inner = match self.config.temp_expires_in {
            None => types::PQInnerDataDc {
                pq: pq_b,
                p: p_b.clone(),
                q: q_b.clone(),
                nonce,
                server_nonce: res.server_nonce,
                new_nonce,
                dc: self.config.dc_id,
            }
            .to_bytes(),
            Some(expires_in) => types::PQInnerDataTempDc {
                pq: pq_b,
                p: p_b.clone(),
                q: q_b.clone(),
                nonce,
                server_nonce: res.server_nonce,
                new_nonce,
                dc: self.config.dc_id,
                expires_in,
            }
            .to_bytes(),
        };
        let encrypted_data = key.rsa_pad_encrypt(&inner, random)?.to_vec();
        let request = functions::ReqDhParams {
            nonce,
            server_nonce: res.server_nonce,
            p: p_b,
            q: q_b,
            public_key_fingerprint: key.fingerprint(),
            encrypted_data,
        };
        self.state = State::DhParams { nonce, server_nonce: res.server_nonce, new_nonce };
        Ok(ClientStep::Send(request.to_bytes()))
    }

    fn on_dh_params(
        &mut self,
        nonce: [u8; 16],
        server_nonce: [u8; 16],
        new_nonce: [u8; 32],
        body: &[u8],
        now: i64,
        random: &mut dyn RandomSource,
    ) -> Result<ClientStep, AuthKeyError> {
        let ok = match enums::ServerDhParams::from_bytes(body)? {
            enums::ServerDhParams::Ok(ok) => ok,
            enums::ServerDhParams::Fail(fail) => {
                check_nonces(&fail.nonce, &fail.server_nonce, &nonce, &server_nonce)?;
                if fail.new_nonce_hash != new_nonce_hash_fail(&new_nonce) {
                    return Err(AuthKeyError::NewNonceMismatch);
                }
                return Err(AuthKeyError::ServerDhParamsFail);
            }
        };
        check_nonces(&ok.nonce, &ok.server_nonce, &nonce, &server_nonce)?;
        let mut answer = ok.encrypted_answer;
        if answer.len() % 16 != 0 || answer.len() < 32 {
            return Err(AuthKeyError::BlockLength(answer.len()));
        }
        let (key, iv) = kdf::temp_key_iv(&new_nonce, &server_nonce);
        ige::decrypt(&mut answer, &key, &iv).map_err(|e| AuthKeyError::BlockLength(e.0))?;
        let enums::ServerDhInnerData::ServerDhInnerData(inner) = check_hashed::<enums::ServerDhInnerData>(&answer)?;
        check_nonces(&inner.nonce, &inner.server_nonce, &nonce, &server_nonce)?;
        dh::check_dh_params(&inner.dh_prime, inner.g, random)?;
        dh::check_dh_value(&inner.g_a, &inner.dh_prime)?;
        let time_offset = (inner.server_time as i64 - now) as i32;
        let dh = DhContext { g: inner.g, dh_prime: inner.dh_prime, g_a: inner.g_a };
        let (body, auth_key) = client_dh_params(&dh, nonce, server_nonce, &new_nonce, 0, random)?;
        self.state = State::DhGen(Box::new(AwaitingDhGen {
            nonce,
            server_nonce,
            new_nonce,
            auth_key,
            time_offset,
            dh,
            retries: 0,
        }));
        Ok(ClientStep::Send(body))
    }

    fn on_dh_gen(
        &mut self,
        mut awaiting: AwaitingDhGen,
        body: &[u8],
        random: &mut dyn RandomSource,
    ) -> Result<ClientStep, AuthKeyError> {
        use enums::SetClientDhParamsAnswer as Answer;
        let answer = Answer::from_bytes(body)?;
        let (n, s, hash, which) = match &answer {
            Answer::DhGenOk(a) => (a.nonce, a.server_nonce, a.new_nonce_hash1, 1),
            Answer::DhGenRetry(a) => (a.nonce, a.server_nonce, a.new_nonce_hash2, 2),
            Answer::DhGenFail(a) => (a.nonce, a.server_nonce, a.new_nonce_hash3, 3),
        };
        let AwaitingDhGen { nonce, server_nonce, new_nonce, .. } = awaiting;
        check_nonces(&n, &s, &nonce, &server_nonce)?;
        if hash != kdf::new_nonce_hash(&new_nonce, which, awaiting.auth_key.bytes()) {
            return Err(AuthKeyError::NewNonceMismatch);
        }
        match which {
            1 => Ok(ClientStep::Done(ClientDone {
                auth_key: awaiting.auth_key,
                time_offset: awaiting.time_offset,
                first_salt: first_salt(&new_nonce, &server_nonce),
                temp_expires_in: self.config.temp_expires_in,
            })),
            2 => {
                if awaiting.retries >= MAX_RETRIES {
                    return Err(AuthKeyError::TooManyRetries);
                }
                let (body, next_key) = client_dh_params(
                    &awaiting.dh,
                    nonce,
                    server_nonce,
                    &new_nonce,
                    awaiting.auth_key.aux_hash(),
                    random,
                )?;
                awaiting.auth_key = next_key;
                awaiting.retries += 1;
                self.state = State::DhGen(Box::new(awaiting));
                Ok(ClientStep::Send(body))
            }
            _ => Err(AuthKeyError::DhGenFail),
        }
    }
}

/// Draws `b`, computes `g_b` and the key, and builds `set_client_DH_params`.
fn client_dh_params(
    dh: &DhContext,
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: &[u8; 32],
    retry_id: i64,
    random: &mut dyn RandomSource,
) -> Result<(Vec<u8>, AuthKey), AuthKeyError> {
    let mut b = [0u8; 256];
    random.fill(&mut b);
    let g_b = dh::mod_pow(&(dh.g as u32).to_be_bytes(), &b, &dh.dh_prime);
    dh::check_dh_value(&g_b, &dh.dh_prime)?;
    let auth_key = AuthKey::from_bytes(dh::mod_pow(&dh.g_a, &b, &dh.dh_prime));
    let inner = types::ClientDhInnerData { nonce, server_nonce, retry_id, g_b: g_b.to_vec() }.to_bytes();
    let mut encrypted = with_hash_and_padding(&inner, random);
    let (key, iv) = kdf::temp_key_iv(new_nonce, &server_nonce);
    ige::encrypt(&mut encrypted, &key, &iv).map_err(|e| AuthKeyError::BlockLength(e.0))?;
    let body = functions::SetClientDhParams { nonce, server_nonce, encrypted_data: encrypted }.to_bytes();
    Ok((body, auth_key))
}
