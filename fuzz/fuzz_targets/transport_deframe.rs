//! Transport de-framing from arbitrary bytes: server-side detection and every framing (plain and
//! obfuscated, both sides) must return frames or errors, never panic, never allocate from a length
//! field. The first byte picks the codec, the second the read size, the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrogram_mtproto::transport::fuzzing::deframe(data);
});
