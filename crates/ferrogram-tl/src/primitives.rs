//! TL primitives: `int`, `long`, `double`, `Bool`, `string`, `bytes`, `int128`, `int256`,
//! `Vector<T>`, and the raw query type used to decode generic wrappers.
//!
//! `bytes` is `Vec<u8>` and `Vector<T>` is `Vec<T>`: the two impls do not overlap because `u8` is
//! not `Serializable` (the same choice as grammers).

use crate::{Deserializable, DeserializeError, Reader, Serializable};

const VECTOR_ID: u32 = 0x1cb5c415;
const BOOL_TRUE: u32 = 0x997275b5;
const BOOL_FALSE: u32 = 0xbc799737;

impl Serializable for i32 {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
}
impl Deserializable for i32 {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_i32()
    }
}
impl Serializable for i64 {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
}
impl Deserializable for i64 {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_i64()
    }
}
impl Serializable for f64 {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
}
impl Deserializable for f64 {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_f64()
    }
}
impl Serializable for [u8; 16] {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self);
    }
}
impl Deserializable for [u8; 16] {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_int128()
    }
}
impl Serializable for [u8; 32] {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self);
    }
}
impl Deserializable for [u8; 32] {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_int256()
    }
}

/// `Bool` is boxed: `boolTrue#997275b5` / `boolFalse#bc799737`.
impl Serializable for bool {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        let id = if *self { BOOL_TRUE } else { BOOL_FALSE };
        buf.extend_from_slice(&id.to_le_bytes());
    }
}
impl Deserializable for bool {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        let offset = r.position();
        match r.read_u32()? {
            BOOL_TRUE => Ok(true),
            BOOL_FALSE => Ok(false),
            id => Err(DeserializeError::UnexpectedConstructor { offset, id, expected: "Bool" }),
        }
    }
}

/// Writes TL `bytes`: length prefix, data, zero padding to a multiple of 4.
#[inline]
pub(crate) fn write_bytes(data: &[u8], buf: &mut Vec<u8>) {
    let len = data.len();
    let header = if len < 254 {
        buf.push(len as u8);
        1
    } else {
        // Longer than 2^24 - 1 cannot be expressed; TL payloads never come close (the transport
        // caps frames far lower), so the length is truncated rather than panicking.
        buf.extend_from_slice(&[254, len as u8, (len >> 8) as u8, (len >> 16) as u8]);
        4
    };
    buf.extend_from_slice(data);
    let pad = (4 - (header + len) % 4) % 4;
    buf.extend_from_slice(&[0u8; 3][..pad]);
}

impl Serializable for String {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_bytes(self.as_bytes(), buf);
    }
}
impl Deserializable for String {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_string()
    }
}
impl Serializable for str {
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_bytes(self.as_bytes(), buf);
    }
}
impl Serializable for Vec<u8> {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_bytes(self, buf);
    }
}
impl Serializable for [u8] {
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_bytes(self, buf);
    }
}
impl Deserializable for Vec<u8> {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_bytes().map(<[u8]>::to_vec)
    }
}

/// `Vector<T>`: `vector#1cb5c415`, a count, the elements.
impl<T: Serializable> Serializable for Vec<T> {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&VECTOR_ID.to_le_bytes());
        buf.extend_from_slice(&(self.len() as i32).to_le_bytes());
        for x in self {
            x.serialize(buf);
        }
    }
}
impl<T: Deserializable> Deserializable for Vec<T> {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_constructor(VECTOR_ID, "Vector")?;
        // Every TL value takes at least 4 bytes.
        let n = r.read_len(4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(T::deserialize(r)?);
        }
        Ok(v)
    }
}

impl<T: Serializable + ?Sized> Serializable for Box<T> {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        (**self).serialize(buf);
    }
}
impl<T: Deserializable> Deserializable for Box<T> {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        T::deserialize(r).map(Box::new)
    }
}
impl<T: Serializable + ?Sized> Serializable for &T {
    fn serialize(&self, buf: &mut Vec<u8>) {
        (**self).serialize(buf);
    }
}

/// An already-serialized query, used as the `X` of generic wrappers (`invokeWithLayer`,
/// `initConnection`) when the inner query is dispatched by id later: it serializes as its bytes
/// and deserializes by taking the rest of the input (the query is always the last field).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawQuery(pub Vec<u8>);

impl Serializable for RawQuery {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.0);
    }
}
impl Deserializable for RawQuery {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        Ok(RawQuery(r.read_rest().to_vec()))
    }
}
