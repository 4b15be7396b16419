//! The client's checks of server messages from the security guidelines
//! (<https://core.telegram.org/mtproto/security_guidelines#checking-msg-id>), each with packets a
//! correct server never sends: even msg_ids, msg_ids outside the time window, msg_ids older than
//! everything remembered, and containers with one bad message among good ones.

use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::client::{ClientSession, Event, MAX_FUTURE, MAX_PAST, RECENT_MSG_IDS};
use ferrogram_mtproto::session::envelope::{self, Header};
use ferrogram_mtproto::session::msg_id::{IdKind, MsgIdGenerator};
use ferrogram_mtproto::session::SessionError;
use ferrogram_tl::mtproto::{enums, types, Message, MsgContainer};
use ferrogram_tl::{functions, Serializable};

const NOW: Duration = Duration::from_secs(1_700_000_000);

fn key() -> AuthKey {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(17).wrapping_add(5);
    }
    AuthKey::from_bytes(bytes)
}

fn zero_random(b: &mut [u8]) {
    b.fill(0x5a);
}

/// A client session, and packets as its server would encrypt them.
struct Harness {
    key: AuthKey,
    client: ClientSession,
}

impl Harness {
    fn new() -> Self {
        let key = key();
        let client = ClientSession::new(key.clone(), 1, 0, &mut zero_random);
        Harness { key, client }
    }

    fn packet(&self, msg_id: i64, seq_no: i32, body: &[u8]) -> Vec<u8> {
        let header = Header { salt: 1, session_id: self.client.session_id(), msg_id, seq_no };
        envelope::encrypt(&self.key, Side::Server, header, body, &mut zero_random)
    }

    fn container(&self, msg_id: i64, messages: Vec<Message>) -> Vec<u8> {
        self.packet(msg_id, 0, &MsgContainer { messages }.to_bytes())
    }

    fn deliver(&mut self, msg_id: i64, body: &[u8]) -> Result<(), SessionError> {
        let packet = self.packet(msg_id, 1, body);
        self.client.handle_packet(&packet, NOW)
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// A packet in the window (and older than the test's own), so the client's clock counts as
    /// confirmed.
    fn confirm_clock(&mut self) {
        let id = server_id(shifted(-60), IdKind::ServerOther);
        self.deliver(id, &update()).expect("an ordinary update is accepted");
        self.events();
        // Its acknowledgement goes out, so tests can see whether others are queued.
        while self.client.poll_transmit(NOW, &mut zero_random).is_some() {}
    }
}

/// A body the client hands on as an update.
fn update() -> Vec<u8> {
    functions::help::GetConfig {}.to_bytes()
}

/// A server msg_id made at `at`.
fn server_id(at: Duration, kind: IdKind) -> i64 {
    MsgIdGenerator::new().next(at, kind)
}

fn shifted(secs: i64) -> Duration {
    Duration::from_secs((NOW.as_secs() as i64 + secs) as u64)
}

#[test]
fn only_odd_msg_ids_are_accepted() {
    let mut h = Harness::new();
    let base = server_id(NOW, IdKind::Client);
    // 0 and 2 mod 4 are not a server's ids.
    for id in [base, base + 2, base + 6] {
        assert!(matches!(h.deliver(id, &update()), Err(SessionError::MsgIdParity(bad)) if bad == id), "{id:#x}");
    }
    assert!(h.events().is_empty());
    // 1 mod 4 (an answer) and 3 mod 4 (the server's own) are.
    h.deliver(base + 9, &update()).unwrap();
    h.deliver(base + 11, &update()).unwrap();
    assert_eq!(h.events().len(), 2);
}

#[test]
fn msg_ids_outside_the_time_window_are_refused() {
    let mut h = Harness::new();
    h.confirm_clock();
    for secs in [MAX_FUTURE + 1, 120, -MAX_PAST - 1, -1000] {
        let id = server_id(shifted(secs), IdKind::ServerOther);
        match h.deliver(id, &update()) {
            Err(SessionError::MsgIdOutsideWindow { msg_id, skew }) => assert_eq!((msg_id, skew), (id, secs)),
            other => panic!("{secs} s: expected a window refusal, got {other:?}"),
        }
    }
    assert!(h.events().is_empty(), "nothing refused reached the caller");
    // The edges are inside.
    for secs in [MAX_FUTURE, -MAX_PAST] {
        h.deliver(server_id(shifted(secs), IdKind::ServerOther), &update()).unwrap();
    }
    assert_eq!(h.events().len(), 2);
}

#[test]
fn the_window_follows_the_corrected_clock() {
    let key = key();
    // Our clock is 1000 s slow, and the offset says so.
    let mut client = ClientSession::new(key.clone(), 1, 1000, &mut zero_random);
    let session_id = client.session_id();
    let packet = |msg_id: i64| {
        let header = Header { salt: 1, session_id, msg_id, seq_no: 1 };
        envelope::encrypt(&key, Side::Server, header, &update(), &mut zero_random)
    };
    let local = shifted(-1000);
    let p = packet(server_id(NOW, IdKind::ServerOther));
    client.handle_packet(&p, local).unwrap();
    // Local time would put this inside the window; the server's clock does not.
    let p = packet(server_id(local, IdKind::ServerOther));
    assert!(matches!(client.handle_packet(&p, local), Err(SessionError::MsgIdOutsideWindow { .. })));
}

#[test]
fn notices_about_our_messages_pass_whatever_their_time() {
    let mut h = Harness::new();
    h.confirm_clock();
    // The server's clock is far ahead: its salt notice still gets through, as the guidelines allow.
    let notice = enums::BadMsgNotification::BadServerSalt(types::BadServerSalt {
        bad_msg_id: 4,
        bad_msg_seqno: 1,
        error_code: 48,
        new_server_salt: 777,
    })
    .to_bytes();
    h.deliver(server_id(shifted(1000), IdKind::ServerResponse), &notice).unwrap();
    assert_eq!(h.client.salt(), 777);
    // An ordinary message from that time does not.
    let id = server_id(shifted(1001), IdKind::ServerOther);
    assert!(matches!(h.deliver(id, &update()), Err(SessionError::MsgIdOutsideWindow { .. })));
}

#[test]
fn the_first_packet_may_move_a_slow_clock_forward_but_never_back() {
    // A fresh session whose clock is 100 s slow takes the server's time from its first packet.
    let mut h = Harness::new();
    h.deliver(server_id(shifted(100), IdKind::ServerOther), &update()).unwrap();
    assert_eq!(h.client.time_offset(), 100);
    // From then on the window holds around the corrected clock (local + 100 s): the local time is
    // inside it, 400 s ahead of the local time is not.
    h.deliver(server_id(NOW, IdKind::ServerOther), &update()).unwrap();
    let id = server_id(shifted(400), IdKind::ServerOther);
    assert!(matches!(h.deliver(id, &update()), Err(SessionError::MsgIdOutsideWindow { .. })));
    // After a lost connection the first packet may correct the clock again.
    h.client.connection_lost();
    h.deliver(id, &update()).unwrap();
    assert_eq!(h.client.time_offset(), 400);

    // A first packet from the past is refused: it could be a withheld old message.
    let mut h = Harness::new();
    let id = server_id(shifted(-MAX_PAST - 1), IdKind::ServerOther);
    assert!(matches!(h.deliver(id, &update()), Err(SessionError::MsgIdOutsideWindow { .. })));
    assert_eq!(h.client.time_offset(), 0);
    // A refused packet moves nothing either.
    let id = server_id(shifted(100), IdKind::Client);
    assert!(matches!(h.deliver(id, &update()), Err(SessionError::MsgIdParity(_))));
    assert_eq!(h.client.time_offset(), 0);
}

#[test]
fn ids_below_everything_remembered_are_refused_once_the_memory_is_full() {
    let mut h = Harness::new();
    let mut ids = MsgIdGenerator::new();
    let first = ids.next(NOW, IdKind::ServerOther);
    h.deliver(first, &update()).unwrap();
    let mut last = first;
    for _ in 0..RECENT_MSG_IDS {
        last = ids.next(NOW, IdKind::ServerOther);
        h.deliver(last, &update()).unwrap();
    }
    assert_eq!(h.events().len(), RECENT_MSG_IDS + 1);
    // A replay of the first (forgotten by now) and an unseen id just as old are refused.
    assert!(matches!(h.deliver(first, &update()), Err(SessionError::MsgIdTooOld(id)) if id == first));
    let older = server_id(shifted(-1), IdKind::ServerOther);
    assert!(matches!(h.deliver(older, &update()), Err(SessionError::MsgIdTooOld(_))));
    // A replay of a remembered one is acknowledged and otherwise ignored.
    h.deliver(last, &update()).unwrap();
    assert!(h.events().is_empty());
    // An unseen id between remembered ones is new.
    h.deliver(last - 2, &update()).unwrap();
    assert_eq!(h.events().len(), 1);
}

#[test]
fn a_container_with_a_bad_message_is_refused_whole() {
    let mut h = Harness::new();
    h.confirm_clock();
    let mut ids = MsgIdGenerator::new();
    let good = ids.next(NOW, IdKind::ServerOther);
    let message = |msg_id: i64, body: Vec<u8>| Message { msg_id, seq_no: 1, body };

    // A good message first, then one with a client's msg_id.
    let even = ids.next(NOW, IdKind::Client);
    let packet =
        h.container(ids.next(NOW, IdKind::ServerOther), vec![message(good, update()), message(even, update())]);
    assert!(matches!(h.client.handle_packet(&packet, NOW), Err(SessionError::MsgIdParity(id)) if id == even));
    // ... then one from outside the time window.
    let late = server_id(shifted(-MAX_PAST - 10), IdKind::ServerOther);
    let packet =
        h.container(ids.next(NOW, IdKind::ServerOther), vec![message(good, update()), message(late, update())]);
    assert!(matches!(h.client.handle_packet(&packet, NOW), Err(SessionError::MsgIdOutsideWindow { .. })));
    // ... then one that is not valid TL.
    let rpc_result_prefix = ferrogram_tl::mtproto::RpcResult { req_msg_id: 1, result: vec![] }.to_bytes()[..4].to_vec();
    let bad = ids.next(NOW, IdKind::ServerOther);
    let packet =
        h.container(ids.next(NOW, IdKind::ServerOther), vec![message(good, update()), message(bad, rpc_result_prefix)]);
    assert!(matches!(h.client.handle_packet(&packet, NOW), Err(SessionError::Decode(_))));

    // Nothing of the good message was acted on: no update, no acknowledgement, not remembered.
    assert!(h.events().is_empty());
    assert!(!h.client.wants_transmit(), "no acks were queued");
    h.deliver(good, &update()).unwrap();
    assert_eq!(h.events(), vec![Event::Update(update())]);
}

#[test]
fn a_good_container_is_acted_on_in_order() {
    let mut h = Harness::new();
    h.confirm_clock();
    let mut ids = MsgIdGenerator::new();
    let a = ids.next(NOW, IdKind::ServerOther);
    let b = ids.next(NOW, IdKind::ServerOther);
    let messages = vec![
        Message { msg_id: a, seq_no: 1, body: update() },
        Message { msg_id: b, seq_no: 3, body: vec![1, 2, 3, 4] },
    ];
    let packet = h.container(ids.next(NOW, IdKind::ServerOther), messages);
    h.client.handle_packet(&packet, NOW).unwrap();
    assert_eq!(h.events(), vec![Event::Update(update()), Event::Update(vec![1, 2, 3, 4])]);
    assert!(h.client.wants_transmit(), "both are acknowledged");
    // The same container again is a duplicate as a whole.
    h.client.handle_packet(&packet, NOW).unwrap();
    assert!(h.events().is_empty());
}
