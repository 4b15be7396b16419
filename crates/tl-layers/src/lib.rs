//! A dynamic TL codec driven by a parsed schema, and translation between a client's API layer and
//! ours.
//!
//! The server answers every client in the layer it announced with `invokeWithLayer`
//! (<https://core.telegram.org/api/invoking#layers>). Generated types exist for one layer only
//! (ours), so messages of other layers are read into [`Value`]s with that layer's [`SchemaIndex`],
//! lifted by name into the other layer's shape, and written back with its schema:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let layers = ferrogram_tl_layers::Layers::embedded()?;
//! assert_eq!(layers.layer_for(198), Some(198));
//! assert_eq!(layers.layer_for(200), Some(198), "served in the nearest layer not newer");
//! assert_eq!(layers.layer_for(100), None, "older than every known layer: refused");
//! // help.getConfig#c4f9186b has the same id in 198 and ours.
//! let request = 0xc4f9186bu32.to_le_bytes();
//! assert_eq!(layers.request_to_ours(198, &request)?, request);
//! # Ok(()) }
//! ```
//!
//! The rules of a translation: constructors and fields are matched by name; a field
//! the target lacks is dropped; a required field it needs and the source lacks gets its neutral
//! value (a number 0, empty string/bytes/vector, `Bool` false, an absent flag, for an object type
//! the type's neutral constructor: its `...Empty` one, else the one with the fewest required
//! fields). In answers, a constructor the client's layer lacks becomes the type's
//! `...Unsupported` constructor, else the one sharing the most field names, else the neutral one;
//! in requests it is an error ([`TranslateError::rpc_error`] gives the RPC error to answer).
//!
//! [`json`] converts values to and from JSON for the CLI.
#![forbid(unsafe_code)]

pub mod decode;
pub mod encode;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod index;
pub mod json;
pub mod layers;
mod translate;
pub mod value;
mod wire;

pub use decode::{decode, decode_exact, decode_exact_with, decode_with, MAX_DEPTH};
pub use encode::{encode, encode_as};
pub use error::{CodecError, JsonError, LayersError, SchemaError, TranslateError};
pub use ferrogram_tl::InflateLimits;
pub use index::{SchemaIndex, TypeRef};
pub use json::{
    answer_to_json, answer_to_json_with, json_to_request, json_to_value, request_to_json, value_to_json,
    value_to_json_with, Longs,
};
pub use layers::Layers;
pub use value::{Object, Value};
