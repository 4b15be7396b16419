//! One end of a transport connection: framing, transport header and obfuscation together, with a
//! receive buffer so an I/O shell only has to move bytes.

use super::detect::{read_header, Header, HeaderRead};
use super::obfuscated::{self, Ciphers};
use super::{Framing, Side, TransportError, TransportKind, Unpacked, MAX_FRAME_LEN};
use crate::RandomSource;

/// Consumed bytes are moved out of the receive buffer once they are at least this many (and at
/// least half of it), so long connections neither grow the buffer nor copy it on every frame.
const COMPACT_AT: usize = 64 * 1024;

/// What [`Codec::poll`] hands over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A frame's payload (for padded intermediate, possibly followed by up to 12 padding bytes;
    /// see [`super::PaddedIntermediate`]).
    Frame {
        /// The MTProto payload.
        payload: Vec<u8>,
        /// The client asked for a quick acknowledgement (seen by servers only).
        quick_ack_requested: bool,
    },
    /// A quick acknowledgement from the server (seen by clients only), bit 31 set.
    QuickAck(u32),
}

/// A transport whose header has been sent or received.
struct Established {
    kind: TransportKind,
    dc_id: Option<i16>,
    framing: Box<dyn Framing + Send>,
    ciphers: Option<Box<Ciphers>>,
}

enum State {
    /// Server side, before the client's tag or init: `expected` is the transport the server
    /// insists on (any, if `None`), `secret` the MTProxy secret for obfuscated inits.
    AwaitingHeader {
        expected: Option<TransportKind>,
        secret: Option<[u8; 16]>,
    },
    Established(Established),
}

/// One end of an MTProto transport connection, sans-IO: [`Codec::pack`] turns payloads into bytes
/// to write, [`Codec::feed`] takes bytes read and [`Codec::poll`] returns the frames in them.
///
/// The client side writes the transport's tag (or the obfuscated init) in front of its first
/// frame; the server side reads it from the first bytes it is fed, either insisting on one
/// transport or detecting any (see [`super::detect`]).
///
/// ```
/// use ferrogram_mtproto::transport::{Codec, Incoming, TransportKind};
///
/// // Any `FnMut(&mut [u8])` is a random source; real code passes the OS generator.
/// let mut seed = 7u8;
/// let mut rng = move |buf: &mut [u8]| buf.iter_mut().for_each(|b| { seed = seed.wrapping_mul(31).wrapping_add(17); *b = seed });
///
/// let mut client = Codec::client(TransportKind::ObfuscatedIntermediate, 2, &mut rng);
/// let mut server = Codec::server(None, None); // detects what the client speaks
///
/// let mut wire = Vec::new();
/// client.pack(b"an MTProto payload..", &mut rng, &mut wire)?;
/// server.feed(&wire); // however the bytes arrive: all at once, or a few at a time
/// assert_eq!(server.poll()?, Some(Incoming::Frame { payload: b"an MTProto payload..".to_vec(), quick_ack_requested: false }));
/// assert_eq!(server.poll()?, None); // nothing more yet
/// assert_eq!((server.kind(), server.dc_id()), (Some(TransportKind::ObfuscatedIntermediate), Some(2)));
///
/// wire.clear();
/// server.pack_status(-404, &mut rng, &mut wire)?;
/// client.feed(&wire);
/// assert_eq!(client.poll(), Err(ferrogram_mtproto::transport::TransportError::Status(-404)));
/// # Ok::<(), ferrogram_mtproto::transport::TransportError>(())
/// ```
pub struct Codec {
    side: Side,
    state: State,
    /// Client only: the tag or init not yet written (it goes in front of the first frame).
    header: Vec<u8>,
    /// Bytes received (already decrypted once the transport is established).
    rx: Vec<u8>,
    /// Start of the unconsumed part of `rx`.
    rx_pos: usize,
    /// The error that ended the connection, returned again by every later poll.
    failed: Option<TransportError>,
    /// The largest frame accepted from the peer (at most [`MAX_FRAME_LEN`]).
    max_frame_len: usize,
}

impl std::fmt::Debug for Codec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Codec")
            .field("side", &self.side)
            .field("kind", &self.kind())
            .field("dc_id", &self.dc_id())
            .field("buffered", &(self.rx.len() - self.rx_pos))
            .field("failed", &self.failed)
            .finish()
    }
}

impl Codec {
    /// The client side of `kind`. `dc_id` is the DC the obfuscated init names (i16: +10000 for
    /// test DCs, negative for media DCs); transports in the clear do not send it. Randomness is
    /// drawn for the obfuscated init.
    pub fn client(kind: TransportKind, dc_id: i16, rng: &mut dyn RandomSource) -> Codec {
        Codec::client_keyed(kind, dc_id, None, rng)
    }

    /// The client side of `kind` through an MTProxy with `secret` (16 bytes: drop the first byte
    /// of a 17-byte `dd…` secret). Only obfuscated transports can carry a secret.
    pub fn client_with_secret(
        kind: TransportKind,
        dc_id: i16,
        secret: &[u8; 16],
        rng: &mut dyn RandomSource,
    ) -> Result<Codec, TransportError> {
        if !kind.is_obfuscated() {
            return Err(TransportError::SecretNeedsObfuscation(kind));
        }
        Ok(Codec::client_keyed(kind, dc_id, Some(secret), rng))
    }

    fn client_keyed(kind: TransportKind, dc_id: i16, secret: Option<&[u8; 16]>, rng: &mut dyn RandomSource) -> Codec {
        let framing = kind.framing();
        let tag = obfuscated::obfuscated_tag(framing).filter(|_| kind.is_obfuscated());
        let (header, ciphers, dc_id) = match tag {
            Some(tag) => {
                let (init, ciphers) = obfuscated::client_init(tag, dc_id, secret, rng);
                (init.to_vec(), Some(Box::new(ciphers)), Some(dc_id))
            }
            None => (framing.tag().to_vec(), None, None),
        };
        Codec {
            side: Side::Client,
            state: State::Established(Established { kind, dc_id, framing: framing.framing(Side::Client), ciphers }),
            header,
            rx: Vec::new(),
            rx_pos: 0,
            failed: None,
            max_frame_len: MAX_FRAME_LEN,
        }
    }

    /// The server side of a connection whose transport is read from its first bytes: exactly
    /// `expected` if given (anything else is [`TransportError::UnexpectedTransport`]), otherwise
    /// whatever [`super::detect`] finds. `secret` keys obfuscated inits, for an MTProxy (transports
    /// in the clear are still accepted when detecting: check [`Codec::kind`] to refuse them).
    pub fn server(expected: Option<TransportKind>, secret: Option<[u8; 16]>) -> Codec {
        Codec {
            side: Side::Server,
            state: State::AwaitingHeader { expected, secret },
            header: Vec::new(),
            rx: Vec::new(),
            rx_pos: 0,
            failed: None,
            max_frame_len: MAX_FRAME_LEN,
        }
    }

    /// The server side after `header` was read.
    pub(super) fn established_server(header: Header) -> Codec {
        let mut codec = Codec::server(None, None);
        codec.establish_server(header);
        codec
    }

    fn establish_server(&mut self, header: Header) {
        self.state = State::Established(Established {
            kind: header.kind,
            dc_id: header.dc_id,
            framing: header.kind.framing().framing(Side::Server),
            ciphers: header.ciphers,
        });
    }

    /// The same codec accepting frames of at most `max` bytes from the peer (at most
    /// [`MAX_FRAME_LEN`]): a bigger announced frame is [`TransportError::FrameTooLarge`] as soon
    /// as its length arrives, before its bytes are waited for. A server sets this to bound what
    /// one connection can make it buffer.
    pub fn with_max_frame_len(mut self, max: usize) -> Codec {
        self.max_frame_len = max.min(MAX_FRAME_LEN);
        self
    }

    /// Bytes received and not yet returned as frames: non-zero while a frame is half-way in.
    pub fn buffered(&self) -> usize {
        self.rx.len() - self.rx_pos
    }

    /// Which side of the connection this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The transport, once known (a server learns it from the client's first bytes).
    pub fn kind(&self) -> Option<TransportKind> {
        match &self.state {
            State::Established(established) => Some(established.kind),
            State::AwaitingHeader { .. } => None,
        }
    }

    /// The DC id carried by the obfuscated init, if the transport is obfuscated and established.
    pub fn dc_id(&self) -> Option<i16> {
        match &self.state {
            State::Established(established) => established.dc_id,
            State::AwaitingHeader { .. } => None,
        }
    }

    /// Appends the bytes that carry `payload` to `out` (preceded, on a client's first frame, by
    /// the transport's tag or obfuscated init). Randomness is drawn for padding.
    pub fn pack(
        &mut self,
        payload: &[u8],
        rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        self.pack_frame(payload, false, rng, out)
    }

    /// Like [`Codec::pack`], asking the server for a quick acknowledgement (client side; a
    /// server's frames cannot ask for one, and the flag is ignored there).
    pub fn pack_with_quick_ack(
        &mut self,
        payload: &[u8],
        rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        self.pack_frame(payload, true, rng, out)
    }

    /// Appends a transport error `code` (negative: -404, -429, -444, ...) for the client, as the
    /// server sends it in place of a payload.
    pub fn pack_status(
        &mut self,
        code: i32,
        rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        self.pack_frame(&code.to_le_bytes(), false, rng, out)
    }

    /// Appends a quick acknowledgement carrying `token` (server side; see
    /// [`super::Framing::pack_quick_ack`]).
    pub fn pack_quick_ack(&mut self, token: u32, out: &mut Vec<u8>) -> Result<(), TransportError> {
        let State::Established(established) = &mut self.state else {
            return Err(TransportError::NotEstablished);
        };
        let start = out.len();
        established.framing.pack_quick_ack(token, out);
        established.seal(&mut out[start..]);
        Ok(())
    }

    fn pack_frame(
        &mut self,
        payload: &[u8],
        quick_ack: bool,
        rng: &mut dyn RandomSource,
        out: &mut Vec<u8>,
    ) -> Result<(), TransportError> {
        let State::Established(established) = &mut self.state else {
            return Err(TransportError::NotEstablished);
        };
        let start = out.len();
        established.framing.pack(payload, quick_ack, rng, out)?;
        established.seal(&mut out[start..]);
        if !self.header.is_empty() {
            // The header is already in its wire form (the init's keystream is spent), so it goes
            // in front of the sealed frame as it is.
            out.splice(start..start, std::mem::take(&mut self.header));
        }
        Ok(())
    }

    /// Takes bytes read from the connection (any amount, in order). Nothing is parsed until
    /// [`Codec::poll`].
    pub fn feed(&mut self, bytes: &[u8]) {
        let start = self.rx.len();
        self.rx.extend_from_slice(bytes);
        if let State::Established(Established { ciphers: Some(ciphers), .. }) = &mut self.state {
            ciphers.decrypt.apply(&mut self.rx[start..]);
        }
    }

    /// The next complete frame or quick ack among the bytes fed, `None` until more bytes arrive.
    /// Call until it returns `None` after each [`Codec::feed`].
    ///
    /// An error ends the connection: every later call returns it again.
    pub fn poll(&mut self) -> Result<Option<Incoming>, TransportError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        let polled = self.poll_unchecked();
        if let Err(error) = &polled {
            self.failed = Some(error.clone());
        }
        polled
    }

    fn poll_unchecked(&mut self) -> Result<Option<Incoming>, TransportError> {
        if !self.read_header()? {
            return Ok(None);
        }
        let State::Established(established) = &mut self.state else {
            return Ok(None);
        };
        let base = self.rx_pos;
        // A frame's total length (payload and at most its 12-byte envelope) once its header is in.
        let largest = self.max_frame_len + 12;
        let incoming = match established.framing.unpack(&self.rx[base..])? {
            Unpacked::NeedMore { at_least } if at_least > largest => {
                return Err(TransportError::FrameTooLarge { len: at_least, max: self.max_frame_len });
            }
            Unpacked::NeedMore { .. } => return Ok(None),
            Unpacked::Frame { payload, .. } if payload.len() > self.max_frame_len => {
                return Err(TransportError::FrameTooLarge { len: payload.len(), max: self.max_frame_len });
            }
            Unpacked::Frame { payload, consumed, quick_ack_requested } => {
                let payload = self.rx[base + payload.start..base + payload.end].to_vec();
                self.consume(consumed);
                Incoming::Frame { payload, quick_ack_requested }
            }
            Unpacked::QuickAck { token, consumed } => {
                self.consume(consumed);
                Incoming::QuickAck(token)
            }
        };
        Ok(Some(incoming))
    }

    /// Server side: reads the client's transport header if it has not been read yet. Returns
    /// whether the transport is established.
    fn read_header(&mut self) -> Result<bool, TransportError> {
        let State::AwaitingHeader { expected, secret } = &self.state else {
            return Ok(true);
        };
        let header = match read_header(&self.rx[self.rx_pos..], secret.as_ref())? {
            HeaderRead::NeedMore(_) => return Ok(false),
            HeaderRead::Found(header) => header,
        };
        if let Some(expected) = *expected {
            if expected != header.kind {
                return Err(TransportError::UnexpectedTransport { expected, received: header.kind });
            }
        }
        self.consume(header.consumed);
        self.establish_server(header);
        if let State::Established(Established { ciphers: Some(ciphers), .. }) = &mut self.state {
            // Bytes after the init arrived encrypted and were buffered as they came.
            ciphers.decrypt.apply(&mut self.rx[self.rx_pos..]);
        }
        Ok(true)
    }

    fn consume(&mut self, consumed: usize) {
        self.rx_pos += consumed;
        if self.rx_pos >= self.rx.len() {
            self.rx.clear();
            self.rx_pos = 0;
        } else if self.rx_pos >= COMPACT_AT && self.rx_pos * 2 >= self.rx.len() {
            self.rx.drain(..self.rx_pos);
            self.rx_pos = 0;
        }
    }
}

impl Established {
    /// Encrypts outgoing bytes when the transport is obfuscated.
    fn seal(&mut self, bytes: &mut [u8]) {
        if let Some(ciphers) = &mut self.ciphers {
            ciphers.encrypt.apply(bytes);
        }
    }
}
