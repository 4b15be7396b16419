//! The encrypted session layer, client and server against each other, without a network: answers
//! reach their requests, every check of the security guidelines refuses what it must, and the
//! corrections (salt, clock, lost connection) end with each request answered exactly once.

use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::{ige, kdf, Side};
use ferrogram_mtproto::session::client::{ClientSession, Event};
use ferrogram_mtproto::session::envelope::{self, EnvelopeError, Header};
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::{Handled, Refusal, ServerSession};
use ferrogram_mtproto::session::{RpcError, SessionError};
use ferrogram_tl::{functions, Serializable};

struct Rng(u64);
impl Rng {
    fn fill(&mut self, b: &mut [u8]) {
        for x in b {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *x = self.0 as u8;
        }
    }
}

const NOW: Duration = Duration::from_secs(1_700_000_000);
const SECRET: [u8; 32] = [7; 32];

fn key(seed: u8) -> AuthKey {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(seed);
    }
    AuthKey::from_bytes(bytes)
}

/// A client and a server session on one key, with a valid salt.
struct Pair {
    client: ClientSession,
    server: Option<ServerSession>,
    key: AuthKey,
    salts: ServerSalts,
    rng: Rng,
}

// `to_server`/`to_client`: the direction packets travel, not a conversion of `self`.
#[allow(clippy::wrong_self_convention)]
impl Pair {
    fn new() -> Self {
        let key = key(1);
        let salts = ServerSalts::new(SECRET, key.id());
        let mut rng = Rng(42);
        let client = ClientSession::new(key.clone(), salts.current(NOW), 0, &mut |b: &mut [u8]| rng.fill(b));
        Pair { client, server: None, key, salts, rng }
    }

    /// Client -> server: every packet the client has, handled by the server session.
    fn to_server(&mut self, now: Duration) -> Vec<Handled> {
        let mut handled = vec![];
        while let Some(packet) = self.client.poll_transmit(now, &mut |b: &mut [u8]| self.rng.fill(b)) {
            let message = envelope::decrypt(&self.key, Side::Client, &packet).expect("server decrypts");
            let server = self.server.get_or_insert_with(|| {
                ServerSession::new(self.key.clone(), message.session_id, self.salts.clone(), 77)
            });
            handled.push(server.handle(message, now).expect("server accepts the envelope"));
        }
        handled
    }

    /// The server answers every call with `answer(body)`.
    fn serve(&mut self, answer: impl Fn(&[u8]) -> Result<Vec<u8>, RpcError>) -> usize {
        let server = self.server.as_mut().expect("a session");
        let mut n = 0;
        while let Some(call) = server.poll_call() {
            server.answer(call.msg_id, answer(&call.body));
            n += 1;
        }
        n
    }

    /// Server -> client: every packet, then the client's events.
    fn to_client(&mut self, now: Duration) -> Vec<Event> {
        let server = self.server.as_mut().expect("a session");
        while let Some(packet) = server.poll_transmit(now, &mut |b: &mut [u8]| self.rng.fill(b)) {
            self.client.handle_packet(&packet, now).expect("client accepts");
        }
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }
}

fn get_config() -> Vec<u8> {
    functions::help::GetConfig {}.to_bytes()
}

fn results(events: &[Event]) -> Vec<(u64, Result<Vec<u8>, RpcError>)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Result { request, result } => Some((request.0, result.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_request_is_answered_and_the_session_announced() {
    let mut p = Pair::new();
    let request = p.client.enqueue(get_config());
    assert_eq!(p.to_server(NOW), vec![Handled::Accepted]);
    assert_eq!(p.serve(|body| Ok(body.iter().rev().copied().collect())), 1);
    let events = p.to_client(NOW);
    assert!(matches!(events[0], Event::NewSession { .. }), "{events:?}");
    let reversed: Vec<u8> = get_config().into_iter().rev().collect();
    assert_eq!(results(&events), vec![(request.0, Ok(reversed))]);
    assert_eq!(p.client.pending(), 0);
}

#[test]
fn rpc_errors_and_large_gzipped_answers_reach_the_caller() {
    let mut p = Pair::new();
    let failing = p.client.enqueue(get_config());
    let large = p.client.enqueue(functions::help::GetNearestDc {}.to_bytes());
    p.to_server(NOW);
    let big = vec![0x42u8; 100_000];
    let big2 = big.clone();
    p.serve(move |body| {
        if body == get_config().as_slice() {
            Err(RpcError::new(400, "PHONE_CODE_INVALID"))
        } else {
            Ok(big2.clone())
        }
    });
    let events = p.to_client(NOW);
    let r = results(&events);
    assert!(r.contains(&(failing.0, Err(RpcError::new(400, "PHONE_CODE_INVALID")))));
    assert!(r.contains(&(large.0, Ok(big))));
}

#[test]
fn several_requests_travel_in_one_container() {
    let mut p = Pair::new();
    let ids: Vec<_> = (0..5).map(|_| p.client.enqueue(get_config())).collect();
    let packet = p.client.poll_transmit(NOW, &mut |b: &mut [u8]| Rng(3).fill(b)).unwrap();
    assert!(p.client.poll_transmit(NOW, &mut |b: &mut [u8]| Rng(3).fill(b)).is_none(), "one packet");
    let message = envelope::decrypt(&p.key, Side::Client, &packet).unwrap();
    let mut server = ServerSession::new(p.key.clone(), message.session_id, p.salts.clone(), 1);
    assert_eq!(server.handle(message, NOW).unwrap(), Handled::Accepted);
    let mut calls = 0;
    while let Some(call) = server.poll_call() {
        server.answer(call.msg_id, Ok(vec![1, 2, 3, 4]));
        calls += 1;
    }
    assert_eq!(calls, ids.len());
    p.server = Some(server);
    let r = results(&p.to_client(NOW));
    assert_eq!(r.len(), 5);
}

#[test]
fn a_bad_salt_is_corrected_and_the_request_answered_once() {
    let mut p = Pair::new();
    // A client that starts with a stale salt.
    p.client = ClientSession::new(p.key.clone(), 12345, 0, &mut |b: &mut [u8]| Rng(5).fill(b));
    let request = p.client.enqueue(get_config());
    assert_eq!(p.to_server(NOW), vec![Handled::Refused(Refusal::BadSalt)]);
    assert_eq!(p.serve(|_| Ok(vec![0; 4])), 0, "nothing ran");
    assert!(results(&p.to_client(NOW)).is_empty());
    assert_eq!(p.client.salt(), p.salts.current(NOW));
    assert_eq!(p.to_server(NOW), vec![Handled::Accepted]);
    assert_eq!(p.serve(|_| Ok(vec![0; 4])), 1);
    assert_eq!(results(&p.to_client(NOW)), vec![(request.0, Ok(vec![0; 4]))]);
}

#[test]
fn a_skewed_clock_is_corrected_from_the_servers_notice() {
    for (skew, refusal) in [(-1000i64, Refusal::MsgIdTooLow), (1000, Refusal::MsgIdTooHigh)] {
        let mut p = Pair::new();
        let client_now = Duration::from_secs((NOW.as_secs() as i64 + skew) as u64);
        let request = p.client.enqueue(get_config());
        assert_eq!(p.to_server_at(client_now, NOW), vec![Handled::Refused(refusal)]);
        p.to_client_at(NOW, client_now);
        assert_eq!(p.client.time_offset(), -skew);
        assert_eq!(p.to_server_at(client_now, NOW), vec![Handled::Accepted]);
        p.serve(|_| Ok(vec![9; 4]));
        assert_eq!(results(&p.to_client_at(NOW, client_now)), vec![(request.0, Ok(vec![9; 4]))]);
    }
}

// `to_server`/`to_client`: the direction packets travel, not a conversion of `self`.
#[allow(clippy::wrong_self_convention)]
impl Pair {
    fn to_server_at(&mut self, client_now: Duration, server_now: Duration) -> Vec<Handled> {
        let mut handled = vec![];
        while let Some(packet) = self.client.poll_transmit(client_now, &mut |b: &mut [u8]| self.rng.fill(b)) {
            let message = envelope::decrypt(&self.key, Side::Client, &packet).unwrap();
            let server = self.server.get_or_insert_with(|| {
                ServerSession::new(self.key.clone(), message.session_id, self.salts.clone(), 77)
            });
            handled.push(server.handle(message, server_now).unwrap());
        }
        handled
    }
    fn to_client_at(&mut self, server_now: Duration, client_now: Duration) -> Vec<Event> {
        let server = self.server.as_mut().unwrap();
        while let Some(packet) = server.poll_transmit(server_now, &mut |b: &mut [u8]| self.rng.fill(b)) {
            self.client.handle_packet(&packet, client_now).unwrap();
        }
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }
}

#[test]
fn a_request_resent_after_a_lost_connection_runs_once() {
    let mut p = Pair::new();
    let request = p.client.enqueue(get_config());
    p.to_server(NOW);
    assert_eq!(p.serve(|_| Ok(vec![5; 4])), 1);
    // The answer is lost with the connection.
    let server = p.server.as_mut().unwrap();
    while server.poll_transmit(NOW, &mut |b: &mut [u8]| Rng(9).fill(b)).is_some() {}
    p.client.connection_lost();
    assert_eq!(p.to_server(NOW + Duration::from_secs(2)), vec![Handled::Duplicate]);
    assert_eq!(p.serve(|_| Ok(vec![6; 4])), 0, "not executed again");
    assert_eq!(results(&p.to_client(NOW)), vec![(request.0, Ok(vec![5; 4]))], "the first execution's answer");
}

#[test]
fn the_server_refuses_what_the_guidelines_say() {
    let key = key(3);
    let salts = ServerSalts::new(SECRET, key.id());
    let session_id = 99;
    let send = |msg_id: i64, salt: i64| {
        let header = Header { salt, session_id, msg_id, seq_no: 1 };
        let packet = envelope::encrypt(&key, Side::Client, header, &get_config(), &mut |b: &mut [u8]| Rng(11).fill(b));
        envelope::decrypt(&key, Side::Client, &packet).unwrap()
    };
    let mut ids = MsgIdGenerator::new();
    let mut server = ServerSession::new(key.clone(), session_id, salts.clone(), 1);
    let salt = salts.current(NOW);
    let at = |secs: i64| Duration::from_secs((NOW.as_secs() as i64 + secs) as u64);

    let old = ids.next(at(-301), IdKind::Client);
    assert_eq!(server.handle(send(old, salt), NOW).unwrap(), Handled::Refused(Refusal::MsgIdTooLow));
    let mut ids = MsgIdGenerator::new();
    let future = ids.next(at(31), IdKind::Client);
    assert_eq!(server.handle(send(future, salt), NOW).unwrap(), Handled::Refused(Refusal::MsgIdTooHigh));
    let mut ids = MsgIdGenerator::new();
    let odd = ids.next(NOW, IdKind::ServerResponse);
    assert_eq!(server.handle(send(odd, salt), NOW).unwrap(), Handled::Refused(Refusal::MsgIdParity));
    let good = ids.next(NOW, IdKind::Client);
    assert_eq!(server.handle(send(good, salt.wrapping_add(1)), NOW).unwrap(), Handled::Refused(Refusal::BadSalt));
    let good = ids.next(NOW, IdKind::Client);
    assert_eq!(server.handle(send(good, salt), NOW).unwrap(), Handled::Accepted);
    assert_eq!(server.handle(send(good, salt), NOW).unwrap(), Handled::Duplicate, "a replay");
    assert!(server.poll_call().is_some());
    assert!(server.poll_call().is_none(), "the replay is not run");
    // Within the time window, the previous salt window is still accepted.
    let later = NOW + Duration::from_secs(1800);
    let good = ids.next(later, IdKind::Client);
    assert_eq!(server.handle(send(good, salt), later).unwrap(), Handled::Accepted);
    // Another session's message.
    let header = Header { salt, session_id: 5, msg_id: ids.next(NOW, IdKind::Client), seq_no: 1 };
    let packet = envelope::encrypt(&key, Side::Client, header, &get_config(), &mut |b: &mut [u8]| Rng(1).fill(b));
    let other = envelope::decrypt(&key, Side::Client, &packet).unwrap();
    assert!(matches!(server.handle(other, NOW), Err(SessionError::WrongSession { .. })));
}

#[test]
fn the_client_refuses_a_foreign_session_and_client_parity() {
    let key = key(4);
    let mut client = ClientSession::new(key.clone(), 1, 0, &mut |b: &mut [u8]| Rng(2).fill(b));
    let mut ids = MsgIdGenerator::new();
    let packet = |session_id: i64, msg_id: i64| {
        let header = Header { salt: 1, session_id, msg_id, seq_no: 1 };
        envelope::encrypt(&key, Side::Server, header, &get_config(), &mut |b: &mut [u8]| Rng(8).fill(b))
    };
    let wrong = packet(client.session_id() ^ 1, ids.next(NOW, IdKind::ServerOther));
    assert!(matches!(client.handle_packet(&wrong, NOW), Err(SessionError::WrongSession { .. })));
    let parity = packet(client.session_id(), ids.next(NOW, IdKind::Client));
    assert!(matches!(client.handle_packet(&parity, NOW), Err(SessionError::MsgIdParity(_))));
    // An update, and its replay, which is dropped.
    let update = packet(client.session_id(), ids.next(NOW, IdKind::ServerOther));
    client.handle_packet(&update, NOW).unwrap();
    client.handle_packet(&update, NOW).unwrap();
    let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert_eq!(events, vec![Event::Update(get_config())]);
}

/// Encrypts a plaintext laid out by hand, to reach the envelope checks a correct sender never
/// trips.
fn encrypt_raw(key: &AuthKey, plaintext: &[u8]) -> Vec<u8> {
    let msg_key = kdf::msg_key(key.bytes(), Side::Client, plaintext);
    let (k, iv) = kdf::message_key_iv(key.bytes(), Side::Client, &msg_key);
    let mut data = plaintext.to_vec();
    ige::encrypt(&mut data, &k, &iv).unwrap();
    let mut out = key.id().to_le_bytes().to_vec();
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&data);
    out
}

fn plaintext(body_len: i32, actual_body: usize, padding: usize) -> Vec<u8> {
    let mut p = vec![0u8; 24];
    p.extend_from_slice(&0i32.to_le_bytes());
    p.extend_from_slice(&body_len.to_le_bytes());
    p.extend(std::iter::repeat_n(0u8, actual_body + padding));
    p
}

#[test]
fn the_envelope_refuses_what_the_guidelines_say() {
    let other_key = key(6);
    let key = key(5);
    let good = envelope::encrypt(
        &key,
        Side::Client,
        Header { salt: 1, session_id: 2, msg_id: 4, seq_no: 1 },
        &[1, 2, 3, 4],
        &mut |b: &mut [u8]| Rng(4).fill(b),
    );
    assert_eq!(envelope::decrypt(&key, Side::Client, &good).unwrap().body, vec![1, 2, 3, 4]);

    // Wrong auth_key_id.
    assert!(matches!(envelope::decrypt(&other_key, Side::Client, &good), Err(EnvelopeError::WrongAuthKeyId { .. })));
    // The other direction's key derivation.
    assert_eq!(envelope::decrypt(&key, Side::Server, &good), Err(EnvelopeError::MsgKeyMismatch));
    // A flipped bit anywhere in the ciphertext or in msg_key.
    for at in [8, 23, 24, good.len() - 1] {
        let mut bad = good.clone();
        bad[at] ^= 1;
        assert_eq!(envelope::decrypt(&key, Side::Client, &bad), Err(EnvelopeError::MsgKeyMismatch), "byte {at}");
    }
    // Not a multiple of 16.
    let mut cut = good.clone();
    cut.truncate(good.len() - 4);
    assert!(matches!(envelope::decrypt(&key, Side::Client, &cut), Err(EnvelopeError::NotBlockAligned(_))));
    // Too short.
    assert!(matches!(envelope::decrypt(&key, Side::Client, &good[..40]), Err(EnvelopeError::TooShort(40))));
    // Padding below 12 and above 1024, with a correct msg_key.
    assert_eq!(
        envelope::decrypt(&key, Side::Client, &encrypt_raw(&key, &plaintext(8, 8, 8))),
        Err(EnvelopeError::BadPadding(8))
    );
    assert_eq!(
        envelope::decrypt(&key, Side::Client, &encrypt_raw(&key, &plaintext(0, 0, 1040))),
        Err(EnvelopeError::BadPadding(1040))
    );
    // A length field beyond the data, negative, or not a multiple of 4.
    for len in [4000, -4, 6] {
        assert!(matches!(
            envelope::decrypt(&key, Side::Client, &encrypt_raw(&key, &plaintext(len, 4, 12))),
            Err(EnvelopeError::BadLength { .. })
        ));
    }
}

#[test]
fn msg_ids_grow_with_each_sides_parity() {
    let mut ids = MsgIdGenerator::new();
    let mut last = 0;
    for (i, kind) in [IdKind::Client, IdKind::ServerResponse, IdKind::ServerOther].iter().cycle().take(300).enumerate()
    {
        // The same instant many times: ids still grow.
        let id = ids.next(NOW + Duration::from_nanos(i as u64 / 10), *kind);
        assert!(id > last);
        assert_eq!(
            id & 3,
            match kind {
                IdKind::Client => 0,
                IdKind::ServerResponse => 1,
                IdKind::ServerOther => 3,
            }
        );
        assert_eq!(id >> 32, NOW.as_secs() as i64);
        last = id;
    }
}

#[test]
fn garbage_packets_are_refused_without_panicking() {
    let key = key(7);
    let mut client = ClientSession::new(key.clone(), 1, 0, &mut |b: &mut [u8]| Rng(2).fill(b));
    let mut rng = Rng(1234);
    for len in 0..600 {
        let mut packet = vec![0u8; len];
        rng.fill(&mut packet);
        if len >= 8 {
            packet[..8].copy_from_slice(&key.id().to_le_bytes());
        }
        assert!(client.handle_packet(&packet, NOW).is_err());
        assert!(envelope::decrypt(&key, Side::Client, &packet).is_err());
    }
}

/// A key made by the two key-exchange state machines carries messages both ways.
#[test]
fn a_key_from_the_exchange_carries_messages_both_ways() {
    use ferrogram_mtproto::authkey::client::{ClientConfig, ClientHandshake, ClientStep};
    use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep};
    use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;

    let mut rng = Rng(77);
    let mut random = |b: &mut [u8]| rng.fill(b);
    let rsa = RsaPrivateKey::generate(&mut random);
    let mut server = ServerHandshake::new(ServerConfig::new(rsa.clone(), 2));
    let (mut client, mut request) =
        ClientHandshake::start(ClientConfig::new(vec![rsa.public_key().clone()], 2), &mut random);
    let now = NOW;
    let (client_done, server_key) = loop {
        let (reply, server_key) = match server.handle(&request, now, &mut random).unwrap() {
            ServerStep::Send(bytes) => (bytes, None),
            ServerStep::Done { send, key } => (send, Some(key)),
            ServerStep::Refused(_) => panic!("refused"),
        };
        match client.handle(&reply, now, &mut random).unwrap() {
            ClientStep::Send(bytes) => request = bytes,
            ClientStep::Done(done) => break (done, server_key.unwrap()),
        }
    };
    assert_eq!(client_done.auth_key, server_key.auth_key);
    assert_eq!(client_done.first_salt, server_key.first_salt);

    let salts =
        ServerSalts::new(SECRET, server_key.auth_key.id()).with_first_salt(server_key.first_salt, NOW.as_secs() + 60);
    let mut client =
        ClientSession::new(client_done.auth_key, client_done.first_salt, client_done.time_offset as i64, &mut random);
    let request = client.enqueue(get_config());
    let packet = client.poll_transmit(NOW, &mut random).unwrap();
    let message = envelope::decrypt(&server_key.auth_key, Side::Client, &packet).unwrap();
    assert_eq!(message.body, get_config());
    let mut session = ServerSession::new(server_key.auth_key.clone(), message.session_id, salts, 3);
    assert_eq!(session.handle(message, NOW).unwrap(), Handled::Accepted, "the first salt is accepted");
    let call = session.poll_call().unwrap();
    session.answer(call.msg_id, Ok(vec![1, 2, 3, 4]));
    while let Some(packet) = session.poll_transmit(NOW, &mut random) {
        client.handle_packet(&packet, NOW).unwrap();
    }
    let events: Vec<Event> = std::iter::from_fn(|| client.poll_event()).collect();
    assert!(events.contains(&Event::Result { request, result: Ok(vec![1, 2, 3, 4]) }));
}

#[test]
fn a_container_over_the_spec_limit_is_refused_whole_never_cut_short() {
    use ferrogram_mtproto::session::server::MAX_RECEIVED_CONTAINER_MESSAGES;
    use ferrogram_tl::mtproto::{Message, MsgContainer};
    let key = key(4);
    let salts = ServerSalts::new(SECRET, key.id());
    let salt = salts.current(NOW);
    let mut server = ServerSession::new(key.clone(), 7, salts, 1);
    let mut ids = MsgIdGenerator::new();
    let mut send = |server: &mut ServerSession, count: usize| {
        let messages = (0..count)
            .map(|i| Message { msg_id: ids.next(NOW, IdKind::Client), seq_no: 2 * i as i32 + 1, body: get_config() })
            .collect();
        let body = MsgContainer { messages }.to_bytes();
        let header = Header { salt, session_id: 7, msg_id: ids.next(NOW, IdKind::Client), seq_no: 2 * count as i32 };
        let packet = envelope::encrypt(&key, Side::Client, header, &body, &mut |b: &mut [u8]| Rng(5).fill(b));
        server.handle(envelope::decrypt(&key, Side::Client, &packet).unwrap(), NOW).unwrap()
    };
    // At the limit, every message is taken: none vanishes.
    assert_eq!(send(&mut server, MAX_RECEIVED_CONTAINER_MESSAGES), Handled::Accepted);
    assert_eq!(std::iter::from_fn(|| server.poll_call()).count(), MAX_RECEIVED_CONTAINER_MESSAGES);
    // One more, and the whole container is refused with bad_msg_notification 64; nothing runs.
    assert_eq!(send(&mut server, MAX_RECEIVED_CONTAINER_MESSAGES + 1), Handled::Refused(Refusal::BadContainer));
    assert!(server.poll_call().is_none());
    assert_eq!(Refusal::BadContainer.code(), 64);
}
