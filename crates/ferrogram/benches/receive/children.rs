//! The child processes of the receive bench: the server, and ferrogram's receiver.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ferrogram::{Client, ClientConfig, MemorySession, ServerAddress, SignInResult, TransportKind, Update};
use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_server::net::{LocalServer, ServerOptions};
use serde_json::json;

/// Child mode: a server in memory with its admin channel, DC 2 on a port below 32768 (GramJS
/// 2.26 keeps ports as signed 16-bit numbers); prints `port P`, `admin ADDR TOKEN`, the public
/// key and `ready`, and serves until stdin closes.
pub fn serve_child(count: u32) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let mut server = None;
        // DCs 1..3 take the port and the next two; try spread-out ports until three are free.
        for attempt in 0..200u32 {
            let port = 20_000 + ((std::process::id() * 7 + attempt * 613) % 12_000) as u16;
            // The update log keeps every flooded message, so that a client that falls behind
            // (or drops pushes) can fetch them with updates.getDifference.
            let mut api = ferrogram_server::ApiConfig::new(Vec::new());
            api.update_log_limit = api.update_log_limit.max(count.saturating_mul(2));
            let options = ServerOptions {
                api: Some(api),
                listen: SocketAddr::from(([127, 0, 0, 1], port)),
                admin_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
                ..ServerOptions::ephemeral()
            };
            if let Ok(started) = LocalServer::start(options).await {
                server = Some(started);
                break;
            }
        }
        let server = server.expect("three free ports below 32768");
        let (admin, token) = server.admin().expect("the admin channel runs");
        let port = server.dc_addr(2).expect("DC 2").port();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "port {port}\nadmin {admin} {token}\n{}\nready", server.public_key().to_pem().trim_end());
        let _ = out.flush();
        drop(out);
        let (done, closed) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = std::io::stdin().read_to_end(&mut Vec::new());
            let _ = done.send(());
        });
        let _ = closed.await;
        server.shutdown().await;
    });
}

/// Child mode: ferrogram's receiver, with the peers' protocol (see `benches/peers/`).
pub fn receive_child() {
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
    let port: u16 = var("PORT").parse().expect("PORT is a port");
    let count: u64 = var("COUNT").parse().expect("COUNT is a number");
    let idle = Duration::from_secs(var("IDLE_SECONDS").parse().expect("IDLE_SECONDS is a number"));
    let (phone, warm_up) = (var("PHONE"), var("WARM_UP"));
    let pem = std::fs::read_to_string(var("RSA_PEM")).expect("the server key");
    let key = RsaPublicKey::from_pem(&pem).expect("a PEM public key");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async move {
        let mut config = ClientConfig {
            transport: TransportKind::Intermediate,
            server: Some(ServerAddress::new("127.0.0.1".to_owned(), port, 2, key)),
            ..ClientConfig::default()
        };
        if let Some(capacity) = std::env::var("UPDATE_QUEUE_CAPACITY").ok().and_then(|c| c.parse().ok()) {
            config.update_queue_capacity = capacity;
        }
        let client = Client::new(MemorySession::new(), 12345, "0123456789abcdef0123456789abcdef", config);
        client.connect().await.expect("connects");
        let token = client.send_code(&phone).await.expect("send_code");
        match client.sign_in(&token, "22222").await.expect("sign_in") {
            SignInResult::Authorized(_) => {}
            other => panic!("expected to be signed in, got {other:?}"),
        }
        println!("signed-in");
        loop {
            match client.next_update().await.expect("the warm-up message") {
                Update::NewMessage(message) if message.text == warm_up => break,
                _ => {}
            }
        }
        println!("ready");
        let (mut received, mut last_text, mut ids) = (0u64, String::new(), 0i64);
        let (mut first, mut last) = (None, (Instant::now(), process_cpu_self()));
        while received < count {
            let Ok(update) = tokio::time::timeout(idle, client.next_update()).await else { break };
            if let Update::NewMessage(message) = update.expect("the next update") {
                let now = (Instant::now(), process_cpu_self());
                first.get_or_insert(now);
                last = now;
                received += 1;
                ids += i64::from(message.id);
                last_text = message.text;
            }
        }
        let (start, start_cpu) = first.unwrap_or(last);
        let result = json!({
            "received": received,
            "seconds": (last.0 - start).as_secs_f64(),
            "cpu_seconds": (last.1 - start_cpu).as_secs_f64(),
            "last_text": last_text,
            "id_sum": ids,
        });
        println!("{result}");
    });
}

/// This process's CPU time, every thread (`CLOCK_PROCESS_CPUTIME_ID`, as Python's
/// `time.process_time`).
fn process_cpu_self() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(t.tv_sec.max(0) as u64, t.tv_nsec.clamp(0, 999_999_999) as u32)
}
