//! `gzip_packed` payloads: gzip and zlib streams both inflate, and the limits hold (total bytes
//! per message across nesting, nesting depth, never a buffer beyond the limit).

use std::io::Write as _;

use ferrogram_tl::fuzzing::zeros_stream;
use ferrogram_tl::inflate::{inflate, InflateBudget, InflateError, InflateLimits, StreamFormat};
use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::{Deserializable, DeserializeError, Serializable};

fn zlib(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(level));
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    GzipPacked::pack(data).packed_data
}

/// Some compressible TL-ish bytes.
fn sample() -> Vec<u8> {
    (0..5000u32).flat_map(|i| (i % 97).to_le_bytes()).collect()
}

#[test]
fn gzip_and_zlib_streams_both_inflate() {
    let data = sample();
    assert!(inflate(&gzip(&data), 1 << 20).unwrap() == data);
    for level in [0, 1, 6, 9] {
        assert!(inflate(&zlib(&data, level), 1 << 20).unwrap() == data, "zlib level {level}");
    }
    // Node's zlib.deflateSync(Buffer.from("b5757299", "hex")): boolTrue, as mtcute packs it.
    let node = [0x78, 0x9c, 0xdb, 0x5a, 0x5a, 0x34, 0x13, 0x00, 0x05, 0xb4, 0x02, 0x36];
    assert_eq!(inflate(&node, 100).unwrap(), [0xb5, 0x75, 0x72, 0x99]);
    // And through the TL object.
    let packed = GzipPacked { packed_data: zlib(&data, 6) };
    assert!(GzipPacked::from_bytes_exact(&packed.to_bytes()).unwrap().unpack().unwrap() == data);
}

#[test]
fn our_encoder_still_writes_gzip() {
    assert_eq!(StreamFormat::detect(&GzipPacked::pack(b"x").packed_data), Some(StreamFormat::Gzip));
}

#[test]
fn headers_are_told_apart() {
    assert_eq!(StreamFormat::detect(&[0x1f, 0x8b, 8]), Some(StreamFormat::Gzip));
    // The four FLG values zlib writes for its levels, and a smaller window.
    for header in [[0x78, 0x01], [0x78, 0x5e], [0x78, 0x9c], [0x78, 0xda], [0x48, 0x0d]] {
        assert_eq!(StreamFormat::detect(&header), Some(StreamFormat::Zlib), "{header:02x?}");
    }
    // A wrong check value, a method other than deflate, a window above 32 KiB, too short.
    for header in [&[0x78, 0x9d][..], &[0x79, 0x9c], &[0x88, 0x1c], &[0x78], &[]] {
        assert_eq!(StreamFormat::detect(header), None, "{header:02x?}");
    }
    assert_eq!(inflate(&[1, 2, 3], 100), Err(InflateError::UnknownFormat));
    assert!(matches!(
        GzipPacked { packed_data: vec![1, 2, 3] }.unpack(),
        Err(DeserializeError::Gzip(InflateError::UnknownFormat))
    ));
}

#[test]
fn damaged_streams_are_refused() {
    let data = sample();
    for (format, stream) in [(StreamFormat::Gzip, gzip(&data)), (StreamFormat::Zlib, zlib(&data, 6))] {
        // Cut short, and with the checksum broken.
        let cut = &stream[..stream.len() / 2];
        assert!(matches!(inflate(cut, 1 << 20), Err(InflateError::Corrupt { format: f, .. }) if f == format));
        let mut bad_sum = stream.clone();
        let at = bad_sum.len() - if format == StreamFormat::Gzip { 8 } else { 1 };
        bad_sum[at] ^= 1;
        assert!(matches!(inflate(&bad_sum, 1 << 20), Err(InflateError::Corrupt { format: f, .. }) if f == format));
    }
    // A zlib stream asking for a preset dictionary (FDICT) cannot be read.
    assert!(matches!(inflate(&[0x78, 0xbb, 0, 0, 0, 1, 3, 0], 100), Err(InflateError::Corrupt { .. })));
}

#[test]
fn the_cheap_bomb_is_a_valid_stream() {
    // The construction behind the bomb tests, small enough to inflate whole (with its checksum).
    for format in [StreamFormat::Gzip, StreamFormat::Zlib] {
        let stream = zeros_stream(format, 5);
        assert_eq!(StreamFormat::detect(&stream), Some(format));
        assert!(stream.len() < 8 << 10, "{format}: {} bytes", stream.len());
        let out = inflate(&stream, 5 << 20).unwrap();
        assert!(out.len() == 5 << 20 && out.iter().all(|&b| b == 0), "{format}");
    }
}

#[test]
fn a_gigabyte_bomb_is_refused_at_the_limit() {
    for format in [StreamFormat::Gzip, StreamFormat::Zlib] {
        let bomb = zeros_stream(format, 1024);
        assert!(bomb.len() < 2 << 20, "{format}: {} bytes", bomb.len());
        assert_eq!(inflate(&bomb, 16 << 20), Err(InflateError::TooLarge { limit: 16 << 20 }), "{format}");
        let error = GzipPacked { packed_data: bomb }.unpack().unwrap_err();
        assert_eq!(
            error,
            DeserializeError::Gzip(InflateError::TooLarge { limit: InflateLimits::DEFAULT.max_total_bytes })
        );
        assert_eq!(
            error.to_string(),
            "invalid gzip_packed payload: gzip_packed inflates beyond the limit of 16777216 bytes per message"
        );
    }
}

#[test]
fn output_never_grows_past_the_limit() {
    let data = vec![3u8; 100_000];
    for limit in [100_000, 100_001, 150_000, 1 << 20] {
        let out = inflate(&gzip(&data), limit).unwrap();
        assert!(out == data);
        assert!(out.capacity() <= limit, "capacity {} for limit {limit}", out.capacity());
    }
    assert_eq!(inflate(&gzip(&data), 99_999), Err(InflateError::TooLarge { limit: 99_999 }));
    assert_eq!(inflate(&gzip(&[]), 0).unwrap(), Vec::<u8>::new());
}

/// Reads a payload and, if what it holds is a payload again (tagged with a leading 1), that one
/// too, through the same budget; returns the innermost content.
fn unwrap_all(budget: &mut InflateBudget, packed: &[u8]) -> Result<Vec<u8>, InflateError> {
    budget.inflate_then(packed, |budget, content| match content.split_first() {
        Some((1, inner)) => unwrap_all(budget, inner),
        _ => Ok(content),
    })
}

/// `levels` payloads inside one another around `data`; the inner ones are zlib, the outer gzip.
fn nested(data: &[u8], levels: usize) -> Vec<u8> {
    let mut packed = zlib(data, 6);
    for _ in 1..levels {
        let mut tagged = vec![1];
        tagged.extend_from_slice(&packed);
        packed = gzip(&tagged);
    }
    packed
}

#[test]
fn nested_payloads_share_one_budget() {
    // Three levels around 400 KiB of hardly compressible data: each level inflates to about
    // 400 KiB, under a 600 KiB limit on its own, about 1.2 MiB together.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let data: Vec<u8> = (0..400 << 10)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect();
    let three = nested(&data, 3);
    let limit = 600 << 10;
    let mut level = three.clone();
    for _ in 0..2 {
        let content = inflate(&level, limit).expect("each level alone is under the limit");
        level = content[1..].to_vec();
    }
    assert!(inflate(&level, limit).unwrap() == data);
    // One budget for the message refuses them.
    let limits = InflateLimits { max_total_bytes: limit, max_depth: 8 };
    let shared = unwrap_all(&mut InflateBudget::new(limits), &three);
    assert_eq!(shared.map(|d| d.len()), Err(InflateError::TooLarge { limit }));
    // With room for all three it goes through, having counted them all.
    let mut roomy = InflateBudget::new(InflateLimits { max_total_bytes: 2 << 20, ..limits });
    assert!(unwrap_all(&mut roomy, &three).unwrap() == data);
    assert!(roomy.used() > 3 * data.len() && roomy.used() < 2 << 20, "{}", roomy.used());
    assert_eq!(roomy.depth(), 0, "depth is given back after reading");
}

#[test]
fn payloads_side_by_side_share_one_budget() {
    let data = vec![9u8; 300 << 10];
    let packed = gzip(&data);
    let mut budget = InflateBudget::new(InflateLimits { max_total_bytes: 700 << 10, max_depth: 1 });
    for _ in 0..2 {
        assert_eq!(unwrap_all(&mut budget, &packed).unwrap().len(), data.len());
    }
    assert_eq!(unwrap_all(&mut budget, &packed).map(|d| d.len()), Err(InflateError::TooLarge { limit: 700 << 10 }));
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let limits = InflateLimits { max_total_bytes: 1 << 20, max_depth: 3 };
    assert_eq!(unwrap_all(&mut InflateBudget::new(limits), &nested(b"abc", 3)).unwrap(), b"abc");
    assert_eq!(
        unwrap_all(&mut InflateBudget::new(limits), &nested(b"abc", 4)),
        Err(InflateError::TooDeep { limit: 3 })
    );
    let none = InflateLimits { max_depth: 0, ..limits };
    assert_eq!(unwrap_all(&mut InflateBudget::new(none), &nested(b"abc", 1)), Err(InflateError::TooDeep { limit: 0 }));
}

#[test]
fn default_limits() {
    assert_eq!(InflateLimits::default(), InflateLimits { max_total_bytes: 16 << 20, max_depth: 4 });
}
