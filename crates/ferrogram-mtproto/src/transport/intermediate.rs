//! The intermediate and padded intermediate framings
//! (<https://core.telegram.org/mtproto/mtproto-transports#intermediate>,
//! <https://core.telegram.org/mtproto/mtproto-transports#padded-intermediate>).
//!
//! A 4-byte little-endian length, then that many bytes. Bit 31 of the length is a quick-ack
//! request from a client; from a server, a length word with bit 31 set is itself a quick ack.

use super::{frame, read_u32, Framing, Side, TransportError, Unpacked, MAX_FRAME_LEN, QUICK_ACK_BIT};
use crate::RandomSource;

/// Most padding the padded intermediate framing adds.
const MAX_PADDING: usize = 15;

/// The intermediate framing for one side of a connection.
#[derive(Debug, Clone)]
pub struct Intermediate {
    side: Side,
}

impl Intermediate {
    /// The framing as `side` uses it.
    pub fn new(side: Side) -> Self {
        Intermediate { side }
    }
}

/// The padded intermediate framing for one side of a connection: each frame carries 0..15 random
/// bytes after the payload, counted in the length.
///
/// The receiver cannot tell payload from padding; [`Framing::unpack`] drops the `len % 4` bytes
/// that cannot belong to an MTProto payload (always a whole number of 4-byte words), so up to 12
/// padding bytes may remain at the end of a payload. The MTProto layer ignores them: an
/// unencrypted message states its own length, and an encrypted one is read in whole 16-byte blocks.
#[derive(Debug, Clone)]
pub struct PaddedIntermediate {
    side: Side,
}

impl PaddedIntermediate {
    /// The framing as `side` uses it.
    pub fn new(side: Side) -> Self {
        PaddedIntermediate { side }
    }
}

fn pack(side: Side, payload: &[u8], padding: &[u8], quick_ack: bool, out: &mut Vec<u8>) -> Result<(), TransportError> {
    if payload.len() > MAX_FRAME_LEN {
        return Err(TransportError::FrameTooLarge { len: payload.len(), max: MAX_FRAME_LEN });
    }
    let mut len = (payload.len() + padding.len()) as u32;
    if quick_ack && side == Side::Client {
        len |= QUICK_ACK_BIT;
    }
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(padding);
    Ok(())
}

fn unpack(side: Side, input: &[u8], padded: bool) -> Result<Unpacked, TransportError> {
    if input.len() < 4 {
        return Ok(Unpacked::NeedMore { at_least: 4 });
    }
    let word = read_u32(input, 0);
    let flagged = word & QUICK_ACK_BIT != 0;
    if flagged && side == Side::Client {
        return Ok(Unpacked::QuickAck { token: word, consumed: 4 });
    }
    let len = (word & !QUICK_ACK_BIT) as usize;
    let max = if padded { MAX_FRAME_LEN + MAX_PADDING } else { MAX_FRAME_LEN };
    if len > max {
        return Err(TransportError::FrameTooLarge { len, max: MAX_FRAME_LEN });
    }
    let total = 4 + len;
    if input.len() < total {
        return Ok(Unpacked::NeedMore { at_least: total });
    }
    let end = if padded { total - len % 4 } else { total };
    frame(side, input, 4..end, total, flagged, padded)
}

impl Framing for Intermediate {
    fn pack(
        &mut self,
        payload: &[u8],
        quick_ack: bool,
        _rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        pack(self.side, payload, &[], quick_ack, out)
    }

    fn pack_quick_ack(&mut self, token: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&(token | QUICK_ACK_BIT).to_le_bytes());
    }

    fn unpack(&mut self, input: &[u8]) -> Result<Unpacked, TransportError> {
        unpack(self.side, input, false)
    }
}

impl Framing for PaddedIntermediate {
    fn pack(
        &mut self,
        payload: &[u8],
        quick_ack: bool,
        rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        let mut draw = [0u8; 1 + MAX_PADDING];
        rng.fill(&mut draw);
        let padding_len = draw[0] as usize % (MAX_PADDING + 1);
        pack(self.side, payload, &draw[1..1 + padding_len], quick_ack, out)
    }

    fn pack_quick_ack(&mut self, token: u32, out: &mut Vec<u8>) {
        out.extend_from_slice(&(token | QUICK_ACK_BIT).to_le_bytes());
    }

    fn unpack(&mut self, input: &[u8]) -> Result<Unpacked, TransportError> {
        unpack(self.side, input, true)
    }
}
