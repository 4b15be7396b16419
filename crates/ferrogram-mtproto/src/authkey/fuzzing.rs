//! Entry point of the fuzz target `authkey_server` (`fuzz/fuzz_targets/authkey_server.rs`) and of
//! the stable test that runs it on many inputs (`tests/authkey_fuzz.rs`): the server side of the
//! key exchange fed arbitrary bytes must answer or fail, never panic, and never allocate from a
//! length it read without checking it against the input.
//!
//! Built with the `fuzzing-cheap-crypto` feature, the exchange's RSA and Diffie–Hellman arithmetic
//! is replaced by cheap stand-ins and `pq` has tiny factors (`crypto/cheap.rs`), so the modes past
//! `req_DH_params` run about a hundred times as often per second (`fuzz/README.md`).
//!
//! Arbitrary bytes alone almost never get past `req_DH_params` (they would have to be RSA-encrypted
//! to the server's key), so the first input byte picks how far an honest client goes first, and
//! the rest is the fuzzer's part at that depth:
//!
//! | `data[0] % 6` | honest prefix | the fuzzer's part |
//! |---|---|---|
//! | 0 | none | a sequence of plain-message packets (each may also be fed as a bare body) |
//! | 1 | `req_pq_multi` | the following message bodies |
//! | 2 | `req_pq_multi` | the `p_q_inner_data` inside a correctly RSA_PAD-encrypted `req_DH_params` |
//! | 3 | up to `req_DH_params` | `client_DH_inner_data`, correctly encrypted with the temporary key |
//! | 4 | up to `set_client_DH_params` | that message with bytes flipped, cut or appended |
//! | 5 | `req_pq_multi` | the older `SHA1(data) + data + padding` block of `req_DH_params`: up to 235 bytes are `data` (hashed and zero-padded here), more are the whole block, hash included (cut or zero-padded to 255 bytes) |

use std::sync::OnceLock;

use ferrogram_tl::mtproto::{enums, functions};
use ferrogram_tl::{Deserializable, Serializable};

use super::client::{ClientConfig, ClientHandshake, ClientStep};
use super::server::{ServerConfig, ServerHandshake, ServerStep};
use super::{plain, with_hash_and_padding};
use crate::crypto::rsa::RsaPrivateKey;
use crate::crypto::{ige, kdf};

const NOW: std::time::Duration = std::time::Duration::from_secs(1_700_000_000);

/// The server key every run uses (generating one costs far more than a run).
fn server_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut XorShift(0x5eed)))
}

/// Deterministic randomness, so a crashing input reproduces.
struct XorShift(u64);

impl crate::RandomSource for XorShift {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *b = (self.0 >> 24) as u8;
        }
    }
}

/// Splits fuzzer bytes into messages: each is a 2-byte little-endian length, clamped to what is
/// left, then that many bytes.
fn messages(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 {
        let len = (u16::from_le_bytes([data[0], data[1]]) as usize).min(data.len() - 2);
        out.push(&data[2..2 + len]);
        data = &data[2 + len..];
    }
    out
}

/// Feeds `body` to the server (key ids with an even value count as taken, so retries and
/// `dh_gen_fail` happen too); `None` once the exchange is over (error, key made, refused).
fn feed(server: &mut ServerHandshake, body: &[u8], random: &mut XorShift) -> Option<Vec<u8>> {
    match server.handle_with_key_check(body, NOW, random, &mut |id| id & 1 == 0) {
        Ok(ServerStep::Send(reply)) => Some(reply),
        Ok(ServerStep::Done { .. } | ServerStep::Refused(_)) | Err(_) => None,
    }
}

/// An honest client and the server, run together up to the client's `steps`-th message.
struct Prefix {
    server: ServerHandshake,
    random: XorShift,
    /// The client's next message, not yet given to the server.
    next: Vec<u8>,
}

fn honest_prefix(steps: usize) -> Option<Prefix> {
    let mut random = XorShift(0x1234_5678);
    let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
    let config = ClientConfig::new(vec![server_key().public_key().clone()], 2);
    let (mut client, mut next) = ClientHandshake::start(config, &mut random);
    for _ in 1..steps {
        let reply = feed(&mut server, &next, &mut random)?;
        next = match client.handle(&reply, NOW, &mut random).ok()? {
            ClientStep::Send(body) => body,
            ClientStep::Done(_) => return None,
        };
    }
    Some(Prefix { server, random, next })
}

/// `new_nonce` of an honest `req_DH_params`, read as only the server can.
fn new_nonce_of(req: &functions::ReqDhParams) -> Option<[u8; 32]> {
    let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).ok()?;
    match enums::PQInnerData::from_bytes(&inner).ok()? {
        enums::PQInnerData::Dc(x) => Some(x.new_nonce),
        _ => None,
    }
}

/// Runs the server side of the key exchange on fuzzer input (see the module docs for the layout).
/// Never panics on any input; that is what the fuzz target and its stable test check.
pub fn server_exchange(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    match mode % 6 {
        0 => {
            let mut random = XorShift(0x0bad);
            let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
            for packet in messages(rest) {
                let body = match plain::unwrap(packet) {
                    Ok((_, body)) => body,
                    Err(_) => packet,
                };
                if feed(&mut server, body, &mut random).is_none() {
                    break;
                }
            }
        }
        1 => {
            let Some(mut p) = honest_prefix(1) else { return };
            for body in std::iter::once(p.next.as_slice()).chain(messages(rest)) {
                if feed(&mut p.server, body, &mut p.random).is_none() {
                    break;
                }
            }
        }
        2 => {
            let Some(mut p) = honest_prefix(2) else { return };
            let Ok(mut req) = functions::ReqDhParams::from_bytes(&p.next) else { return };
            let inner = &rest[..rest.len().min(144)];
            let Ok(encrypted) = server_key().public_key().rsa_pad_encrypt(inner, &mut p.random) else { return };
            req.encrypted_data = encrypted.to_vec();
            feed(&mut p.server, &req.to_bytes(), &mut p.random);
        }
        3 => {
            let Some(mut p) = honest_prefix(2) else { return };
            let Ok(req) = functions::ReqDhParams::from_bytes(&p.next) else { return };
            let Some(new_nonce) = new_nonce_of(&req) else { return };
            if feed(&mut p.server, &p.next, &mut p.random).is_none() {
                return;
            }
            let mut encrypted = with_hash_and_padding(rest, &mut p.random);
            let (key, iv) = kdf::temp_key_iv(&new_nonce, &req.server_nonce);
            if ige::encrypt(&mut encrypted, &key, &iv).is_err() {
                return;
            }
            let set = functions::SetClientDhParams {
                nonce: req.nonce,
                server_nonce: req.server_nonce,
                encrypted_data: encrypted,
            };
            feed(&mut p.server, &set.to_bytes(), &mut p.random);
        }
        4 => {
            let Some(mut p) = honest_prefix(3) else { return };
            let mut body = p.next.clone();
            mutate(&mut body, rest);
            feed(&mut p.server, &body, &mut p.random);
        }
        _ => {
            let Some(mut p) = honest_prefix(2) else { return };
            let Ok(mut req) = functions::ReqDhParams::from_bytes(&p.next) else { return };
            req.encrypted_data = legacy_encrypt(rest);
            feed(&mut p.server, &req.to_bytes(), &mut p.random);
        }
    }
}

/// The older encoding of `p_q_inner_data` (Telethon's): `SHA1(data) + data + zero padding` as
/// a 255-byte block if `rest` fits as `data`, else `rest` (cut or zero-padded to 255 bytes) as the block, then
/// raw RSA with the server's public key.
fn legacy_encrypt(rest: &[u8]) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    let block = if rest.len() <= 235 {
        let mut block = Sha1::digest(rest).to_vec();
        block.extend_from_slice(rest);
        block.resize(255, 0);
        block
    } else {
        let mut block = rest[..rest.len().min(255)].to_vec();
        block.resize(255, 0);
        block
    };
    server_key().public_key().raw_encrypt(&num_bigint::BigUint::from_bytes_be(&block)).to_vec()
}

/// Applies edits read from `edits` to `body`: (op, position, value) triples that flip a byte,
/// cut the message, or append a byte.
fn mutate(body: &mut Vec<u8>, edits: &[u8]) {
    for edit in edits.chunks_exact(3) {
        let at = (u16::from_le_bytes([edit[1], edit[2]]) as usize) % (body.len() + 1);
        match edit[0] % 3 {
            0 if at < body.len() => body[at] ^= edit[2] | 1,
            1 => body.truncate(at),
            _ => body.push(edit[2]),
        }
    }
}
