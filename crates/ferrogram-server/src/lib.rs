//! A local Telegram-compatible server: real MTProto (its own RSA key, a real DH exchange, real
//! encryption) and the login methods with Telegram's semantics and errors, so that clients can sign
//! in offline.
//!
//! - [`api`]: the RPC dispatcher [`Api`] (`call(ctx, query) -> answer | RpcError`;
//!   `call_with_pushes` also yields the [`Push`]es for other sessions).
//! - [`store`]: SQLite persistence of keys, users, codes, and the answers of calls that changed
//!   them (so a replayed call is answered, not run again, even after a restart).
//! - [`budgets`]: what the server keeps and for how long, whatever clients send.
//! - [`phone`], [`codes`]: phone numbers (validation, home DC) and login codes (making, logging).
//! - [`context`]: what a handler knows about a call.
//! - [`faults`]: failures a test injects (method errors, withheld updates; dropped connections
//!   through [`net::LocalServer`]).
#![forbid(unsafe_code)]

pub mod api;
pub mod budgets;
pub mod codes;
pub mod context;
pub mod faults;
pub mod net;
pub mod phone;
mod private_files;
pub mod store;

pub use api::{os_random, AdminError, AdminUser, Api, ApiConfig, DcConfig, Push};
pub use budgets::Budgets;
pub use context::{CallContext, RpcError};
pub use faults::Faults;
pub use store::{Store, StoreError};
