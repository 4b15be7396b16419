//! The full framing (<https://core.telegram.org/mtproto/mtproto-transports#full>).
//!
//! `len | seq | payload | crc`: `len` counts all four parts, `seq` numbers the frames each side
//! sends from 0, and `crc` is the CRC32 of the first three. There is no tag: the server recognises
//! the transport by the first frame's sequence number 0.
//!
//! Quick acks follow the rule the spec gives all transports: bit 31 of a client's length asks for
//! one, and the server's quick ack is a bare 4-byte word with bit 31 set (no seq, no CRC), as in
//! intermediate.

use super::{frame, read_u32, Framing, Side, TransportError, Unpacked, MAX_FRAME_LEN, QUICK_ACK_BIT};
use crate::RandomSource;

/// Length, sequence number and CRC.
const ENVELOPE: usize = 12;

/// The full framing for one side of a connection, with its two sequence counters.
#[derive(Debug, Clone)]
pub struct Full {
    side: Side,
    send_seq: u32,
    recv_seq: u32,
}

impl Full {
    /// The framing as `side` uses it, both sequence numbers at 0.
    pub fn new(side: Side) -> Self {
        Full { side, send_seq: 0, recv_seq: 0 }
    }
}

impl Framing for Full {
    fn pack(
        &mut self,
        payload: &[u8],
        quick_ack: bool,
        _rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        if payload.len() > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLarge { len: payload.len(), max: MAX_FRAME_LEN });
        }
        let mut len = (payload.len() + ENVELOPE) as u32;
        if quick_ack && self.side == Side::Client {
            len |= QUICK_ACK_BIT;
        }
        let start = out.len();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&self.send_seq.to_le_bytes());
        out.extend_from_slice(payload);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
        self.send_seq = self.send_seq.wrapping_add(1);
        Ok(())
    }

    fn pack_quick_ack(&mut self, token: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&(token | QUICK_ACK_BIT).to_le_bytes());
    }

    fn unpack(&mut self, input: &[u8]) -> Result<Unpacked, TransportError> {
        if input.len() < 4 {
            return Ok(Unpacked::NeedMore { at_least: 4 });
        }
        let word = read_u32(input, 0);
        let flagged = word & QUICK_ACK_BIT != 0;
        if flagged && self.side == Side::Client {
            return Ok(Unpacked::QuickAck { token: word, consumed: 4 });
        }
        let len = (word & !QUICK_ACK_BIT) as usize;
        if len < ENVELOPE {
            return Err(TransportError::FrameTooShort { len });
        }
        if len - ENVELOPE > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLarge { len: len - ENVELOPE, max: MAX_FRAME_LEN });
        }
        if input.len() < len {
            return Ok(Unpacked::NeedMore { at_least: len });
        }
        let received = read_u32(input, len - 4);
        let computed = crc32fast::hash(&input[..len - 4]);
        if received != computed {
            return Err(TransportError::BadCrc { received, computed });
        }
        let seq = read_u32(input, 4);
        if seq != self.recv_seq {
            return Err(TransportError::BadSeq { expected: self.recv_seq, received: seq });
        }
        self.recv_seq = self.recv_seq.wrapping_add(1);
        frame(self.side, input, 8..len - 4, len, flagged, false)
    }
}
