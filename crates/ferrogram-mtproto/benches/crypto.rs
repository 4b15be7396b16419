//! Criterion benchmark `crypto`: our AES-256-IGE against `grammers-crypto` and against a
//! sequential AES-256-CBC encrypt (RustCrypto `cbc`, the throughput ceiling of a chained mode on
//! this machine), one MTProto 2.0 message (1 KiB body) encrypted end to end by our session
//! envelope against grammers' `encrypt_data_v2`, and a full auth key exchange with both of our state machines in-process.
//!
//! Run: `cargo bench -p ferrogram-mtproto --bench crypto`. Figures and ratios are in
//! `docs/PERFORMANCE.md` (section `crypto`).

// `criterion_group!` defines a public function that cannot carry documentation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use aes::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::authkey::{client::*, server::*};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_mtproto::crypto::{ige, Side};
use ferrogram_mtproto::session::envelope::{self, Header};

const SIZES: [(&str, usize); 2] = [("1KiB", 1024), ("1MiB", 1024 * 1024)];
const KEY: [u8; 32] = [0x42; 32];
const IV: [u8; 32] = [0x17; 32];

/// Deterministic xorshift randomness: cheap, so the benchmarks measure the crypto.
fn xorshift(seed: u64) -> impl FnMut(&mut [u8]) {
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

fn cbc_encrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 16]) {
    let len = data.len();
    cbc::Encryptor::<aes::Aes256>::new(key.into(), iv.into())
        .encrypt_padded_mut::<NoPadding>(data, len)
        .expect("block-aligned input");
}

fn aes_modes(c: &mut Criterion) {
    for (direction, ours, grammers) in [
        (
            "ige_encrypt",
            ige::encrypt as fn(&mut [u8], &[u8; 32], &[u8; 32]) -> Result<(), ige::NotBlockAligned>,
            grammers_crypto::aes::ige_encrypt as fn(&mut [u8], &[u8; 32], &[u8; 32]),
        ),
        ("ige_decrypt", ige::decrypt, grammers_crypto::aes::ige_decrypt),
    ] {
        let mut group = c.benchmark_group(direction);
        group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        for (label, size) in SIZES {
            group.throughput(Throughput::Bytes(size as u64));
            let mut data = vec![0x5a; size];
            group.bench_function(BenchmarkId::new("ferrogram", label), |b| {
                b.iter(|| ours(black_box(&mut data), &KEY, &IV).expect("block-aligned input"))
            });
            group.bench_function(BenchmarkId::new("grammers", label), |b| {
                b.iter(|| grammers(black_box(&mut data), &KEY, &IV))
            });
            let cbc_iv: [u8; 16] = IV[..16].try_into().expect("16 bytes");
            group.bench_function(BenchmarkId::new("cbc_encrypt", label), |b| {
                b.iter(|| cbc_encrypt(black_box(&mut data), &KEY, &cbc_iv))
            });
        }
        group.finish();
    }
}

/// The plaintext fields of one message ahead of its body (salt, session_id, msg_id, seq_no,
/// body length), the same values as the `Header` below.
fn message_plaintext(body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(32 + body.len());
    plain.extend_from_slice(&0x1122_3344_5566_7788i64.to_le_bytes());
    plain.extend_from_slice(&0x0102_0304_0506_0708i64.to_le_bytes());
    plain.extend_from_slice(&0x6500_0000_0000_0004i64.to_le_bytes());
    plain.extend_from_slice(&1i32.to_le_bytes());
    plain.extend_from_slice(&(body.len() as i32).to_le_bytes());
    plain.extend_from_slice(body);
    plain
}

fn encrypt_message(c: &mut Criterion) {
    let mut auth_key = [0u8; 256];
    xorshift(3)(&mut auth_key);
    let body = [0x33u8; 1024];
    // grammers takes the plaintext with its header already in place.
    let plaintext = message_plaintext(&body);
    let grammers_key = grammers_crypto::AuthKey::from_bytes(auth_key);
    let mut random = xorshift(5);

    let mut group = c.benchmark_group("encrypt_message_1KiB");
    group.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    group.throughput(Throughput::Bytes(plaintext.len() as u64));
    // Ours: the session layer's envelope (header, 12..1024 bytes of random padding, msg_key,
    // key/iv derivation, IGE, auth_key_id and msg_key in front): the packet a client sends.
    let key = AuthKey::from_bytes(auth_key);
    let header = Header {
        salt: 0x1122_3344_5566_7788,
        session_id: 0x0102_0304_0506_0708,
        msg_id: 0x6500_0000_0000_0004,
        seq_no: 1,
    };
    group.bench_function("ferrogram", |b| {
        b.iter(|| envelope::encrypt(&key, Side::Client, header, black_box(&body), &mut random))
    });
    group.bench_function("grammers", |b| {
        b.iter(|| {
            // grammers encrypts in a buffer with room for the 24-byte prefix in front.
            let mut buffer = grammers_crypto::DequeBuffer::with_capacity(plaintext.len() + 32, 24);
            buffer.extend(black_box(&plaintext));
            grammers_crypto::encrypt_data_v2(&mut buffer, &grammers_key);
            buffer
        })
    });
    group.finish();
}

fn key_exchange(c: &mut Criterion) {
    let mut random = xorshift(9);
    let rsa = RsaPrivateKey::generate(&mut random);
    let now = std::time::Duration::from_secs(1_700_000_000);
    let mut group = c.benchmark_group("key_exchange");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.bench_function("ferrogram_client_and_server", |b| {
        b.iter(|| {
            let mut server = ServerHandshake::new(ServerConfig::new(rsa.clone(), 2));
            let (mut client, mut request) =
                ClientHandshake::start(ClientConfig::new(vec![rsa.public_key().clone()], 2), &mut random);
            loop {
                let (reply, server_done) = match server.handle(&request, now, &mut random).expect("server step") {
                    ServerStep::Send(bytes) => (bytes, false),
                    ServerStep::Done { send, .. } => (send, true),
                    ServerStep::Refused(_) => unreachable!("the server keeps no keys here, so every key id is free"),
                };
                match client.handle(&reply, now, &mut random).expect("client step") {
                    ClientStep::Send(bytes) => request = bytes,
                    ClientStep::Done(done) => {
                        assert!(server_done, "the server finishes with dh_gen_ok");
                        break done;
                    }
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, aes_modes, encrypt_message, key_exchange);
criterion_main!(benches);
