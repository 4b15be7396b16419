//! The server child process of the benches: a server in another process (the bench binary run
//! again with `--serve`, in memory unless `--data-dir DIR` follows), so that its CPU time and
//! memory are read from `/proc` apart from the clients'.

// Each bench binary uses part of this module.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ferrogram_mtproto::crypto::rsa::RsaPublicKey;
use ferrogram_server::net::{LocalServer, ServerOptions};

/// Linux reports process CPU time in clock ticks of `USER_HZ`, which is 100 on every
/// architecture Linux runs tokio on (`getconf CLK_TCK`).
const USER_HZ: f64 = 100.0;

/// Serves as the child if this process was started as one (`--serve`); returns whether it was.
pub fn serve_if_child() -> bool {
    if std::env::args().nth(1).as_deref() == Some("--serve") {
        serve_child();
        true
    } else {
        false
    }
}

/// Child mode: a server (in memory, or on the data dir given after `--serve --data-dir`); prints `addr <DC 2 address>`, the public key PEM and
/// `ready`, and serves until its stdin closes (the parent exited or is done).
fn serve_child() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let mut options = ServerOptions::ephemeral();
        let args: Vec<String> = std::env::args().collect();
        if let Some(i) = args.iter().position(|a| a == "--data-dir") {
            options.data_dir = Some(args.get(i + 1).expect("a directory after --data-dir").into());
        }
        let server = LocalServer::start(options).await.expect("the server starts");
        let mut out = std::io::stdout().lock();
        let addr = server.dc_addr(2).expect("DC 2");
        let _ = writeln!(out, "addr {addr}\n{}\nready", server.public_key().to_pem().trim_end());
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

/// The server child process.
pub struct ChildServer {
    child: Child,
    /// DC 2's address.
    pub addr: SocketAddr,
    /// The server's public key.
    pub key: RsaPublicKey,
}

impl ChildServer {
    /// Starts the child (in memory) and waits until it serves.
    pub fn spawn() -> ChildServer {
        ChildServer::spawn_with(None)
    }

    /// Starts the child, on `data_dir` if given, and waits until it serves.
    pub fn spawn_with(data_dir: Option<&std::path::Path>) -> ChildServer {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut command = Command::new(exe);
        command.arg("--serve");
        if let Some(dir) = data_dir {
            command.arg("--data-dir").arg(dir);
        }
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("the server child starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut addr = None;
        let mut pem = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("the child's output");
            if let Some(a) = line.strip_prefix("addr ") {
                addr = Some(a.parse().expect("a socket address"));
            } else if line == "ready" {
                break;
            } else {
                pem.push_str(&line);
                pem.push('\n');
            }
        }
        let addr = addr.expect("the child printed its address");
        let key = RsaPublicKey::from_pem(&pem).expect("the child printed its public key");
        ChildServer { child, addr, key }
    }

    /// The child's process id.
    pub fn pid(&self) -> String {
        self.child.id().to_string()
    }

    /// Stops the child (closing its stdin) and waits for it.
    pub fn stop(mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// User + system CPU time of a process (`self` or a pid) from `/proc/<pid>/stat`.
pub fn process_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / USER_HZ))
}

/// Resident memory of a process now (VmRSS), in bytes.
pub fn process_rss(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
}

/// User + system CPU time of the threads of process `pid` whose name starts with `name` (Linux
/// truncates thread names to 15 bytes), from `/proc/<pid>/task/*/stat`.
pub fn threads_cpu(pid: &str, name: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let tid = task.file_name().to_string_lossy().into_owned();
        let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm")).unwrap_or_default();
        if !comm.trim_end().starts_with(name) {
            continue;
        }
        if let Some(cpu) = process_cpu(&format!("{pid}/task/{tid}")) {
            total += cpu;
        }
    }
    Some(total)
}
