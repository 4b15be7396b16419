//! Soak benchmark: the server under a mixed crowd for a while, with its default limits.
//!
//! ```sh
//! cargo bench -p ferrogram-server --bench soak                        # 2000 connections, 60 s
//! cargo bench -p ferrogram-server --bench soak -- --seconds 20 --idle 500 --slow 250 --active 100
//! ```
//!
//! The in-memory server runs in a child process (see `common/child.rs`). Against it, at once:
//! - **idle** clients: a connection and a key exchange, then silence (kept open until the end, or
//!   closed by the server's idle timeout and opened again);
//! - **slow** clients (slowloris): a transport header and a frame's length, then one byte every
//!   two seconds; the server drops them at its frame deadline and they connect again;
//! - **active** clients: whole logins (key exchange, sendCode, signIn/signUp) one after another.
//!
//! Idle and slow clients connect from other loopback addresses (127.0.0.2, 127.0.0.3, ...) so
//! the per-address limit does not refuse them as one. Reported: logins/s and their p50/p99, the
//! server's resident memory every 5 s, connections the server refused (-429) and closed.

#[path = "common/child.rs"]
mod child;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::transport::TransportKind;
use ferrogram_tl::enums;
use support::{authorized_user, ClientError, RawClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How many of each client, and for how long.
#[derive(Debug, Clone)]
struct Options {
    seconds: u64,
    idle: usize,
    slow: usize,
    active: usize,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut options = Options { seconds: 60, idle: 1000, slow: 500, active: 500 };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || -> Result<u64, String> {
                args.next().and_then(|v| v.parse().ok()).ok_or_else(|| format!("{flag} needs a number"))
            };
            match flag.as_str() {
                "--seconds" => options.seconds = value()?,
                "--idle" => options.idle = value()? as usize,
                "--slow" => options.slow = value()? as usize,
                "--active" => options.active = value()? as usize,
                // What cargo bench passes.
                "--bench" => {}
                other => return Err(format!("unknown argument {other:?} (--seconds, --idle, --slow, --active)")),
            }
        }
        Ok(options)
    }
}

/// What the crowd saw.
#[derive(Default)]
struct Counters {
    logins: AtomicU64,
    failed_logins: AtomicU64,
    refused: AtomicU64,
    slow_dropped: AtomicU64,
    idle_dropped: AtomicU64,
}

/// The `n`-th loopback address after 127.0.0.1, 500 connections to an address.
fn crowd_address(n: usize) -> IpAddr {
    let k = 2 + n / 500;
    IpAddr::from([127, 0, (k / 250) as u8, (k % 250) as u8 + 1])
}

fn main() {
    if child::serve_if_child() {
        return;
    }
    let options = match Options::parse() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("soak: {e}");
            std::process::exit(2);
        }
    };
    let server = child::ChildServer::spawn();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let pid = server.pid();
    let (addr, key) = (server.addr, server.key.clone());
    runtime.block_on(soak(&options, addr, key, &pid));
    server.stop();
}

async fn soak(options: &Options, addr: SocketAddr, key: RsaPublicKey, pid: &str) {
    let counters = Arc::new(Counters::default());
    let end = Instant::now() + Duration::from_secs(options.seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..options.idle {
        let (key, counters) = (key.clone(), counters.clone());
        tasks.spawn(async move { idle_client(crowd_address(n), addr, key, end, counters).await });
    }
    for n in 0..options.slow {
        let counters = counters.clone();
        tasks.spawn(async move { slow_client(crowd_address(slow_client_index(n)), addr, end, counters).await });
    }
    let latencies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let next_number = Arc::new(AtomicU64::new(0));
    for _ in 0..options.active {
        let (key, counters, latencies, next) = (key.clone(), counters.clone(), latencies.clone(), next_number.clone());
        tasks.spawn(async move {
            while Instant::now() < end {
                let number = next.fetch_add(1, Ordering::Relaxed);
                let start = Instant::now();
                match login(addr, &key, number).await {
                    Ok(()) => {
                        counters.logins.fetch_add(1, Ordering::Relaxed);
                        latencies.lock().unwrap_or_else(|p| p.into_inner()).push(start.elapsed());
                    }
                    Err(ClientError::Transport(ferrogram_mtproto::transport::TransportError::Status(-429))) => {
                        counters.refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        counters.failed_logins.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    println!(
        "soak: {} idle, {} slow, {} active clients ({} connections) for {} s, server in a child process",
        options.idle,
        options.slow,
        options.active,
        options.idle + options.slow + options.active,
        options.seconds
    );
    let started = Instant::now();
    let mut last_logins = 0;
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_secs(5).min(end.saturating_duration_since(Instant::now()))).await;
        let logins = counters.logins.load(Ordering::Relaxed);
        println!(
            "  t={:>3} s  server RSS {:>6.1} MiB  logins in the last interval {:>5}  refused {}  slow dropped {}  idle dropped {}",
            started.elapsed().as_secs(),
            child::process_rss(pid).unwrap_or(0) as f64 / (1 << 20) as f64,
            logins - last_logins,
            counters.refused.load(Ordering::Relaxed),
            counters.slow_dropped.load(Ordering::Relaxed),
            counters.idle_dropped.load(Ordering::Relaxed),
        );
        last_logins = logins;
    }
    // Let every client notice the end (the slow ones sleep between bytes).
    let _ = tokio::time::timeout(Duration::from_secs(15), async { while tasks.join_next().await.is_some() {} }).await;
    tasks.shutdown().await;
    let wall = started.elapsed();
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap_or_else(|p| p.into_inner()));
    latencies.sort();
    let at = |q: f64| latencies.get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)));
    let ms = |d: Option<&Duration>| d.map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    let logins = counters.logins.load(Ordering::Relaxed);
    println!("  {:.0} logins/s ({logins} in {:.1} s)", logins as f64 / wall.as_secs_f64(), wall.as_secs_f64());
    println!("  login latency p50 {:.1} ms, p99 {:.1} ms", ms(at(0.5)), ms(at(0.99)));
    println!(
        "  failed logins {}, refused (-429) {}, slow clients dropped by the server {}, idle dropped {}",
        counters.failed_logins.load(Ordering::Relaxed),
        counters.refused.load(Ordering::Relaxed),
        counters.slow_dropped.load(Ordering::Relaxed),
        counters.idle_dropped.load(Ordering::Relaxed),
    );
}

/// The crowd index of slow client `n`: after every index idle clients may take (at most 10,000
/// of them, on 20 addresses), so the two kinds never share an address.
fn slow_client_index(n: usize) -> usize {
    10_000 + n
}

/// A key exchange, then silence until `end` (again if the server closes the connection).
async fn idle_client(from: IpAddr, addr: SocketAddr, key: RsaPublicKey, end: Instant, counters: Arc<Counters>) {
    while Instant::now() < end {
        let Ok(mut client) = RawClient::connect_from(from, addr, TransportKind::Intermediate, 2).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        match client.exchange_key(&key).await {
            Ok(_) => {}
            Err(ClientError::Transport(ferrogram_mtproto::transport::TransportError::Status(-429))) => {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            Err(_) => continue,
        }
        // Wait for the end or for the server to close (the raw client's reads time out on their
        // own every few seconds: those are only silence).
        let left = end.saturating_duration_since(Instant::now());
        let closed = tokio::time::timeout(left, async {
            loop {
                match client.until_closed().await {
                    (_, ClientError::Timeout(_)) => continue,
                    _ => return,
                }
            }
        });
        if closed.await.is_ok() {
            counters.idle_dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A frame begun and fed a byte every two seconds until the server gives up on it; then again.
async fn slow_client(from: IpAddr, addr: SocketAddr, end: Instant, counters: Arc<Counters>) {
    while Instant::now() < end {
        let socket = match tokio::net::TcpSocket::new_v4() {
            Ok(s) if s.bind(SocketAddr::new(from, 0)).is_ok() => s,
            _ => return,
        };
        let Ok(mut stream) = socket.connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let mut frame_start = vec![0xee; 4];
        frame_start.extend_from_slice(&1000u32.to_le_bytes());
        if stream.write_all(&frame_start).await.is_err() {
            continue;
        }
        let mut buf = [0u8; 64];
        loop {
            if Instant::now() >= end {
                return;
            }
            match tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await {
                // Silence: feed one more byte.
                Err(_) => {
                    if stream.write_all(&[0]).await.is_err() {
                        counters.slow_dropped.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
                Ok(Ok(n)) if n > 0 && buf[..n].ends_with(&(-429i32).to_le_bytes()) => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(Ok(n)) if n > 0 => {}
                // Closed by the server.
                Ok(_) => {
                    counters.slow_dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
}

/// One whole login with test number `n` of DC 2.
async fn login(addr: SocketAddr, key: &RsaPublicKey, n: u64) -> Result<(), ClientError> {
    let mut client = RawClient::connect(addr, TransportKind::Intermediate, 2).await?;
    client.exchange_key(key).await?;
    let phone = format!("999662{:04}", n % 10_000);
    let sent = client.send_code(&phone).await?;
    match client.sign_in(&phone, &sent.phone_code_hash, Some("22222")).await? {
        enums::auth::Authorization::SignUpRequired(_) => {
            authorized_user(client.sign_up(&phone, &sent.phone_code_hash, "Soak").await?);
        }
        auth => {
            authorized_user(auth);
        }
    }
    Ok(())
}
