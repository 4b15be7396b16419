//! The operating system's random generator as a [`RandomSource`] for the sans-IO core.

use ferrogram_mtproto::RandomSource;

/// Random bytes from the operating system (`getrandom`): key exchange nonces and secrets,
/// session ids, padding, SRP secrets.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        // Without a working OS generator no key, nonce or padding could be made safely; there is
        // nothing sensible to fall back to, so this is the one place the client gives up hard.
        if let Err(error) = getrandom::getrandom(buf) {
            panic!("the operating system's random generator failed: {error}");
        }
    }
}
