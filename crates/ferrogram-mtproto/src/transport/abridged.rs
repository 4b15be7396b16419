//! The abridged framing (<https://core.telegram.org/mtproto/mtproto-transports#abridged>).
//!
//! A payload of `n` 4-byte words is preceded by one byte `n` when `n < 0x7f`, otherwise by `0x7f`
//! and `n` in 3 little-endian bytes. A client sets bit 7 of the first byte to ask for a quick ack;
//! the server's quick ack is its 4-byte token byte-swapped, so that the first byte has bit 7 set.

use super::{frame, Framing, Side, TransportError, Unpacked, MAX_FRAME_LEN};
use crate::RandomSource;

/// Length values from this one on take the 4-byte form.
const LONG_FORM: u8 = 0x7f;
/// Bit 7 of the first byte: a quick-ack request (client) or a quick ack (server).
const QUICK_ACK_FLAG: u8 = 0x80;

/// The abridged framing for one side of a connection.
#[derive(Debug, Clone)]
pub struct Abridged {
    side: Side,
}

impl Abridged {
    /// The framing as `side` uses it.
    pub fn new(side: Side) -> Self {
        Abridged { side }
    }
}

impl Framing for Abridged {
    fn pack(
        &mut self,
        payload: &[u8],
        quick_ack: bool,
        _rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        if !payload.len().is_multiple_of(4) {
            return Err(TransportError::PayloadNotAligned(payload.len()));
        }
        if payload.len() > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLarge { len: payload.len(), max: MAX_FRAME_LEN });
        }
        let words = payload.len() / 4;
        let flag = if quick_ack && self.side == Side::Client { QUICK_ACK_FLAG } else { 0 };
        if words < LONG_FORM as usize {
            out.push(words as u8 | flag);
        } else {
            // MAX_FRAME_LEN / 4 fits in the 3 bytes.
            let le = (words as u32).to_le_bytes();
            out.extend_from_slice(&[LONG_FORM | flag, le[0], le[1], le[2]]);
        }
        out.extend_from_slice(payload);
        Ok(())
    }

    fn pack_quick_ack(&mut self, token: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&(token | super::QUICK_ACK_BIT).to_be_bytes());
    }

    fn unpack(&mut self, input: &[u8]) -> Result<Unpacked, TransportError> {
        let Some(&first) = input.first() else {
            return Ok(Unpacked::NeedMore { at_least: 1 });
        };
        let flagged = first & QUICK_ACK_FLAG != 0;
        if flagged && self.side == Side::Client {
            let Some(token) = input.get(..4) else {
                return Ok(Unpacked::NeedMore { at_least: 4 });
            };
            let token = u32::from_be_bytes([token[0], token[1], token[2], token[3]]);
            return Ok(Unpacked::QuickAck { token, consumed: 4 });
        }
        let (header, words) = match first & !QUICK_ACK_FLAG {
            LONG_FORM => {
                let Some(len) = input.get(1..4) else {
                    return Ok(Unpacked::NeedMore { at_least: 4 });
                };
                (4, u32::from_le_bytes([len[0], len[1], len[2], 0]) as usize)
            }
            short => (1, short as usize),
        };
        let len = words * 4;
        if len > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLarge { len, max: MAX_FRAME_LEN });
        }
        let total = header + len;
        if input.len() < total {
            return Ok(Unpacked::NeedMore { at_least: total });
        }
        frame(self.side, input, header..total, total, flagged, false)
    }
}
