//! The traits every generated type implements.

use crate::{DeserializeError, Reader};

/// A value that can be written in TL binary form.
pub trait Serializable {
    /// Appends the value (boxed types with their constructor id) to `buf`.
    fn serialize(&self, buf: &mut Vec<u8>);

    /// The value as a new byte vector.
    fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.serialize(&mut buf);
        buf
    }
}

/// A value that can be read from TL binary form.
pub trait Deserializable: Sized {
    /// Reads one value at the reader's position.
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError>;

    /// Reads one value from the start of `bytes`; trailing bytes are ignored.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DeserializeError> {
        Self::deserialize(&mut Reader::new(bytes))
    }

    /// Reads one value that must span all of `bytes`.
    fn from_bytes_exact(bytes: &[u8]) -> Result<Self, DeserializeError> {
        let mut r = Reader::new(bytes);
        let value = Self::deserialize(&mut r)?;
        if r.remaining() != 0 {
            return Err(DeserializeError::TrailingBytes { offset: r.position(), count: r.remaining() });
        }
        Ok(value)
    }
}

/// A constructor or function with its TL id and name.
pub trait Identifiable {
    /// The constructor id (`0x8d52a951` for `auth.signIn`).
    const CONSTRUCTOR_ID: u32;
    /// The TL name (`auth.signIn`).
    const NAME: &'static str;
}

/// A function (RPC method): invoking it yields a `Return`.
pub trait RemoteCall: Serializable {
    /// The method's result type (`enums::auth::Authorization` for `auth.signIn`).
    type Return: Deserializable;
}
