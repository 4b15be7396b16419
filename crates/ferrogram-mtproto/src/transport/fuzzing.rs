//! Entry point of the `transport_deframe` fuzz target in `fuzz/` (and of the stable test that runs
//! it on pseudo-random and mutated input, since CI has no nightly toolchain). Not public API.

use super::{Codec, Incoming, TransportKind};

/// Feeds `data[2..]` to a codec picked by `data[0]` (the client side of each transport, the server
/// side insisting on each, or detecting any, with or without an MTProxy secret) in chunks of
/// `data[1] % 64 + 1` bytes, polling after each chunk and echoing every frame back; every outcome
/// but a panic (or a payload larger than the input) is fine. Returns how many frames and quick
/// acks came out before the end or the first error, so tests can check valid streams get through.
pub fn deframe(data: &[u8]) -> usize {
    let [mode, chunk, ref input @ ..] = *data else { return 0 };
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut rng = move |buf: &mut [u8]| {
        for byte in buf {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            *byte = (state >> 56) as u8;
        }
    };
    let kinds = TransportKind::ALL;
    let mode = mode as usize % (2 * kinds.len() + 2);
    let mut codec = if mode < kinds.len() {
        Codec::client(kinds[mode], 2, &mut rng)
    } else if mode < 2 * kinds.len() {
        Codec::server(Some(kinds[mode - kinds.len()]), None)
    } else if mode == 2 * kinds.len() {
        Codec::server(None, None)
    } else {
        Codec::server(None, Some([0x99; 16]))
    };
    let mut out = Vec::new();
    let mut delivered = 0;
    for piece in input.chunks(chunk as usize % 64 + 1) {
        codec.feed(piece);
        loop {
            match codec.poll() {
                Ok(Some(Incoming::Frame { payload, quick_ack_requested })) => {
                    assert!(payload.len() <= input.len(), "payload larger than the input");
                    if quick_ack_requested {
                        let _ = codec.pack_quick_ack(0x8000_0001, &mut out);
                    }
                    let _ = codec.pack(&payload, &mut rng, &mut out);
                    out.clear();
                }
                Ok(Some(Incoming::QuickAck(token))) => assert!(token & 0x8000_0000 != 0, "quick ack without bit 31"),
                Ok(None) => break,
                Err(_) => return delivered,
            }
            delivered += 1;
        }
    }
    delivered
}

/// The `data[0]` that makes [`deframe`] use the server side detecting any transport.
pub const SERVER_DETECTING: u8 = 2 * TransportKind::ALL.len() as u8;

/// The `data[0]` that makes [`deframe`] use the client side of `kind`.
pub fn client_mode(kind: TransportKind) -> u8 {
    TransportKind::ALL.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

/// The `data[0]` that makes [`deframe`] use the server side insisting on `kind`.
pub fn server_mode(kind: TransportKind) -> u8 {
    client_mode(kind) + TransportKind::ALL.len() as u8
}
