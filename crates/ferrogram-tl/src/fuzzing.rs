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
