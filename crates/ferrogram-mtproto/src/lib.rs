//! Sans-IO MTProto 2.0 core shared by the ferrogram client and the local server.
//!
//! Nothing in this crate opens a socket, reads a clock or draws randomness: time and random bytes
//! are arguments, bytes go in and bytes and events come out, so both sides of every exchange can be
//! tested against each other in plain unit tests.
#![forbid(unsafe_code)]

pub mod authkey;
pub mod crypto;
pub mod endpoint;
mod rpc_error;
pub mod session;
pub mod transport;

pub use rpc_error::RpcError;

/// A source of random bytes, passed in by the caller (the core never draws randomness itself).
///
/// Any `FnMut(&mut [u8])` is one; tests pass deterministic ones, the client and server pass the
/// operating system's generator.
pub trait RandomSource {
    /// Fills `buf` with random bytes.
    fn fill(&mut self, buf: &mut [u8]);
}

impl<F: FnMut(&mut [u8])> RandomSource for F {
    fn fill(&mut self, buf: &mut [u8]) {
        self(buf)
    }
}
