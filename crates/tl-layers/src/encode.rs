//! Writing [`Value`]s as binary TL with a [`SchemaIndex`], following
//! <https://core.telegram.org/mtproto/serialize>.
//!
//! Objects are written by *name*: the schema's definition of that name gives the id and the field
//! order, so a value read with one layer's schema can be written with another's. `#` fields are
//! computed from which conditional fields are present. Writing is strict: a missing required field,
//! an unknown field, or a value of the wrong kind is an error, never a guess (filling gaps is the
//! translator's job, see [`crate::Layers`]).

use crate::decode::{flag_set, MAX_DEPTH};
use crate::error::CodecError;
use crate::index::{ids, Def, ParamKind, SchemaIndex, Ty, MAX_FLAG_FIELDS};
use crate::value::{Object, Value};
use crate::wire::write_tl_bytes;
use crate::TypeRef;

/// Writes a value in its boxed form: an object with its constructor (or function) id from the
/// schema, `Bool` as `boolTrue`/`boolFalse`, a vector as `Vector` of the elements' boxed forms,
/// numbers and byte strings as themselves. For bare types write with [`encode_as`].
pub fn encode(schema: &SchemaIndex, value: &Value) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    Encoder { schema }.natural(&mut out, value, 0)?;
    Ok(out)
}

/// Writes a value as the given type.
pub fn encode_as(schema: &SchemaIndex, ty: &TypeRef, value: &Value) -> Result<Vec<u8>, CodecError> {
    let ty = ty.check(schema)?;
    let mut out = Vec::new();
    Encoder { schema }.write(&mut out, ty, value, ("", ""), 0)?;
    Ok(out)
}

/// The definition and field being written, for error messages.
type Context<'a> = (&'a str, &'a str);

pub(crate) struct Encoder<'s> {
    pub(crate) schema: &'s SchemaIndex,
}

impl Encoder<'_> {
    fn natural(&self, out: &mut Vec<u8>, value: &Value, depth: usize) -> Result<(), CodecError> {
        let ty = match value {
            Value::Int(_) => Ty::Int,
            Value::Long(_) => Ty::Long,
            Value::Double(_) => Ty::Double,
            Value::Int128(_) => Ty::Int128,
            Value::Int256(_) => Ty::Int256,
            Value::Bytes(_) => Ty::Bytes,
            Value::String(_) => Ty::String,
            Value::Bool(_) => Ty::Bool,
            Value::True => Ty::BoxedTrue,
            Value::Object(_) => Ty::AnyObject,
            Value::Vector(items) => {
                if depth >= MAX_DEPTH {
                    return Err(CodecError::TooDeep { limit: MAX_DEPTH });
                }
                out.extend(ids::VECTOR.to_le_bytes());
                write_count(out, items.len())?;
                for item in items {
                    self.natural(out, item, depth + 1)?;
                }
                return Ok(());
            }
        };
        self.write(out, &ty, value, ("", ""), depth)
    }

    pub(crate) fn write(
        &self,
        out: &mut Vec<u8>,
        ty: &Ty,
        value: &Value,
        ctx: Context<'_>,
        depth: usize,
    ) -> Result<(), CodecError> {
        match (ty, value) {
            (Ty::Int, Value::Int(v)) => out.extend(v.to_le_bytes()),
            (Ty::Long, Value::Long(v)) => out.extend(v.to_le_bytes()),
            (Ty::Double, Value::Double(v)) => out.extend(v.to_le_bytes()),
            (Ty::Int128, Value::Int128(v)) => out.extend(v),
            (Ty::Int256, Value::Int256(v)) => out.extend(v),
            // Same wire form; `string` is not promised to be UTF-8 anyway.
            (Ty::Bytes | Ty::String, Value::Bytes(b) | Value::String(b)) => write_tl_bytes(out, b)?,
            (Ty::Bool, Value::Bool(b)) => {
                out.extend(if *b { ids::BOOL_TRUE } else { ids::BOOL_FALSE }.to_le_bytes());
            }
            (Ty::TrueFlag, Value::True) => {}
            (Ty::BoxedTrue, Value::True) => out.extend(ids::TRUE.to_le_bytes()),
            (Ty::Vector { bare, elem }, Value::Vector(items)) => {
                if depth >= MAX_DEPTH {
                    return Err(CodecError::TooDeep { limit: MAX_DEPTH });
                }
                if !bare {
                    out.extend(ids::VECTOR.to_le_bytes());
                }
                write_count(out, items.len())?;
                for item in items {
                    self.write(out, elem, item, ctx, depth + 1)?;
                }
            }
            (Ty::Boxed(_) | Ty::Function | Ty::AnyObject, Value::Object(o)) => {
                let (_, def) =
                    self.schema.def_by_name(&o.name).ok_or_else(|| CodecError::UnknownName { name: o.name.clone() })?;
                let fits = match ty {
                    Ty::Boxed(t) => !def.function && def.ty == Ty::Boxed(*t),
                    Ty::Function => def.function,
                    _ => true,
                };
                if !fits {
                    return Err(mismatch(self.schema, ctx, ty, value));
                }
                out.extend(def.id.to_le_bytes());
                self.fields(out, def, o, depth)?;
            }
            (Ty::Bare(d), Value::Object(o)) => {
                let def = self.schema.def(*d).ok_or_else(|| CodecError::UnknownName { name: o.name.clone() })?;
                if def.name != o.name {
                    return Err(mismatch(self.schema, ctx, ty, value));
                }
                self.fields(out, def, o, depth)?;
            }
            _ => return Err(mismatch(self.schema, ctx, ty, value)),
        }
        Ok(())
    }

    fn fields(&self, out: &mut Vec<u8>, def: &Def, o: &Object, depth: usize) -> Result<(), CodecError> {
        if depth >= MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        // Flags first: a bit is set when any field on it is present (a `true` flag: when it is
        // `True` or `Bool(true)`).
        let mut flags = [0u32; MAX_FLAG_FIELDS];
        for (name, value) in &o.fields {
            let param = def.params.iter().find(|p| p.name == *name && !matches!(p.kind, ParamKind::Flags { .. }));
            let Some(param) = param else {
                return Err(CodecError::UnknownField { definition: def.name.clone(), field: name.clone() });
            };
            if let ParamKind::Optional { slot, bit, ty } = &param.kind {
                let set = match (ty, value) {
                    (Ty::TrueFlag, Value::True | Value::Bool(true)) => true,
                    (Ty::TrueFlag, Value::Bool(false)) => false,
                    (Ty::TrueFlag, other) => {
                        return Err(mismatch(self.schema, (&def.name, name), ty, other));
                    }
                    _ => true,
                };
                if let (true, Some(f)) = (set, flags.get_mut(*slot)) {
                    *f |= 1u32.checked_shl(*bit).unwrap_or(0);
                }
            }
        }
        let mut hint = 0;
        for p in &def.params {
            let value = match &p.kind {
                ParamKind::Flags { slot } => {
                    out.extend(flags.get(*slot).copied().unwrap_or(0).to_le_bytes());
                    continue;
                }
                ParamKind::Optional { ty: Ty::TrueFlag, .. } => continue,
                ParamKind::Optional { slot, bit, .. } if !flag_set(&flags, *slot, *bit) => continue,
                ParamKind::Required(_) | ParamKind::Optional { .. } => find_field(o, &p.name, &mut hint),
            };
            let (ParamKind::Required(ty) | ParamKind::Optional { ty, .. }) = &p.kind else { continue };
            let value = value
                .ok_or_else(|| CodecError::MissingField { definition: def.name.clone(), field: p.name.clone() })?;
            self.write(out, ty, value, (&def.name, &p.name), depth + 1)?;
        }
        Ok(())
    }
}

/// A field by name; fields are usually in definition order, so the search starts where the last
/// one was found.
fn find_field<'v>(o: &'v Object, name: &str, hint: &mut usize) -> Option<&'v Value> {
    let n = o.fields.len();
    let start = *hint;
    let found = (0..n).map(|k| (start + k) % n).find(|&i| o.fields[i].0 == name)?;
    *hint = found + 1;
    Some(&o.fields[found].1)
}

fn write_count(out: &mut Vec<u8>, len: usize) -> Result<(), CodecError> {
    let count = u32::try_from(len).map_err(|_| CodecError::TypeMismatch {
        context: "vector".into(),
        expected: "at most 2^32-1 elements".into(),
        found: format!("{len}"),
    })?;
    out.extend(count.to_le_bytes());
    Ok(())
}

fn mismatch(schema: &SchemaIndex, ctx: Context<'_>, ty: &Ty, value: &Value) -> CodecError {
    let context = match ctx {
        ("", "") => "value".to_string(),
        (def, field) => format!("{def}.{field}"),
    };
    CodecError::TypeMismatch { context, expected: schema.ty_name(ty), found: value.kind() }
}
