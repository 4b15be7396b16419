//! A local Telegram-compatible server: real MTProto (its own RSA key, a real DH exchange, real
//! encryption) and the login methods with Telegram's semantics and errors, so that clients can sign
//! in offline.
#![forbid(unsafe_code)]

pub mod context;
