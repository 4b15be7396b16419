//! Deserialization of any boxed type from arbitrary bytes: must return Ok or Err, never panic,
//! never allocate beyond the input. The first byte picks the type, the rest is the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrogram_tl::fuzzing::deserialize_any(data);
});
