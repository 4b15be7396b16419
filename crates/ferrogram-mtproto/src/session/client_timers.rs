//! The client session's timers: keep-alive pings, delayed acknowledgements, resends of requests
//! the server did not acknowledge, and noticing a server gone silent.
//!
//! A shell drives them as quinn-proto's are driven: it sleeps until
//! [`ClientSession::poll_timeout`](super::client::ClientSession::poll_timeout) and then calls
//! [`ClientSession::handle_timeout`](super::client::ClientSession::handle_timeout) with the time.
//! Everything here is a function of the `now` passed in (Unix time as a [`Duration`]), so tests
//! run the clock by hand.
//!
//! Pings are `ping_delay_disconnect` (<https://core.telegram.org/mtproto/service_messages#deferred-connection-closure-ping>):
//! each asks the server to close the connection if the next does not come within
//! `ping_interval + silence_grace`, so a half-dead connection ends on both sides.

use std::time::Duration;

/// When the session's timers fire. [`ClientTimers::default`] follows what the official apps do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientTimers {
    /// How often to ping while the connection is up.
    pub ping_interval: Duration,
    /// How much longer than `ping_interval` either side waits to hear from the other before it
    /// gives the connection up (sent to the server as `disconnect_delay`).
    pub silence_grace: Duration,
    /// How long an acknowledgement may wait for a packet to ride along with before it is sent on
    /// its own.
    pub ack_delay: Duration,
    /// How long a request may go unacknowledged before it is sent again (under the same msg_id,
    /// so the server answers it from its cache rather than running it twice).
    pub resend_after: Duration,
}

impl Default for ClientTimers {
    fn default() -> Self {
        ClientTimers {
            ping_interval: Duration::from_secs(60),
            silence_grace: Duration::from_secs(15),
            ack_delay: Duration::from_millis(500),
            resend_after: Duration::from_secs(20),
        }
    }
}

impl ClientTimers {
    /// The `disconnect_delay` of the pings, in seconds.
    pub(crate) fn disconnect_delay(&self) -> i32 {
        i32::try_from((self.ping_interval + self.silence_grace).as_secs()).unwrap_or(i32::MAX)
    }
}

/// The timers' state inside a session.
#[derive(Debug, Clone)]
pub(crate) struct TimerState {
    pub(crate) config: ClientTimers,
    /// When the next ping is due.
    pub(crate) next_ping: Duration,
    /// When the session last heard from the server (or the connection began).
    pub(crate) last_heard: Duration,
    /// When the oldest acknowledgement now waiting was queued.
    pub(crate) acks_since: Option<Duration>,
    /// Whether the waiting acknowledgements are due (sent even with nothing to ride along).
    pub(crate) acks_due: bool,
    /// Whether [`TimerState::silent_since`] passed and was reported.
    pub(crate) silence_reported: bool,
    /// The next ping's id (any value serves; a counter needs no randomness).
    pub(crate) next_ping_id: i64,
}

impl TimerState {
    pub(crate) fn new(config: ClientTimers, now: Duration) -> Self {
        TimerState {
            config,
            next_ping: now + config.ping_interval,
            last_heard: now,
            acks_since: None,
            acks_due: false,
            silence_reported: false,
            next_ping_id: 1,
        }
    }

    /// A new connection began at `now`: its first ping comes a whole interval later, and
    /// silence is counted from now.
    pub(crate) fn connected(&mut self, now: Duration) {
        self.next_ping = now + self.config.ping_interval;
        self.last_heard = now;
        self.silence_reported = false;
    }

    /// When the server's silence means the connection is dead.
    pub(crate) fn silent_since(&self) -> Duration {
        self.last_heard + self.config.ping_interval + self.config.silence_grace
    }

    /// When waiting acknowledgements must go out.
    pub(crate) fn acks_deadline(&self) -> Option<Duration> {
        self.acks_since.filter(|_| !self.acks_due).map(|since| since + self.config.ack_delay)
    }
}
