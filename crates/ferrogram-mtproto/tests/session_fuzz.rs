//! The `session_decode` fuzz target's function over pseudo-random bytes and mutations of real
//! service messages (CI has no nightly toolchain for cargo-fuzz): nothing may panic.

use ferrogram_mtproto::session::fuzzing::decode;
use ferrogram_tl::mtproto::{enums, types, GzipPacked, Message, MsgContainer, RpcResult};
use ferrogram_tl::Serializable;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Real bodies the session layer meets: the mutations start from these.
fn seeds() -> Vec<Vec<u8>> {
    let rpc = RpcResult { req_msg_id: 4, result: vec![1, 2, 3, 4] }.to_bytes();
    let error = RpcResult {
        req_msg_id: 4,
        result: enums::RpcError::RpcError(types::RpcError { error_code: 400, error_message: "X".into() }).to_bytes(),
    }
    .to_bytes();
    let gzip = GzipPacked::pack(&rpc).to_bytes();
    let ack = enums::MsgsAck::MsgsAck(types::MsgsAck { msg_ids: vec![4, 8] }).to_bytes();
    let salt = enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
        bad_msg_id: 4,
        bad_msg_seqno: 1,
        error_code: 48,
        new_server_salt: 9,
    })
    .to_bytes();
    let bad = enums::BadMsgNotification::BadMsgNotification(types::BadMsgNotification {
        bad_msg_id: 4,
        bad_msg_seqno: 1,
        error_code: 16,
    })
    .to_bytes();
    let new_session =
        enums::NewSession::Created(types::NewSessionCreated { first_msg_id: 4, unique_id: 1, server_salt: 2 })
            .to_bytes();
    let container = MsgContainer {
        messages: [&rpc, &gzip, &ack, &salt, &bad, &new_session]
            .iter()
            .enumerate()
            .map(|(i, body)| Message {
                msg_id: 7_300_000_000_000_000_001 + 4 * i as i64,
                seq_no: 1,
                body: body.to_vec(),
            })
            .collect(),
    }
    .to_bytes();
    let ping = ferrogram_tl::mtproto::functions::Ping { ping_id: 5 }.to_bytes();
    vec![rpc, error, gzip, ack, salt, bad, new_session, container, ping]
}

#[test]
fn arbitrary_and_mutated_messages_never_panic() {
    let mut rng = Rng(0x5eed);
    for len in 0..300 {
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        decode(&data);
    }
    for seed in seeds() {
        for mode in 0u8..4 {
            let mut input = vec![mode];
            input.extend_from_slice(&seed);
            decode(&input);
            for _ in 0..200 {
                let mut mutated = input.clone();
                for _ in 0..1 + rng.next() % 4 {
                    let at = 1 + (rng.next() as usize) % (mutated.len() - 1).max(1);
                    if at < mutated.len() {
                        match rng.next() % 3 {
                            0 => mutated[at] ^= 1 << (rng.next() % 8),
                            1 => mutated[at] = 0xff,
                            _ => mutated.truncate(at),
                        }
                    }
                }
                decode(&mutated);
            }
        }
    }
}
