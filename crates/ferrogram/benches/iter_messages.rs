//! `Client::iter_messages` over a long history in a local server: messages/s against the
//! target of 50,000 messages/s.
//!
//! ```sh
//! cargo bench -p ferrogram --bench iter_messages                      # 100,000 messages, 3 rounds
//! FERROGRAM_BENCH_MESSAGES=2000 FERROGRAM_BENCH_ROUNDS=1 cargo bench -p ferrogram --bench iter_messages
//! ```
//!
//! One [`LocalServer`] in this process holds `FERROGRAM_BENCH_MESSAGES` messages from one
//! account to another, made through the server's own `messages.sendMessage`
//! ([`LocalServer::send_message_as`], not timed). A signed-in [`Client`] then reads the whole
//! chat with `iter_messages` (pages of 100 over one TCP connection, each page decoded into
//! [`ferrogram::Message`] values and its users fed to the peer cache), newest first and then
//! oldest first, `FERROGRAM_BENCH_ROUNDS` times each. Every round checks that each message
//! came once, in order. Reports messages/s per round and the ratio to the target.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrogram::{Client, ClientConfig, MemorySession, ServerAddress, SignInResult};
use ferrogram_server::net::acting::Recipient;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::AdminUser;

/// The target rate.
const TARGET_PER_SECOND: f64 = 50_000.0;

/// A positive number from the environment variable `name`, or `default`.
fn env_number(name: &str, default: usize) -> Result<usize, String> {
    match std::env::var(name) {
        Ok(value) => value
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or(format!("{name} must be a positive number, got {value:?}")),
        Err(_) => Ok(default),
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count = env_number("FERROGRAM_BENCH_MESSAGES", 100_000)?;
    let rounds = env_number("FERROGRAM_BENCH_ROUNDS", 3)?;
    let server = LocalServer::start(ServerOptions::ephemeral()).await?;
    let account = |phone: &str, name: &str, username: &str| AdminUser {
        phone: phone.into(),
        first_name: name.into(),
        username: Some(username.into()),
        ..AdminUser::default()
    };
    let reader = server.api().create_user(&account("+9996640001", "Reader", "bench_reader"), now())?;
    let writer = server.api().create_user(&account("+9996640002", "Writer", "bench_writer"), now())?;
    let started = Instant::now();
    for n in 0..count {
        server.send_message_as(writer.id, &Recipient::User(reader.id), &format!("message number {n}"))?;
    }
    println!("made {count} messages in {:.1?}", started.elapsed());

    let main_dc = server.main_dc();
    let addr = server.dc_addr(main_dc).ok_or("no DC address")?;
    let config = ClientConfig {
        server: Some(ServerAddress::new(addr.ip().to_string(), addr.port(), main_dc, server.public_key().clone())),
        ..ClientConfig::default()
    };
    let client = Client::new(MemorySession::new(), 1, "0123456789abcdef", config);
    client.connect().await?;
    let token = client.send_code("+9996640001").await?;
    match client.sign_in(&token, "44444").await? {
        SignInResult::Authorized(_) => {}
        other => return Err(format!("not signed in: {other:?}").into()),
    }
    client.resolve_username("bench_writer").await?;

    let mut rates = Vec::new();
    for round in 1..=rounds {
        for reverse in [false, true] {
            let started = Instant::now();
            let mut history = client.iter_messages(writer.id).reverse(reverse);
            let mut seen = 0usize;
            let mut last: Option<i32> = None;
            while let Some(message) = history.next().await {
                let id = message?.id;
                let in_order = last.is_none_or(|l| if reverse { id > l } else { id < l });
                if !in_order {
                    return Err(format!("message {id} out of order after {last:?}").into());
                }
                last = Some(id);
                seen += 1;
            }
            let elapsed = started.elapsed();
            if seen != count {
                return Err(format!("read {seen} messages, expected {count}").into());
            }
            let rate = seen as f64 / elapsed.as_secs_f64().max(f64::EPSILON);
            let order = if reverse { "oldest first" } else { "newest first" };
            println!(
                "round {round} {order}: {seen} messages in {:.1?}: {rate:.0} messages/s ({:.2}x the target of {TARGET_PER_SECOND:.0})",
                elapsed,
                rate / TARGET_PER_SECOND
            );
            rates.push(rate);
        }
    }
    rates.sort_by(f64::total_cmp);
    let median = rates[rates.len() / 2];
    println!(
        "iter_messages: median {median:.0} messages/s over {} runs: {:.2}x the target of {TARGET_PER_SECOND:.0}",
        rates.len(),
        median / TARGET_PER_SECOND
    );
    client.disconnect().await?;
    tokio::time::timeout(Duration::from_secs(5), server.shutdown()).await?;
    Ok(())
}
