//! What can go wrong reading TL data.

/// Why bytes could not be read as the expected TL value. Offsets are from the start of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeserializeError {
    /// The input ended inside a value.
    #[error("unexpected end of input at offset {offset}: {needed} more bytes needed")]
    UnexpectedEof {
        /// Where the value started to be read.
        offset: usize,
        /// How many bytes were missing.
        needed: usize,
    },
    /// A constructor id that the expected type does not have.
    #[error("unexpected constructor 0x{id:08x} at offset {offset} while reading {expected}")]
    UnexpectedConstructor {
        /// Offset of the id.
        offset: usize,
        /// The id found.
        id: u32,
        /// The type or constructor that was expected.
        expected: &'static str,
    },
    /// A length prefix larger than what the input can hold.
    #[error("length {len} at offset {offset} exceeds the remaining input")]
    LengthTooLarge {
        /// Offset of the length prefix.
        offset: usize,
        /// The length found.
        len: usize,
    },
    /// A negative vector length.
    #[error("negative vector length {len} at offset {offset}")]
    NegativeLength {
        /// Offset of the length.
        offset: usize,
        /// The length found.
        len: i32,
    },
    /// Bytes left over after a value that should span the whole input.
    #[error("{count} trailing bytes at offset {offset}")]
    TrailingBytes {
        /// Offset of the first unread byte.
        offset: usize,
        /// How many bytes were left.
        count: usize,
    },
    /// A `gzip_packed` payload that does not inflate, or goes beyond the message's limits.
    #[error("invalid gzip_packed payload: {0}")]
    Gzip(#[from] crate::inflate::InflateError),
    /// A construct this runtime cannot read (never produced by the generated code for the
    /// schemas shipped here).
    #[error("unsupported TL construct")]
    Unsupported,
}
