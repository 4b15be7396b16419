//! A gzip bomb over a real socket: a zlib-packed request that would inflate to 1 GiB is refused
//! within the inflate budget, its sender gets `400 INPUT_FETCH_ERROR` before the connection
//! closes, the server's memory stays small, and a fresh login succeeds right after.

mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_tl::fuzzing::zeros_stream;
use ferrogram_tl::inflate::StreamFormat;
use ferrogram_tl::mtproto::GzipPacked;
use ferrogram_tl::{functions, Serializable};
use support::*;

/// The process's peak resident memory, in bytes (VmHWM), where /proc has it.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_gib_bomb_is_answered_and_refused_without_inflating_it() {
    let server = start_server().await;
    for format in [StreamFormat::Zlib, StreamFormat::Gzip] {
        let bomb = GzipPacked { packed_data: zeros_stream(format, 1024) }.to_bytes();
        assert!(bomb.len() < 4 << 20, "the bomb itself is small: {} bytes", bomb.len());
        let before = peak_rss();

        let mut c = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.expect("connects");
        c.exchange_key(server.public_key()).await.expect("key exchange");
        // A first call, so the bomb is a message of its own (not wrapped in initConnection).
        c.invoke(&functions::help::GetNearestDc {}).await.expect("getNearestDc");
        assert_rpc_error(c.invoke_raw(bomb).await, 400, "INPUT_FETCH_ERROR");

        if let (Some(before), Some(after)) = (before, peak_rss()) {
            let grown = after.saturating_sub(before);
            assert!(grown < 128 << 20, "{format:?}: peak memory grew by {} MiB", grown >> 20);
        }
        // The server goes on serving: a fresh client signs in.
        let mut fresh = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
        fresh.exchange_key(server.public_key()).await.expect("key exchange after the bomb");
        let phone = if format == StreamFormat::Zlib { "9996620001" } else { "9996620002" };
        fresh.log_in_test_number(phone, "After").await.expect("a login after the bomb");
    }
    server.shutdown().await;
}
