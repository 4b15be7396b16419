//! The MTProto service schema (<https://core.telegram.org/mtproto/service_messages>): generated
//! [`types`], [`enums`] and [`functions`], plus the constructs the schema files leave to each
//! implementation: [`Message`], [`MsgContainer`], [`RpcResult`] and [`GzipPacked`]
//! (<https://core.telegram.org/mtproto/serialize>, "Service messages").

use crate::inflate::{inflate, InflateLimits};
use crate::{Deserializable, DeserializeError, Reader, Serializable};

include!(concat!(env!("OUT_DIR"), "/mtproto.rs"));

/// One message inside a container: `message msg_id:long seqno:int bytes:int body:Object`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Message id.
    pub msg_id: i64,
    /// Sequence number.
    pub seq_no: i32,
    /// The serialized body.
    pub body: Vec<u8>,
}

impl Message {
    /// Bytes this message takes inside a container (header + body).
    pub fn wire_len(&self) -> usize {
        16 + self.body.len()
    }
}

impl Serializable for Message {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.msg_id.to_le_bytes());
        buf.extend_from_slice(&self.seq_no.to_le_bytes());
        buf.extend_from_slice(&(self.body.len() as i32).to_le_bytes());
        buf.extend_from_slice(&self.body);
    }
}

impl Deserializable for Message {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        let msg_id = r.read_i64()?;
        let seq_no = r.read_i32()?;
        let offset = r.position();
        let len = r.read_i32()?;
        if len < 0 || len % 4 != 0 || len as usize > r.remaining() {
            return Err(DeserializeError::LengthTooLarge { offset, len: len.max(0) as usize });
        }
        let body = r.read_raw(len as usize)?.to_vec();
        Ok(Message { msg_id, seq_no, body })
    }
}

/// `msg_container#73f1f8dc messages:vector<%Message> = MessageContainer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MsgContainer {
    /// The messages, in order.
    pub messages: Vec<Message>,
}

impl MsgContainer {
    /// Constructor id of `msg_container`.
    pub const CONSTRUCTOR_ID: u32 = 0x73f1f8dc;
}

impl Serializable for MsgContainer {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        buf.extend_from_slice(&(self.messages.len() as i32).to_le_bytes());
        for m in &self.messages {
            m.serialize(buf);
        }
    }
}

impl Deserializable for MsgContainer {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_constructor(Self::CONSTRUCTOR_ID, "msg_container")?;
        // Each message takes at least 16 bytes of header.
        let n = r.read_len(16)?;
        let mut messages = Vec::with_capacity(n);
        for _ in 0..n {
            messages.push(Message::deserialize(r)?);
        }
        Ok(MsgContainer { messages })
    }
}

/// `rpc_result#f35c6d01 req_msg_id:long result:Object = RpcResult`; the result is kept as raw
/// bytes because its type depends on the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcResult {
    /// The id of the request this answers.
    pub req_msg_id: i64,
    /// The serialized result (possibly `rpc_error` or `gzip_packed`).
    pub result: Vec<u8>,
}

impl RpcResult {
    /// Constructor id of `rpc_result`.
    pub const CONSTRUCTOR_ID: u32 = 0xf35c6d01;
}

impl Serializable for RpcResult {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        buf.extend_from_slice(&self.req_msg_id.to_le_bytes());
        buf.extend_from_slice(&self.result);
    }
}

impl Deserializable for RpcResult {
    /// Takes the rest of the input as the result.
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_constructor(Self::CONSTRUCTOR_ID, "rpc_result")?;
        let req_msg_id = r.read_i64()?;
        Ok(RpcResult { req_msg_id, result: r.read_rest().to_vec() })
    }
}

/// `gzip_packed#3072cfa1 packed_data:bytes = Object`.
///
/// [`pack`](Self::pack) writes gzip, as the spec says; [`unpack`](Self::unpack) reads gzip or zlib
/// (see [`inflate`](crate::inflate) for why both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GzipPacked {
    /// The compressed stream (gzip, or zlib from some clients).
    pub packed_data: Vec<u8>,
}

impl GzipPacked {
    /// Constructor id of `gzip_packed`.
    pub const CONSTRUCTOR_ID: u32 = 0x3072cfa1;

    /// Compresses `data` as a gzip stream.
    pub fn pack(data: &[u8]) -> Self {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing into a Vec cannot fail.
        let _ = enc.write_all(data);
        GzipPacked { packed_data: enc.finish().unwrap_or_default() }
    }

    /// Inflates the payload on its own, refusing output beyond the default
    /// [`InflateLimits::max_total_bytes`]. A reader of whole messages, where several payloads (or
    /// nested ones) must share one limit, inflates `packed_data` through an
    /// [`InflateBudget`](crate::inflate::InflateBudget) instead.
    pub fn unpack(&self) -> Result<Vec<u8>, DeserializeError> {
        Ok(inflate(&self.packed_data, InflateLimits::DEFAULT.max_total_bytes)?)
    }
}

impl Serializable for GzipPacked {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        self.packed_data.serialize(buf);
    }
}

impl Deserializable for GzipPacked {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_constructor(Self::CONSTRUCTOR_ID, "gzip_packed")?;
        Ok(GzipPacked { packed_data: r.read_bytes()?.to_vec() })
    }
}
