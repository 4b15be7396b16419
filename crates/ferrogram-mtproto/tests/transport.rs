//! MTProto transports: byte vectors, round trips of every transport in both directions, detection,
//! partial input, quick acks, transport errors and malformed frames.

use ferrogram_mtproto::transport::{
    detect, Abridged, Codec, Detection, Framing, Full, Incoming, Intermediate, PaddedIntermediate, Side,
    TransportError, TransportKind, Unpacked, MAX_FRAME_LEN,
};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// A deterministic byte source for tests.
fn rng(seed: u64) -> impl FnMut(&mut [u8]) {
    let mut s = seed | 1;
    move |buf: &mut [u8]| {
        for b in buf {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *b = s as u8;
        }
    }
}

/// A byte source that hands out `bytes` in order, then zeros.
fn scripted(bytes: Vec<u8>) -> impl FnMut(&mut [u8]) {
    let mut queue = bytes.into_iter();
    move |buf: &mut [u8]| {
        for b in buf {
            *b = queue.next().unwrap_or(0);
        }
    }
}

/// A payload of `len` bytes (a multiple of 4, as MTProto payloads are) that differs per `seed`.
fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

/// Every frame `codec` yields from the bytes fed so far.
fn drain(codec: &mut Codec) -> Result<Vec<Incoming>, TransportError> {
    let mut all = Vec::new();
    while let Some(incoming) = codec.poll()? {
        all.push(incoming);
    }
    Ok(all)
}

fn frames(payloads: &[Vec<u8>]) -> Vec<Incoming> {
    payloads.iter().map(|p| Incoming::Frame { payload: p.clone(), quick_ack_requested: false }).collect()
}

/// Padded intermediate may leave up to 12 padding bytes after a payload; everything else must
/// come back exactly.
fn assert_payloads(kind: TransportKind, got: &[Incoming], sent: &[Vec<u8>]) {
    assert_eq!(got.len(), sent.len(), "{kind}: frame count");
    for (got, sent) in got.iter().zip(sent) {
        let Incoming::Frame { payload, quick_ack_requested: false } = got else {
            panic!("{kind}: expected a plain frame, got {got:?}");
        };
        if kind.framing() == ferrogram_mtproto::transport::FramingKind::PaddedIntermediate {
            assert!(payload.starts_with(sent), "{kind}: payload prefix");
            assert!(
                payload.len() - sent.len() <= 12 && payload.len() % 4 == 0,
                "{kind}: padding left {}",
                payload.len()
            );
        } else {
            assert_eq!(payload, sent, "{kind}: payload");
        }
    }
}

/// Sizes around abridged's 1-byte/4-byte length boundary (0x7e and 0x7f words) and a large one.
fn sample_payloads() -> Vec<Vec<u8>> {
    [4, 8, 0x7e * 4, 0x7f * 4, 1024, 100_000, 24].iter().enumerate().map(|(i, &n)| payload(n, i as u8)).collect()
}

// ---- byte vectors --------------------------------------------------------------------------

#[test]
fn abridged_short_and_long_length_headers() {
    let mut r = rng(1);
    let mut framing = Abridged::new(Side::Client);
    let mut out = Vec::new();
    framing.pack(&[1, 2, 3, 4, 5, 6, 7, 8], false, &mut r, &mut out).unwrap();
    assert_eq!(out, [0x02, 1, 2, 3, 4, 5, 6, 7, 8]);

    // 0x7e words still fit the 1-byte form, 0x7f words take 0x7f + 3 little-endian bytes.
    out.clear();
    framing.pack(&payload(0x7e * 4, 0), false, &mut r, &mut out).unwrap();
    assert_eq!(out[0], 0x7e);
    assert_eq!(out.len(), 1 + 0x7e * 4);
    out.clear();
    framing.pack(&payload(0x7f * 4, 0), false, &mut r, &mut out).unwrap();
    assert_eq!(out[..4], [0x7f, 0x7f, 0x00, 0x00]);
    assert_eq!(out.len(), 4 + 0x7f * 4);
    out.clear();
    framing.pack(&payload(0x012345 * 4, 0), false, &mut r, &mut out).unwrap();
    assert_eq!(out[..4], [0x7f, 0x45, 0x23, 0x01]);

    // With a quick-ack request, bit 7 of the first byte.
    out.clear();
    framing.pack(&[1, 2, 3, 4], true, &mut r, &mut out).unwrap();
    assert_eq!(out, [0x81, 1, 2, 3, 4]);
    out.clear();
    framing.pack(&payload(0x7f * 4, 0), true, &mut r, &mut out).unwrap();
    assert_eq!(out[..4], [0xff, 0x7f, 0x00, 0x00]);

    // Abridged counts words: a payload that is not whole words cannot be sent.
    assert_eq!(framing.pack(&[1, 2, 3], false, &mut r, &mut out), Err(TransportError::PayloadNotAligned(3)));
}

#[test]
fn client_codecs_write_the_tag_once() {
    let mut r = rng(2);
    let p = [1u8, 2, 3, 4, 5, 6, 7, 8];
    let cases: [(TransportKind, &[u8], &[u8]); 3] = [
        (TransportKind::Abridged, &[0xef, 0x02], &[0x02]),
        (TransportKind::Intermediate, &[0xee, 0xee, 0xee, 0xee, 8, 0, 0, 0], &[8, 0, 0, 0]),
        (TransportKind::Full, &[20, 0, 0, 0, 0, 0, 0, 0], &[20, 0, 0, 0, 1, 0, 0, 0]),
    ];
    for (kind, first_header, second_header) in cases {
        let mut codec = Codec::client(kind, 2, &mut r);
        let mut out = Vec::new();
        codec.pack(&p, &mut r, &mut out).unwrap();
        assert_eq!(out[..first_header.len()], *first_header, "{kind} first frame");
        assert_eq!(out[first_header.len()..first_header.len() + 8], p, "{kind} first payload");
        out.clear();
        codec.pack(&p, &mut r, &mut out).unwrap();
        assert_eq!(out[..second_header.len()], *second_header, "{kind} second frame: no tag again");
    }
}

#[test]
fn padded_intermediate_vector() {
    // Padding length is the first random byte mod 16, then the padding bytes themselves.
    let mut r = scripted(vec![0x13, 0xaa, 0xbb, 0xcc]);
    let mut codec = Codec::client(TransportKind::PaddedIntermediate, 2, &mut r);
    let mut out = Vec::new();
    codec.pack(&[1, 2, 3, 4, 5, 6, 7, 8], &mut r, &mut out).unwrap();
    assert_eq!(out, [0xdd, 0xdd, 0xdd, 0xdd, 11, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa, 0xbb, 0xcc]);

    // The receiver drops the bytes that cannot be part of a whole-word payload.
    let mut server = Codec::server(Some(TransportKind::PaddedIntermediate), None);
    server.feed(&out);
    assert_eq!(drain(&mut server).unwrap(), frames(&[vec![1, 2, 3, 4, 5, 6, 7, 8]]));
}

/// CRC32 values computed with Python's `zlib.crc32`, independently of this crate.
#[test]
fn full_vector_with_crc() {
    let mut r = rng(3);
    let mut framing = Full::new(Side::Client);
    let mut out = Vec::new();
    framing.pack(&[1, 2, 3, 4, 5, 6, 7, 8], false, &mut r, &mut out).unwrap();
    assert_eq!(out, hex("14000000000000000102030405060708e06e4584"));
    out.clear();
    framing.pack(&[1, 2, 3, 4, 5, 6, 7, 8], false, &mut r, &mut out).unwrap();
    assert_eq!(out, hex("140000000100000001020304050607088f22e01f"));

    let mut server = Full::new(Side::Server);
    let first = hex("14000000000000000102030405060708e06e4584");
    assert_eq!(
        server.unpack(&first).unwrap(),
        Unpacked::Frame { payload: 8..16, consumed: 20, quick_ack_requested: false }
    );
}

/// The wire bytes were computed with Python's `cryptography` (OpenSSL AES-256-CTR) and `hashlib`,
/// following the spec's pseudocode, independently of this crate. Init bytes `i * 37 + 11`.
#[test]
fn obfuscated_vectors() {
    let init: Vec<u8> = (0..64u32).map(|i| ((i * 37 + 11) % 256) as u8).collect();

    // Obfuscated abridged, DC 2, no secret.
    let mut r = scripted(init.clone());
    let mut client = Codec::client(TransportKind::ObfuscatedAbridged, 2, &mut r);
    let mut out = Vec::new();
    client.pack(&[1, 2, 3, 4, 5, 6, 7, 8], &mut r, &mut out).unwrap();
    assert_eq!(
        out,
        hex(concat!(
            "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6",
            "fb20456a8fb4d9feef2ca401f11feb30880e5bae71c38c85f6"
        ))
    );
    assert_eq!(out[..56], init[..56], "the init goes out in the clear up to byte 56");
    client.feed(&hex("8d96c5f470ea4af404"));
    assert_eq!(drain(&mut client).unwrap(), frames(&[vec![8, 7, 6, 5, 4, 3, 2, 1]]));

    let Detection::Found { mut codec, consumed } = detect(&out, None).unwrap() else { panic!("not detected") };
    assert_eq!((codec.kind(), codec.dc_id(), consumed), (Some(TransportKind::ObfuscatedAbridged), Some(2), 64));
    codec.feed(&out[consumed..]);
    assert_eq!(drain(&mut codec).unwrap(), frames(&[vec![1, 2, 3, 4, 5, 6, 7, 8]]));
    let mut reply = Vec::new();
    codec.pack(&[8, 7, 6, 5, 4, 3, 2, 1], &mut r, &mut reply).unwrap();
    assert_eq!(reply, hex("8d96c5f470ea4af404"));

    // Obfuscated padded intermediate to media DC 4 (-4) through an MTProxy with the spec's
    // example secret, 3 padding bytes aa bb cc.
    let secret = [0x99; 16];
    let mut bytes = init.clone();
    bytes.extend_from_slice(&[0x03, 0xaa, 0xbb, 0xcc]);
    let mut r = scripted(bytes);
    let mut client =
        Codec::client_with_secret(TransportKind::ObfuscatedPaddedIntermediate, -4, &secret, &mut r).unwrap();
    let mut out = Vec::new();
    client.pack(&[1, 2, 3, 4, 5, 6, 7, 8], &mut r, &mut out).unwrap();
    assert_eq!(
        out,
        hex(concat!(
            "0b30557a9fc4e90e33587da2c7ec11365b80a5caef14395e83a8cdf2173c6186abd0f51a3f6489aed3f81d42678cb1d6",
            "fb20456a8fb4d9fe9c389a47dd3bbbf78e6926187083d0d8493709fbffa89a"
        ))
    );
    client.feed(&hex("36ab4a89a34d75e00586e1f5"));
    assert_eq!(drain(&mut client).unwrap(), frames(&[vec![8, 7, 6, 5, 4, 3, 2, 1]]));

    let mut server = Codec::server(None, Some(secret));
    server.feed(&out);
    assert_eq!(drain(&mut server).unwrap(), frames(&[vec![1, 2, 3, 4, 5, 6, 7, 8]]));
    assert_eq!((server.kind(), server.dc_id()), (Some(TransportKind::ObfuscatedPaddedIntermediate), Some(-4)));

    // Without the secret (or with another) the tag decrypts to garbage.
    assert!(matches!(detect(&out, None), Err(TransportError::BadTag(_))));
    assert!(matches!(detect(&out, Some(&[0x98; 16])), Err(TransportError::BadTag(_))));
}

#[test]
fn obfuscated_init_avoids_reserved_openings() {
    // A source whose first draws are all forbidden: 0xef first byte, the intermediate and padded
    // tags, HTTP methods, a zero second word. The client must draw again.
    let mut bytes = Vec::new();
    for bad in [
        &[0xef, 1, 1, 1, 1, 1, 1, 1][..],
        &[0xee; 8],
        &[0xdd; 8],
        b"POST 1/1",
        b"GET /abc",
        b"HEADxxxx",
        &[7, 7, 7, 7, 0, 0, 0, 0],
    ] {
        let mut draw = bad.to_vec();
        draw.resize(64, 0x42);
        bytes.extend(draw);
    }
    let good: Vec<u8> = (0..64).map(|i| i as u8 + 1).collect();
    bytes.extend(&good);
    let mut r = scripted(bytes);
    let mut client = Codec::client(TransportKind::ObfuscatedIntermediate, 5, &mut r);
    let mut out = Vec::new();
    client.pack(&[0; 4], &mut r, &mut out).unwrap();
    assert_eq!(out[..56], good[..56]);

    // Even a constant source yields an init a server reads as obfuscated.
    for constant in [0x00, 0xef, 0xee, 0xdd] {
        let mut r = move |buf: &mut [u8]| buf.fill(constant);
        let mut client = Codec::client(TransportKind::ObfuscatedAbridged, 1, &mut r);
        let mut out = Vec::new();
        client.pack(&[0; 4], &mut r, &mut out).unwrap();
        let Detection::Found { codec, .. } = detect(&out, None).unwrap() else { panic!("need more") };
        assert_eq!(codec.kind(), Some(TransportKind::ObfuscatedAbridged), "constant {constant:#x}");
    }
}

// ---- round trips ---------------------------------------------------------------------------

#[test]
fn every_transport_round_trips_both_ways() {
    let payloads = sample_payloads();
    for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
        let mut r = rng(10 + i as u64);
        let mut client = Codec::client(kind, 3, &mut r);
        let mut server = Codec::server(Some(kind), None);

        // Three rounds, so sequence numbers and CTR streams carry over between frames.
        for round in 0..3 {
            let mut wire = Vec::new();
            for p in &payloads {
                client.pack(p, &mut r, &mut wire).unwrap();
            }
            server.feed(&wire);
            assert_payloads(kind, &drain(&mut server).unwrap(), &payloads);
            assert_eq!(server.kind(), Some(kind));

            let mut wire = Vec::new();
            for p in &payloads {
                server.pack(p, &mut r, &mut wire).unwrap();
            }
            if round == 0 && !kind.is_obfuscated() {
                // The server never starts its reply with the client's tag.
                assert!(!wire.starts_with(kind.framing().tag()) || kind == TransportKind::Full);
            }
            client.feed(&wire);
            assert_payloads(kind, &drain(&mut client).unwrap(), &payloads);
        }
        assert_eq!(server.dc_id(), kind.is_obfuscated().then_some(3), "{kind}");
    }
}

#[test]
fn byte_by_byte_input() {
    let payloads = sample_payloads()[..5].to_vec();
    for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
        let mut r = rng(20 + i as u64);
        let mut client = Codec::client(kind, -2, &mut r);
        let mut server = Codec::server(None, None);
        let mut wire = Vec::new();
        for p in &payloads {
            client.pack(p, &mut r, &mut wire).unwrap();
        }
        let mut got = Vec::new();
        for byte in &wire {
            server.feed(std::slice::from_ref(byte));
            got.extend(drain(&mut server).unwrap());
        }
        assert_payloads(kind, &got, &payloads);
        assert_eq!(server.kind(), Some(kind));

        let mut wire = Vec::new();
        for p in &payloads {
            server.pack(p, &mut r, &mut wire).unwrap();
        }
        let mut got = Vec::new();
        for byte in &wire {
            client.feed(std::slice::from_ref(byte));
            got.extend(drain(&mut client).unwrap());
        }
        assert_payloads(kind, &got, &payloads);
    }
}

#[test]
fn framings_report_how_many_bytes_they_need() {
    let mut r = rng(4);
    let p = payload(0x7f * 4, 9);
    let framings: [(Box<dyn Framing>, Box<dyn Framing>); 4] = [
        (Box::new(Abridged::new(Side::Client)), Box::new(Abridged::new(Side::Server))),
        (Box::new(Intermediate::new(Side::Client)), Box::new(Intermediate::new(Side::Server))),
        (Box::new(PaddedIntermediate::new(Side::Client)), Box::new(PaddedIntermediate::new(Side::Server))),
        (Box::new(Full::new(Side::Client)), Box::new(Full::new(Side::Server))),
    ];
    for (mut sender, mut receiver) in framings {
        let mut wire = Vec::new();
        sender.pack(&p, false, &mut r, &mut wire).unwrap();
        wire.extend_from_slice(&[0xab; 3]); // the start of a next frame stays unconsumed
        let frame_len = wire.len() - 3;
        for cut in 0..frame_len {
            let Unpacked::NeedMore { at_least } = receiver.unpack(&wire[..cut]).unwrap() else {
                panic!("frame from {cut} bytes");
            };
            assert!(at_least > cut && at_least <= frame_len, "cut {cut}: at_least {at_least}");
            if cut >= 4 {
                assert_eq!(at_least, frame_len, "the header is in: exact length");
            }
        }
        let Unpacked::Frame { payload, consumed, quick_ack_requested: false } = receiver.unpack(&wire).unwrap() else {
            panic!("no frame");
        };
        assert_eq!(consumed, frame_len);
        assert!(wire[payload].starts_with(&p));
    }
}

// ---- detection -----------------------------------------------------------------------------

#[test]
fn detects_every_transport() {
    for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
        let mut r = rng(30 + i as u64);
        let mut client = Codec::client(kind, 4, &mut r);
        let mut wire = Vec::new();
        client.pack(&payload(40, 1), &mut r, &mut wire).unwrap();

        let header_len = match kind {
            TransportKind::Abridged => 1,
            TransportKind::Intermediate | TransportKind::PaddedIntermediate => 4,
            TransportKind::Full => 0,
            _ => 64,
        };
        // Less than the header (or, for full, than its first 8 bytes) is not enough.
        let needed = if kind == TransportKind::Full { 8 } else { header_len };
        for cut in 0..needed {
            let Detection::NeedMore { at_least } = detect(&wire[..cut], None).unwrap() else {
                panic!("{kind}: detected from {cut} bytes");
            };
            assert!(at_least > cut && at_least <= needed.max(1), "{kind}: cut {cut} at_least {at_least}");
        }
        let Detection::Found { mut codec, consumed } = detect(&wire[..needed], None).unwrap() else {
            panic!("{kind}: not detected");
        };
        assert_eq!(codec.kind(), Some(kind));
        assert_eq!(consumed, header_len);
        assert_eq!(codec.dc_id(), kind.is_obfuscated().then_some(4));
        codec.feed(&wire[consumed..]);
        assert_payloads(kind, &drain(&mut codec).unwrap(), &[payload(40, 1)]);
    }
}

#[test]
fn detection_refuses_http_and_tls() {
    for opening in [
        &b"POST /api HTTP/1.1"[..],
        b"GET / HTTP/1.1",
        b"HEAD / HTTP/1.1",
        b"OPTIONS * HTTP/1.1",
        &[0x16, 0x03, 0x01, 0x02, 0x00],
    ] {
        let expected = TransportError::UnsupportedProtocol([opening[0], opening[1], opening[2], opening[3]]);
        assert_eq!(detect(opening, None).unwrap_err(), expected);
        let mut server = Codec::server(None, None);
        server.feed(opening);
        assert_eq!(server.poll().unwrap_err(), expected);
    }
}

#[test]
fn server_insisting_on_a_transport_rejects_others() {
    let mut r = rng(5);
    let mut client = Codec::client(TransportKind::Intermediate, 2, &mut r);
    let mut wire = Vec::new();
    client.pack(&[0; 8], &mut r, &mut wire).unwrap();
    let mut server = Codec::server(Some(TransportKind::ObfuscatedIntermediate), None);
    server.feed(&wire);
    assert_eq!(
        server.poll(),
        Err(TransportError::UnexpectedTransport {
            expected: TransportKind::ObfuscatedIntermediate,
            received: TransportKind::Intermediate
        })
    );
    // Nothing can be sent before the header (and after the failure, nothing is read).
    let mut waiting = Codec::server(None, None);
    assert_eq!(waiting.pack(&[0; 4], &mut r, &mut Vec::new()), Err(TransportError::NotEstablished));
    assert_eq!(waiting.pack_quick_ack(1, &mut Vec::new()), Err(TransportError::NotEstablished));
}

#[test]
fn obfuscated_init_with_unknown_tag_is_refused() {
    // A random 64-byte opening that is none of the plain transports: its tag decrypts to noise.
    let mut opening: Vec<u8> = (0..64).map(|i| (i as u8).wrapping_mul(13).wrapping_add(5)).collect();
    opening.extend_from_slice(&[1, 2, 3]);
    assert!(matches!(detect(&opening[..63], None), Ok(Detection::NeedMore { at_least: 64 })));
    assert!(matches!(detect(&opening, None), Err(TransportError::BadTag(_))));
}

// ---- quick acks, transport errors -----------------------------------------------------------

#[test]
fn quick_acks_both_ways() {
    for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
        let mut r = rng(40 + i as u64);
        let mut client = Codec::client(kind, 2, &mut r);
        let mut server = Codec::server(None, None);
        let mut wire = Vec::new();
        client.pack_with_quick_ack(&payload(24, 3), &mut r, &mut wire).unwrap();
        client.pack(&payload(24, 4), &mut r, &mut wire).unwrap();
        server.feed(&wire);
        let got = drain(&mut server).unwrap();
        assert_eq!(got.len(), 2);
        assert!(matches!(&got[0], Incoming::Frame { quick_ack_requested: true, .. }), "{kind}: {got:?}");
        assert!(matches!(&got[1], Incoming::Frame { quick_ack_requested: false, .. }), "{kind}");

        let mut wire = Vec::new();
        server.pack_quick_ack(0x1234_5678, &mut wire).unwrap();
        server.pack(&payload(24, 5), &mut r, &mut wire).unwrap();
        client.feed(&wire);
        let got = drain(&mut client).unwrap();
        assert_eq!(got[0], Incoming::QuickAck(0x9234_5678), "{kind}");
        assert_payloads(kind, &got[1..], &[payload(24, 5)]);
    }
}

#[test]
fn quick_ack_bytes() {
    // Abridged sends the token byte-swapped so its first byte carries bit 31; the others send the
    // length word with bit 31 set.
    let mut out = Vec::new();
    Abridged::new(Side::Server).pack_quick_ack(0x8102_0304, &mut out);
    assert_eq!(out, [0x81, 0x02, 0x03, 0x04]);
    assert_eq!(
        Abridged::new(Side::Client).unpack(&out).unwrap(),
        Unpacked::QuickAck { token: 0x8102_0304, consumed: 4 }
    );
    out.clear();
    Intermediate::new(Side::Server).pack_quick_ack(0x8102_0304, &mut out);
    assert_eq!(out, [0x04, 0x03, 0x02, 0x81]);
    assert_eq!(
        Intermediate::new(Side::Client).unpack(&out).unwrap(),
        Unpacked::QuickAck { token: 0x8102_0304, consumed: 4 }
    );
    let mut r = rng(6);
    out.clear();
    Intermediate::new(Side::Client).pack(&[9; 4], true, &mut r, &mut out).unwrap();
    assert_eq!(out, [4, 0, 0, 0x80, 9, 9, 9, 9]);
}

#[test]
fn transport_error_404_from_the_server() {
    for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
        let mut r = rng(50 + i as u64);
        let mut client = Codec::client(kind, 2, &mut r);
        let mut server = Codec::server(None, None);
        let mut wire = Vec::new();
        client.pack(&payload(24, 1), &mut r, &mut wire).unwrap();
        server.feed(&wire);
        assert_eq!(drain(&mut server).unwrap().len(), 1);

        let mut wire = Vec::new();
        server.pack_status(-404, &mut r, &mut wire).unwrap();
        client.feed(&wire);
        assert_eq!(client.poll(), Err(TransportError::Status(-404)), "{kind}");
        // The connection is over: the same error again.
        assert_eq!(client.poll(), Err(TransportError::Status(-404)), "{kind}");
    }
    assert_eq!(
        TransportError::Status(-429).to_string(),
        "transport error -429 from the server (transport flood: too many connections or a container/service message limit reached)"
    );
    // A 4-byte payload that is not negative is an ordinary (if odd) payload.
    let mut client = Intermediate::new(Side::Client);
    assert!(matches!(client.unpack(&[4, 0, 0, 0, 1, 0, 0, 0]), Ok(Unpacked::Frame { .. })));
    assert_eq!(client.unpack(&[4, 0, 0, 0, 0x44, 0xfe, 0xff, 0xff]), Err(TransportError::Status(-444)));
    assert_eq!(Abridged::new(Side::Client).unpack(&[1, 0x6c, 0xfe, 0xff, 0xff]), Err(TransportError::Status(-404)));
}

// ---- malformed frames ---------------------------------------------------------------------

#[test]
fn oversized_lengths_are_rejected_before_buffering() {
    let too_large = TransportError::FrameTooLarge { len: MAX_FRAME_LEN + 4, max: MAX_FRAME_LEN };
    let words = ((MAX_FRAME_LEN + 4) / 4) as u32;
    let abridged = [0x7f, words as u8, (words >> 8) as u8, (words >> 16) as u8];
    assert_eq!(Abridged::new(Side::Server).unpack(&abridged), Err(too_large.clone()));
    // The largest 3-byte length (64 MiB) too.
    assert!(matches!(
        Abridged::new(Side::Server).unpack(&[0x7f, 0xff, 0xff, 0xff]),
        Err(TransportError::FrameTooLarge { .. })
    ));
    let len = ((MAX_FRAME_LEN + 4) as u32).to_le_bytes();
    assert_eq!(Intermediate::new(Side::Client).unpack(&len), Err(too_large.clone()));
    assert!(Intermediate::new(Side::Client).unpack(&(MAX_FRAME_LEN as u32).to_le_bytes()).is_ok());
    assert_eq!(
        Intermediate::new(Side::Server).unpack(&[0xff, 0xff, 0xff, 0x7f]).unwrap_err(),
        TransportError::FrameTooLarge { len: 0x7fff_ffff, max: MAX_FRAME_LEN }
    );
    let full = ((MAX_FRAME_LEN + 16) as u32).to_le_bytes();
    assert_eq!(Full::new(Side::Client).unpack(&full), Err(too_large));
    assert_eq!(Full::new(Side::Client).unpack(&[11, 0, 0, 0]), Err(TransportError::FrameTooShort { len: 11 }));

    // Through a codec: the error comes as soon as the length is in, nothing else buffered.
    let mut server = Codec::server(None, None);
    server.feed(&[0xee, 0xee, 0xee, 0xee, 0xff, 0xff, 0xff, 0x7f]);
    assert!(matches!(server.poll(), Err(TransportError::FrameTooLarge { .. })));

    // Sending one is refused too.
    let mut r = rng(7);
    let huge = vec![0u8; MAX_FRAME_LEN + 4];
    let mut out = Vec::new();
    let mut client = Codec::client(TransportKind::Intermediate, 2, &mut r);
    assert!(matches!(client.pack(&huge, &mut r, &mut out), Err(TransportError::FrameTooLarge { .. })));
    assert!(out.is_empty(), "nothing written, not even the tag");
    // ... and the tag still goes out with the next frame.
    client.pack(&[1, 2, 3, 4], &mut r, &mut out).unwrap();
    assert_eq!(out[..4], [0xee; 4]);
}

#[test]
fn full_crc_mismatch() {
    let mut frame = hex("14000000000000000102030405060708e06e4584");
    frame[10] ^= 0x01;
    assert_eq!(
        Full::new(Side::Server).unpack(&frame),
        Err(TransportError::BadCrc { received: 0x84456ee0, computed: crc32fast::hash(&frame[..16]) })
    );
}

#[test]
fn full_bad_seq() {
    let mut server = Full::new(Side::Server);
    let seq0 = hex("14000000000000000102030405060708e06e4584");
    let seq1 = hex("140000000100000001020304050607088f22e01f");
    // Seq 1 first: a frame was lost.
    assert_eq!(server.unpack(&seq1), Err(TransportError::BadSeq { expected: 0, received: 1 }));
    assert!(matches!(server.unpack(&seq0), Ok(Unpacked::Frame { .. })));
    // Seq 0 again: a repeat.
    assert_eq!(server.unpack(&seq0), Err(TransportError::BadSeq { expected: 1, received: 0 }));
    assert!(matches!(server.unpack(&seq1), Ok(Unpacked::Frame { .. })));

    // Through codecs: a client that restarts its numbering mid-connection.
    let mut r = rng(8);
    let mut server = Codec::server(None, None);
    let mut wire = Vec::new();
    Codec::client(TransportKind::Full, 2, &mut r).pack(&[0; 8], &mut r, &mut wire).unwrap();
    Codec::client(TransportKind::Full, 2, &mut r).pack(&[0; 8], &mut r, &mut wire).unwrap();
    server.feed(&wire);
    assert!(matches!(server.poll(), Ok(Some(Incoming::Frame { .. }))));
    assert_eq!(server.poll(), Err(TransportError::BadSeq { expected: 1, received: 0 }));
}

// ---- configuration -------------------------------------------------------------------------

#[test]
fn transport_kind_names() {
    for kind in TransportKind::ALL {
        assert_eq!(kind.to_string().parse::<TransportKind>(), Ok(kind));
    }
    assert_eq!("Obfuscated-Padded-Intermediate".parse(), Ok(TransportKind::ObfuscatedPaddedIntermediate));
    assert!("http".parse::<TransportKind>().is_err());
    assert_eq!(TransportKind::obfuscated(ferrogram_mtproto::transport::FramingKind::Full), None);

    let mut r = rng(9);
    assert_eq!(
        Codec::client_with_secret(TransportKind::Abridged, 2, &[0; 16], &mut r).unwrap_err(),
        TransportError::SecretNeedsObfuscation(TransportKind::Abridged)
    );
}

/// Padded intermediate's padding is cut from plain and encrypted payloads; what cannot be a
/// whole message is left for the message layer to refuse.
#[test]
fn padding_is_stripped_from_plain_and_encrypted_payloads() {
    use ferrogram_mtproto::transport::strip_padding;
    let plain = ferrogram_mtproto::authkey::plain::wrap(4, &[1, 2, 3, 4]);
    let mut padded = plain.clone();
    padded.extend_from_slice(&[9; 7]);
    assert_eq!(strip_padding(&padded), &plain[..]);
    assert_eq!(strip_padding(&plain), &plain[..]);

    let encrypted = vec![1u8; 24 + 32 + 11];
    assert_eq!(strip_padding(&encrypted).len(), 24 + 32);
    assert_eq!(strip_padding(&encrypted[..24 + 32]).len(), 24 + 32);

    // A length field claiming more than arrived, or a negative one: left whole.
    let short = &plain[..22];
    assert_eq!(strip_padding(short), short);
    let mut negative = plain.clone();
    negative[16..20].copy_from_slice(&(-4i32).to_le_bytes());
    assert_eq!(strip_padding(&negative), &negative[..]);
    // Too short to be either kind of message.
    assert_eq!(strip_padding(&[1, 2, 3]), &[1, 2, 3]);
    assert_eq!(strip_padding(&[1u8; 20]), &[1u8; 20]);
}
