//! The primitive wire forms of <https://core.telegram.org/mtproto/serialize>: little-endian
//! integers, doubles, and length-prefixed, 4-byte padded `bytes`/`string`. Reading never panics
//! and never reads past the input.

use crate::error::CodecError;

/// A cursor over input bytes.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.pos.checked_add(n).filter(|end| *end <= self.buf.len());
        match end.and_then(|end| self.buf.get(self.pos..end)) {
            Some(slice) => {
                self.pos += n;
                Ok(slice)
            }
            None => Err(CodecError::UnexpectedEof { offset: self.pos, needed: n - self.remaining().min(n) }),
        }
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, CodecError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// The next u32 without consuming it.
    pub(crate) fn peek_u32(&self) -> Result<u32, CodecError> {
        Reader { buf: self.buf, pos: self.pos }.u32()
    }

    pub(crate) fn i32(&mut self) -> Result<i32, CodecError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, CodecError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    pub(crate) fn f64(&mut self) -> Result<f64, CodecError> {
        Ok(f64::from_le_bytes(self.array()?))
    }

    /// A TL `bytes`/`string`: a 1-byte length (≤ 253) or 254 and a 3-byte length, the data, and
    /// padding to a multiple of 4. Padding content is not checked (the spec does not fix it).
    pub(crate) fn tl_bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let start = self.pos;
        let first = *self.take(1)?.first().unwrap_or(&0);
        let (len, header) = match first {
            0..=253 => (usize::from(first), 1),
            254 => {
                let b = self.take(3)?;
                let len = b.iter().rev().fold(0usize, |acc, byte| (acc << 8) | usize::from(*byte));
                (len, 4)
            }
            255 => return Err(CodecError::BadLength { offset: start }),
        };
        let data = self.take(len)?;
        let padding = (4 - (header + len) % 4) % 4;
        self.take(padding)?;
        Ok(data)
    }
}

/// Appends a TL `bytes`/`string`. Lengths beyond the 24-bit limit cannot be written.
pub(crate) fn write_tl_bytes(out: &mut Vec<u8>, data: &[u8]) -> Result<(), CodecError> {
    let len = data.len();
    let header = if len <= 253 {
        out.push(len as u8);
        1
    } else if len < (1 << 24) {
        out.push(254);
        out.extend((len as u32).to_le_bytes().into_iter().take(3));
        4
    } else {
        return Err(CodecError::TypeMismatch {
            context: "bytes".into(),
            expected: "at most 16777215 bytes".into(),
            found: format!("{len} bytes"),
        });
    };
    out.extend_from_slice(data);
    let padding = (4 - (header + len) % 4) % 4;
    out.extend(std::iter::repeat_n(0u8, padding));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_at_the_length_boundaries() {
        for len in [0usize, 1, 2, 3, 4, 253, 254, 255, 1000, 70000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut out = Vec::new();
            write_tl_bytes(&mut out, &data).unwrap();
            assert_eq!(out.len() % 4, 0, "len {len}");
            let mut r = Reader::new(&out);
            assert_eq!(r.tl_bytes().unwrap(), &data[..]);
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn known_encodings() {
        let mut out = Vec::new();
        write_tl_bytes(&mut out, b"abc").unwrap();
        assert_eq!(out, [3, b'a', b'b', b'c']);
        let mut out = Vec::new();
        write_tl_bytes(&mut out, &[9u8; 254]).unwrap();
        assert_eq!(&out[..4], &[254, 254, 0, 0]);
        assert_eq!(out.len(), 4 + 256);
    }

    #[test]
    fn truncated_and_reserved_lengths_fail() {
        assert!(matches!(Reader::new(&[5, 1, 2]).tl_bytes(), Err(CodecError::UnexpectedEof { .. })));
        assert!(matches!(Reader::new(&[255, 0, 0, 0]).tl_bytes(), Err(CodecError::BadLength { offset: 0 })));
        assert!(matches!(Reader::new(&[254, 255, 255, 255]).tl_bytes(), Err(CodecError::UnexpectedEof { .. })));
        assert!(Reader::new(&[1, 2, 3]).u32().is_err());
        assert!(Reader::new(&[]).tl_bytes().is_err());
    }
}
