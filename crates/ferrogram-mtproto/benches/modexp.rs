//! Criterion benchmark `modexp`: our Montgomery exponentiation (`crypto::montgomery`) against
//! `num_bigint::BigUint::modpow`, in the shapes the key exchange uses:
//!
//! - `modexp_2048`: a 2048-bit base to a 2048-bit exponent modulo Telegram's prime (`g_a^b`,
//!   `g_b^a`), ours with the modulus prepared once (as `dh` caches it) and with the set-up per call;
//! - `montgomery_primitives`: one 2048-bit Montgomery square and multiply;
//! - `modexp_2048_fixed_base`: `3^x` modulo Telegram's prime (`g^a`, `g^b`) through the fixed-base
//!   comb table (and, for comparison, our sliding window), against num-bigint's `modpow`;
//! - `modexp_1024_crt_half`: a 2048-bit ciphertext to a 1024-bit exponent modulo a 1024-bit prime,
//!   one half of the server's RSA CRT decryption;
//! - `dh_mod_pow`: the function the state machines call, for both shapes.
//!
//! Run: `cargo bench -p ferrogram-mtproto --bench modexp`. Figures are in `docs/PERFORMANCE.md`
//! (section `modexp`).

// `criterion_group!` defines a public function that cannot carry documentation.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ferrogram_mtproto::crypto::dh;
use ferrogram_mtproto::crypto::montgomery::{FixedBase, Modulus, OddModulus};
use num_bigint::BigUint;

/// Deterministic xorshift bytes.
fn xorshift(seed: u64) -> impl FnMut(&mut [u8]) {
    let mut state = seed | 1;
    move |buf: &mut [u8]| {
        for byte in buf {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
    }
}

fn random_bytes(random: &mut impl FnMut(&mut [u8]), len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    random(&mut v);
    v
}

fn modexp(c: &mut Criterion) {
    let mut random = xorshift(42);
    let p = dh::telegram_dh_prime();
    let base = random_bytes(&mut random, 256);
    let exp = random_bytes(&mut random, 256);
    let p_big = BigUint::from_bytes_be(&p);
    let base_big = BigUint::from_bytes_be(&base) % &p_big;
    let exp_big = BigUint::from_bytes_be(&exp);
    let modulus = Modulus::<32>::from_be_bytes(&p).expect("Telegram's prime is odd");

    let mut group = c.benchmark_group("modexp_2048");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("montgomery", |b| b.iter(|| modulus.pow_to_be_bytes(black_box(&base), black_box(&exp))));
    group.bench_function("montgomery_with_setup", |b| {
        b.iter(|| OddModulus::from_be_bytes(black_box(&p)).map(|m| m.pow(black_box(&base), black_box(&exp))))
    });
    group.bench_function("num_bigint", |b| b.iter(|| black_box(&base_big).modpow(black_box(&exp_big), &p_big)));
    group.finish();

    // The two primitives, on residues already in Montgomery form.
    let x = modulus.to_montgomery(&base);
    let y = modulus.to_montgomery(&exp);
    let mut group = c.benchmark_group("montgomery_primitives");
    group.sample_size(50).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    group.bench_function(BenchmarkId::new("square", 2048), |b| b.iter(|| modulus.square(black_box(&x))));
    group.bench_function(BenchmarkId::new("mul", 2048), |b| b.iter(|| modulus.mul(black_box(&x), black_box(&y))));
    group.finish();

    let table = FixedBase::new(&modulus, &[3], 2048);
    let three = BigUint::from(3u32);
    let mut group = c.benchmark_group("modexp_2048_fixed_base");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("montgomery_fixed_base", |b| b.iter(|| table.pow(&modulus, black_box(&exp))));
    group.bench_function("montgomery_sliding_window", |b| b.iter(|| modulus.pow(black_box(&[3]), black_box(&exp))));
    group.bench_function("num_bigint", |b| b.iter(|| three.modpow(black_box(&exp_big), &p_big)));
    group.finish();

    // A 1024-bit prime (top two bits set), as RSA key generation makes them.
    let mut prime_random = xorshift(7);
    let q = dh::random_prime(1024, &mut prime_random);
    let q_bytes = q.to_bytes_be();
    let ciphertext = random_bytes(&mut random, 256);
    let half_exp = random_bytes(&mut random, 128);
    let half = OddModulus::from_be_bytes(&q_bytes).expect("an odd prime");
    let (c_big, d_big) = (BigUint::from_bytes_be(&ciphertext), BigUint::from_bytes_be(&half_exp));
    let mut group = c.benchmark_group("modexp_1024_crt_half");
    group.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("montgomery", |b| b.iter(|| half.pow(black_box(&ciphertext), black_box(&half_exp))));
    group.bench_function("num_bigint", |b| b.iter(|| black_box(&c_big).modpow(black_box(&d_big), &q)));
    group.finish();

    let mut group = c.benchmark_group("dh_mod_pow");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("g_pow_x", |b| b.iter(|| dh::mod_pow(black_box(&3u32.to_be_bytes()), black_box(&exp), &p)));
    group.bench_function("g_a_pow_x", |b| b.iter(|| dh::mod_pow(black_box(&base), black_box(&exp), &p)));
    group.finish();
}

criterion_group!(benches, modexp);
criterion_main!(benches);
