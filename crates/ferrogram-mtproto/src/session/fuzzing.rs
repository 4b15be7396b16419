//! The entry point of the `session_decode` fuzz target (and of its stable test): encrypted
//! messages from arbitrary bytes, decoded by both sides of the session layer.

use std::time::Duration;

use super::client::ClientSession;
use super::envelope::{self, Header};
use super::msg_id::{IdKind, MsgIdGenerator};
use super::salts::ServerSalts;
use super::server::ServerSession;
use crate::authkey::AuthKey;
use crate::crypto::{ige, kdf, Side};

const NOW: Duration = Duration::from_secs(1_700_000_000);

fn key() -> AuthKey {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(7).wrapping_add(3);
    }
    AuthKey::from_bytes(bytes)
}

/// Feeds `data` to the session layer. The first byte picks what the rest is, so the fuzzer also
/// gets past the msg_key check: `0` a raw packet for both sides; `1` a message body the server
/// sends the client (properly encrypted); `2` a body the client sends the server; `3` a whole
/// plaintext (header, length field and padding included), properly encrypted, for both sides.
pub fn decode(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else { return };
    let key = key();
    let salts = ServerSalts::new([1; 32], key.id());
    let mut zero = |b: &mut [u8]| b.fill(0);
    let mut client = ClientSession::new(key.clone(), salts.current(NOW), 0, &mut zero);
    let mut ids = MsgIdGenerator::new();
    match mode % 4 {
        0 => {
            let _ = client.handle_packet(rest, NOW);
            if let Ok(message) = envelope::decrypt(&key, Side::Client, rest) {
                let mut server = ServerSession::new(key.clone(), message.session_id, salts, 1);
                let _ = server.handle(message, NOW);
            }
        }
        1 => {
            // Something to answer, so rpc_result bodies can match a request.
            client.enqueue(vec![0; 8]);
            let _ = client.poll_transmit(NOW, &mut zero);
            let header = Header {
                salt: 0,
                session_id: client.session_id(),
                msg_id: ids.next(NOW, IdKind::ServerOther),
                seq_no: 1,
            };
            let packet = envelope::encrypt(&key, Side::Server, header, rest, &mut zero);
            let _ = client.handle_packet(&packet, NOW);
            while client.poll_event().is_some() {}
            let _ = client.poll_transmit(NOW, &mut zero);
        }
        2 => {
            let header =
                Header { salt: salts.current(NOW), session_id: 7, msg_id: ids.next(NOW, IdKind::Client), seq_no: 1 };
            let packet = envelope::encrypt(&key, Side::Client, header, rest, &mut zero);
            if let Ok(message) = envelope::decrypt(&key, Side::Client, &packet) {
                let mut server = ServerSession::new(key.clone(), 7, salts, 1);
                let _ = server.handle(message, NOW);
                while let Some(call) = server.poll_call() {
                    server.answer(call.msg_id, Ok(call.body));
                }
                let _ = server.poll_transmit(NOW, &mut zero);
            }
        }
        _ => {
            for side in [Side::Client, Side::Server] {
                let plaintext = &rest[..rest.len() - rest.len() % 16];
                let msg_key = kdf::msg_key(key.bytes(), side, plaintext);
                let (aes_key, iv) = kdf::message_key_iv(key.bytes(), side, &msg_key);
                let mut packet = key.id().to_le_bytes().to_vec();
                packet.extend_from_slice(&msg_key);
                let start = packet.len();
                packet.extend_from_slice(plaintext);
                let _ = ige::encrypt(&mut packet[start..], &aes_key, &iv);
                let _ = envelope::decrypt(&key, side, &packet);
            }
        }
    }
}
