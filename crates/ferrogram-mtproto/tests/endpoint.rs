//! The server endpoint against client sessions, with no network and a clock run by hand:
//! routing packets to sessions, the connection a session answers on, updates to the session that
//! asked for them (bounded, collapsing into `updatesTooLong`), eviction within the budgets, idle
//! pruning, unknown keys, and `ping_delay_disconnect` by `handle_timeout`.

use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::endpoint::{
    ConnectionHandle, EndpointConfig, EndpointError, EndpointEvent, PushOutcome, ServerEndpoint, UpdateQueue,
};
use ferrogram_mtproto::session::client::{ClientSession, Event};
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::AnswerCacheLimits;
use ferrogram_tl::mtproto::functions as mt;
use ferrogram_tl::{enums, functions, types, Deserializable, RawQuery, Serializable};

const T0: Duration = Duration::from_secs(1_700_000_000);
const SECRET: [u8; 32] = [3; 32];

fn fill(b: &mut [u8]) {
    for (i, x) in b.iter_mut().enumerate() {
        *x = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
}

fn key(seed: u8) -> AuthKey {
    AuthKey::from_bytes(std::array::from_fn(|i| (i as u8).wrapping_mul(13).wrapping_add(seed)))
}

fn client(key: &AuthKey, seed: u8) -> ClientSession {
    let salt = ServerSalts::new(SECRET, key.id()).current(T0);
    let mut random = move |b: &mut [u8]| b.iter_mut().for_each(|x| *x = seed);
    ClientSession::new(key.clone(), salt, 0, &mut random)
}

fn call() -> Vec<u8> {
    functions::help::GetNearestDc {}.to_bytes()
}

fn without_updates() -> Vec<u8> {
    functions::InvokeWithoutUpdates { query: RawQuery(call()) }.to_bytes()
}

fn an_update(n: i32) -> Vec<u8> {
    enums::Updates::UpdateShort(types::UpdateShort {
        update: enums::Update::UserTyping(types::UpdateUserTyping {
            user_id: i64::from(n),
            top_msg_id: None,
            action: enums::SendMessageAction::SendMessageTypingAction(Default::default()),
        }),
        date: n,
    })
    .to_bytes()
}

/// Sends what `client` has on `conn`, answers every call it brings with `answer`, and returns
/// the session key.
fn send(
    endpoint: &mut ServerEndpoint,
    conn: ConnectionHandle,
    client: &mut ClientSession,
    now: Duration,
) -> (i64, i64) {
    let mut session = None;
    while let Some(packet) = client.poll_transmit(now, &mut fill) {
        let received = endpoint.handle(conn, now, &packet, &mut fill).expect("the endpoint takes it");
        assert!(received.handled.is_ok());
        for call in received.calls {
            endpoint.answer(received.session, call.msg_id, Ok(true.to_bytes()), conn);
        }
        session = Some(received.session);
    }
    session.expect("the client sent something")
}

/// Delivers what `conn` has to send to `client`; returns the events it raised.
fn deliver(
    endpoint: &mut ServerEndpoint,
    conn: ConnectionHandle,
    client: &mut ClientSession,
    now: Duration,
) -> Vec<Event> {
    while let Some(packet) = endpoint.poll_transmit(conn, now, &mut fill) {
        client.handle_packet(&packet, now).expect("the client reads it");
    }
    std::iter::from_fn(|| client.poll_event()).collect()
}

fn results(events: &[Event]) -> usize {
    events.iter().filter(|e| matches!(e, Event::Result { .. })).count()
}

fn updates(events: &[Event]) -> Vec<Vec<u8>> {
    events.iter().filter_map(|e| if let Event::Update(body) = e { Some(body.clone()) } else { None }).collect()
}

fn endpoint_with(config: EndpointConfig, keys: &[&AuthKey]) -> ServerEndpoint {
    let mut endpoint = ServerEndpoint::new(config, SECRET);
    for key in keys {
        endpoint.insert_key((*key).clone(), None);
    }
    endpoint
}

#[test]
fn a_call_is_answered_on_its_connection() {
    let key = key(1);
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[&key]);
    let conn = endpoint.connect();
    let mut client = client(&key, 1);
    client.enqueue(call());
    send(&mut endpoint, conn, &mut client, T0);
    let events = deliver(&mut endpoint, conn, &mut client, T0);
    assert_eq!(results(&events), 1);
    assert_eq!(endpoint.stats().sessions, 1);
}

#[test]
fn an_unknown_key_is_reported_and_served_once_added() {
    let key = key(2);
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[]);
    let conn = endpoint.connect();
    let mut client = client(&key, 2);
    client.enqueue(call());
    let packet = client.poll_transmit(T0, &mut fill).expect("a packet");
    assert_eq!(endpoint.handle(conn, T0, &packet, &mut fill).unwrap_err(), EndpointError::UnknownKey(key.id()));
    endpoint.insert_key(key.clone(), None);
    let received = endpoint.handle(conn, T0, &packet, &mut fill).expect("taken now");
    assert!(received.created && received.record_activity);
    assert_eq!(received.calls.len(), 1);
    let plain = [0u8; 40];
    assert!(matches!(endpoint.handle(conn, T0, &plain, &mut fill), Err(EndpointError::NotEncrypted(40))));
}

#[test]
fn an_answer_to_a_call_run_for_an_old_connection_goes_out_on_the_new_one() {
    let key = key(3);
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[&key]);
    let (old, new) = (endpoint.connect(), endpoint.connect());
    let mut client = client(&key, 3);
    client.enqueue(call());
    let packet = client.poll_transmit(T0, &mut fill).expect("a packet");
    let received = endpoint.handle(old, T0, &packet, &mut fill).expect("taken");
    // The client moves to a new connection before the call is answered, and sends there.
    client.connection_lost();
    client.enqueue(call());
    let later = T0 + Duration::from_secs(1);
    let moved = send(&mut endpoint, new, &mut client, later);
    assert_eq!(moved, received.session);
    assert_eq!(endpoint.poll_event(), None);
    endpoint.answer(received.session, received.calls[0].msg_id, Ok(true.to_bytes()), old);
    assert_eq!(endpoint.poll_event(), Some(EndpointEvent::Transmit(new)));
    assert_eq!(endpoint.poll_event(), None, "reported once");
    assert!(endpoint.poll_transmit(old, later, &mut fill).is_none(), "the old connection sends nothing");
    let events = deliver(&mut endpoint, new, &mut client, later);
    assert!(results(&events) >= 1);
}

#[test]
fn updates_go_to_the_newest_session_that_asked_for_them() {
    let key = key(4);
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[&key]);
    assert_eq!(endpoint.push(key.id(), an_update(0)), PushOutcome::NoSession, "no session yet");
    let (main_conn, files_conn) = (endpoint.connect(), endpoint.connect());
    let mut main = client(&key, 4);
    main.enqueue(call());
    let main_session = send(&mut endpoint, main_conn, &mut main, T0);
    deliver(&mut endpoint, main_conn, &mut main, T0);
    // A second session on the same key that only calls inside invokeWithoutUpdates (as clients
    // do for file transfers) never takes the updates, however recently it was used.
    let mut files = client(&key, 5);
    files.enqueue(without_updates());
    let files_session = send(&mut endpoint, files_conn, &mut files, T0);
    assert_ne!(main_session, files_session);
    deliver(&mut endpoint, files_conn, &mut files, T0);

    assert_eq!(endpoint.push(key.id(), an_update(1)), PushOutcome::Queued(main_session));
    assert_eq!(endpoint.poll_event(), Some(EndpointEvent::Transmit(main_conn)));
    let got = updates(&deliver(&mut endpoint, main_conn, &mut main, T0));
    assert_eq!(got, vec![an_update(1)]);
    assert!(updates(&deliver(&mut endpoint, files_conn, &mut files, T0)).is_empty());
}

#[test]
fn the_update_queue_counts_what_waits_to_be_sent_and_whether_a_connection_sends_it() {
    let key = key(7);
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[&key]);
    assert_eq!(endpoint.update_queue(key.id()), None, "no session takes updates yet");
    let conn = endpoint.connect();
    let mut client = client(&key, 7);
    client.enqueue(call());
    send(&mut endpoint, conn, &mut client, T0);
    deliver(&mut endpoint, conn, &mut client, T0);
    assert_eq!(endpoint.update_queue(key.id()), Some(UpdateQueue { bytes: 0, connected: true }));
    let (one, two) = (an_update(1), an_update(2));
    let waiting = one.len() + two.len();
    endpoint.push(key.id(), one);
    endpoint.push(key.id(), two);
    assert_eq!(endpoint.update_queue(key.id()), Some(UpdateQueue { bytes: waiting, connected: true }));
    assert_eq!(updates(&deliver(&mut endpoint, conn, &mut client, T0)).len(), 2);
    assert_eq!(endpoint.update_queue(key.id()), Some(UpdateQueue { bytes: 0, connected: true }), "sent");
    endpoint.push(key.id(), an_update(3));
    endpoint.disconnect(conn);
    let queue = endpoint.update_queue(key.id()).expect("the session outlives its connection");
    assert!(!queue.connected && queue.bytes > 0, "{queue:?}");
}

#[test]
fn updates_a_client_does_not_read_collapse_into_updates_too_long() {
    let key = key(6);
    let config = EndpointConfig { max_queued_update_bytes: 4096, ..EndpointConfig::default() };
    let mut endpoint = endpoint_with(config, &[&key]);
    let conn = endpoint.connect();
    let mut client = client(&key, 6);
    client.enqueue(call());
    let session = send(&mut endpoint, conn, &mut client, T0);
    deliver(&mut endpoint, conn, &mut client, T0);
    // The client disconnects and 10,000 updates come: the queue stays bounded.
    endpoint.disconnect(conn);
    let mut too_long = 0;
    for n in 0..10_000 {
        match endpoint.push(key.id(), an_update(n)) {
            PushOutcome::Queued(s) => assert_eq!(s, session),
            PushOutcome::TooLong(s) => {
                assert_eq!(s, session);
                too_long += 1;
            }
            PushOutcome::NoSession => panic!("the session outlives its connection"),
        }
    }
    assert!(too_long > 0);
    // Back on a new connection, the client gets what is queued: bounded, and it starts with the
    // updatesTooLong that tells it to call updates.getDifference.
    let conn = endpoint.connect();
    client.connection_lost();
    client.enqueue(call());
    send(&mut endpoint, conn, &mut client, T0);
    let got = updates(&deliver(&mut endpoint, conn, &mut client, T0));
    assert!(got.len() < 200, "{} updates", got.len());
    let first = enums::Updates::from_bytes_exact(&got[0]).expect("an Updates");
    assert!(matches!(first, enums::Updates::TooLong(_)), "{first:?}");
    assert!(got.iter().map(Vec::len).sum::<usize>() <= 4096);
}

#[test]
fn a_hundred_thousand_session_ids_on_one_key_evict_only_that_keys_sessions() {
    let (flooder, others): (AuthKey, Vec<AuthKey>) = (key(10), (11..=20).map(key).collect());
    let mut all: Vec<&AuthKey> = others.iter().collect();
    all.push(&flooder);
    let config = EndpointConfig::default();
    let mut endpoint = endpoint_with(config.clone(), &all);
    let conn = endpoint.connect();
    let mut kept = Vec::new();
    for (i, other) in others.iter().enumerate() {
        let mut c = client(other, i as u8);
        c.enqueue(call());
        kept.push(send(&mut endpoint, conn, &mut c, T0));
    }
    let mut newest = None;
    for i in 0..100_500u32 {
        // A new session id each time: a client session seeded differently.
        let salt = ServerSalts::new(SECRET, flooder.id()).current(T0);
        let mut seed = i.to_le_bytes().repeat(2).into_iter().cycle();
        let mut random = |b: &mut [u8]| b.iter_mut().for_each(|x| *x = seed.next().unwrap_or(0));
        let mut c = ClientSession::new(flooder.clone(), salt, 0, &mut random);
        c.enqueue(mt::Ping { ping_id: 1 }.to_bytes());
        let packet = c.poll_transmit(T0, &mut fill).expect("a packet");
        newest = Some(endpoint.handle(conn, T0, &packet, &mut fill).expect("taken").session);
        while endpoint.poll_transmit(conn, T0, &mut fill).is_some() {}
    }
    assert_eq!(endpoint.sessions_of_key(flooder.id()), config.max_sessions_per_key);
    assert!(kept.iter().all(|s| endpoint.has_session(*s)), "another key's session was evicted");
    assert!(endpoint.has_session(newest.expect("sent")), "the newest is kept");
}

#[test]
fn past_the_total_the_least_recently_used_session_goes_not_all() {
    let keys: Vec<AuthKey> = (0..100).map(|i| key(100 + i as u8)).collect();
    let refs: Vec<&AuthKey> = keys.iter().collect();
    let config = EndpointConfig { max_sessions: 100, ..EndpointConfig::default() };
    let mut endpoint = endpoint_with(config, &refs);
    let conn = endpoint.connect();
    let mut clients: Vec<ClientSession> = keys.iter().enumerate().map(|(i, k)| client(k, i as u8)).collect();
    let mut sessions = Vec::new();
    for (i, c) in clients.iter_mut().enumerate() {
        c.enqueue(call());
        sessions.push(send(&mut endpoint, conn, c, T0 + Duration::from_secs(i as u64)));
    }
    // The first ten are used again, so the next ten evicted are 10..20.
    for c in &mut clients[..10] {
        c.enqueue(call());
        send(&mut endpoint, conn, c, T0 + Duration::from_secs(200));
    }
    let newcomer = key(250);
    endpoint.insert_key(newcomer.clone(), None);
    for seed in 0..10 {
        let mut c = client(&newcomer, 200 + seed);
        c.enqueue(call());
        send(&mut endpoint, conn, &mut c, T0 + Duration::from_secs(300));
    }
    assert_eq!(endpoint.stats().sessions, 100);
    assert!(sessions[..10].iter().all(|s| endpoint.has_session(*s)), "recently used sessions are kept");
    assert!(sessions[10..20].iter().all(|s| !endpoint.has_session(*s)), "the least recently used went");
    assert!(sessions[20..].iter().all(|s| endpoint.has_session(*s)), "the rest are kept");
    // Idle sessions go; used ones stay.
    let idle = Duration::from_secs(3600);
    assert_eq!(endpoint.prune_idle(T0 + Duration::from_secs(300) + idle, idle), 90);
    assert_eq!(endpoint.stats().sessions, 10);
}

#[test]
fn answer_caches_stay_under_the_total_with_many_sessions_and_calls() {
    let key = key(30);
    let total = 256 * 1024;
    let config = EndpointConfig {
        total_answer_bytes: total,
        answer_cache: AnswerCacheLimits { rerun_dropped: true, ..AnswerCacheLimits::default() },
        ..EndpointConfig::default()
    };
    let mut endpoint = endpoint_with(config, &[&key]);
    let conn = endpoint.connect();
    // 300 sessions x 200 calls of 500-byte answers: 30 MB if every cache were kept whole.
    for seed in 0..150u8 {
        let mut c = client(&key, seed);
        for _ in 0..200 {
            c.enqueue(call());
            while let Some(packet) = c.poll_transmit(T0, &mut fill) {
                let received = endpoint.handle(conn, T0, &packet, &mut fill).expect("taken");
                for call in received.calls {
                    endpoint.answer(received.session, call.msg_id, Ok(vec![0; 500]), conn);
                }
            }
            while endpoint.poll_transmit(conn, T0, &mut fill).is_some() {}
        }
        assert!(endpoint.stats().answer_bytes <= total, "{:?}", endpoint.stats());
    }
    assert!(endpoint.stats().answer_bytes > total / 2, "the budget is used, not just emptied");
}

#[test]
fn ping_delay_disconnect_closes_the_connection_the_session_sends_on() {
    let key = key(40);
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[&key]);
    let conn = endpoint.connect();
    let mut client = client(&key, 40);
    client.enqueue(mt::PingDelayDisconnect { ping_id: 7, disconnect_delay: 75 }.to_bytes());
    send(&mut endpoint, conn, &mut client, T0);
    deliver(&mut endpoint, conn, &mut client, T0);
    assert_eq!(endpoint.poll_timeout(conn), Some(T0 + Duration::from_secs(75)));
    assert!(!endpoint.handle_timeout(conn, T0 + Duration::from_secs(74)));
    // A new ping pushes the deadline out.
    let t = T0 + Duration::from_secs(60);
    client.enqueue(mt::PingDelayDisconnect { ping_id: 8, disconnect_delay: 75 }.to_bytes());
    send(&mut endpoint, conn, &mut client, t);
    assert!(!endpoint.handle_timeout(conn, T0 + Duration::from_secs(76)));
    assert!(endpoint.handle_timeout(conn, t + Duration::from_secs(75)), "closed once the delay passed");
    assert_eq!(endpoint.poll_timeout(conn), None);
    endpoint.disconnect(conn);
    assert_eq!(endpoint.stats().connections, 0);
    assert_eq!(endpoint.stats().sessions, 1, "the session outlives the connection");
}

#[test]
fn closing_a_keys_connections_reports_each_that_sends_for_it_once() {
    let (key, other) = (key(50), key(51));
    let mut endpoint = endpoint_with(EndpointConfig::default(), &[&key, &other]);
    let (a, b, c) = (endpoint.connect(), endpoint.connect(), endpoint.connect());
    let mut first = client(&key, 50);
    first.enqueue(call());
    send(&mut endpoint, a, &mut first, T0);
    let mut second = client(&key, 52);
    second.enqueue(call());
    send(&mut endpoint, b, &mut second, T0);
    let mut unrelated = client(&other, 51);
    unrelated.enqueue(call());
    send(&mut endpoint, c, &mut unrelated, T0);
    assert_eq!(endpoint.close_connections_of(key.id()), 2);
    let events: Vec<EndpointEvent> = std::iter::from_fn(|| endpoint.poll_event()).collect();
    assert_eq!(events, vec![EndpointEvent::Close(a), EndpointEvent::Close(b)]);
    assert_eq!(endpoint.stats().sessions, 3, "sessions stay");
}
