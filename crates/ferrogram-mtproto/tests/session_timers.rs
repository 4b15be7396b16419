//! The client session's timers, driven by `poll_timeout` / `handle_timeout` with a clock run by
//! hand: pings (`ping_delay_disconnect`), delayed acknowledgements, resends of unacknowledged
//! requests under their msg_ids, and a silent server reported. No sleeps.

use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::client::{ClientSession, Event};
use ferrogram_mtproto::session::client_timers::ClientTimers;
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::{Handled, ServerSession};
use ferrogram_tl::mtproto::{functions as mt, MsgContainer};
use ferrogram_tl::{functions, Deserializable, Identifiable, Serializable};

const T0: Duration = Duration::from_secs(1_700_000_000);
const TIMERS: ClientTimers = ClientTimers {
    ping_interval: Duration::from_secs(60),
    silence_grace: Duration::from_secs(15),
    ack_delay: Duration::from_millis(500),
    resend_after: Duration::from_secs(20),
};

fn secs(s: f64) -> Duration {
    T0 + Duration::from_secs_f64(s)
}

fn fill(b: &mut [u8]) {
    for (i, x) in b.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
}

struct Pair {
    client: ClientSession,
    server: ServerSession,
    key: AuthKey,
}

impl Pair {
    fn new() -> Pair {
        let key = AuthKey::from_bytes(std::array::from_fn(|i| (i as u8).wrapping_mul(13).wrapping_add(5)));
        let salts = ServerSalts::new([3; 32], key.id());
        let client = ClientSession::new(key.clone(), salts.current(T0), 0, &mut fill).with_timers(TIMERS, T0);
        let server = ServerSession::new(key.clone(), client.session_id(), salts, 9);
        Pair { client, server, key }
    }

    /// Every packet the client has at `now`, as the server decrypts them: the bodies sent (a
    /// container's messages one by one) and the msg_ids.
    fn client_sends(&mut self, now: Duration) -> Vec<(i64, Vec<u8>)> {
        let mut sent = Vec::new();
        while let Some(packet) = self.client.poll_transmit(now, &mut fill) {
            let message = envelope::decrypt(&self.key, Side::Client, &packet).expect("decrypts");
            match MsgContainer::from_bytes_exact(&message.body) {
                Ok(c) => sent.extend(c.messages.into_iter().map(|m| (m.msg_id, m.body))),
                Err(_) => sent.push((message.msg_id, message.body.clone())),
            }
            self.server.handle(message, now).expect("the server accepts it");
        }
        sent
    }

    /// The server answers every call with `boolTrue`, then sends what it has to the client;
    /// returns the client's events but `new_session_created`.
    fn server_answers(&mut self, now: Duration) -> Vec<Event> {
        while let Some(call) = self.server.poll_call() {
            self.server.answer(call.msg_id, Ok(true.to_bytes()));
        }
        while let Some(packet) = self.server.poll_transmit(now, &mut fill) {
            self.client.handle_packet(&packet, now).expect("the client accepts it");
        }
        // The session's announcement is not what these tests look at.
        std::iter::from_fn(|| self.client.poll_event()).filter(|e| !matches!(e, Event::NewSession { .. })).collect()
    }
}

fn constructor(body: &[u8]) -> u32 {
    u32::from_le_bytes(body[..4].try_into().unwrap())
}

#[test]
fn pings_go_out_every_interval_and_their_pongs_are_nobodys() {
    let mut p = Pair::new();
    assert_eq!(p.client.poll_timeout(), Some(secs(60.0)), "the first ping");
    p.client.handle_timeout(secs(59.0));
    assert!(p.client_sends(secs(59.0)).is_empty(), "not yet");
    p.client.handle_timeout(secs(60.0));
    let sent = p.client_sends(secs(60.0));
    let ping = sent.iter().find(|(_, b)| constructor(b) == mt::PingDelayDisconnect::CONSTRUCTOR_ID).expect("a ping");
    let ping = mt::PingDelayDisconnect::from_bytes_exact(&ping.1).unwrap();
    assert_eq!(ping.disconnect_delay, 75, "the server closes after interval + grace of silence");
    // The server answers the ping itself; the pong is no event for the caller.
    assert!(p.server.poll_call().is_none());
    let events = p.server_answers(secs(60.1));
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(p.client.poll_timeout(), Some(secs(60.1) + Duration::from_millis(500)), "the pong's ack");
    p.client.handle_timeout(secs(60.6));
    p.client_sends(secs(60.6));
    assert_eq!(p.client.poll_timeout(), Some(secs(120.0)), "the next ping");
}

#[test]
fn acknowledgements_wait_to_ride_along_then_go_alone() {
    let mut p = Pair::new();
    let first = p.client.enqueue(functions::help::GetConfig {}.to_bytes());
    p.client_sends(secs(0.0));
    let events = p.server_answers(secs(1.0));
    assert!(matches!(events.as_slice(), [Event::Result { request, result: Ok(_) }] if *request == first));
    // The answer must be acknowledged, but not in a packet of its own right away.
    assert!(!p.client.wants_transmit());
    assert_eq!(p.client.poll_timeout(), Some(secs(1.5)));
    // A request before the delay takes the acknowledgement along.
    p.client.enqueue(functions::help::GetNearestDc {}.to_bytes());
    let sent = p.client_sends(secs(1.2));
    let kinds: Vec<u32> = sent.iter().map(|(_, b)| constructor(b)).collect();
    assert!(kinds.contains(&ferrogram_tl::mtproto::types::MsgsAck::CONSTRUCTOR_ID), "{kinds:x?}");
    assert!(kinds.contains(&functions::help::GetNearestDc::CONSTRUCTOR_ID), "{kinds:x?}");
    // Alone, it goes when the delay is over.
    p.server_answers(secs(2.0));
    p.client.handle_timeout(secs(2.4));
    assert!(!p.client.wants_transmit());
    p.client.handle_timeout(secs(2.5));
    let sent = p.client_sends(secs(2.5));
    assert_eq!(sent.len(), 1);
    assert_eq!(constructor(&sent[0].1), ferrogram_tl::mtproto::types::MsgsAck::CONSTRUCTOR_ID);
}

#[test]
fn an_unacknowledged_request_is_resent_under_its_msg_id_and_runs_once() {
    let mut p = Pair::new();
    let request = p.client.enqueue(functions::help::GetConfig {}.to_bytes());
    // Sent, but lost on the way: the server never sees it, so nothing acknowledges it.
    assert!(p.client.poll_transmit(secs(0.0), &mut fill).is_some());
    let msg_id = p.client.msg_id_of(request).expect("sent");
    assert_eq!(p.client.poll_timeout(), Some(secs(20.0)), "the resend");
    p.client.handle_timeout(secs(19.0));
    assert!(!p.client.wants_transmit());
    p.client.handle_timeout(secs(20.0));
    let sent = p.client_sends(secs(20.0));
    assert_eq!(sent.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [msg_id], "the same msg_id");
    // A second copy reaching the server is a duplicate: the call runs once.
    p.client.handle_timeout(secs(40.0));
    let again = p.client.poll_transmit(secs(40.0), &mut fill).expect("resent again: still no ack processed");
    let message = envelope::decrypt(&p.key, Side::Client, &again).unwrap();
    assert_eq!(p.server.handle(message, secs(40.0)).unwrap(), Handled::Duplicate);
    let events = p.server_answers(secs(40.1));
    assert_eq!(events.iter().filter(|e| matches!(e, Event::Result { .. })).count(), 1, "{events:?}");
}

#[test]
fn a_silent_server_is_reported_once_and_hearing_from_it_resets_the_count() {
    let mut p = Pair::new();
    p.client.handle_timeout(secs(60.0));
    assert!(p.client.poll_transmit(secs(60.0), &mut fill).is_some(), "the ping, lost");
    assert_eq!(p.client.poll_timeout(), Some(secs(75.0)), "silence before the ping's resend at 80");
    p.client.handle_timeout(secs(75.0));
    assert_eq!(std::iter::from_fn(|| p.client.poll_event()).collect::<Vec<_>>(), [Event::ServerSilent]);
    p.client.handle_timeout(secs(76.0));
    assert!(p.client.poll_event().is_none(), "reported once");
    // A new connection: silence counts from it, and a packet from the server resets it again.
    p.client.connection_lost();
    p.client.connected(secs(100.0));
    p.client_sends(secs(100.0));
    p.server_answers(secs(101.0));
    assert!(p.client.poll_timeout().is_some_and(|t| t > secs(101.0)));
    p.client.handle_timeout(secs(174.0));
    assert!(!std::iter::from_fn(|| p.client.poll_event()).any(|e| e == Event::ServerSilent), "heard at 101");
    p.client.handle_timeout(secs(176.5));
    assert!(std::iter::from_fn(|| p.client.poll_event()).any(|e| e == Event::ServerSilent));
}

#[test]
fn the_server_asks_to_close_after_the_clients_disconnect_delay_unless_pinged_again() {
    let mut p = Pair::new();
    assert_eq!(p.server.poll_timeout(), None, "no timer before a ping_delay_disconnect");
    let ping = |delay: i32| mt::PingDelayDisconnect { ping_id: 5, disconnect_delay: delay }.to_bytes();
    p.client.enqueue(ping(10));
    p.client_sends(secs(0.0));
    assert_eq!(p.server.poll_timeout(), Some(secs(10.0)));
    p.server.handle_timeout(secs(9.0));
    assert!(!p.server.take_disconnect());
    // A new ping resets the timer.
    p.client.enqueue(ping(10));
    p.client_sends(secs(5.0));
    assert_eq!(p.server.poll_timeout(), Some(secs(15.0)));
    p.server.handle_timeout(secs(10.0));
    assert!(!p.server.take_disconnect(), "the first deadline no longer counts");
    p.server.handle_timeout(secs(15.0));
    assert!(p.server.take_disconnect());
    assert!(!p.server.take_disconnect(), "reported once");
    assert_eq!(p.server.poll_timeout(), None);
    // A delay of 0 sets no timer.
    p.client.enqueue(ping(0));
    p.client_sends(secs(20.0));
    assert_eq!(p.server.poll_timeout(), None);
}
