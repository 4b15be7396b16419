//! Client benchmarks (issue 5, acceptance: "pipelined small RPCs per second over one connection
//! (target 100k/s on loopback) and a full fresh login latency (target under 20 ms median)").
//!
//! ```sh
//! cargo bench -p ferrogram --bench client                          # both, default sizes
//! cargo bench -p ferrogram --bench client -- pipelined --calls 10000 --rounds 5
//! cargo bench -p ferrogram --bench client -- login --logins 200
//! ```
//!
//! * `pipelined`: one connected [`Client`], `--calls` concurrent `help.getNearestDc` calls (a
//!   real API method the server's handlers answer, not the session layer) in flight at once over
//!   one TCP connection to a [`LocalServer`] in this process; the client packs them into
//!   containers. Reports calls/s per round. The peer, measured in the same run, is the sans-IO
//!   upper bound: the same calls through a `ClientSession` and a `ServerSession` of
//!   `ferrogram-mtproto` (encryption, containers, acks) answered by the same `Api::call`, on one
//!   thread without sockets or tasks.
//! * `login`: a new [`Client`] with an empty [`MemorySession`] per iteration: `connect()` (TCP and
//!   the key exchange), `send_code` for a test number of DC 2 (`999662YYYY`, code 22222; each
//!   iteration signs in to one of 20 accounts made beforehand), `sign_in`. Reports the median
//!   and p99 of the whole and of `connect()` alone (the key exchange's share).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrogram::net::OsRandom;
use ferrogram::{Client, ClientConfig, MemorySession, ServerAddress, SignInResult, TransportKind};
use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::client::{ClientSession, Event};
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::ServerSession;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::{AdminUser, CallContext};
use ferrogram_tl::{functions, Serializable};

/// What to run, from the command line.
#[derive(Debug, Clone)]
struct Options {
    pipelined: bool,
    login: bool,
    /// Calls in flight at once per pipelined round.
    calls: usize,
    /// Pipelined rounds.
    rounds: usize,
    /// Fresh logins.
    logins: usize,
}

/// Why the command line was refused.
#[derive(Debug, thiserror::Error)]
enum ArgsError {
    /// A flag this benchmark does not have.
    #[error("unknown argument {0:?} (expected pipelined, login, --calls N, --rounds N, --logins N)")]
    Unknown(String),
    /// A number flag without a valid number.
    #[error("{flag} needs a positive number, got {value:?}")]
    BadNumber { flag: String, value: String },
}

impl Options {
    fn parse() -> Result<Options, ArgsError> {
        let mut options = Options { pipelined: false, login: false, calls: 10_000, rounds: 5, logins: 200 };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |flag: &str| {
                let value = args.next().unwrap_or_default();
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| ArgsError::BadNumber { flag: flag.into(), value })
            };
            match arg.as_str() {
                "pipelined" => options.pipelined = true,
                "login" => options.login = true,
                "--calls" => options.calls = number("--calls")?,
                "--rounds" => options.rounds = number("--rounds")?,
                "--logins" => options.logins = number("--logins")?,
                // What `cargo bench` passes to every bench target.
                "--bench" => {}
                other => return Err(ArgsError::Unknown(other.into())),
            }
        }
        if !options.pipelined && !options.login {
            options.pipelined = true;
            options.login = true;
        }
        Ok(options)
    }
}

fn main() {
    let options = match Options::parse() {
        Ok(options) => options,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let server = LocalServer::start(ServerOptions::ephemeral()).await.expect("the local server starts");
        if options.pipelined {
            pipelined(&server, &options).await;
        }
        if options.login {
            login(&server, &options).await;
        }
        server.shutdown().await;
    });
}

fn config(server: &LocalServer) -> ClientConfig {
    let main = server.main_dc();
    let addr = server.dc_addr(main).expect("the main DC listens");
    ClientConfig {
        transport: TransportKind::Intermediate,
        server: Some(ServerAddress::new(addr.ip().to_string(), addr.port(), main, server.public_key().clone())),
        ..ClientConfig::default()
    }
}

fn unix_now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

async fn pipelined(server: &LocalServer, options: &Options) {
    let client = Client::new(MemorySession::new(), 1, "0123456789abcdef", config(server));
    client.connect().await.expect("connect");
    // The first call carries initConnection; it is not what is measured.
    client.invoke(&functions::help::GetNearestDc {}).await.expect("a first call");

    let peer = session_peer(server, options.calls, options.rounds);
    println!(
        "pipelined: {} help.getNearestDc calls in flight over one connection, {} rounds",
        options.calls, options.rounds
    );
    println!("  peer (sans-IO sessions + Api::call, one thread): {:.0} calls/s", peer);
    let mut rates = Vec::new();
    for round in 1..=options.rounds {
        let started = Instant::now();
        let mut calls = tokio::task::JoinSet::new();
        for _ in 0..options.calls {
            let client = client.clone();
            calls.spawn(async move { client.invoke(&functions::help::GetNearestDc {}).await });
        }
        let mut answered = 0;
        while let Some(done) = calls.join_next().await {
            if let Err(error) = done.expect("a call task") {
                panic!("a pipelined call failed: {error}");
            }
            answered += 1;
        }
        let elapsed = started.elapsed();
        assert_eq!(answered, options.calls);
        let rate = options.calls as f64 / elapsed.as_secs_f64();
        println!("  round {round}: {:>8.1} ms  {rate:>9.0} calls/s", elapsed.as_secs_f64() * 1e3);
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "  median {median:.0} calls/s ({}target 100000/s); {:.2} of the sans-IO peer",
        if median >= 100_000.0 { "meets the " } else { "MISSES the " },
        median / peer
    );
    client.disconnect().await.expect("disconnect");
}

/// Calls/s of the session layer alone: `calls` requests through a `ClientSession`, encrypted,
/// decrypted by a `ServerSession`, answered by `Api::call`, and the answers back to the client;
/// the best of `rounds`.
fn session_peer(server: &LocalServer, calls: usize, rounds: usize) -> f64 {
    let now = unix_now();
    let mut key_bytes = [0u8; 256];
    ferrogram_mtproto::RandomSource::fill(&mut OsRandom, &mut key_bytes);
    let key = AuthKey::from_bytes(key_bytes);
    let salts = ServerSalts::new([7; 32], key.id());
    let mut client = ClientSession::new(key.clone(), salts.current(now), 0, &mut OsRandom);
    let mut session: Option<ServerSession> = None;
    let ctx = CallContext {
        dc_id: server.main_dc(),
        auth_key_id: key.id(),
        session_id: 0,
        layer: ferrogram_tl::LAYER,
        api_id: Some(1),
        user_id: None,
        now: now.as_secs() as i64,
    };
    let request = functions::help::GetNearestDc {}.to_bytes();
    let mut best = 0f64;
    for _ in 0..rounds {
        let started = Instant::now();
        for _ in 0..calls {
            client.enqueue(request.clone());
        }
        let mut answered = 0;
        while answered < calls {
            let now = unix_now();
            while let Some(packet) = client.poll_transmit(now, &mut OsRandom) {
                let message = envelope::decrypt(&key, Side::Client, &packet).expect("the server side decrypts");
                let s = session
                    .get_or_insert_with(|| ServerSession::new(key.clone(), message.session_id, salts.clone(), 1));
                s.handle(message, now).expect("the server session accepts");
                while let Some(call) = s.poll_call() {
                    let answer = server.api().call(&ctx, &call.body);
                    s.answer(call.msg_id, answer);
                }
            }
            let s = session.as_mut().expect("a server session");
            while let Some(packet) = s.poll_transmit(now, &mut OsRandom) {
                client.handle_packet(&packet, now).expect("the client session accepts");
            }
            while let Some(event) = client.poll_event() {
                if let Event::Result { result: Ok(_), .. } = event {
                    answered += 1;
                }
            }
        }
        best = best.max(calls as f64 / started.elapsed().as_secs_f64());
    }
    best
}

async fn login(server: &LocalServer, options: &Options) {
    // Accounts to sign in to (a sign-up is not part of a login).
    const ACCOUNTS: usize = 20;
    let now = unix_now().as_secs() as i64;
    let phones: Vec<String> = (0..ACCOUNTS).map(|i| format!("+99966290{i:02}")).collect();
    for phone in &phones {
        let user = AdminUser { phone: phone.clone(), first_name: "Bench".into(), ..AdminUser::default() };
        server.api().create_user(&user, now).expect("an account for the benchmark");
    }
    println!(
        "login: {} fresh clients (empty MemorySession): connect (TCP + key exchange), send_code, sign_in",
        options.logins
    );
    let mut total = Vec::with_capacity(options.logins);
    let mut connect = Vec::with_capacity(options.logins);
    for i in 0..options.logins {
        let client = Client::new(MemorySession::new(), 1, "0123456789abcdef", config(server));
        let started = Instant::now();
        client.connect().await.expect("connect");
        let connected = started.elapsed();
        let token = client.send_code(&phones[i % ACCOUNTS]).await.expect("send_code");
        match client.sign_in(&token, "22222").await.expect("sign_in") {
            SignInResult::Authorized(_) => {}
            other => panic!("the account should sign in: {other:?}"),
        }
        total.push(started.elapsed());
        connect.push(connected);
        client.disconnect().await.expect("disconnect");
    }
    let (total_median, total_p99) = median_p99(&mut total);
    let (connect_median, connect_p99) = median_p99(&mut connect);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("  whole login:          median {:>6.2} ms  p99 {:>6.2} ms", ms(total_median), ms(total_p99));
    println!("  connect (key exch.):  median {:>6.2} ms  p99 {:>6.2} ms", ms(connect_median), ms(connect_p99));
    println!(
        "  key exchange share of the median: {:.0}%; {} target 20 ms median",
        100.0 * connect_median.as_secs_f64() / total_median.as_secs_f64(),
        if total_median < Duration::from_millis(20) { "meets the" } else { "MISSES the" }
    );
}

fn median_p99(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}
