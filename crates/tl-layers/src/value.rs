//! The dynamic TL value model: what a TL message holds, without generated Rust types.
//!
//! Values follow the TL type system of <https://core.telegram.org/mtproto/TL> and
//! <https://core.telegram.org/mtproto/serialize>. A value does not say whether it is boxed or bare:
//! the schema type it is read or written as decides that.

/// One TL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `int`: 32-bit signed.
    Int(i32),
    /// `long`: 64-bit signed.
    Long(i64),
    /// `double`: 64-bit IEEE 754.
    Double(f64),
    /// `int128`: 16 bytes in wire order.
    Int128([u8; 16]),
    /// `int256`: 32 bytes in wire order.
    Int256([u8; 32]),
    /// `bytes`: arbitrary bytes.
    Bytes(Vec<u8>),
    /// `string`: kept as bytes, because the wire does not promise UTF-8.
    String(Vec<u8>),
    /// `Bool` (`boolTrue` / `boolFalse`).
    Bool(bool),
    /// `true` (a flag with no payload, present) or the boxed `True`.
    True,
    /// `Vector<T>` or bare `vector<T>`.
    Vector(Vec<Value>),
    /// A constructor or function with its fields.
    Object(Object),
}

impl Value {
    /// A short name of the value's kind, for error messages (`int`, `object auth.signIn`).
    pub fn kind(&self) -> String {
        match self {
            Value::Int(_) => "int".into(),
            Value::Long(_) => "long".into(),
            Value::Double(_) => "double".into(),
            Value::Int128(_) => "int128".into(),
            Value::Int256(_) => "int256".into(),
            Value::Bytes(_) => "bytes".into(),
            Value::String(_) => "string".into(),
            Value::Bool(_) => "Bool".into(),
            Value::True => "true".into(),
            Value::Vector(_) => "vector".into(),
            Value::Object(o) => format!("object {}", o.name),
        }
    }

    /// The object inside, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The text of a `string` (or `bytes`) value, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(b) | Value::Bytes(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    /// A `string` value from text.
    pub fn string(text: &str) -> Value {
        Value::String(text.as_bytes().to_vec())
    }
}

/// A constructor or function: its TL name, the id it had where it was read (informational: writing
/// looks the name up in the target schema and uses that schema's id), and its fields in wire order.
///
/// `#` flags fields are not stored: writing computes them from which conditional fields are
/// present. An absent conditional field is simply not in `fields`; a set `true` flag is present
/// with [`Value::True`].
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// Full TL name (`auth.signIn`).
    pub name: String,
    /// Constructor id in the schema it was read with (0 when built by hand and not yet known).
    pub id: u32,
    /// Present fields, in the order of the definition.
    pub fields: Vec<(String, Value)>,
}

impl Object {
    /// An object with no fields yet; `id` 0 (writing uses the schema's id).
    pub fn new(name: &str) -> Object {
        Object { name: name.to_string(), id: 0, fields: Vec::new() }
    }

    /// Adds a field (builder style).
    pub fn with(mut self, field: &str, value: Value) -> Object {
        self.fields.push((field.to_string(), value));
        self
    }

    /// The value of a field, if present.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == field).map(|(_, v)| v)
    }

    /// Whether a field is present (for `true` flags: whether the flag is set).
    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Value {
        Value::Object(o)
    }
}
