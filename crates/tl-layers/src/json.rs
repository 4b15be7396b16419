//! TL values as JSON, for the CLI's `invoke <method> --json` and for logs.
//!
//! The shape (types from <https://core.telegram.org/mtproto/serialize>):
//! - an object is a JSON object whose `"_"` names the constructor or function
//!   (`{"_": "auth.sendCode", "phone_number": "+1555", "settings": {"_": "codeSettings"}}`); `"_"`
//!   may be left out where only one constructor fits (a bare type, or a boxed type with one
//!   constructor);
//! - `int`, `double`: JSON numbers; `long`: a JSON number or a decimal string (JavaScript loses
//!   precision beyond 2^53, so scripts may prefer strings); written back as numbers by
//!   [`value_to_json`], or as decimal strings by [`value_to_json_with`] and [`Longs::Strings`];
//! - `string`: a JSON string; `bytes`: standard base64 (padding optional);
//! - `int128`/`int256`: hex (32/64 digits) or base64; written back as hex;
//! - `Bool` and `true` flags: JSON booleans (a flag `false` is the same as leaving it out);
//! - vectors: arrays; optional fields: present or absent (`null` counts as absent);
//! - `#` fields (`flags`) are computed from the optional fields; given ones are ignored.
//!
//! Errors say where, as a JSON path (`$.settings.logout_tokens[0]`).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::{Map, Number, Value as Json};

use crate::decode::{decode_exact, MAX_DEPTH};
use crate::encode::encode_as;
use crate::error::{CodecError, JsonError};
use crate::index::{Def, ParamKind, SchemaIndex, Ty};
use crate::value::{Object, Value};
use crate::TypeRef;

/// Standard base64 that accepts input with or without padding.
const BASE64_IN: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Reads JSON as a value of type `ty` of `schema`.
pub fn json_to_value(schema: &SchemaIndex, ty: &TypeRef, json: &Json) -> Result<Value, JsonError> {
    let ty = ty.check(schema)?;
    FromJson { schema }.value(json, ty, "$", 0)
}

/// A request (any function of the schema, `"_"` naming it) from JSON, as binary TL.
pub fn json_to_request(schema: &SchemaIndex, json: &Json) -> Result<Vec<u8>, JsonError> {
    let function = TypeRef::any_function();
    let value = json_to_value(schema, &function, json)?;
    Ok(encode_as(schema, &function, &value)?)
}

/// How [`value_to_json_with`] writes TL `long` values (ids, access hashes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Longs {
    /// As JSON numbers: exact for Rust and Python readers, but JavaScript and `jq` round every
    /// number beyond 2^53 to a double, silently changing ids and access hashes.
    #[default]
    Numbers,
    /// As decimal strings (`"5833605546952653312"`): exact for every reader; [`json_to_value`]
    /// accepts them back.
    Strings,
}

/// A value as JSON (see the module docs for the shape), `long`s as numbers.
pub fn value_to_json(value: &Value) -> Json {
    value_to_json_with(value, Longs::Numbers)
}

/// A value as JSON (see the module docs for the shape), `long`s written as `longs` says.
pub fn value_to_json_with(value: &Value, longs: Longs) -> Json {
    match value {
        Value::Int(v) => Json::from(*v),
        Value::Long(v) => match longs {
            Longs::Numbers => Json::from(*v),
            Longs::Strings => Json::String(v.to_string()),
        },
        Value::Double(v) => Number::from_f64(*v).map_or(Json::Null, Json::Number),
        Value::Int128(v) => Json::String(hex(v)),
        Value::Int256(v) => Json::String(hex(v)),
        Value::Bytes(b) => Json::String(STANDARD.encode(b)),
        Value::String(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::Bool(b) => Json::Bool(*b),
        Value::True => Json::Bool(true),
        Value::Vector(items) => Json::Array(items.iter().map(|item| value_to_json_with(item, longs)).collect()),
        Value::Object(o) => {
            let mut map = Map::new();
            map.insert("_".into(), Json::String(o.name.clone()));
            for (name, v) in &o.fields {
                map.insert(name.clone(), value_to_json_with(v, longs));
            }
            Json::Object(map)
        }
    }
}

/// A binary request (any function of the schema) as JSON.
pub fn request_to_json(schema: &SchemaIndex, bytes: &[u8]) -> Result<Json, CodecError> {
    Ok(value_to_json(&decode_exact(schema, &TypeRef::any_function(), bytes)?))
}

/// A binary answer to `method` (its boxed result, read with the method's result type) as JSON.
pub fn answer_to_json(schema: &SchemaIndex, method: &str, bytes: &[u8]) -> Result<Json, CodecError> {
    answer_to_json_with(schema, method, bytes, Longs::Numbers)
}

/// [`answer_to_json`] with `long`s written as `longs` says.
pub fn answer_to_json_with(schema: &SchemaIndex, method: &str, bytes: &[u8], longs: Longs) -> Result<Json, CodecError> {
    let ty = schema.result_type(method).ok_or_else(|| CodecError::UnknownName { name: method.into() })?;
    if ty.ty == Ty::Generic {
        return Err(CodecError::UnknownType { name: ty.to_string() });
    }
    Ok(value_to_json_with(&decode_exact(schema, &ty, bytes)?, longs))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex digits to bytes, if `text` is exactly `N` bytes' worth.
fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

struct FromJson<'s> {
    schema: &'s SchemaIndex,
}

impl FromJson<'_> {
    fn value(&self, json: &Json, ty: &Ty, path: &str, depth: usize) -> Result<Value, JsonError> {
        if depth >= MAX_DEPTH {
            return Err(JsonError::TooDeep { path: path.into(), limit: MAX_DEPTH });
        }
        let expected = |what: &str| JsonError::Expected { path: path.into(), expected: what.into() };
        Ok(match ty {
            Ty::Int => Value::Int(
                integer(json).and_then(|v| i32::try_from(v).ok()).ok_or_else(|| expected("an int (32-bit)"))?,
            ),
            Ty::Long => Value::Long(integer(json).ok_or_else(|| expected("a long (64-bit number or decimal string)"))?),
            Ty::Double => Value::Double(json.as_f64().ok_or_else(|| expected("a number"))?),
            Ty::Int128 => Value::Int128(fixed(json).ok_or_else(|| expected("an int128 (32 hex digits or base64)"))?),
            Ty::Int256 => Value::Int256(fixed(json).ok_or_else(|| expected("an int256 (64 hex digits or base64)"))?),
            Ty::Bytes => {
                let text = json.as_str().ok_or_else(|| expected("bytes (a base64 string)"))?;
                Value::Bytes(BASE64_IN.decode(text).map_err(|_| expected("bytes (a base64 string)"))?)
            }
            Ty::String => Value::string(json.as_str().ok_or_else(|| expected("a string"))?),
            Ty::Bool => Value::Bool(json.as_bool().ok_or_else(|| expected("a boolean"))?),
            Ty::TrueFlag | Ty::BoxedTrue => match json {
                Json::Bool(true) => Value::True,
                _ => return Err(expected("true")),
            },
            Ty::Vector { elem, .. } => {
                let items =
                    json.as_array().ok_or_else(|| expected(&format!("an array of {}", self.schema.ty_name(elem))))?;
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(self.value(item, elem, &format!("{path}[{i}]"), depth + 1)?);
                }
                Value::Vector(out)
            }
            Ty::Boxed(_) | Ty::Bare(_) | Ty::Function | Ty::AnyObject => {
                Value::Object(self.object(json, ty, path, depth)?)
            }
            Ty::Generic => return Err(JsonError::Type(CodecError::UnknownType { name: "X".into() })),
        })
    }

    /// An object: which definition (`"_"`, checked against what `ty` allows), then its fields.
    fn object(&self, json: &Json, ty: &Ty, path: &str, depth: usize) -> Result<Object, JsonError> {
        let what = self.schema.ty_name(ty);
        let map = json
            .as_object()
            .ok_or_else(|| JsonError::Expected { path: path.into(), expected: format!("a {what} object") })?;
        let def = self.definition(map, ty, path, &what)?;
        let mut fields = Vec::with_capacity(def.params.len());
        for p in &def.params {
            let (ty, required) = match &p.kind {
                ParamKind::Flags { .. } => continue,
                ParamKind::Required(ty) => (ty, true),
                ParamKind::Optional { ty, .. } => (ty, false),
            };
            match map.get(&p.name) {
                None | Some(Json::Null) if required => {
                    return Err(JsonError::MissingField {
                        path: path.into(),
                        definition: def.name.clone(),
                        field: p.name.clone(),
                    })
                }
                None | Some(Json::Null) => {}
                // A flag set to false is an absent flag.
                Some(Json::Bool(false)) if *ty == Ty::TrueFlag => {}
                Some(v) => fields.push((p.name.clone(), self.value(v, ty, &format!("{path}.{}", p.name), depth + 1)?)),
            }
        }
        if let Some(key) = map.keys().find(|k| *k != "_" && !def.params.iter().any(|p| p.name == **k)) {
            return Err(JsonError::UnknownField {
                path: path.into(),
                definition: def.name.clone(),
                field: key.clone(),
            });
        }
        Ok(Object { name: def.name.clone(), id: def.id, fields })
    }

    /// The definition an object's `"_"` names, if `ty` allows it; without `"_"`, the only one
    /// `ty` allows.
    fn definition(&self, map: &Map<String, Json>, ty: &Ty, path: &str, what: &str) -> Result<&Def, JsonError> {
        let Some(name) = map.get("_") else {
            let only = match ty {
                Ty::Bare(d) => Some(*d),
                Ty::Boxed(t) => match self.schema.type_info(*t).map(|i| i.constructors.as_slice()) {
                    Some([only]) => Some(*only),
                    _ => None,
                },
                _ => None,
            };
            return only.and_then(|d| self.schema.def(d)).ok_or_else(|| JsonError::Expected {
                path: path.into(),
                expected: format!("a {what} object with `_` naming its constructor"),
            });
        };
        let name = name.as_str().ok_or_else(|| JsonError::Expected {
            path: format!("{path}._"),
            expected: "a constructor or function name".into(),
        })?;
        let unknown = || JsonError::UnknownName { path: path.into(), name: name.into(), expected: what.into() };
        let (d, def) = self.schema.def_by_name(name).ok_or_else(unknown)?;
        let fits = match ty {
            Ty::Boxed(t) => !def.function && def.ty == Ty::Boxed(*t),
            Ty::Bare(b) => *b == d,
            Ty::Function => def.function,
            _ => true,
        };
        if fits {
            Ok(def)
        } else {
            Err(unknown())
        }
    }
}

/// A JSON integer, or a decimal string of one.
fn integer(json: &Json) -> Option<i64> {
    match json {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A fixed-size integer (`int128`, `int256`) from hex or base64.
fn fixed<const N: usize>(json: &Json) -> Option<[u8; N]> {
    let text = json.as_str()?;
    from_hex(text).or_else(|| BASE64_IN.decode(text).ok().and_then(|b| b.try_into().ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = "settings#00000001 flags:# on:flags.0?true tokens:flags.1?Vector<bytes> = Settings;\n\
        ---functions---\n\
        send#00000002 phone:string id:int hash:long nonce:int128 settings:Settings = Bool;\n";

    #[test]
    fn round_trips_and_accepts_the_alternative_forms() {
        let s = SchemaIndex::parse(SCHEMA).unwrap();
        let j = json!({"_": "send", "phone": "+1", "id": 5, "hash": "-9007199254740993",
            "nonce": "000102030405060708090a0b0c0d0e0f", "settings": {"tokens": ["AAE", "AgM="], "on": true, "flags": 3}});
        let bytes = json_to_request(&s, &j).unwrap();
        let back = request_to_json(&s, &bytes).unwrap();
        assert_eq!(back["hash"], json!(-9007199254740993i64));
        assert_eq!(back["nonce"], json!("000102030405060708090a0b0c0d0e0f"));
        assert_eq!(back["settings"], json!({"_": "settings", "on": true, "tokens": ["AAE=", "AgM="]}));
        assert_eq!(json_to_request(&s, &back).unwrap(), bytes);
    }

    #[test]
    fn longs_as_strings_are_exact_and_read_back() {
        let s = SchemaIndex::parse(SCHEMA).unwrap();
        let j = json!({"_": "send", "phone": "+1", "id": 5, "hash": "-9007199254740993",
            "nonce": "000102030405060708090a0b0c0d0e0f", "settings": {}});
        let bytes = json_to_request(&s, &j).unwrap();
        let value = decode_exact(&s, &TypeRef::any_function(), &bytes).unwrap();
        let strings = value_to_json_with(&value, Longs::Strings);
        assert_eq!(strings["hash"], json!("-9007199254740993"));
        // `int`s stay numbers: only the 64-bit values are at risk in JavaScript.
        assert_eq!(strings["id"], json!(5));
        assert_eq!(json_to_request(&s, &strings).unwrap(), bytes);
        assert_eq!(value_to_json_with(&value, Longs::Numbers)["hash"], json!(-9007199254740993i64));
    }

    #[test]
    fn errors_name_the_path() {
        let s = SchemaIndex::parse(SCHEMA).unwrap();
        let base = json!({"_": "send", "phone": "+1", "id": 5, "hash": 1, "nonce": "AAECAwQFBgcICQoLDA0ODw==", "settings": {}});
        assert!(json_to_request(&s, &base).is_ok());
        let mut bad = base.clone();
        bad["settings"]["tokens"] = json!(["AA", 7]);
        let err = json_to_request(&s, &bad).unwrap_err();
        assert!(matches!(&err, JsonError::Expected { path, .. } if path == "$.settings.tokens[1]"), "{err}");
        let mut bad = base.clone();
        bad["id"] = json!(1u64 << 40);
        assert!(matches!(json_to_request(&s, &bad), Err(JsonError::Expected { path, .. }) if path == "$.id"));
        let mut bad = base.clone();
        bad.as_object_mut().unwrap().remove("phone");
        assert!(matches!(json_to_request(&s, &bad), Err(JsonError::MissingField { field, .. }) if field == "phone"));
        let mut bad = base.clone();
        bad["settings"]["colour"] = json!(1);
        assert!(
            matches!(json_to_request(&s, &bad), Err(JsonError::UnknownField { path, field, .. }) if path == "$.settings" && field == "colour")
        );
        assert!(matches!(json_to_request(&s, &json!({"_": "settings"})), Err(JsonError::UnknownName { .. })));
        assert!(matches!(json_to_request(&s, &json!([])), Err(JsonError::Expected { path, .. }) if path == "$"));
    }
}
