//! The errors of this crate, one enum per concern: building a schema index, the binary codec,
//! translation between layers, JSON conversion, and the layer registry.

/// A schema text could not be turned into a [`crate::SchemaIndex`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The TL text itself did not parse.
    #[error(transparent)]
    Parse(#[from] tl_gen::ParseError),
    /// A definition refers to something the schema cannot resolve (an unknown bare constructor,
    /// `%T` of a type without exactly one constructor, too many `#` fields ...).
    #[error("definition `{definition}`: {reason}")]
    Resolve {
        /// Full name of the definition.
        definition: String,
        /// What could not be resolved.
        reason: String,
    },
}

/// Binary TL could not be read, or a [`crate::Value`] could not be written, with a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input ended inside a value.
    #[error("input ends at byte {offset}: {needed} more bytes needed")]
    UnexpectedEof {
        /// Where the value being read started or continued.
        offset: usize,
        /// How many bytes the value still needed.
        needed: usize,
    },
    /// A function was expected (a request, or a `!X` query) and this id is none of the schema's.
    #[error("unknown function id {id:#010x} at byte {offset}")]
    UnknownFunction {
        /// The id read.
        id: u32,
        /// Where it was read.
        offset: usize,
    },
    /// A boxed value of a type was expected and this id is no constructor of the schema.
    #[error("unknown constructor id {id:#010x} at byte {offset} (expected {expected})")]
    UnknownConstructor {
        /// The id read.
        id: u32,
        /// The type that was expected.
        expected: String,
        /// Where it was read.
        offset: usize,
    },
    /// The id names a definition of the schema, but not one of the expected type.
    #[error("`{found}` at byte {offset} is not a {expected}")]
    WrongType {
        /// The definition the id names.
        found: String,
        /// The type that was expected.
        expected: String,
        /// Where it was read.
        offset: usize,
    },
    /// A `Bool` was neither `boolTrue` nor `boolFalse`.
    #[error("id {id:#010x} at byte {offset} is not a Bool")]
    BadBool {
        /// The id read.
        id: u32,
        /// Where it was read.
        offset: usize,
    },
    /// A boxed `Vector` did not start with the `vector` constructor id.
    #[error("id {id:#010x} at byte {offset} is not a vector")]
    NotAVector {
        /// The id read.
        id: u32,
        /// Where it was read.
        offset: usize,
    },
    /// A vector announced more elements than the remaining input can hold.
    #[error("vector at byte {offset} announces {count} elements, more than the input can hold")]
    VectorTooLong {
        /// The announced element count.
        count: u32,
        /// Where the count was read.
        offset: usize,
    },
    /// A `bytes`/`string` value started with the reserved length byte 255.
    #[error("bad length prefix at byte {offset}")]
    BadLength {
        /// Where the length was read.
        offset: usize,
    },
    /// Values nested deeper than [`crate::MAX_DEPTH`].
    #[error("values nested deeper than {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// A `gzip_packed` payload did not inflate (neither gzip nor zlib, or damaged), or went beyond
    /// the [`InflateLimits`](ferrogram_tl::InflateLimits) of the value being read.
    #[error("gzip_packed at byte {offset}: {error}")]
    Gzip {
        /// Where the packed value started.
        offset: usize,
        /// What went wrong.
        #[source]
        error: ferrogram_tl::InflateError,
    },
    /// Bytes were left after a value that had to span all of the input.
    #[error("{count} bytes left after the value at byte {offset}")]
    TrailingBytes {
        /// Where the left-over bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
    /// A type expression names no type of the schema, or cannot be decoded on its own.
    #[error("unknown or unusable type `{name}`")]
    UnknownType {
        /// The expression.
        name: String,
    },
    /// A value names a constructor or function the schema does not have.
    #[error("the schema has no definition `{name}`")]
    UnknownName {
        /// The name in the value.
        name: String,
    },
    /// A value does not fit the type the schema expects at this place.
    #[error("{context}: expected {expected}, found {found}")]
    TypeMismatch {
        /// Where (definition and field).
        context: String,
        /// What the schema expects.
        expected: String,
        /// What the value is.
        found: String,
    },
    /// An object lacks a field its definition requires (or one whose flag bit another field set).
    #[error("`{definition}` needs field `{field}`")]
    MissingField {
        /// The definition.
        definition: String,
        /// The field.
        field: String,
    },
    /// An object has a field its definition does not declare.
    #[error("`{definition}` has no field `{field}`")]
    UnknownField {
        /// The definition.
        definition: String,
        /// The field.
        field: String,
    },
    /// A [`crate::TypeRef`] made by one schema was used with another.
    #[error("type reference used with a schema other than the one that made it")]
    ForeignTypeRef,
}

/// A message could not be translated between a client's layer and ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The input could not be read with the source layer's schema.
    #[error("cannot read the input: {0}")]
    Decode(CodecError),
    /// The request's method (or a wrapped `!X` query) does not exist in the target layer, or the
    /// client's own layer does not know its id.
    #[error("method `{name}` does not exist in the target layer")]
    UnknownMethod {
        /// The method's name, or its id in hex when not even the source layer knows it.
        name: String,
    },
    /// A constructor inside the request does not exist in the target layer, or the client's own
    /// layer does not know its id.
    #[error("constructor `{name}` does not exist in the target layer")]
    UnknownConstructor {
        /// The constructor's name, or its id in hex when not even the source layer knows it.
        name: String,
    },
    /// The result type given to the translator is not a type of our schema (or is the generic `X`
    /// of a wrapper such as `invokeWithLayer`: pass the innermost query's method instead).
    #[error("unknown result type: {0}")]
    ResultType(CodecError),
    /// Our own answer could not be read with our schema: the bytes do not match the method's
    /// result type. This is a bug on our side, never the client's.
    #[error("cannot read our own answer: {0}")]
    Answer(CodecError),
    /// The translated value could not be written with the target schema. This is a bug in the
    /// translation or a schema the neutral-value rule cannot serve (e.g. a required field of a type
    /// without constructors).
    #[error("cannot write the translated value: {0}")]
    Encode(CodecError),
    /// The client announced a layer older than every schema known here: nothing it could read can
    /// be written for it.
    #[error("layer {layer} is older than every known layer (the oldest is {oldest})")]
    LayerTooOld {
        /// The layer the client announced.
        layer: i32,
        /// The oldest layer known here.
        oldest: i32,
    },
}

impl TranslateError {
    /// The RPC error a server answers with when a request fails translation: `(code, name)`.
    ///
    /// Unknown methods are `400 INPUT_METHOD_INVALID`, unknown constructors
    /// `400 INPUT_CONSTRUCTOR_INVALID`, unreadable input `400 INPUT_FETCH_ERROR`, a layer older
    /// than every known one `400 CONNECTION_LAYER_INVALID`, anything else (our own fault)
    /// `500 INTERNAL`.
    pub fn rpc_error(&self) -> (i32, &'static str) {
        match self {
            TranslateError::UnknownMethod { .. } => (400, "INPUT_METHOD_INVALID"),
            TranslateError::UnknownConstructor { .. } => (400, "INPUT_CONSTRUCTOR_INVALID"),
            TranslateError::Decode(_) => (400, "INPUT_FETCH_ERROR"),
            TranslateError::LayerTooOld { .. } => (400, "CONNECTION_LAYER_INVALID"),
            TranslateError::ResultType(_) | TranslateError::Answer(_) | TranslateError::Encode(_) => (500, "INTERNAL"),
        }
    }
}

/// JSON could not be turned into a [`crate::Value`] of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// The JSON value has the wrong shape for the type at `path`.
    #[error("{path}: expected {expected}")]
    Expected {
        /// Where in the JSON document (`$.settings.logout_tokens[0]`).
        path: String,
        /// What the schema wants there.
        expected: String,
    },
    /// An object's `_` names no definition the schema allows there.
    #[error("{path}: `{name}` is not a {expected} of this schema")]
    UnknownName {
        /// Where in the JSON document.
        path: String,
        /// The name given.
        name: String,
        /// What was expected.
        expected: String,
    },
    /// A required field is absent.
    #[error("{path}: `{definition}` needs field `{field}`")]
    MissingField {
        /// Where in the JSON document.
        path: String,
        /// The definition.
        definition: String,
        /// The field.
        field: String,
    },
    /// A key is no field of the definition.
    #[error("{path}: `{definition}` has no field `{field}`")]
    UnknownField {
        /// Where in the JSON document.
        path: String,
        /// The definition.
        definition: String,
        /// The key.
        field: String,
    },
    /// Nested deeper than [`crate::MAX_DEPTH`].
    #[error("{path}: nested deeper than {limit}")]
    TooDeep {
        /// Where in the JSON document.
        path: String,
        /// The limit.
        limit: usize,
    },
    /// The type reference could not be used with this schema.
    #[error(transparent)]
    Type(#[from] CodecError),
}

/// The layer registry could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LayersError {
    /// A schema file did not parse or resolve.
    #[error("{file}: {source}")]
    Schema {
        /// The file (or a description of the text).
        file: String,
        /// What was wrong.
        source: SchemaError,
    },
    /// A schema has no `// LAYER N` line and its file name (`api-N.tl`) gives none either.
    #[error("{file}: no layer number (no `// LAYER N` line, name not `api-N.tl`)")]
    NoLayer {
        /// The file.
        file: String,
    },
    /// A layer was added twice (ours included).
    #[error("layer {layer}: {reason}")]
    BadLayer {
        /// The layer.
        layer: i32,
        /// Why it was refused.
        reason: String,
    },
    /// A schema file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
}
