//! Sans-IO MTProto 2.0 core shared by the ferrogram client and the local server.
//!
//! Nothing in this crate opens a socket, reads a clock or draws randomness: time and random bytes
//! are arguments, bytes go in and bytes and events come out, so both sides of every exchange can be
//! tested against each other in plain unit tests.
#![forbid(unsafe_code)]

pub mod crypto;
pub mod transport;
