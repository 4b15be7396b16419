//! The client and server state machines complete key exchanges against each other
//! (<https://core.telegram.org/mtproto/auth_key>): permanent and temporary keys, a server whose
//! clock is ahead, and `dh_gen_retry` on a key id collision. Both sides must derive the same key,
//! first salt and (client side) time offset.

use std::sync::OnceLock;
use std::time::Duration;

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientDone, ClientHandshake, ClientStep};
use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerKey, ServerStep};
use ferrogram_mtproto::authkey::AuthKeyError;
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_tl::mtproto::{enums, functions};
use ferrogram_tl::Deserializable;

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

fn server_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut rng(21)))
}

/// What one exchange produced, and what went over the wire.
struct Outcome {
    client: ClientDone,
    server: ServerKey,
    /// Client message bodies, in order.
    from_client: Vec<Vec<u8>>,
}

/// Runs a whole exchange. `key_id_taken` is the server's view of its key store.
fn exchange(
    config: ClientConfig,
    client_now: Duration,
    server_now: Duration,
    seed: u64,
    key_id_taken: &mut dyn FnMut(i64) -> bool,
) -> Result<Outcome, AuthKeyError> {
    let mut client_random = rng(seed);
    let mut server_random = rng(seed ^ 0xdead_beef);
    let mut server = ServerHandshake::new(ServerConfig::new(server_key().clone(), 2));
    let (mut client, mut request) = ClientHandshake::start(config, &mut client_random);
    let mut from_client = vec![request.clone()];
    let mut server_key = None;
    loop {
        let reply = match server.handle_with_key_check(&request, server_now, &mut server_random, key_id_taken)? {
            ServerStep::Send(body) => body,
            ServerStep::Done { send, key } => {
                server_key = Some(key);
                send
            }
            ServerStep::Refused(send) => send,
        };
        match client.handle(&reply, client_now, &mut client_random)? {
            ClientStep::Send(body) => {
                from_client.push(body.clone());
                request = body;
            }
            ClientStep::Done(client) => {
                let server = server_key.expect("the client finished on dh_gen_ok, so the server made a key");
                return Ok(Outcome { client, server, from_client });
            }
        }
    }
}

fn config() -> ClientConfig {
    ClientConfig::new(vec![server_key().public_key().clone()], 2)
}

#[test]
fn permanent_key_agrees_on_both_sides() {
    let now = Duration::from_secs(1_700_000_000);
    let out = exchange(config(), now, now, 1, &mut |_| false).unwrap();
    assert_eq!(out.client.auth_key, out.server.auth_key);
    assert_eq!(out.client.auth_key.id(), out.server.auth_key.id());
    assert_eq!(out.client.first_salt, out.server.first_salt);
    assert_eq!(out.client.time_offset, 0);
    assert_eq!(out.client.temp_expires_in, None);
    assert_eq!(out.server.temp_expires_in, None);
    assert_eq!(out.server.dc_id, 2);
    // req_pq_multi, req_DH_params, set_client_DH_params.
    assert_eq!(out.from_client.len(), 3);
    // Different randomness, different key.
    let other = exchange(config(), now, now, 2, &mut |_| false).unwrap();
    assert_ne!(other.client.auth_key, out.client.auth_key);
    assert_ne!(other.client.first_salt, out.client.first_salt);
}

#[test]
fn first_salt_is_new_nonce_xor_server_nonce() {
    let now = Duration::from_secs(1_700_000_000);
    let out = exchange(config(), now, now, 3, &mut |_| false).unwrap();
    let req = functions::ReqDhParams::from_bytes(&out.from_client[1]).unwrap();
    let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
    let enums::PQInnerData::Dc(inner) = enums::PQInnerData::from_bytes(&inner).unwrap() else {
        panic!("expected p_q_inner_data_dc")
    };
    let salt: Vec<u8> = (0..8).map(|i| inner.new_nonce[i] ^ inner.server_nonce[i]).collect();
    assert_eq!(out.client.first_salt, i64::from_le_bytes(salt.try_into().unwrap()));
}

#[test]
fn temporary_key_agrees_on_both_sides() {
    let now = Duration::from_secs(1_700_000_000);
    let config = ClientConfig { temp_expires_in: Some(86_400), dc_id: -10_002, ..config() };
    let out = exchange(config, now, now, 4, &mut |_| false).unwrap();
    assert_eq!(out.client.auth_key, out.server.auth_key);
    assert_eq!(out.client.first_salt, out.server.first_salt);
    assert_eq!(out.client.temp_expires_in, Some(86_400));
    assert_eq!(out.server.temp_expires_in, Some(86_400));
    assert_eq!(out.server.dc_id, -10_002, "the DC id as the client sent it");
    // It went as p_q_inner_data_temp_dc.
    let req = functions::ReqDhParams::from_bytes(&out.from_client[1]).unwrap();
    let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
    assert!(
        matches!(enums::PQInnerData::from_bytes(&inner).unwrap(), enums::PQInnerData::TempDc(x) if x.expires_in == 86_400)
    );
}

#[test]
fn client_learns_the_servers_clock_offset() {
    let now = Duration::from_secs(1_700_000_000);
    for offset in [-3_600, -1, 0, 42, 7 * 86_400] {
        let out =
            exchange(config(), now, Duration::from_secs((1_700_000_000 + offset) as u64), 5, &mut |_| false).unwrap();
        assert_eq!(out.client.time_offset as i64, offset);
        assert_eq!(out.client.auth_key, out.server.auth_key);
    }
}

#[test]
fn key_id_collision_makes_the_client_retry_with_the_previous_keys_aux_hash() {
    let now = Duration::from_secs(1_700_000_000);
    // The server's store "already has" the first two keys this exchange produces.
    let mut seen = Vec::new();
    let mut taken = |id: i64| {
        seen.push(id);
        seen.len() <= 2
    };
    let out = exchange(config(), now, now, 6, &mut taken).unwrap();
    assert_eq!(seen.len(), 3, "three keys were made");
    assert_eq!(out.client.auth_key, out.server.auth_key);
    assert_eq!(out.client.auth_key.id(), seen[2], "the key kept is the third");
    assert_ne!(seen[0], seen[1]);
    // Three set_client_DH_params: retry_id 0, then the aux hash of each rejected key (which the
    // server checks: it accepted them), with a new b, so a new g_b, each time.
    assert_eq!(out.from_client.len(), 5);
    let inner: Vec<_> =
        out.from_client[2..].iter().map(|body| client_dh_inner_data(&out.from_client[1], body)).collect();
    assert_eq!(inner[0].retry_id, 0);
    assert!(inner[1].retry_id != 0 && inner[2].retry_id != 0 && inner[1].retry_id != inner[2].retry_id);
    assert!(inner[0].g_b != inner[1].g_b && inner[1].g_b != inner[2].g_b);
}

/// Decrypts a `set_client_DH_params` the way the server does, with `new_nonce` from the
/// `req_DH_params` before it.
fn client_dh_inner_data(req_dh: &[u8], set_client_dh: &[u8]) -> ferrogram_tl::mtproto::types::ClientDhInnerData {
    use ferrogram_mtproto::crypto::{ige, kdf};
    let req = functions::ReqDhParams::from_bytes(req_dh).unwrap();
    let inner = server_key().rsa_pad_decrypt(&req.encrypted_data).unwrap();
    let enums::PQInnerData::Dc(inner) = enums::PQInnerData::from_bytes(&inner).unwrap() else {
        panic!("expected p_q_inner_data_dc")
    };
    let mut data = functions::SetClientDhParams::from_bytes(set_client_dh).unwrap().encrypted_data;
    let (key, iv) = kdf::temp_key_iv(&inner.new_nonce, &inner.server_nonce);
    ige::decrypt(&mut data, &key, &iv).unwrap();
    let enums::ClientDhInnerData::ClientDhInnerData(x) = enums::ClientDhInnerData::from_bytes(&data[20..]).unwrap();
    x
}
