//! What keeps one connection from costing more than its limits: refusing connections over the
//! caps (-429 in the client's own transport), the idle and frame deadlines, and writing queued
//! answers within their byte budget and write timeout.

use std::time::Instant;

use ferrogram_mtproto::transport::Codec;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::limits::{NetLimits, Refused};
use super::{unix_now, Shared};
use crate::api::os_random;

/// Why a connection was closed (for the debug log).
pub(super) type Closed = String;

/// Transport error sent to a connection or key exchange over a limit ("transport flood").
pub(super) const TRANSPORT_FLOOD: i32 = -429;
/// Most refusals (reading a transport header to answer -429 in it) in progress at once; past
/// it a connection over the limits is closed without a word.
const MAX_REFUSALS_IN_PROGRESS: usize = 64;

/// Answers a connection over a limit with transport error -429 in its own transport (read from
/// its first bytes, within the frame deadline), then closes it. Few refusals run at once: past
/// [`MAX_REFUSALS_IN_PROGRESS`] the connection is closed at once.
pub(super) fn refuse(
    mut stream: TcpStream,
    peer: std::net::SocketAddr,
    why: Refused,
    shared: &Shared,
    refusals: &mut tokio::task::JoinSet<()>,
) {
    let refused = shared.connections.refused();
    // One line for the first refusal and then ever fewer, so a flood does not flood the log.
    if refused.is_power_of_two() {
        tracing::warn!(%peer, ?why, refused, "connection refused: over the connection limit");
    }
    if refusals.len() >= MAX_REFUSALS_IN_PROGRESS {
        return;
    }
    let deadline = shared.limits.frame_deadline;
    refusals.spawn(async move {
        let _ = tokio::time::timeout(deadline, async move {
            let mut codec = Codec::server(None, None);
            let mut buf = [0u8; 128];
            while codec.kind().is_none() {
                let n = stream.read(&mut buf).await?;
                if n == 0 {
                    return Ok(());
                }
                codec.feed(&buf[..n]);
                if codec.poll().is_err() {
                    return Ok(());
                }
            }
            let mut out = Vec::new();
            if codec.pack_status(TRANSPORT_FLOOD, &mut *os_random(), &mut out).is_ok() {
                stream.write_all(&out).await?;
            }
            Ok::<(), std::io::Error>(())
        })
        .await;
    });
}

/// Sleeps until the Unix time `at` (for ever if `None`): the sessions' timers speak Unix time.
pub(super) async fn sleep_until_unix(at: Option<std::time::Duration>) {
    match at {
        Some(at) => tokio::time::sleep(at.saturating_sub(unix_now())).await,
        None => std::future::pending().await,
    }
}

/// Writes the queued answers, unless there are more than a client may make us queue, or the
/// client does not take them in time: either drops the connection.
pub(super) async fn flush(stream: &mut TcpStream, out: &mut Vec<u8>, limits: &NetLimits) -> Result<(), Closed> {
    if out.is_empty() {
        return Ok(());
    }
    if out.len() > limits.max_queued_out_bytes {
        return Err(format!(
            "{} bytes of answers queued, over the {}-byte limit",
            out.len(),
            limits.max_queued_out_bytes
        ));
    }
    match tokio::time::timeout(limits.write_timeout, stream.write_all(out)).await {
        Ok(written) => written.map_err(|e| e.to_string())?,
        Err(_) => return Err(format!("the client took none of its answers in {:?}", limits.write_timeout)),
    }
    out.clear();
    // A burst of answers must not pin a large buffer for the connection's life.
    out.shrink_to(64 * 1024);
    Ok(())
}

/// When a connection is closed for sending too little: no complete frame for the idle timeout,
/// or a frame (or the transport header) begun and not finished within the frame deadline.
pub(super) struct Deadlines {
    idle_timeout: std::time::Duration,
    frame_deadline: std::time::Duration,
    last_frame: Instant,
    /// When the frame now half-way in began (the connection's start, for the header).
    frame_started: Option<Instant>,
}

impl Deadlines {
    pub(super) fn new(limits: &NetLimits, now: Instant) -> Self {
        Deadlines {
            idle_timeout: limits.idle_timeout,
            frame_deadline: limits.frame_deadline,
            last_frame: now,
            frame_started: Some(now),
        }
    }

    pub(super) fn next(&self) -> tokio::time::Instant {
        let idle = self.last_frame + self.idle_timeout;
        let deadline = self.frame_started.map_or(idle, |started| idle.min(started + self.frame_deadline));
        deadline.into()
    }

    pub(super) fn reason(&self) -> &'static str {
        match self.frame_started {
            Some(started) if started + self.frame_deadline <= self.last_frame + self.idle_timeout => {
                "a frame was not completed within the frame deadline"
            }
            _ => "idle for longer than the idle timeout",
        }
    }

    /// After a read that completed `frames` frames and left `buffered` bytes of the next one.
    pub(super) fn after_read(&mut self, frames: usize, buffered: usize, now: Instant) {
        if frames > 0 {
            self.last_frame = now;
        }
        self.frame_started = match (buffered, frames) {
            (0, _) => None,
            // What is left began after the frames just read.
            (_, 1..) => Some(now),
            (_, 0) => self.frame_started.or(Some(now)),
        };
    }
}
