//! Receiving pushed message updates: how many a client takes per second, and its CPU per update,
//! for ferrogram, Telethon and GramJS in the same run against the same server (targets: at least
//! 10× Telethon's rate and 3× GramJS's).
//!
//! ```sh
//! cargo bench -p ferrogram --bench receive                     # all three, 100,000 updates each
//! FERROGRAM_RECEIVE_N=5000 cargo bench -p ferrogram --bench receive -- ferrogram telethon
//! # clients: ferrogram, ferrogram-default-queue, telethon, gramjs (default: all)
//! ```
//!
//! Every process is measured on its own: the server is this binary run again with `--serve` (an
//! in-memory `LocalServer` with its admin channel, on a port below 32768 for GramJS), and each
//! client is a process of its own: ferrogram's is this binary with `--receive` (a `Client` on a
//! multi-threaded tokio runtime, as an application runs it; once with its update queue as large
//! as the flood, as the peers' queues have no bound, and once with the default queue of 10,000
//! events, where what does not fit is fetched again with `updates.getDifference`), the peers are
//! `benches/peers/receive_telethon.py` and `benches/peers/receive_gramjs.js`. Each client signs
//! in as a fresh account, registers its new-message handler (ferrogram: a `next_update` loop),
//! takes one warm-up message (so its update state is set up), and then the server floods it with
//! N messages from another fresh account (`flood_messages` on the admin channel: N stored
//! messages with consecutive pts, pushed as `updateShortMessage`s no faster than the client takes
//! them). The client times its first and last update with its own clock and reads its own
//! process CPU time at both (ferrogram: `CLOCK_PROCESS_CPUTIME_ID`; Python: `time.process_time`,
//! the same clock; Node: `process.cpuUsage`), so the rate and the CPU are over the same window,
//! every thread of the client included. The server's CPU over the flood is read from `/proc`.
//!
//! The peers come from the caches the interop tests install (`tests/interop/run-telethon.sh`,
//! `tests/interop/run-gramjs.sh`; `$FERROGRAM_INTEROP_CACHE`, default `~/.cache/ferrogram-interop`);
//! a peer that is not installed is skipped with the command that installs it.

#[path = "receive/children.rs"]
mod children;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Updates per client unless `FERROGRAM_RECEIVE_N` says otherwise.
const DEFAULT_COUNT: u32 = 100_000;
/// The text of the message each client takes before the flood.
const WARM_UP: &str = "warm-up";
/// How long a client may take to sign in and take the warm-up message.
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a client may go without an update before it gives up (it reports what it got).
const IDLE_SECONDS: u64 = 60;
/// Linux's `USER_HZ`: the unit of the CPU times in `/proc/<pid>/stat`.
const USER_HZ: f64 = 100.0;

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("--serve") => children::serve_child(count()),
        Some("--receive") => children::receive_child(),
        _ => parent(),
    }
}

/// A client this bench runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    /// ferrogram with its update queue as large as the flood, as the peers (whose queues have
    /// no bound) buffer what they have read and not yet handled.
    Ferrogram,
    /// ferrogram as configured by default: an update queue of 10,000 events; a push that finds
    /// it full is dropped and fetched again with `updates.getDifference`.
    FerrogramDefaultQueue,
    Telethon,
    GramJs,
}

impl Peer {
    const ALL: [Peer; 4] = [Peer::Ferrogram, Peer::FerrogramDefaultQueue, Peer::Telethon, Peer::GramJs];

    fn name(self) -> &'static str {
        match self {
            Peer::Ferrogram => "ferrogram",
            Peer::FerrogramDefaultQueue => "ferrogram-default-queue",
            Peer::Telethon => "telethon",
            Peer::GramJs => "gramjs",
        }
    }

    /// The command that runs this client's receiver, or why it cannot run here.
    fn command(self, count: u32) -> Result<Command, String> {
        let peers = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers");
        let cache = std::env::var_os("FERROGRAM_INTEROP_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/ferrogram-interop")
        });
        match self {
            Peer::Ferrogram | Peer::FerrogramDefaultQueue => {
                let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
                command.arg("--receive");
                if self == Peer::Ferrogram {
                    command.env("UPDATE_QUEUE_CAPACITY", count.to_string());
                }
                Ok(command)
            }
            Peer::Telethon => {
                let python = cache.join("telethon-venv/bin/python");
                let installed = Command::new(&python)
                    .args(["-c", "import telethon, rsa"])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !installed {
                    return Err(format!(
                        "Telethon is not installed in {}: run tests/interop/run-telethon.sh once, or \
                         python3 -m venv {venv} && {venv}/bin/pip install telethon==1.45.0 rsa",
                        python.display(),
                        venv = cache.join("telethon-venv").display()
                    ));
                }
                let mut command = Command::new(python);
                command.arg(peers.join("receive_telethon.py"));
                Ok(command)
            }
            Peer::GramJs => {
                let modules = cache.join("gramjs/node_modules");
                let node = Command::new("node").arg("--version").stdout(Stdio::null()).status();
                if !modules.join("telegram").is_dir() || !node.is_ok_and(|s| s.success()) {
                    return Err(format!(
                        "GramJS is not installed in {}: run tests/interop/run-gramjs.sh once, or \
                         cp tests/interop/gramjs/package.json {dir}/ && (cd {dir} && npm install)",
                        modules.display(),
                        dir = cache.join("gramjs").display()
                    ));
                }
                let mut command = Command::new("node");
                command.arg(peers.join("receive_gramjs.js")).env("NODE_PATH", modules);
                Ok(command)
            }
        }
    }
}

/// What one client measured of itself, and what the server did meanwhile.
#[derive(Debug, Clone)]
struct Measured {
    received: u64,
    /// From the first update to the last, by the client's clock.
    seconds: f64,
    /// The client's process CPU over the same window.
    cpu_seconds: f64,
    /// The server's process CPU from the flood request to its answer (storing included).
    server_cpu_seconds: f64,
    /// The server's flood report (`storing_ms`, `pushing_ms`, `paused`, ...).
    flood: Value,
    last_text: String,
}

impl Measured {
    /// Updates per second over the window (the first update opens it).
    fn rate(&self) -> f64 {
        self.received.saturating_sub(1) as f64 / self.seconds.max(1e-9)
    }

    fn cpu_per_update(&self) -> Duration {
        Duration::from_secs_f64(self.cpu_seconds / self.received.saturating_sub(1).max(1) as f64)
    }
}

/// Updates per client: `FERROGRAM_RECEIVE_N`, or [`DEFAULT_COUNT`].
fn count() -> u32 {
    match std::env::var("FERROGRAM_RECEIVE_N") {
        Ok(n) => n.parse().ok().filter(|&n| n > 1).unwrap_or_else(|| {
            eprintln!("FERROGRAM_RECEIVE_N must be a number above 1, got {n:?}");
            std::process::exit(2)
        }),
        Err(_) => DEFAULT_COUNT,
    }
}

fn parent() {
    let count = count();
    let chosen: Vec<Peer> =
        std::env::args().skip(1).filter_map(|arg| Peer::ALL.into_iter().find(|p| p.name() == arg)).collect();
    let peers = if chosen.is_empty() { Peer::ALL.to_vec() } else { chosen };
    let server = ServerChild::spawn();
    println!(
        "receive: {count} pushed updateShortMessage per client, each a fresh account; server (pid {}) and \
         every client in processes of their own; load average {}",
        server.child.id(),
        load_average()
    );
    let mut results = Vec::new();
    for (i, peer) in peers.iter().enumerate() {
        match run_client(&server, *peer, i, count) {
            Ok(measured) => {
                report(*peer, &measured, count);
                results.push((*peer, measured));
            }
            Err(why) => println!("{:<23} skipped: {why}", peer.name()),
        }
    }
    ratios(&results);
    server.stop();
}

fn report(peer: Peer, m: &Measured, count: u32) {
    let complete = m.received == u64::from(count) && m.last_text == format!("message {count} of {count}");
    println!(
        "{:<23} {:>7} updates in {:>7.3} s: {:>9.0} updates/s, client CPU {:>6.2} µs/update ({:.0}% of a core), \
         server CPU {:>5.2} µs/update; flood stored in {} ms, pushed in {} ms, waited for the client {} times, {} pushes collapsed into \
         updatesTooLong{}",
        peer.name(),
        m.received,
        m.seconds,
        m.rate(),
        m.cpu_per_update().as_secs_f64() * 1e6,
        100.0 * m.cpu_seconds / m.seconds.max(1e-9),
        m.server_cpu_seconds * 1e6 / f64::from(count),
        m.flood["storing_ms"],
        m.flood["pushing_ms"],
        m.flood["paused"],
        m.flood["too_long"],
        if complete { "" } else { "  INCOMPLETE (not every update arrived in order)" },
    );
}

fn ratios(results: &[(Peer, Measured)]) {
    for ours in [Peer::Ferrogram, Peer::FerrogramDefaultQueue] {
        let Some((_, mine)) = results.iter().find(|(p, _)| *p == ours) else { continue };
        for (peer, target) in [(Peer::Telethon, 10.0), (Peer::GramJs, 3.0)] {
            let Some((_, theirs)) = results.iter().find(|(p, _)| *p == peer) else { continue };
            let ratio = mine.rate() / theirs.rate();
            println!(
                "{} / {}: {:.1}x the rate (target >= {target}x: {}), {:.1}x less CPU per update",
                ours.name(),
                peer.name(),
                ratio,
                if ratio >= target { "met" } else { "NOT met" },
                theirs.cpu_per_update().as_secs_f64() / mine.cpu_per_update().as_secs_f64().max(1e-12),
            );
        }
    }
}

/// Runs one client through sign-in, the warm-up and the flood.
fn run_client(server: &ServerChild, peer: Peer, index: usize, count: u32) -> Result<Measured, String> {
    let mut command = peer.command(count)?;
    // Test numbers of DC 2 (code 22222), new for every client.
    let (sender, receiver) = (format!("999662{:02}01", 80 + index), format!("999662{:02}02", 80 + index));
    for (phone, name) in [(&sender, "Sender"), (&receiver, "Receiver")] {
        server.admin(json!({ "command": "create_user", "phone": phone, "first_name": name }))?;
    }
    let stderr = tempfile_path(&format!("{}.stderr", peer.name()));
    let mut child = command
        .env("PORT", server.port.to_string())
        .env("DC_ID", "2")
        .env("RSA_PEM", &server.pem_path)
        .env("PHONE", &receiver)
        .env("COUNT", count.to_string())
        .env("WARM_UP", WARM_UP)
        .env("IDLE_SECONDS", IDLE_SECONDS.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).map_err(|e| e.to_string())?)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", peer.name()))?;
    let lines = lines_of(&mut child);
    let result = (|| {
        wait_for_line(&lines, "signed-in", SETUP_TIMEOUT)?;
        server.admin(json!({ "command": "send_message", "from": sender, "to": receiver, "text": WARM_UP }))?;
        wait_for_line(&lines, "ready", SETUP_TIMEOUT)?;
        let cpu_before = process_cpu(server.child.id());
        let flood =
            server.admin(json!({ "command": "flood_messages", "from": sender, "to": receiver, "count": count }))?;
        let server_cpu = process_cpu(server.child.id()) - cpu_before;
        let line = wait_for_line(&lines, "{", Duration::from_secs(IDLE_SECONDS * 2 + 600))?;
        let got: Value = serde_json::from_str(&line).map_err(|e| format!("{line:?}: {e}"))?;
        Ok(Measured {
            received: got["received"].as_u64().unwrap_or(0),
            seconds: got["seconds"].as_f64().unwrap_or(0.0),
            cpu_seconds: got["cpu_seconds"].as_f64().unwrap_or(0.0),
            server_cpu_seconds: server_cpu,
            flood,
            last_text: got["last_text"].as_str().unwrap_or_default().to_owned(),
        })
    })();
    let _ = child.kill();
    let _ = child.wait();
    result.map_err(|why: String| {
        let tail = std::fs::read_to_string(&stderr).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(8).collect();
        format!("{why}; its stderr ends: {}", tail.into_iter().rev().collect::<Vec<_>>().join(" | "))
    })
}

/// The lines a child prints, read on a thread of their own.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let (send, lines) = mpsc::channel();
    if let Some(stdout) = child.stdout.take() {
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
    }
    lines
}

/// The first line starting with `prefix` (others, such as a client's own greetings, are skipped).
fn wait_for_line(lines: &mpsc::Receiver<String>, prefix: &str, timeout: Duration) -> Result<String, String> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return Ok(line),
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => return Err(format!("no {prefix:?} line within {timeout:?}")),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(format!("it exited before a {prefix:?} line")),
        }
    }
}

fn tempfile_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("ferrogram-receive-{}-{name}", std::process::id()))
}

/// The server child: this binary with `--serve`.
struct ServerChild {
    child: Child,
    port: u16,
    admin: SocketAddr,
    token: String,
    pem_path: PathBuf,
}

impl ServerChild {
    fn spawn() -> ServerChild {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = Command::new(exe)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server child starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (mut port, mut admin, mut pem) = (None, None, String::new());
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("the server child's output");
            if let Some(p) = line.strip_prefix("port ") {
                port = p.parse().ok();
            } else if let Some(rest) = line.strip_prefix("admin ") {
                let (addr, token) = rest.split_once(' ').expect("admin ADDR TOKEN");
                admin = Some((addr.parse().expect("an address"), token.to_owned()));
            } else if line == "ready" {
                break;
            } else {
                pem.push_str(&line);
                pem.push('\n');
            }
        }
        let pem_path = tempfile_path("server.pem");
        std::fs::write(&pem_path, pem).expect("the server key is written");
        let (admin, token) = admin.expect("the server child printed its admin channel");
        ServerChild { child, port: port.expect("the server child printed its port"), admin, token, pem_path }
    }

    /// One admin request; the answer if it says ok.
    fn admin(&self, mut request: Value) -> Result<Value, String> {
        request["token"] = json!(self.token);
        let mut stream = TcpStream::connect(self.admin).map_err(|e| format!("admin channel: {e}"))?;
        stream.write_all(format!("{request}\n").as_bytes()).map_err(|e| e.to_string())?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).map_err(|e| e.to_string())?;
        let answer: Value = serde_json::from_str(&line).map_err(|e| format!("admin answer {line:?}: {e}"))?;
        if answer["ok"] != json!(true) {
            return Err(format!("{} refused: {}", request["command"], answer["error"]));
        }
        Ok(answer)
    }

    fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pem_path);
    }
}

/// User + system CPU time of process `pid`, from `/proc/<pid>/stat`.
fn process_cpu(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // The fields after the command name (in parentheses, which may hold spaces): utime and
    // stime are the 12th and 13th.
    let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else { return 0.0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / USER_HZ
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
