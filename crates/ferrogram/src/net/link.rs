//! One TCP connection speaking one MTProto transport
//! (<https://core.telegram.org/mtproto/mtproto-transports>): a byte stream and the sans-IO
//! [`Codec`] that frames payloads on it, plus the key exchange
//! (<https://core.telegram.org/mtproto/auth_key>) driven over plain messages.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrogram_mtproto::authkey::client::{ClientConfig, ClientDone, ClientHandshake, ClientStep};
use ferrogram_mtproto::authkey::plain;
use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::transport::{self, Codec, FramingKind, Incoming, TransportKind};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::random::OsRandom;
use crate::errors::InvocationError;

/// The current Unix time, as the sans-IO core takes it.
pub(crate) fn unix_now() -> Duration {
    // A clock before 1970 is a broken clock; the server's time offset corrects what it can.
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// A byte stream with its transport codec.
pub(crate) struct Link<S> {
    stream: S,
    codec: Codec,
    padded: bool,
    read_buf: Box<[u8]>,
    write_buf: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Link<S> {
    /// A client link on `stream` speaking `kind`; `dc_id` goes into an obfuscated init.
    pub(crate) fn new(stream: S, kind: TransportKind, dc_id: i32) -> Self {
        let dc = i16::try_from(dc_id).unwrap_or(i16::MAX);
        Link {
            stream,
            codec: Codec::client(kind, dc, &mut OsRandom),
            padded: kind.framing() == FramingKind::PaddedIntermediate,
            read_buf: vec![0u8; 64 * 1024].into_boxed_slice(),
            write_buf: Vec::new(),
        }
    }

    /// Frames `payload` into the pending output (written by [`flush`](Self::flush)).
    pub(crate) fn queue(&mut self, payload: &[u8]) -> Result<(), InvocationError> {
        self.codec.pack(payload, &mut OsRandom, &mut self.write_buf)?;
        Ok(())
    }

    /// Writes everything queued.
    pub(crate) async fn flush(&mut self) -> Result<(), InvocationError> {
        if !self.write_buf.is_empty() {
            self.stream.write_all(&self.write_buf).await?;
            self.write_buf.clear();
        }
        Ok(())
    }

    /// Sends one payload now.
    pub(crate) async fn send(&mut self, payload: &[u8]) -> Result<(), InvocationError> {
        self.queue(payload)?;
        self.flush().await
    }

    /// Reads whatever bytes arrive next and hands them to the codec. Cancel-safe: if the future
    /// is dropped before it completes, no byte was consumed. An orderly close by the peer is
    /// `UnexpectedEof`.
    pub(crate) async fn read_some(&mut self) -> Result<(), InvocationError> {
        let n = self.stream.read(&mut self.read_buf).await?;
        if n == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
        self.codec.feed(&self.read_buf[..n]);
        Ok(())
    }

    /// The next whole frame among the bytes read so far (quick acks are skipped: the session
    /// layer's acknowledgements are what count). Padded intermediate's trailing padding is cut
    /// from encrypted payloads (24-byte header plus whole AES blocks) and plain ones (their
    /// length field).
    pub(crate) fn next_frame(&mut self) -> Result<Option<Vec<u8>>, InvocationError> {
        loop {
            match self.codec.poll()? {
                None => return Ok(None),
                Some(Incoming::QuickAck(_)) => continue,
                Some(Incoming::Frame { mut payload, .. }) => {
                    if self.padded {
                        let len = transport::strip_padding(&payload).len();
                        payload.truncate(len);
                    }
                    return Ok(Some(payload));
                }
            }
        }
    }

    /// Waits for the next whole frame.
    pub(crate) async fn recv(&mut self) -> Result<Vec<u8>, InvocationError> {
        loop {
            if let Some(frame) = self.next_frame()? {
                return Ok(frame);
            }
            self.read_some().await?;
        }
    }

    /// Creates an authorization key with the server at the other end, trusting `rsa_keys`.
    pub(crate) async fn create_auth_key(
        &mut self,
        rsa_keys: Vec<RsaPublicKey>,
        dc_id: i32,
    ) -> Result<ClientDone, InvocationError> {
        let mut ids = MsgIdGenerator::new();
        let (mut handshake, mut body) = ClientHandshake::start(ClientConfig::new(rsa_keys, dc_id), &mut OsRandom);
        loop {
            let now = unix_now();
            self.send(&plain::wrap(ids.next(now, IdKind::Client), &body)).await?;
            let answer = self.recv().await?;
            let (_, answer) = plain::unwrap(&answer)?;
            match handshake.handle(answer, unix_now(), &mut OsRandom)? {
                ClientStep::Send(next) => body = next,
                ClientStep::Done(done) => return Ok(done),
            }
        }
    }
}
