//! Entry points for the fuzz targets in `fuzz/` (and the stable tests that run them on
//! pseudo-random input, since CI has no nightly toolchain). Not part of the public API.

/// Decodes `data[2..]` as a boxed type of either schema picked by `data[0..2]`; every outcome but
/// a panic is fine.
pub fn deserialize_any(data: &[u8]) {
    let (Some(&a), Some(&b)) = (data.first(), data.get(1)) else { return };
    let index = u16::from_le_bytes([a, b]) as usize;
    let bytes = &data[2..];
    let total = crate::BOXED_TYPES + crate::mtproto::BOXED_TYPES;
    let index = index % total;
    let _ = if index < crate::BOXED_TYPES {
        crate::decode_boxed(index, bytes)
    } else {
        crate::mtproto::decode_boxed(index - crate::BOXED_TYPES, bytes)
    };
}

/// Number of boxed types reachable through [`deserialize_any`].
pub fn boxed_type_count() -> usize {
    crate::BOXED_TYPES + crate::mtproto::BOXED_TYPES
}

/// A valid `format` stream of `mib` MiB of zeros: a decompression bomb of about 1 KiB per MiB,
/// for the tests of every reader of `gzip_packed` (this crate's, the session layer's, the
/// dynamic codec's).
///
/// Compressing a gigabyte takes seconds (minutes in a debug build), so only two MiB go through
/// the encoder, each ended by a sync flush (which byte-aligns the output). The second MiB's
/// deflate blocks only reach back into zeros, so they stay valid after any run of zeros and are
/// repeated for the rest; an empty final block and the format's header and trailer (its checksum
/// computed by combining, not by reading a gigabyte) complete the stream.
pub fn zeros_stream(format: crate::inflate::StreamFormat, mib: u32) -> Vec<u8> {
    use std::io::Write as _;
    const MIB: usize = 1 << 20;
    let zeros = vec![0u8; MIB];
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = deflate.write_all(&zeros).and_then(|_| deflate.flush());
    let first = deflate.get_ref().len();
    let _ = deflate.write_all(&zeros).and_then(|_| deflate.flush());
    let blocks = deflate.get_ref();
    let (head, steady) = blocks.split_at(first);
    let mut body = head.to_vec();
    for _ in 1..mib {
        body.extend_from_slice(steady);
    }
    // A final fixed-Huffman block holding only end-of-block: BFINAL 1, BTYPE 01, code 0000000.
    body.extend_from_slice(&[0x03, 0x00]);
    let total = u64::from(mib) * MIB as u64;
    match format {
        crate::inflate::StreamFormat::Zlib => {
            // CMF 0x78 (deflate, 32 KiB window), FLG 0x9c (default level, check bits).
            let mut out = vec![0x78, 0x9c];
            out.extend_from_slice(&body);
            // Adler-32 of zeros: s1 stays 1, s2 grows by 1 per byte.
            let adler = ((total % 65521) as u32) << 16 | 1;
            out.extend_from_slice(&adler.to_be_bytes());
            out
        }
        crate::inflate::StreamFormat::Gzip => {
            // ID1 ID2, CM 8, no flags, no mtime, no extra flags, OS unknown.
            let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
            out.extend_from_slice(&body);
            let mut one = flate2::Crc::new();
            one.update(&zeros);
            let mut crc = flate2::Crc::new();
            for _ in 0..mib {
                crc.combine(&one);
            }
            out.extend_from_slice(&crc.sum().to_le_bytes());
            out.extend_from_slice(&(total as u32).to_le_bytes());
            out
        }
    }
}
