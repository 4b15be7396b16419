//! Lifting a [`Value`] read with one layer's schema into the shape another layer's schema expects,
//! by name (see the crate docs and
//! <https://core.telegram.org/api/invoking#layers>).
//!
//! Constructors and functions are matched by their full TL name, fields by their name. A field the
//! target lacks is dropped; a required field the source lacks gets its neutral value
//! ([`neutral`]); an optional one stays absent. A field whose type changed between layers is
//! converted when the value still fits (`int` into `long`, `Bool` into a `true` flag, `bytes` into
//! `string`), otherwise treated as missing.
//!
//! A constructor whose name the target does not have (or has for another type) is an error for
//! requests (the client sent something we cannot understand), and is replaced for answers: by the
//! type's `...Unsupported` constructor if it has one, else by the constructor sharing the most
//! field names with the original, else by the neutral one.

use crate::error::{CodecError, TranslateError};
use crate::index::{Def, ParamKind, SchemaIndex, Ty};
use crate::value::{Object, Value};
use crate::MAX_DEPTH;

/// How deep a neutral value may be built (`userEmpty` needs 1; a type whose neutral constructor
/// requires itself would otherwise never end).
const NEUTRAL_DEPTH: usize = 16;

/// Which way a message travels, which decides what happens to constructors the target lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Client to us: an unknown constructor or method is the client's error.
    Request,
    /// Us to client: an unknown constructor is replaced by the type's fallback.
    Answer,
}

/// The lifting of values into one target schema.
pub(crate) struct Lift<'s> {
    pub(crate) to: &'s SchemaIndex,
    pub(crate) direction: Direction,
}

impl Lift<'_> {
    /// Lifts `value` to the target type `ty`. `Ok(None)`: the value cannot be represented as
    /// `ty` at all (its kind changed between layers); the caller treats the field as missing.
    pub(crate) fn value(&self, value: Value, ty: &Ty, depth: usize) -> Result<Option<Value>, TranslateError> {
        if depth >= MAX_DEPTH {
            return Err(TranslateError::Encode(CodecError::TooDeep { limit: MAX_DEPTH }));
        }
        Ok(Some(match (ty, value) {
            (Ty::Int, v @ Value::Int(_)) => v,
            (Ty::Int, Value::Long(x)) => match i32::try_from(x) {
                Ok(x) => Value::Int(x),
                Err(_) => return Ok(None),
            },
            (Ty::Long, Value::Int(x)) => Value::Long(i64::from(x)),
            (Ty::Long, v @ Value::Long(_)) => v,
            (Ty::Double, v @ Value::Double(_)) => v,
            (Ty::Int128, v @ Value::Int128(_)) => v,
            (Ty::Int256, v @ Value::Int256(_)) => v,
            (Ty::Bytes, Value::Bytes(b) | Value::String(b)) => Value::Bytes(b),
            (Ty::String, Value::Bytes(b) | Value::String(b)) => Value::String(b),
            (Ty::Bool, v @ Value::Bool(_)) => v,
            (Ty::Bool, Value::True) => Value::Bool(true),
            (Ty::TrueFlag | Ty::BoxedTrue, Value::True | Value::Bool(true)) => Value::True,
            // A `false` that became a flag is an absent flag.
            (Ty::TrueFlag, Value::Bool(false)) => return Ok(None),
            (Ty::Vector { elem, .. }, Value::Vector(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    // An element that no longer fits the element type is left out.
                    if let Some(v) = self.value(item, elem, depth + 1)? {
                        out.push(v);
                    }
                }
                Value::Vector(out)
            }
            (Ty::Boxed(t), Value::Object(o)) => Value::Object(self.boxed(o, *t, depth)?),
            (Ty::Bare(d), Value::Object(o)) => {
                let def = self.def(*d)?;
                Value::Object(self.fields(o, def, depth)?)
            }
            (Ty::Function, Value::Object(o)) => match self.to.def_by_name(&o.name) {
                Some((_, def)) if def.function => Value::Object(self.fields(o, def, depth)?),
                _ => return Err(TranslateError::UnknownMethod { name: o.name }),
            },
            (Ty::AnyObject, Value::Object(o)) => match self.to.def_by_name(&o.name) {
                Some((_, def)) => Value::Object(self.fields(o, def, depth)?),
                None => return Err(TranslateError::UnknownConstructor { name: o.name }),
            },
            _ => return Ok(None),
        }))
    }

    /// An object lifted into boxed type `t` of the target.
    fn boxed(&self, o: Object, t: usize, depth: usize) -> Result<Object, TranslateError> {
        if let Some((_, def)) = self.to.def_by_name(&o.name) {
            if !def.function && def.ty == Ty::Boxed(t) {
                return self.fields(o, def, depth);
            }
        }
        if self.direction == Direction::Request {
            return Err(TranslateError::UnknownConstructor { name: o.name });
        }
        let fallback =
            self.fallback(&o, t).ok_or_else(|| TranslateError::UnknownConstructor { name: o.name.clone() })?;
        self.fields(o, fallback, depth)
    }

    /// The constructor of target type `t` that stands in for `o` (see the module docs).
    fn fallback(&self, o: &Object, t: usize) -> Option<&Def> {
        let info = self.to.type_info(t)?;
        let constructors = || info.constructors.iter().filter_map(|d| self.to.def(*d));
        if let Some(def) = constructors().find(|d| d.source.name.ends_with("Unsupported")) {
            return Some(def);
        }
        let shared = |def: &Def| {
            def.params.iter().filter(|p| !matches!(p.kind, ParamKind::Flags { .. }) && o.has(&p.name)).count()
        };
        // The most shared field names; on a tie the first in file order (max_by_key keeps the last).
        let best = constructors().rev().max_by_key(|d| shared(d)).filter(|d| shared(d) > 0);
        best.or_else(|| info.neutral.and_then(|d| self.to.def(d)))
    }

    /// The fields of `o` rearranged for `def`, by name, with missing required ones made neutral.
    fn fields(&self, o: Object, def: &Def, depth: usize) -> Result<Object, TranslateError> {
        let mut source: Vec<(String, Option<Value>)> = o.fields.into_iter().map(|(n, v)| (n, Some(v))).collect();
        let mut fields = Vec::with_capacity(def.params.len());
        for p in &def.params {
            let (ty, required) = match &p.kind {
                ParamKind::Flags { .. } => continue,
                ParamKind::Required(ty) => (ty, true),
                ParamKind::Optional { ty, .. } => (ty, false),
            };
            let taken = source.iter_mut().find(|(n, _)| *n == p.name).and_then(|(_, v)| v.take());
            let lifted = match taken {
                Some(v) => self.value(v, ty, depth + 1)?,
                None => None,
            };
            match lifted {
                Some(v) => fields.push((p.name.clone(), v)),
                None if required => fields.push((p.name.clone(), neutral(self.to, ty, 0)?)),
                None => {}
            }
        }
        Ok(Object { name: def.name.clone(), id: def.id, fields })
    }

    fn def(&self, d: usize) -> Result<&Def, TranslateError> {
        self.to.def(d).ok_or_else(|| TranslateError::Encode(CodecError::UnknownType { name: format!("#{d}") }))
    }
}

/// The neutral value of a target type: a number 0, empty bytes/string/vector, `Bool` false, and
/// for an object type its neutral constructor with neutral required fields, to [`NEUTRAL_DEPTH`].
pub(crate) fn neutral(schema: &SchemaIndex, ty: &Ty, depth: usize) -> Result<Value, TranslateError> {
    if depth >= NEUTRAL_DEPTH {
        return Err(TranslateError::Encode(CodecError::TooDeep { limit: NEUTRAL_DEPTH }));
    }
    let unusable = || TranslateError::Encode(CodecError::UnknownType { name: schema.ty_name(ty) });
    Ok(match ty {
        Ty::Int => Value::Int(0),
        Ty::Long => Value::Long(0),
        Ty::Double => Value::Double(0.0),
        Ty::Int128 => Value::Int128([0; 16]),
        Ty::Int256 => Value::Int256([0; 32]),
        Ty::Bytes => Value::Bytes(Vec::new()),
        Ty::String => Value::String(Vec::new()),
        Ty::Bool => Value::Bool(false),
        Ty::TrueFlag | Ty::BoxedTrue => Value::True,
        Ty::Vector { .. } => Value::Vector(Vec::new()),
        Ty::Boxed(t) => {
            let d = schema.type_info(*t).and_then(|info| info.neutral).ok_or_else(unusable)?;
            Value::Object(neutral_object(schema, schema.def(d).ok_or_else(unusable)?, depth)?)
        }
        Ty::Bare(d) => Value::Object(neutral_object(schema, schema.def(*d).ok_or_else(unusable)?, depth)?),
        Ty::Function | Ty::AnyObject | Ty::Generic => return Err(unusable()),
    })
}

/// A definition with every required field neutral and every optional one absent.
fn neutral_object(schema: &SchemaIndex, def: &Def, depth: usize) -> Result<Object, TranslateError> {
    let mut fields = Vec::with_capacity(def.required);
    for p in &def.params {
        if let ParamKind::Required(ty) = &p.kind {
            fields.push((p.name.clone(), neutral(schema, ty, depth + 1)?));
        }
    }
    Ok(Object { name: def.name.clone(), id: def.id, fields })
}
