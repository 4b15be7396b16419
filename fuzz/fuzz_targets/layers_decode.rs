//! The schema-driven decoder of other API layers and the translation of requests and answers
//! between them and ours, fed arbitrary bytes: must return a value or an error, never panic, never
//! allocate from an unchecked length; a value read must write back to the same bytes twice. The
//! first byte picks the layer and what is done (see `ferrogram_tl_layers::fuzzing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ferrogram_tl_layers::fuzzing::decode(data);
});
