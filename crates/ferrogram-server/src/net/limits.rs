//! What one outsider can make the server hold: connections, bytes waiting in a half-sent frame or
//! an unread answer, time, and the CPU of key exchanges. [`NetLimits`] is the configuration (safe
//! defaults, every one documented); the gates here enforce the counting parts of it, the
//! connection shell the time and byte parts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Limits of the network shell. `NetLimits::default()` suits a local test server on a developer's
/// machine or in CI; every field says what it bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetLimits {
    /// Most connections open at once, over all DCs. Past it a new connection is answered with
    /// transport error -429 and closed. Keep it below the process's file descriptor limit, so
    /// that the listener itself can always accept (and refuse) instead of failing.
    pub max_connections: usize,
    /// Most connections open at once from one IP address (refused the same way). Every client of
    /// a test server on loopback shares one address, hence a generous default.
    pub max_connections_per_ip: usize,
    /// The largest transport frame a client may announce; a bigger one closes the connection
    /// before any of it is buffered. MTProto requests are far smaller: a file part is 512 KiB.
    pub max_frame_bytes: usize,
    /// How long a frame may take from its first byte to its last (and a new connection to send
    /// its transport header): a slow or stalled sender is dropped.
    pub frame_deadline: Duration,
    /// How long a connection may stay without a complete frame before it is closed. Clients ping
    /// once a minute.
    pub idle_timeout: Duration,
    /// Most answer bytes queued for one connection; a client that asks for more than it reads
    /// is dropped, not buffered for.
    pub max_queued_out_bytes: usize,
    /// How long writing the queued answers may take before the connection is dropped (a client
    /// that does not read).
    pub write_timeout: Duration,
    /// Most key exchanges in progress at once from one IP address (every client of a test server
    /// on loopback shares one, hence a generous default).
    pub key_exchanges_per_ip: usize,
    /// Key exchanges started per second over the whole server (a token bucket holding up to a
    /// second's worth); past it `req_DH_params` is answered with -429.
    pub key_exchanges_per_second: u32,
    /// Most key-exchange steps computed at once. They run on blocking threads, never on the
    /// async workers, so a flood of them cannot stall the connections that are signed in.
    pub key_exchange_workers: usize,
}

impl Default for NetLimits {
    fn default() -> Self {
        NetLimits {
            max_connections: 4096,
            max_connections_per_ip: 1024,
            max_frame_bytes: 2 << 20,
            frame_deadline: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            max_queued_out_bytes: 4 << 20,
            write_timeout: Duration::from_secs(20),
            key_exchanges_per_ip: 512,
            key_exchanges_per_second: 1000,
            key_exchange_workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

/// Counts open connections, in total and per IP address.
#[derive(Debug)]
pub(crate) struct ConnectionGate {
    max_total: usize,
    max_per_ip: usize,
    open: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
    refused: u64,
}

/// Why a connection or a key exchange was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// The server-wide limit.
    Total,
    /// The limit of one IP address.
    PerIp,
    /// The key-exchange rate.
    Rate,
}

impl ConnectionGate {
    pub(crate) fn new(limits: &NetLimits) -> Arc<Self> {
        Arc::new(ConnectionGate {
            max_total: limits.max_connections,
            max_per_ip: limits.max_connections_per_ip,
            open: Mutex::new(Counts::default()),
        })
    }

    /// Counts a new connection from `ip`, unless a limit is reached. The slot is given back
    /// when the returned guard drops.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refused> {
        let mut counts = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let from_ip = counts.per_ip.get(&ip).copied().unwrap_or(0);
        let refusal = if counts.total >= self.max_total {
            Some(Refused::Total)
        } else if from_ip >= self.max_per_ip {
            Some(Refused::PerIp)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            counts.refused += 1;
            return Err(refusal);
        }
        counts.total += 1;
        counts.per_ip.insert(ip, from_ip + 1);
        Ok(Slot { gate: self.clone(), ip })
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).total
    }

    /// Connections refused since the start.
    pub(crate) fn refused(&self) -> u64 {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).refused
    }
}

/// An admitted connection's place in the [`ConnectionGate`].
#[derive(Debug)]
pub(crate) struct Slot {
    gate: Arc<ConnectionGate>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.gate.open.lock().unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

/// Key exchanges: in progress per IP address, and a server-wide rate of new ones.
#[derive(Debug)]
pub(crate) struct KeyExchangeGate {
    max_per_ip: usize,
    state: Mutex<ExchangeCounts>,
    /// Bounds the key-exchange steps computed at once (on blocking threads).
    pub(crate) workers: tokio::sync::Semaphore,
}

#[derive(Debug)]
struct ExchangeCounts {
    per_ip: HashMap<IpAddr, usize>,
    bucket: TokenBucket,
    refused: u64,
}

impl KeyExchangeGate {
    pub(crate) fn new(limits: &NetLimits, now: Instant) -> Arc<Self> {
        let rate = f64::from(limits.key_exchanges_per_second.max(1));
        Arc::new(KeyExchangeGate {
            max_per_ip: limits.key_exchanges_per_ip,
            state: Mutex::new(ExchangeCounts {
                per_ip: HashMap::new(),
                bucket: TokenBucket::new(rate, rate, now),
                refused: 0,
            }),
            workers: tokio::sync::Semaphore::new(limits.key_exchange_workers.max(1)),
        })
    }

    /// Admits a new key exchange from `ip` at `now`: one token of the rate, and a place among
    /// the exchanges of its address until the returned guard drops.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr, now: Instant) -> Result<ExchangeSlot, Refused> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let from_ip = state.per_ip.get(&ip).copied().unwrap_or(0);
        if from_ip >= self.max_per_ip {
            state.refused += 1;
            return Err(Refused::PerIp);
        }
        if !state.bucket.take(now) {
            state.refused += 1;
            return Err(Refused::Rate);
        }
        state.per_ip.insert(ip, from_ip + 1);
        Ok(ExchangeSlot { gate: self.clone(), ip })
    }

    /// Key exchanges refused since the start.
    pub(crate) fn refused(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).refused
    }
}

/// A key exchange's place in the [`KeyExchangeGate`].
#[derive(Debug)]
pub(crate) struct ExchangeSlot {
    gate: Arc<KeyExchangeGate>,
    ip: IpAddr,
}

impl Drop for ExchangeSlot {
    fn drop(&mut self) {
        let mut state = self.gate.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = state.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                state.per_ip.remove(&self.ip);
            }
        }
    }
}

/// A token bucket: `rate` tokens a second, holding at most `burst`. Time is passed in.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    pub(crate) fn new(rate: f64, burst: f64, now: Instant) -> Self {
        TokenBucket { rate, burst, tokens: burst, at: now }
    }

    /// Takes one token if there is one at `now`.
    pub(crate) fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.at = self.at.max(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_refills_at_its_rate_and_holds_a_burst() {
        let t0 = Instant::now();
        let mut bucket = TokenBucket::new(10.0, 5.0, t0);
        assert_eq!((0..8).filter(|_| bucket.take(t0)).count(), 5, "the burst, then nothing");
        assert!(!bucket.take(t0 + Duration::from_millis(50)), "half a token");
        assert!(bucket.take(t0 + Duration::from_millis(100)));
        // A long pause refills only up to the burst.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..8).filter(|_| bucket.take(later)).count(), 5);
    }

    #[test]
    fn connections_are_counted_in_total_and_per_ip_and_given_back() {
        let limits = NetLimits { max_connections: 3, max_connections_per_ip: 2, ..NetLimits::default() };
        let gate = ConnectionGate::new(&limits);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let a1 = gate.admit(a).unwrap();
        let _a2 = gate.admit(a).unwrap();
        assert_eq!(gate.admit(a).unwrap_err(), Refused::PerIp);
        let _b1 = gate.admit(b).unwrap();
        assert_eq!(gate.admit(b).unwrap_err(), Refused::Total);
        drop(a1);
        assert_eq!(gate.open(), 2);
        assert!(gate.admit(b).is_ok());
        assert_eq!(gate.refused(), 2);
    }

    #[test]
    fn key_exchanges_are_limited_per_ip_and_by_rate() {
        let t0 = Instant::now();
        let limits = NetLimits { key_exchanges_per_ip: 2, key_exchanges_per_second: 3, ..NetLimits::default() };
        let gate = KeyExchangeGate::new(&limits, t0);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let a1 = gate.admit(a, t0).unwrap();
        let _a2 = gate.admit(a, t0).unwrap();
        assert_eq!(gate.admit(a, t0).unwrap_err(), Refused::PerIp);
        drop(a1);
        let _b1 = gate.admit(b, t0).unwrap();
        assert_eq!(gate.admit(b, t0).unwrap_err(), Refused::Rate, "three a second");
        assert!(gate.admit(b, t0 + Duration::from_secs(1)).is_ok());
        assert_eq!(gate.refused(), 2);
    }
}
