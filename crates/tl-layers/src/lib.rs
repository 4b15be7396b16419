//! A dynamic TL codec driven by a parsed schema, and translation between a client's API layer and
//! ours.
//!
//! The server answers every client in the layer it announced with `invokeWithLayer`. Generated
//! types exist for one layer only (ours), so messages of other layers are read into [`Value`]s with
//! that layer's [`SchemaIndex`], and written back by name with another's.
#![forbid(unsafe_code)]

pub mod decode;
pub mod encode;
pub mod error;
pub mod index;
pub mod value;
mod wire;

pub use decode::{decode, decode_exact, MAX_DEPTH, MAX_INFLATED};
pub use encode::{encode, encode_as};
pub use error::{CodecError, SchemaError};
pub use index::{SchemaIndex, TypeRef};
pub use value::{Object, Value};
