//! The fuzz target `authkey_server` (`fuzz/fuzz_targets/authkey_server.rs`) on stable: its entry
//! point, `authkey::fuzzing::server_exchange`, over pseudo-random inputs and mutations of real
//! exchange messages in each of its modes. A panic fails the test.

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientHandshake};
use ferrogram_mtproto::authkey::fuzzing::server_exchange;
use ferrogram_mtproto::authkey::plain;

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// `mode` byte followed by `rest`.
fn input(mode: u8, rest: &[u8]) -> Vec<u8> {
    std::iter::once(mode).chain(rest.iter().copied()).collect()
}

/// A message framed the way mode 0 and 1 read them.
fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u16).to_le_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

#[test]
fn random_bytes_in_every_mode() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    server_exchange(&[]);
    for mode in 0..6u8 {
        server_exchange(&[mode]);
        // The modes that run an honest prefix first cost a few key-exchange steps each.
        let runs = if mode <= 1 { 3000 } else { 40 };
        for _ in 0..runs {
            let len = (rng.next() % 400) as usize;
            server_exchange(&input(mode, &rng.bytes(len)));
        }
    }
}

#[test]
fn mutated_real_messages() {
    let mut rng = XorShift(7);
    // A real req_pq_multi, as a plain packet and bare, then mutated.
    let mut random = |b: &mut [u8]| b.fill(0x11);
    let (_, req_pq) = ClientHandshake::start(ClientConfig::new(vec![], 2), &mut random);
    let packet = plain::wrap(1 << 32, &req_pq);
    for base in [packet, req_pq.clone()] {
        for _ in 0..2000 {
            let mut m = base.clone();
            for _ in 0..1 + rng.next() % 4 {
                let at = (rng.next() as usize) % m.len();
                match rng.next() % 3 {
                    0 => m[at] ^= 1 << (rng.next() % 8),
                    1 => m.truncate(at),
                    _ => m.insert(at, rng.next() as u8),
                }
                if m.is_empty() {
                    break;
                }
            }
            let mut data = input(0, &framed(&m));
            let tail_len = (rng.next() % 64) as usize;
            data.extend_from_slice(&framed(&rng.bytes(tail_len)));
            server_exchange(&data);
        }
    }
    // Lengths that claim far more than is there: a bytes header of 0xfe ffffff inside each
    // message body position.
    for prefix_len in 0..48 {
        let mut body = req_pq.clone();
        body.resize(prefix_len, 0);
        body.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff]);
        server_exchange(&input(1, &framed(&body)));
        server_exchange(&input(2, &body));
        server_exchange(&input(3, &body));
        server_exchange(&input(5, &body));
    }
    // The same inside the older SHA1 + data + padding block, after each p_q_inner_data* id, so
    // the lengths are read rather than the constructor refused.
    for id in [0x83c95aecu32, 0xa9f55f95, 0x3c6a84d4, 0x56fddf88] {
        for skip in 0..12 {
            let mut data = id.to_le_bytes().to_vec();
            data.resize(4 + skip, 4);
            data.extend_from_slice(&[0xfe, 0xff, 0xff, 0xff]);
            server_exchange(&input(5, &data));
        }
    }
    // Edits of the honest set_client_DH_params.
    for _ in 0..40 {
        let len = 3 * (1 + rng.next() % 6) as usize;
        server_exchange(&input(4, &rng.bytes(len)));
    }
}

/// Runs of `server_exchange` per second in each mode, on random input the size a fuzzer would
/// try; printed, not checked. The numbers in `fuzz/README.md` come from
/// `cargo test --release -p ferrogram-mtproto --test authkey_fuzz -- --ignored --nocapture`, with
/// and without `--features fuzzing-cheap-crypto`.
#[test]
#[ignore = "a measurement, not a check: run it by hand"]
fn exec_rate() {
    use std::time::{Duration, Instant};
    let mut rng = XorShift(0x5eed_1e55);
    // The first run generates the server's RSA key: not part of the rate.
    server_exchange(&[1]);
    let cheap = if cfg!(feature = "fuzzing-cheap-crypto") { "cheap crypto" } else { "real crypto" };
    for mode in 0..6u8 {
        let (start, mut runs) = (Instant::now(), 0u64);
        while start.elapsed() < Duration::from_secs(1) {
            let len = (rng.next() % 400) as usize;
            server_exchange(&input(mode, &rng.bytes(len)));
            runs += 1;
        }
        println!("{cheap}, mode {mode}: {runs} runs/s");
    }
}
