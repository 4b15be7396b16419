//! A bounds-checked cursor over TL bytes.

use crate::DeserializeError;

/// Reads TL primitives from a byte slice. Every read checks bounds and returns an error instead
/// of panicking; lengths are checked against the remaining input before anything is allocated.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Offset of the next byte to read.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left to read.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The unread rest of the input, consumed.
    pub fn read_rest(&mut self) -> &'a [u8] {
        let rest = &self.buf[self.pos..];
        self.pos = self.buf.len();
        rest
    }

    /// The next `n` bytes, consumed.
    #[inline]
    pub fn read_raw(&mut self, n: usize) -> Result<&'a [u8], DeserializeError> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) if self.pos.checked_add(n).is_some() => {
                self.pos += n;
                Ok(s)
            }
            _ => Err(DeserializeError::UnexpectedEof { offset: self.pos, needed: n - self.remaining().min(n) }),
        }
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DeserializeError> {
        let s = self.read_raw(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// A little-endian `u32` (constructor ids, flags).
    #[inline]
    pub fn read_u32(&mut self) -> Result<u32, DeserializeError> {
        self.array::<4>().map(u32::from_le_bytes)
    }

    /// The next `u32` without consuming it.
    pub fn peek_u32(&self) -> Result<u32, DeserializeError> {
        self.clone().read_u32()
    }

    /// A TL `int`.
    #[inline]
    pub fn read_i32(&mut self) -> Result<i32, DeserializeError> {
        self.array::<4>().map(i32::from_le_bytes)
    }

    /// A TL `long`.
    #[inline]
    pub fn read_i64(&mut self) -> Result<i64, DeserializeError> {
        self.array::<8>().map(i64::from_le_bytes)
    }

    /// A TL `double`.
    pub fn read_f64(&mut self) -> Result<f64, DeserializeError> {
        self.array::<8>().map(f64::from_le_bytes)
    }

    /// A TL `int128`.
    pub fn read_int128(&mut self) -> Result<[u8; 16], DeserializeError> {
        self.array::<16>()
    }

    /// A TL `int256`.
    pub fn read_int256(&mut self) -> Result<[u8; 32], DeserializeError> {
        self.array::<32>()
    }

    /// TL `bytes`/`string` payload: a 1-byte length (< 254) or 0xfe + 3-byte length, the data,
    /// and padding to a multiple of 4.
    #[inline]
    pub fn read_bytes(&mut self) -> Result<&'a [u8], DeserializeError> {
        let start = self.pos;
        let first = *self.buf.get(self.pos).ok_or(DeserializeError::UnexpectedEof { offset: start, needed: 1 })?;
        let (len, header) = if first < 254 {
            (first as usize, 1)
        } else {
            let h = self.read_raw(4)?;
            self.pos = start;
            (h[1] as usize | (h[2] as usize) << 8 | (h[3] as usize) << 16, 4)
        };
        let padded = (header + len + 3) & !3;
        if padded > self.remaining() {
            return Err(DeserializeError::LengthTooLarge { offset: start, len });
        }
        self.pos += padded;
        Ok(&self.buf[start + header..start + header + len])
    }

    /// A TL `string`: invalid UTF-8 is decoded lossily, as Telegram's own clients do.
    #[inline]
    pub fn read_string(&mut self) -> Result<String, DeserializeError> {
        let bytes = self.read_bytes()?;
        Ok(match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }

    /// A vector length whose elements take at least `min_elem_size` bytes each, checked against
    /// the remaining input so that no allocation can exceed it.
    #[inline]
    pub fn read_len(&mut self, min_elem_size: usize) -> Result<usize, DeserializeError> {
        let offset = self.pos;
        let len = self.read_i32()?;
        if len < 0 {
            return Err(DeserializeError::NegativeLength { offset, len });
        }
        let len = len as usize;
        if len.saturating_mul(min_elem_size.max(1)) > self.remaining() {
            return Err(DeserializeError::LengthTooLarge { offset, len });
        }
        Ok(len)
    }

    /// Reads a constructor id and checks that it is `id` (of the constructor `name`).
    #[inline]
    pub fn expect_constructor(&mut self, id: u32, name: &'static str) -> Result<(), DeserializeError> {
        let offset = self.pos;
        let found = self.read_u32()?;
        if found == id {
            Ok(())
        } else {
            Err(DeserializeError::UnexpectedConstructor { offset, id: found, expected: name })
        }
    }
}
