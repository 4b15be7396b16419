//! Messaging benchmark: 100 accounts in 50 pairs sending each other private messages over
//! loopback for a fixed time, against a server on a data dir (SQLite file, WAL), reporting
//! delivered messages/s, the p50/p99 from `messages.sendMessage` to the receiver's pushed
//! `updateShortMessage`, and the server's CPU per message apart from the clients'.
//!
//! ```sh
//! cargo bench -p ferrogram-server --bench messaging                        # 100 accounts, 20 s
//! cargo bench -p ferrogram-server --bench messaging -- --seconds 10 --window 16 --pairs 50
//! ```
//!
//! The server runs in a child process (this binary with `--serve --data-dir`, see
//! `common/child.rs`), so its CPU time is read from `/proc` apart from the clients'; both share
//! the machine's cores. Every account is a test-DC number of DC 2 (`999662YYYY`, code 22222)
//! signed in on its own connection; each learns its peer's access hash with
//! `contacts.importContacts`. Then every client keeps `--window` `messages.sendMessage` calls in
//! flight on its connection (pipelined: the session packs what is queued into containers, as
//! real clients do) while it reads its peer's messages as pushes. A message's text is the time it
//! was queued, so the receiver measures send-to-update latency on the process's one clock.

#[path = "common/child.rs"]
mod child;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use child::{process_cpu, threads_cpu, ChildServer};
use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_mtproto::session::client::Event;
use ferrogram_mtproto::transport::{strip_padding, TransportKind};
use ferrogram_tl::{enums, functions, types, Deserializable, Serializable};
use support::{os_fill, unix_now, ClientError, RawClient};

/// What to run.
#[derive(Debug, Clone)]
struct Options {
    /// Pairs of accounts (each account one connection).
    pairs: usize,
    /// How long the pairs exchange messages.
    seconds: u64,
    /// `sendMessage` calls each connection keeps in flight.
    window: usize,
}

impl Options {
    fn parse() -> Result<Options, String> {
        let mut options = Options { pairs: 50, seconds: 20, window: 8 };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || -> Result<u64, String> {
                args.next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("{flag} needs a number"))
            };
            match flag.as_str() {
                "--pairs" => options.pairs = value()? as usize,
                "--seconds" => options.seconds = value()?,
                "--window" => options.window = value()? as usize,
                // What cargo bench passes.
                "--bench" => {}
                other => return Err(format!("unknown argument {other:?} (--pairs, --seconds, --window)")),
            }
        }
        if options.pairs > 2500 {
            return Err("at most 2500 pairs (5000 test numbers)".into());
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
            eprintln!("messaging: {e}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("a temp dir for the server's data");
    let server = ChildServer::spawn_with(Some(dir.path()));
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let pid = server.pid();
    let clients = runtime.block_on(set_up(&options, server.addr, &server.key));
    // The store's writer thread (`ferrogram-store-writer`, 15 bytes of it) runs every call in
    // turn: its CPU per message bounds what the server can do on any number of cores.
    let writer = || threads_cpu(&pid, "ferrogram-store");
    let cpu_before = (process_cpu(&pid), process_cpu("self"), writer());
    let report = runtime.block_on(exchange(&options, clients));
    let server_cpu = process_cpu(&pid).zip(cpu_before.0).map(|(a, b)| a - b);
    let client_cpu = process_cpu("self").zip(cpu_before.1).map(|(a, b)| a - b);
    let writer_cpu = writer().zip(cpu_before.2).map(|(a, b)| a - b);
    report.print(&options, server_cpu, client_cpu, writer_cpu);
    server.stop();
}

/// A signed-in account's connection and the peer it writes to.
struct Account {
    client: RawClient,
    peer: enums::InputPeer,
}

/// The test number of account `i` (DC 2, code 22222).
fn phone(i: usize) -> String {
    format!("999662{:04}", 5000 + i)
}

/// Signs in every account (a few at a time, as the key exchanges take CPU) and introduces each
/// pair.
async fn set_up(options: &Options, addr: SocketAddr, key: &RsaPublicKey) -> Vec<Account> {
    let started = Instant::now();
    let accounts = options.pairs * 2;
    let mut clients: Vec<Option<RawClient>> = (0..accounts).map(|_| None).collect();
    for chunk in (0..accounts).collect::<Vec<_>>().chunks(20) {
        let logins: Vec<_> = chunk
            .iter()
            .map(|&i| {
                let key = key.clone();
                tokio::spawn(async move {
                    let mut client = RawClient::connect(addr, TransportKind::Intermediate, 2).await?;
                    client.exchange_key(&key).await?;
                    client.log_in_test_number(&phone(i), &format!("Bench{i}")).await?;
                    Ok::<_, ClientError>((i, client))
                })
            })
            .collect();
        for login in logins {
            let (i, client) = login.await.expect("a login task").expect("an account signs in");
            clients[i] = Some(client);
        }
    }
    let mut out = Vec::with_capacity(accounts);
    for (i, client) in clients.into_iter().enumerate() {
        let mut client = client.expect("every account signed in");
        let peer = import(&mut client, &phone(i ^ 1)).await;
        out.push(Account { client, peer });
    }
    println!("messaging: {accounts} accounts signed in and introduced in {:.1} s", started.elapsed().as_secs_f64());
    out
}

/// The peer `phone` as `me` learns it: imported as a contact.
async fn import(me: &mut RawClient, phone: &str) -> enums::InputPeer {
    let contact = types::InputPhoneContact {
        client_id: 1,
        phone: phone.into(),
        first_name: "Peer".into(),
        last_name: String::new(),
        note: None,
    };
    let enums::contacts::ImportedContacts::ImportedContacts(imported) = me
        .invoke(&functions::contacts::ImportContacts { contacts: vec![contact.into()] })
        .await
        .expect("contacts.importContacts");
    match imported.users.into_iter().next() {
        Some(enums::User::User(user)) => {
            types::InputPeerUser { user_id: user.id, access_hash: user.access_hash.expect("an access hash") }.into()
        }
        other => panic!("expected the peer, got {other:?}"),
    }
}

fn send_message(peer: &enums::InputPeer, text: String, random_id: i64) -> Vec<u8> {
    functions::messages::SendMessage {
        peer: peer.clone(),
        message: text,
        random_id,
        no_webpage: true,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        reply_to: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
    .to_bytes()
}

/// What one client saw.
#[derive(Default)]
struct Seen {
    /// Send-to-update latency of each message received within the measured time.
    latencies: Vec<Duration>,
    /// Messages received after it (while the last ones in flight drained).
    late: u64,
    /// `sendMessage` calls answered with a result, and with an error.
    sent: u64,
    failed: u64,
    first_failure: Option<String>,
    /// Pushed updates that were not a private message (`updatesTooLong`, ...).
    other_updates: u64,
}

/// What the whole run measured.
struct Report {
    accounts: usize,
    measured: Duration,
    seen: Vec<Seen>,
}

/// Every account sends to its peer for `options.seconds`, then waits for what is in flight.
async fn exchange(options: &Options, accounts: Vec<Account>) -> Report {
    let origin = Instant::now();
    let end = origin + Duration::from_secs(options.seconds);
    let count = accounts.len();
    let tasks: Vec<_> = accounts
        .into_iter()
        .enumerate()
        .map(|(i, account)| {
            let window = options.window;
            tokio::spawn(async move { converse(i, account, window, origin, end).await })
        })
        .collect();
    let mut seen = Vec::with_capacity(count);
    for task in tasks {
        seen.push(task.await.expect("a client task"));
    }
    Report { accounts: count, measured: end - origin, seen }
}

/// One client: keeps `window` messages in flight to its peer until `end`, reading answers and
/// the peer's pushed messages; then waits (at most 10 s) for its last answers and messages.
async fn converse(i: usize, mut account: Account, window: usize, origin: Instant, end: Instant) -> Seen {
    let mut seen = Seen::default();
    let mut in_flight = 0;
    let mut random_id = (i as i64) << 40;
    let drain_until = end + Duration::from_secs(10);
    loop {
        let now = Instant::now();
        let sending = now < end;
        if !sending && now > drain_until {
            break;
        }
        let Some(session) = account.client.session_mut() else { break };
        while sending && in_flight < window {
            random_id += 1;
            let text = (origin.elapsed().as_nanos() as u64).to_string();
            session.enqueue(send_message(&account.peer, text, random_id));
            in_flight += 1;
        }
        // Requests and acks, packed into as few packets as the session makes.
        let packets: Vec<Vec<u8>> = std::iter::from_fn(|| session.poll_transmit(unix_now(), &mut os_fill)).collect();
        for packet in packets {
            if let Err(e) = account.client.send_frame(&packet).await {
                seen.first_failure.get_or_insert_with(|| format!("send: {e}"));
                return seen;
            }
        }
        // Once its own calls are answered, a client still reads what its peer has in flight,
        // until the line stays quiet.
        let frame = if sending || in_flight > 0 {
            account.client.recv_frame().await
        } else {
            match tokio::time::timeout(Duration::from_millis(300), account.client.recv_frame()).await {
                Ok(frame) => frame,
                Err(_) => break,
            }
        };
        let frame = match frame {
            Ok(frame) => frame,
            Err(e) => {
                seen.first_failure.get_or_insert_with(|| format!("receive: {e}"));
                return seen;
            }
        };
        let received = Instant::now();
        let Some(session) = account.client.session_mut() else { break };
        if let Err(e) = session.handle_packet(strip_padding(&frame), unix_now()) {
            seen.first_failure.get_or_insert_with(|| format!("session: {e}"));
            return seen;
        }
        while let Some(event) = session.poll_event() {
            match event {
                Event::Result { result, .. } => {
                    in_flight -= 1;
                    match result {
                        Ok(_) => seen.sent += 1,
                        Err(e) => {
                            seen.failed += 1;
                            seen.first_failure.get_or_insert_with(|| format!("rpc error {}", e.message()));
                        }
                    }
                }
                Event::Rejected { error_code, .. } => {
                    in_flight -= 1;
                    seen.failed += 1;
                    seen.first_failure.get_or_insert_with(|| format!("bad_msg_notification {error_code}"));
                }
                Event::Update(body) => match enums::Updates::from_bytes_exact(&body) {
                    Ok(enums::Updates::UpdateShortMessage(m)) => {
                        if received > end {
                            seen.late += 1;
                        } else if let Ok(queued) = m.message.parse::<u64>() {
                            let queued = origin + Duration::from_nanos(queued);
                            seen.latencies.push(received.saturating_duration_since(queued));
                        }
                    }
                    _ => seen.other_updates += 1,
                },
                _ => {}
            }
        }
    }
    seen
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Report {
    fn print(
        &self,
        options: &Options,
        server_cpu: Option<Duration>,
        client_cpu: Option<Duration>,
        writer_cpu: Option<Duration>,
    ) {
        let mut latencies: Vec<Duration> = self.seen.iter().flat_map(|s| s.latencies.iter().copied()).collect();
        latencies.sort();
        let delivered = latencies.len();
        let total = delivered as u64 + self.seen.iter().map(|s| s.late).sum::<u64>();
        let sum = |f: fn(&Seen) -> u64| self.seen.iter().map(f).sum::<u64>();
        let pct = |p: f64| {
            latencies.get(((delivered as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default()
        };
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        println!(
            "messaging: {} accounts in {} pairs, {} in flight per connection, {:.0} s on {cores} cores, server in a \
             child process on a data dir (SQLite WAL)",
            self.accounts,
            options.pairs,
            options.window,
            self.measured.as_secs_f64(),
        );
        println!(
            "  {:.0} messages/s delivered ({delivered} pushes received in the measured time, {total} in all; {} sent)",
            delivered as f64 / self.measured.as_secs_f64(),
            sum(|s| s.sent),
        );
        println!(
            "  send-to-update p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            ms(pct(0.50)),
            ms(pct(0.90)),
            ms(pct(0.99)),
            ms(pct(1.0))
        );
        let per = |cpu: Duration| cpu.as_secs_f64() * 1e6 / total.max(1) as f64;
        if let Some(cpu) = server_cpu {
            println!(
                "  server CPU {:.1} µs per message ({:.2} s; alone it would deliver at most {:.0}/s on {cores} cores)",
                per(cpu),
                cpu.as_secs_f64(),
                cores as f64 * 1e6 / per(cpu).max(f64::MIN_POSITIVE)
            );
        }
        if let Some(cpu) = writer_cpu.filter(|cpu| !cpu.is_zero()) {
            println!(
                "  of which the store writer thread {:.1} µs per message ({:.2} s; one core of it would deliver at \
                 most {:.0}/s)",
                per(cpu),
                cpu.as_secs_f64(),
                1e6 / per(cpu).max(f64::MIN_POSITIVE)
            );
        }
        if let Some(cpu) = client_cpu {
            println!("  clients CPU {:.1} µs per message ({:.2} s)", per(cpu), cpu.as_secs_f64());
        }
        let missing = sum(|s| s.sent).saturating_sub(total);
        if missing > 0 || sum(|s| s.failed) > 0 || sum(|s| s.other_updates) > 0 {
            println!(
                "  {} FAILED sends, {missing} sent but not received, {} other updates; first failure: {}",
                sum(|s| s.failed),
                sum(|s| s.other_updates),
                self.seen.iter().find_map(|s| s.first_failure.as_deref()).unwrap_or("none")
            );
        }
    }
}
