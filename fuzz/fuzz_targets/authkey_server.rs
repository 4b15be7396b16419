//! The server side of the key exchange fed arbitrary bytes (a sequence of messages, optionally
//! after an honest client's first steps): must answer or fail, never panic, never allocate from an
//! unchecked length. The input layout is in `ferrogram_mtproto::authkey::fuzzing`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrogram_mtproto::authkey::fuzzing::server_exchange(data);
});
