//! Load benchmark of the local server: N concurrent clients doing the full flow (key exchange,
//! sendCode, signIn), reporting logins/s, p50/p99, and the server's own CPU per login apart from
//! the clients'.
//!
//! ```sh
//! cargo bench -p ferrogram-server --bench load                      # N=200, 2000 logins
//! cargo bench -p ferrogram-server --bench load -- --clients 200 --logins 4000
//! cargo bench -p ferrogram-server --bench load -- --kex-only        # connect + key exchange only
//! cargo bench -p ferrogram-server --bench load -- --in-process      # server in this process
//! cargo bench -p ferrogram-server --bench load -- --crypto          # where a key exchange's CPU goes
//! ```
//! `LOAD_CLIENTS` and `LOAD_LOGINS` in the environment set the same as the flags.
//!
//! By default the in-memory server runs in a child process (this same binary with `--serve`), so
//! the CPU time the server spends per login can be read from `/proc` apart from the clients'
//! (both share the machine's cores). Each login is a new connection with a new key: connect,
//! key exchange, `auth.sendCode` and `auth.signIn` for a test-DC number of DC 2 (`999662YYYY`,
//! code 22222; 10,000 of them), plus `auth.signUp` the first time a number is used. Clients are
//! the raw test client of `tests/support` (built from the sans-IO core, not the client crate).

#[path = "common/child.rs"]
mod child;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use child::{process_cpu, ChildServer};
use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_tl::enums;
use support::{authorized_user, ClientError, RawClient};

/// Test-DC numbers of DC 2: `9996620000` ..= `9996629999`.
const TEST_NUMBERS: usize = 10_000;

/// What to run.
#[derive(Debug, Clone)]
struct Options {
    /// Concurrent clients.
    clients: usize,
    /// Logins in total.
    logins: usize,
    /// Only connect and make a key (no RPC).
    kex_only: bool,
    /// Run the server in this process instead of a child.
    in_process: bool,
    /// Time the server's side of the key exchange and its parts, without a network.
    crypto: bool,
}

/// Why the command line was refused.
#[derive(Debug, thiserror::Error)]
enum ArgsError {
    /// A flag this benchmark does not have.
    #[error("unknown argument {0:?} (expected --clients N, --logins N, --kex-only, --in-process, --crypto)")]
    Unknown(String),
    /// A number flag without a valid number.
    #[error("{flag} needs a positive number, got {value:?}")]
    BadNumber { flag: String, value: String },
}

fn number(flag: &str, value: Option<String>) -> Result<usize, ArgsError> {
    let value = value.unwrap_or_default();
    value.parse().ok().filter(|&n| n > 0).ok_or_else(|| ArgsError::BadNumber { flag: flag.into(), value })
}

impl Options {
    fn parse() -> Result<Options, ArgsError> {
        let env = |name: &str, default: usize| match std::env::var(name) {
            Ok(v) => number(name, Some(v)),
            Err(_) => Ok(default),
        };
        let mut options = Options {
            clients: env("LOAD_CLIENTS", 200)?,
            logins: env("LOAD_LOGINS", 2000)?,
            kex_only: false,
            in_process: false,
            crypto: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--clients" => options.clients = number(&arg, args.next())?,
                "--logins" => options.logins = number(&arg, args.next())?,
                "--kex-only" => options.kex_only = true,
                "--in-process" => options.in_process = true,
                "--crypto" => options.crypto = true,
                // `cargo bench` passes this to every bench binary.
                "--bench" => {}
                _ => return Err(ArgsError::Unknown(arg)),
            }
        }
        Ok(options)
    }
}

fn main() {
    if child::serve_if_child() {
        return;
    }
    let options = match Options::parse() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(2);
        }
    };
    if options.crypto {
        profile_key_exchange(options.logins.min(500));
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    if options.in_process {
        runtime.block_on(async {
            let server = LocalServer::start(ServerOptions::ephemeral()).await.expect("the server starts");
            let addr = server.dc_addr(2).expect("DC 2");
            let key = server.public_key().clone();
            let cpu_before = process_cpu("self");
            let report = run(&options, addr, key).await;
            report.print(&options, None, process_cpu("self").zip(cpu_before).map(|(a, b)| a - b));
            server.shutdown().await;
        });
    } else {
        let child = ChildServer::spawn();
        let cpu_before = (process_cpu(&child.pid()), process_cpu("self"));
        let report = runtime.block_on(run(&options, child.addr, child.key.clone()));
        let server_cpu = process_cpu(&child.pid()).zip(cpu_before.0).map(|(a, b)| a - b);
        let client_cpu = process_cpu("self").zip(cpu_before.1).map(|(a, b)| a - b);
        report.print(&options, server_cpu, client_cpu);
        child.stop();
    }
}

/// What a run measured.
struct Report {
    wall: Duration,
    latencies: Vec<Duration>,
    sign_ups: usize,
    failures: usize,
    first_failure: Option<String>,
}

impl Report {
    fn print(&self, options: &Options, server_cpu: Option<Duration>, client_cpu: Option<Duration>) {
        let done = self.latencies.len();
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let pct =
            |p: f64| sorted.get(((done as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
        let what = if options.kex_only { "key exchanges" } else { "logins" };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!(
            "load: {} clients, {done} {what} ({} sign-ups) in {:.2} s on {cores} cores, server {}",
            options.clients,
            self.sign_ups,
            self.wall.as_secs_f64(),
            if options.in_process { "in process" } else { "in a child process" },
        );
        println!("  {:.0} {what}/s", done as f64 / self.wall.as_secs_f64());
        println!("  latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", ms(pct(0.50)), ms(pct(0.99)), ms(pct(1.0)));
        let per = |cpu: Duration| ms(cpu) / done.max(1) as f64;
        if let Some(cpu) = server_cpu {
            println!(
                "  server CPU {:.2} ms per {} (alone it would do at most {:.0}/s on {cores} cores)",
                per(cpu),
                what.trim_end_matches('s'),
                cores as f64 * 1000.0 / per(cpu).max(f64::MIN_POSITIVE)
            );
        }
        if let Some(cpu) = client_cpu {
            let whose = if options.in_process { "server + clients" } else { "clients" };
            println!("  {whose} CPU {:.2} ms per {}", per(cpu), what.trim_end_matches('s'));
        }
        if self.failures > 0 {
            println!("  {} FAILED, first: {}", self.failures, self.first_failure.as_deref().unwrap_or("?"));
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// What one worker measured.
#[derive(Default)]
struct WorkerResult {
    latencies: Vec<Duration>,
    sign_ups: usize,
    failures: usize,
    first_failure: Option<String>,
}

/// `options.clients` workers share `options.logins` logins.
async fn run(options: &Options, addr: SocketAddr, key: RsaPublicKey) -> Report {
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..options.clients)
        .map(|_| {
            let (next, key, total, kex_only) = (next.clone(), key.clone(), options.logins, options.kex_only);
            tokio::spawn(async move {
                let mut result = WorkerResult::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        break;
                    }
                    let started = Instant::now();
                    match login(addr, &key, i, kex_only).await {
                        Ok(signed_up) => {
                            result.latencies.push(started.elapsed());
                            result.sign_ups += usize::from(signed_up);
                        }
                        Err(e) => {
                            result.failures += 1;
                            result.first_failure.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                result
            })
        })
        .collect();
    let mut report =
        Report { wall: Duration::ZERO, latencies: Vec::new(), sign_ups: 0, failures: 0, first_failure: None };
    for worker in workers {
        let result = worker.await.expect("a worker panicked");
        report.latencies.extend(result.latencies);
        report.sign_ups += result.sign_ups;
        report.failures += result.failures;
        if report.first_failure.is_none() {
            report.first_failure = result.first_failure;
        }
    }
    report.wall = start.elapsed();
    report
}

/// One login with number `i`; returns whether it was a sign-up.
async fn login(addr: SocketAddr, key: &RsaPublicKey, i: usize, kex_only: bool) -> Result<bool, ClientError> {
    let mut client = RawClient::connect(addr, TransportKind::Intermediate, 2).await?;
    client.exchange_key(key).await?;
    if kex_only {
        return Ok(false);
    }
    let phone = format!("999662{:04}", i % TEST_NUMBERS);
    let sent = client.send_code(&phone).await?;
    match client.sign_in(&phone, &sent.phone_code_hash, Some("22222")).await? {
        enums::auth::Authorization::SignUpRequired(_) => {
            authorized_user(client.sign_up(&phone, &sent.phone_code_hash, "Load").await?);
            Ok(true)
        }
        auth => {
            authorized_user(auth);
            Ok(false)
        }
    }
}

/// Times `rounds` key exchanges between the core's client and server state machines in one
/// thread, counting only the server's calls, then the expensive operations the server does in
/// each: making pq, the RSA_PAD decryption of `req_DH_params`, and the two modular
/// exponentiations with its secret exponent (g^a, then g_b^a).
fn profile_key_exchange(rounds: usize) {
    use ferrogram_mtproto::authkey::client::{ClientConfig, ClientHandshake, ClientStep};
    use ferrogram_mtproto::authkey::server::{ServerConfig, ServerHandshake, ServerStep};
    use ferrogram_mtproto::crypto::{dh, pq, rsa::RsaPrivateKey};
    use support::os_fill;

    let key = RsaPrivateKey::generate(&mut os_fill);
    let now = support::unix_now();
    let mut server_time = Duration::ZERO;
    let mut client_time = Duration::ZERO;
    for _ in 0..rounds {
        let (mut client, mut body) =
            ClientHandshake::start(ClientConfig::new(vec![key.public_key().clone()], 2), &mut os_fill);
        let mut server = ServerHandshake::new(ServerConfig::new(key.clone(), 2));
        loop {
            let t = CpuClock::start();
            let step = server.handle(&body, now, &mut os_fill).expect("the server accepts the client");
            server_time += t.elapsed();
            let answer = match step {
                ServerStep::Send(answer) => answer,
                ServerStep::Done { send, .. } | ServerStep::Refused(send) => send,
            };
            let t = CpuClock::start();
            let next = client.handle(&answer, now, &mut os_fill).expect("the client accepts the server");
            client_time += t.elapsed();
            match next {
                ClientStep::Send(next) => body = next,
                ClientStep::Done(_) => break,
            }
        }
    }
    let per = |d: Duration| ms(d) / rounds as f64;
    println!("key exchange, {rounds} rounds in one thread ({}):", CpuClock::start().what());
    println!("  server side {:.2} ms, client side {:.2} ms per exchange", per(server_time), per(client_time));

    let time = |f: &mut dyn FnMut()| {
        let t = CpuClock::start();
        for _ in 0..rounds {
            f();
        }
        per(t.elapsed())
    };
    let prime = dh::telegram_dh_prime();
    // The server's exponent is as long as the server makes it (SERVER_EXPONENT_BYTES), the
    // client's full length.
    let mut exponent = [0u8; 256];
    os_fill(&mut exponent[256 - ferrogram_mtproto::authkey::server::SERVER_EXPONENT_BYTES..]);
    let mut client_exponent = [0u8; 256];
    os_fill(&mut client_exponent);
    let g_b = dh::mod_pow(&[3], &client_exponent, &prime);
    let mut message = [0u8; 255];
    os_fill(&mut message);
    message[0] = 0; // below the modulus
    let encrypted = key.public_key().rsa_pad_encrypt(&message[..144], &mut os_fill).expect("RSA_PAD encrypts");
    assert!(key.rsa_pad_decrypt(&encrypted).is_ok(), "the timed decryption takes its successful path");
    println!("  of which (server):");
    println!(
        "    pq generation      {:.2} ms",
        time(&mut || {
            std::hint::black_box(pq::generate_pq(&mut os_fill));
        })
    );
    println!(
        "    RSA_PAD decrypt    {:.2} ms",
        time(&mut || {
            let _ = std::hint::black_box(key.rsa_pad_decrypt(&encrypted));
        })
    );
    println!(
        "    g^a mod p          {:.2} ms",
        time(&mut || {
            std::hint::black_box(dh::mod_pow(&[3], &exponent, &prime));
        })
    );
    println!(
        "    g_b^a mod p        {:.2} ms",
        time(&mut || {
            std::hint::black_box(dh::mod_pow(&g_b, &exponent, &prime));
        })
    );
}

/// Measures the CPU time of the current thread (from `/proc/thread-self/schedstat`, in
/// nanoseconds), so figures stay meaningful on a machine busy with other work; falls back to wall
/// time where that file does not exist.
enum CpuClock {
    Thread(Duration),
    Wall(Instant),
}

impl CpuClock {
    fn thread_cpu() -> Option<Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
        let nanos: u64 = stat.split_whitespace().next()?.parse().ok()?;
        Some(Duration::from_nanos(nanos))
    }

    fn start() -> CpuClock {
        match CpuClock::thread_cpu() {
            Some(cpu) => CpuClock::Thread(cpu),
            None => CpuClock::Wall(Instant::now()),
        }
    }

    fn elapsed(&self) -> Duration {
        match self {
            CpuClock::Thread(start) => CpuClock::thread_cpu().map(|now| now.saturating_sub(*start)).unwrap_or_default(),
            CpuClock::Wall(start) => start.elapsed(),
        }
    }

    fn what(&self) -> &'static str {
        match self {
            CpuClock::Thread(_) => "thread CPU time",
            CpuClock::Wall(_) => "wall time",
        }
    }
}
