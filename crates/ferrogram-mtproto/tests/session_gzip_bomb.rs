//! A gigabyte `gzip_packed` bomb (zlib and gzip, about 1 MB each) sent to the server session is
//! refused at the 16 MiB limit without ever holding more than that: the request is answered with
//! `INPUT_FETCH_ERROR` and the session keeps serving.
//!
//! Memory is checked twice: by a counting allocator (the most heap this test binary ever had
//! live) and by the kernel's peak resident size (`VmHWM`, Linux). This file holds one test, so
//! nothing else in the process runs beside it.

// A global allocator can only be written with `unsafe` (it wraps `System` unchanged).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::crypto::Side;
use ferrogram_mtproto::session::client::{ClientSession, Event};
use ferrogram_mtproto::session::envelope;
use ferrogram_mtproto::session::salts::ServerSalts;
use ferrogram_mtproto::session::server::{Handled, ServerSession};
use ferrogram_mtproto::session::{InflateLimits, RpcError, SessionError};
use ferrogram_tl::fuzzing::zeros_stream;
use ferrogram_tl::inflate::{InflateError, StreamFormat};
use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::{functions, DeserializeError, Serializable};

/// The system allocator, keeping count of the bytes live and the most ever live.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

impl Counting {
    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, Ordering::Relaxed) + by;
        PEAK.fetch_max(now, Ordering::Relaxed);
    }
}

// SAFETY: every call goes to `System` unchanged; only counters are updated around it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            Counting::grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            Counting::grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The process's peak resident set in bytes (`VmHWM`), where the kernel reports it.
fn peak_resident() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

const NOW: Duration = Duration::from_secs(1_700_000_000);
const MIB: usize = 1 << 20;

fn fill(seed: &mut u64, b: &mut [u8]) {
    for x in b {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *x = (*seed >> 24) as u8;
    }
}

#[test]
fn a_gigabyte_bomb_is_refused_without_being_inflated() {
    let mut seed = 42u64;
    let key = AuthKey::from_bytes([0x33; 256]);
    let salts = ServerSalts::new([7; 32], key.id());
    let mut client = ClientSession::new(key.clone(), salts.current(NOW), 0, &mut |b: &mut [u8]| fill(&mut seed, b));
    let mut server = None;
    let limit = InflateLimits::default().max_total_bytes;
    assert_eq!(limit, 16 * MIB);

    for format in [StreamFormat::Zlib, StreamFormat::Gzip] {
        let bomb = GzipPacked { packed_data: zeros_stream(format, 1024) }.to_bytes();
        assert!(bomb.len() < 2 * MIB, "{format}: a cheap bomb, {} bytes", bomb.len());
        let request = client.enqueue(bomb);
        let packet = client.poll_transmit(NOW, &mut |b: &mut [u8]| fill(&mut seed, b)).expect("a packet");
        let message = envelope::decrypt(&key, Side::Client, &packet).expect("server decrypts");
        let session =
            server.get_or_insert_with(|| ServerSession::new(key.clone(), message.session_id, salts.clone(), 1));

        let error = session.handle(message, NOW).expect_err("the bomb is refused");
        assert_eq!(error, SessionError::Decode(DeserializeError::Gzip(InflateError::TooLarge { limit })), "{format}");
        assert!(error.to_string().contains("beyond the limit of 16777216 bytes"), "{error}");
        assert!(session.poll_call().is_none(), "nothing reaches the application");

        // The client hears INPUT_FETCH_ERROR for it, and the session serves the next request.
        while let Some(answer) = session.poll_transmit(NOW, &mut |b: &mut [u8]| fill(&mut seed, b)) {
            client.handle_packet(&answer, NOW).expect("client accepts");
        }
        let refused = std::iter::from_fn(|| client.poll_event()).find_map(|e| match e {
            Event::Result { request: r, result } if r == request => Some(result),
            _ => None,
        });
        assert_eq!(refused, Some(Err(RpcError::new(400, "INPUT_FETCH_ERROR"))));
        client.enqueue(functions::help::GetConfig {}.to_bytes());
        let packet = client.poll_transmit(NOW, &mut |b: &mut [u8]| fill(&mut seed, b)).expect("a packet");
        let message = envelope::decrypt(&key, Side::Client, &packet).expect("server decrypts");
        assert_eq!(session.handle(message, NOW), Ok(Handled::Accepted));
        assert!(session.poll_call().is_some());
    }

    // At most the 16 MiB of output and a few copies of the 1 MB bombs were ever live: nowhere
    // near the gigabyte they claim.
    let peak = PEAK.load(Ordering::Relaxed);
    assert!(peak < 64 * MIB, "peak heap {} MiB", peak / MIB);
    if let Some(resident) = peak_resident() {
        assert!(resident < 200 * MIB, "peak resident {} MiB", resident / MIB);
    }
}
