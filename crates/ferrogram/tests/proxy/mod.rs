//! A TCP proxy for fault tests: it forwards bytes between clients and one upstream server on
//! 127.0.0.1, and can be armed to cut the connection at a chosen moment of the next call.
//!
//! The proxy knows nothing of MTProto: it only sees which side sent bytes when. That is enough
//! because the local server answers only after it has read and handled what the client sent, so
//! "the first server bytes after client bytes" is the answer to what the client just sent.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Where to cut the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Cut the connection when the client next sends bytes, without forwarding them: the
    /// request never reaches the server.
    DropRequest,
    /// Forward the client's next bytes, then cut the connection as soon as the server starts
    /// answering, without forwarding the answer: the server ran the request, the client never
    /// heard of it.
    DropAnswer,
    /// Forward the client's next bytes, then cut the connection at once, without waiting for
    /// the answer: the server may still be running the request when the client resends it on
    /// its next connection.
    CutAfterRequest,
}

#[derive(Debug, Default)]
struct State {
    armed: Option<Fault>,
    /// Client bytes were forwarded since [`Fault::DropAnswer`] was armed.
    request_forwarded: bool,
    /// Connections accepted from clients.
    accepted: u64,
    /// Connections cut by an armed fault.
    cuts: u64,
}

/// A running proxy; it stops (and closes every connection) when dropped.
pub struct Proxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on an ephemeral loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("the proxy binds a loopback port");
        let addr = listener.local_addr().expect("the proxy knows its address");
        let state = Arc::new(Mutex::new(State::default()));
        let task = tokio::spawn(accept_loop(listener, upstream, state.clone()));
        Proxy { addr, state, task }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cuts the next call as `fault` says (once; afterwards bytes flow again).
    pub fn arm(&self, fault: Fault) {
        let mut state = self.state();
        state.armed = Some(fault);
        state.request_forwarded = false;
    }

    /// Whether an armed fault is still waiting for its moment.
    pub fn is_armed(&self) -> bool {
        self.state().armed.is_some()
    }

    /// Connections accepted so far (a client that reconnected counts twice).
    pub fn accepted(&self) -> u64 {
        self.state().accepted
    }

    /// Connections cut by armed faults so far.
    pub fn cuts(&self) -> u64 {
        self.state().cuts
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    // Connection tasks live in the set, so aborting this task closes them all.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                lock(&state).accepted += 1;
                connections.spawn(forward(client, upstream, state.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Forwards one connection both ways until either side closes or an armed fault cuts it.
async fn forward(mut client: TcpStream, upstream: SocketAddr, state: Arc<Mutex<State>>) {
    // An unreachable server closes the client's connection, as a dead backend would.
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut from_client = vec![0u8; 64 * 1024];
    let mut from_server = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            read = client_read.read(&mut from_client) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                {
                    let mut state = lock(&state);
                    match state.armed {
                        Some(Fault::DropRequest) => {
                            state.armed = None;
                            state.cuts += 1;
                            return;
                        }
                        Some(Fault::DropAnswer) => state.request_forwarded = true,
                        Some(Fault::CutAfterRequest) | None => {}
                    }
                }
                if server_write.write_all(&from_client[..n]).await.is_err() {
                    return;
                }
                let mut state = lock(&state);
                if state.armed == Some(Fault::CutAfterRequest) {
                    state.armed = None;
                    state.cuts += 1;
                    return;
                }
            }
            read = server_read.read(&mut from_server) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                {
                    let mut state = lock(&state);
                    if state.armed == Some(Fault::DropAnswer) && state.request_forwarded {
                        state.armed = None;
                        state.cuts += 1;
                        return;
                    }
                }
                if client_write.write_all(&from_server[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
