//! Unencrypted messages (<https://core.telegram.org/mtproto/description#unencrypted-message>):
//! `auth_key_id = 0`, `message_id`, `message_data_length`, `message_data`. Only the key exchange
//! uses them.

/// Why a packet is not a valid plain message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlainError {
    /// Shorter than the 20-byte header.
    #[error("plain message of {0} bytes is shorter than its header")]
    TooShort(usize),
    /// `auth_key_id` is not zero: an encrypted message.
    #[error("not a plain message (auth_key_id is not 0)")]
    Encrypted,
    /// The length field disagrees with the packet.
    #[error("plain message length field {field} does not match the {actual} bytes present")]
    Length {
        /// What the header says.
        field: i32,
        /// What is there.
        actual: usize,
    },
}

/// Wraps `body` with the plain header; `msg_id` comes from the caller's message id generator.
pub fn wrap(msg_id: i64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(20 + body.len());
    out.extend_from_slice(&0i64.to_le_bytes());
    out.extend_from_slice(&msg_id.to_le_bytes());
    out.extend_from_slice(&(body.len() as i32).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Reads a plain message: `(msg_id, body)`.
pub fn unwrap(packet: &[u8]) -> Result<(i64, &[u8]), PlainError> {
    if packet.len() < 20 {
        return Err(PlainError::TooShort(packet.len()));
    }
    let field = |range: std::ops::Range<usize>| {
        let mut b = [0u8; 8];
        b[..range.len()].copy_from_slice(&packet[range]);
        i64::from_le_bytes(b)
    };
    if field(0..8) != 0 {
        return Err(PlainError::Encrypted);
    }
    let msg_id = field(8..16);
    let len = field(16..20) as i32;
    if len < 0 || len as usize != packet.len() - 20 {
        return Err(PlainError::Length { field: len, actual: packet.len() - 20 });
    }
    Ok((msg_id, &packet[20..]))
}
