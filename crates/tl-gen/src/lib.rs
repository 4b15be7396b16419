//! TL schema parser and Rust code generator for ferrogram.
//!
//! Telegram describes its API in the TL language (<https://core.telegram.org/mtproto/TL>). This
//! crate reads schema text ([`parse_schema`]), reads the documentation data that accompanies it
//! ([`docs::Docs`]), and writes the Rust source of `ferrogram-tl` ([`codegen::generate`]).
//!
//! The parser is also a runtime library: the server reads older layers' schemas with it to
//! translate messages between a client's layer and ours.
#![forbid(unsafe_code)]

pub mod codegen;
pub mod docs;
pub mod names;
mod parse;
pub mod schema;

pub use parse::{parse_schema, ParseError};
pub use schema::{Category, Definition, Flag, Parameter, ParameterType, Schema, Type};
