//! The `transport_deframe` fuzz target's entry point on stable: pseudo-random input and mutations
//! of valid streams of every transport, from both ends. It must never panic; unmutated streams
//! must come through whole (so the mutations start from input that reaches deep into the code).

use ferrogram_mtproto::transport::fuzzing::{client_mode, deframe, server_mode, SERVER_DETECTING};
use ferrogram_mtproto::transport::{Codec, TransportKind};

/// xorshift64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf {
            *b = self.next() as u8;
        }
    }
}

/// A stream of `frames` frames as `kind`'s client writes it, and as its server answers.
fn streams(kind: TransportKind, frames: usize, rng: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let mut fill = |buf: &mut [u8]| rng.fill(buf);
    let mut client = Codec::client(kind, 2, &mut fill);
    let mut server = Codec::server(Some(kind), None);
    let mut up = Vec::new();
    let mut down = Vec::new();
    let mut fed = 0;
    for i in 0..frames {
        let payload: Vec<u8> = (0..(24 + 4 * (i * 37 % 200))).map(|j| (j + i) as u8).collect();
        if i % 3 == 1 {
            client.pack_with_quick_ack(&payload, &mut fill, &mut up).unwrap();
        } else {
            client.pack(&payload, &mut fill, &mut up).unwrap();
        }
        server.feed(&up[fed..]);
        fed = up.len();
        while server.poll().unwrap().is_some() {}
        server.pack_quick_ack(0x8000_0000 | i as u32, &mut down).unwrap();
        server.pack(&payload, &mut fill, &mut down).unwrap();
    }
    (up, down)
}

fn input(mode: u8, chunk: u8, stream: &[u8]) -> Vec<u8> {
    let mut data = vec![mode, chunk];
    data.extend_from_slice(stream);
    data
}

fn mutate(stream: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut s = stream.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(6) {
            0 if !s.is_empty() => {
                let at = rng.below(s.len());
                s[at] ^= 1 << rng.below(8);
            }
            1 if !s.is_empty() => {
                let at = rng.below(s.len());
                s[at] = [0x00, 0x7f, 0x80, 0xef, 0xee, 0xdd, 0xff][rng.below(7)];
            }
            2 => s.truncate(rng.below(s.len() + 1)),
            3 if !s.is_empty() => {
                let at = rng.below(s.len());
                let len = rng.below(s.len() - at + 1).min(64);
                let copy = s[at..at + len].to_vec();
                let to = rng.below(s.len() + 1);
                s.splice(to..to, copy);
            }
            4 if !s.is_empty() => {
                // A length-like word somewhere: the largest values a header can hold.
                let at = rng.below(s.len());
                let word = [0xffff_ffffu32, 0x7fff_ffff, 0x0100_0000, 0x0100_0004, 12, 11, 0][rng.below(7)];
                for (i, b) in word.to_le_bytes().into_iter().enumerate() {
                    if let Some(slot) = s.get_mut(at + i) {
                        *slot = b;
                    }
                }
            }
            _ => {
                let at = rng.below(s.len() + 1);
                let mut extra = vec![0u8; rng.below(16)];
                rng.fill(&mut extra);
                s.splice(at..at, extra);
            }
        }
    }
    s
}

#[test]
fn valid_streams_come_through_whole() {
    let mut rng = Rng(0x5eed);
    for kind in TransportKind::ALL {
        let (up, down) = streams(kind, 12, &mut rng);
        for chunk in [0u8, 6, 63] {
            assert_eq!(deframe(&input(SERVER_DETECTING, chunk, &up)), 12, "{kind} detected, chunk {chunk}");
            assert_eq!(deframe(&input(server_mode(kind), chunk, &up)), 12, "{kind} server, chunk {chunk}");
            if !kind.is_obfuscated() {
                // The entry point's own client draws its own init, so only streams in the clear
                // can be replayed to it; 12 frames and 12 quick acks.
                assert_eq!(deframe(&input(client_mode(kind), chunk, &down)), 24, "{kind} client, chunk {chunk}");
            }
        }
    }
}

#[test]
fn mutated_streams_never_panic() {
    let mut rng = Rng(0xdecaf);
    let mut delivered = 0;
    for kind in TransportKind::ALL {
        let (up, down) = streams(kind, 6, &mut rng);
        for _ in 0..2_000 {
            let chunk = rng.next() as u8;
            delivered += deframe(&input(SERVER_DETECTING, chunk, &mutate(&up, &mut rng)));
            delivered += deframe(&input(server_mode(kind), chunk, &mutate(&up, &mut rng)));
            delivered += deframe(&input(client_mode(kind), chunk, &mutate(&down, &mut rng)));
        }
    }
    // Most mutations leave the first frames intact: the parsers were reached, not just the header.
    assert!(delivered > 50_000, "only {delivered} frames got through the mutations");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0xfeed_f00d);
    for _ in 0..100_000 {
        let mut data = vec![0u8; rng.below(300)];
        rng.fill(&mut data);
        // Half the time, open like a plain transport so the framings see the noise.
        if data.len() > 10 && rng.below(2) == 0 {
            let opening: &[u8] = [&[0xef][..], &[0xee; 4], &[0xdd; 4], &[40, 0, 0, 0, 0, 0, 0, 0]][rng.below(4)];
            data[2..2 + opening.len()].copy_from_slice(opening);
        }
        deframe(&data);
    }
}
