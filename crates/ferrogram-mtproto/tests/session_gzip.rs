//! `gzip_packed` in the session layer: requests and answers packed as gzip or as zlib (as mtcute
//! sends them) get through; what goes beyond the per-packet [`InflateLimits`] (too many bytes in
//! all, nested too deep) is refused with the error saying which limit, the request is answered
//! with `INPUT_FETCH_ERROR`, and the session keeps working.
//!
//! The gigabyte bomb, with its memory check, is in `session_gzip_bomb.rs`: a test binary of its
//! own, so other tests cannot blur its peak.

use std::io::Write as _;
use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::client::{ClientSession, Event};
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::{Handled, ServerSession};
use ferrogram_mtproto::session::{InflateLimits, RpcError, SessionError};
use ferrogram_tl::inflate::InflateError;
use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::{functions, DeserializeError, Serializable};

const NOW: Duration = Duration::from_secs(1_700_000_000);

struct Rng(u64);

impl Rng {
    fn fill(&mut self, b: &mut [u8]) {
        for x in b {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            *x = (self.0 >> 24) as u8;
        }
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = vec![0; len];
        self.fill(&mut out);
        out
    }
}

/// A client and a server session on one key; `limits` for the server.
struct Pair {
    client: ClientSession,
    server: Option<ServerSession>,
    key: AuthKey,
    salts: ServerSalts,
    limits: InflateLimits,
    rng: Rng,
}

// `to_server`/`to_client`: the direction packets travel, not a conversion of `self`.
#[allow(clippy::wrong_self_convention)]
impl Pair {
    fn new(limits: InflateLimits) -> Self {
        let key = AuthKey::from_bytes([0x5a; 256]);
        let salts = ServerSalts::new([7; 32], key.id());
        let mut rng = Rng(42);
        let client = ClientSession::new(key.clone(), salts.current(NOW), 0, &mut |b: &mut [u8]| rng.fill(b));
        Pair { client, server: None, key, salts, limits, rng }
    }

    /// Client -> server: every packet the client has, and what the server made of it.
    fn to_server(&mut self) -> Vec<Result<Handled, SessionError>> {
        let mut handled = vec![];
        while let Some(packet) = self.client.poll_transmit(NOW, &mut |b: &mut [u8]| self.rng.fill(b)) {
            let message = envelope::decrypt(&self.key, Side::Client, &packet).expect("server decrypts");
            let (key, salts, limits) = (&self.key, &self.salts, self.limits);
            let server = self.server.get_or_insert_with(|| {
                ServerSession::new(key.clone(), message.session_id, salts.clone(), 77).with_inflate_limits(limits)
            });
            handled.push(server.handle(message, NOW));
        }
        handled
    }

    /// The bodies of the calls the server has for the application (each answered `answer`).
    fn calls(&mut self, answer: &[u8]) -> Vec<Vec<u8>> {
        let server = self.server.as_mut().expect("a session");
        let mut bodies = vec![];
        while let Some(call) = server.poll_call() {
            server.answer(call.msg_id, Ok(answer.to_vec()));
            bodies.push(call.body);
        }
        bodies
    }

    /// Server -> client: what the client made of each packet, then its events.
    fn to_client(&mut self) -> (Vec<Result<(), SessionError>>, Vec<Event>) {
        let server = self.server.as_mut().expect("a session");
        let mut handled = vec![];
        while let Some(packet) = server.poll_transmit(NOW, &mut |b: &mut [u8]| self.rng.fill(b)) {
            handled.push(self.client.handle_packet(&packet, NOW));
        }
        (handled, std::iter::from_fn(|| self.client.poll_event()).collect())
    }
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// `data` as a `gzip_packed` holding a zlib stream, the way mtcute packs it.
fn zlib_packed(data: &[u8]) -> Vec<u8> {
    GzipPacked { packed_data: zlib(data) }.to_bytes()
}

fn gzip_packed(data: &[u8]) -> Vec<u8> {
    GzipPacked::pack(data).to_bytes()
}

/// `levels` `gzip_packed` around `data`, alternately zlib and gzip.
fn nested(data: &[u8], levels: usize) -> Vec<u8> {
    (0..levels).fold(data.to_vec(), |inner, i| if i % 2 == 0 { zlib_packed(&inner) } else { gzip_packed(&inner) })
}

fn get_config() -> Vec<u8> {
    functions::help::GetConfig {}.to_bytes()
}

fn results(events: &[Event]) -> Vec<Result<Vec<u8>, RpcError>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Result { result, .. } => Some(result.clone()),
            _ => None,
        })
        .collect()
}

fn input_fetch_error() -> Result<Vec<u8>, RpcError> {
    Err(RpcError::new(400, "INPUT_FETCH_ERROR"))
}

fn too_large(limit: usize) -> SessionError {
    SessionError::Decode(DeserializeError::Gzip(InflateError::TooLarge { limit }))
}

#[test]
fn zlib_and_gzip_packed_requests_are_accepted() {
    let mut p = Pair::new(InflateLimits::default());
    p.client.enqueue(zlib_packed(&get_config()));
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
    p.client.enqueue(gzip_packed(&get_config()));
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
    assert_eq!(p.calls(&[1, 2, 3, 4]), vec![get_config(), get_config()], "the application gets the request unpacked");
    let (handled, events) = p.to_client();
    assert!(handled.iter().all(Result::is_ok));
    assert_eq!(results(&events), vec![Ok(vec![1, 2, 3, 4]), Ok(vec![1, 2, 3, 4])]);
}

#[test]
fn nested_packing_within_the_limits_is_unpacked_whole() {
    let mut p = Pair::new(InflateLimits::default());
    p.client.enqueue(nested(&get_config(), 4));
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
    assert_eq!(p.calls(&[0; 4]), vec![get_config()]);
}

#[test]
fn zlib_packed_answers_reach_the_client() {
    let mut p = Pair::new(InflateLimits::default());
    p.client.enqueue(get_config());
    p.to_server();
    // A result that is already packed (zlib) goes out as it is.
    let answer = vec![0x42u8; 3000];
    assert_eq!(p.calls(&zlib_packed(&answer)).len(), 1);
    let (handled, events) = p.to_client();
    assert!(handled.iter().all(Result::is_ok), "{handled:?}");
    assert!(results(&events) == vec![Ok(answer)]);
}

#[test]
fn nested_payloads_share_one_budget_per_packet() {
    // Three levels around 300 KiB of random bytes: each level inflates to about 300 KiB, under
    // the 500 KiB limit on its own, but three times that in all.
    let data = Rng(9).bytes(300 << 10);
    let limits = InflateLimits { max_total_bytes: 500 << 10, max_depth: 8 };
    let mut p = Pair::new(limits);
    p.client.enqueue(nested(&data, 3));
    assert_eq!(p.to_server(), vec![Err(too_large(500 << 10))]);
    assert!(p.calls(&[]).is_empty(), "nothing reaches the application");
    let (_, events) = p.to_client();
    assert_eq!(results(&events), vec![input_fetch_error()]);

    // One level is fine under the same limits.
    p.client.enqueue(nested(&data, 1));
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
    assert!(p.calls(&[]) == vec![data]);
}

#[test]
fn payloads_side_by_side_in_a_container_share_one_budget() {
    // Two of 200 KiB in one container (the client packs up to 512 KiB), 300 KiB allowed.
    let data = Rng(10).bytes(200 << 10);
    let mut p = Pair::new(InflateLimits { max_total_bytes: 300 << 10, max_depth: 8 });
    p.client.enqueue(get_config());
    p.client.enqueue(zlib_packed(&data));
    p.client.enqueue(gzip_packed(&data));
    // One container of three: the first two are taken in, the third is over the budget.
    assert_eq!(p.to_server(), vec![Err(too_large(300 << 10))]);
    let calls = p.calls(&[5, 5, 5, 5]);
    assert!(calls.len() == 2 && calls[0] == get_config() && calls[1] == data);
    let (_, events) = p.to_client();
    let answers = results(&events);
    assert_eq!(answers.len(), 3);
    assert!(answers.contains(&input_fetch_error()));
    // Each packet has a budget of its own: the same payload alone is accepted.
    p.client.enqueue(gzip_packed(&data));
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
}

#[test]
fn nesting_deeper_than_the_limit_is_refused() {
    let limits = InflateLimits { max_total_bytes: 1 << 20, max_depth: 2 };
    let mut p = Pair::new(limits);
    p.client.enqueue(nested(&get_config(), 2));
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
    p.client.enqueue(nested(&get_config(), 3));
    assert_eq!(
        p.to_server(),
        vec![Err(SessionError::Decode(DeserializeError::Gzip(InflateError::TooDeep { limit: 2 })))]
    );
    assert_eq!(p.calls(&[]), vec![get_config()], "only the first");
    // The session still answers afterwards.
    p.client.enqueue(get_config());
    assert_eq!(p.to_server(), vec![Ok(Handled::Accepted)]);
    assert_eq!(p.calls(&[]).len(), 1);
}

#[test]
fn the_client_refuses_answers_beyond_its_limits() {
    let limits = InflateLimits { max_total_bytes: 10_000, max_depth: 1 };
    let too_deep = SessionError::Decode(DeserializeError::Gzip(InflateError::TooDeep { limit: 1 }));
    for (answer, expected) in [(zlib_packed(&[1; 20_000]), too_large(10_000)), (nested(&[1; 100], 2), too_deep)] {
        let mut p = Pair::new(InflateLimits::default());
        p.client = ClientSession::new(p.key.clone(), p.salts.current(NOW), 0, &mut |b: &mut [u8]| Rng(5).fill(b))
            .with_inflate_limits(limits);
        p.client.enqueue(get_config());
        p.to_server();
        assert_eq!(p.calls(&answer).len(), 1);
        let (handled, events) = p.to_client();
        assert_eq!(handled, vec![Err(expected)]);
        assert!(results(&events).is_empty());
    }
}
