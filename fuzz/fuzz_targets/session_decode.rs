//! Encrypted message decoding from arbitrary bytes, on both sides of the session layer: raw
//! packets, and properly encrypted messages whose bodies or plaintexts are the fuzzer's (see
//! `ferrogram_mtproto::session::fuzzing::decode`). Never a panic, never an allocation from a
//! length field.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrogram_mtproto::session::fuzzing::decode(data);
});
