//! Reading binary TL into [`Value`]s with a [`SchemaIndex`], following
//! <https://core.telegram.org/mtproto/serialize>.
//!
//! Untrusted input is the normal case here (requests come from the network), so: every length is
//! checked against the remaining input before anything is allocated for it, nesting is limited to
//! [`MAX_DEPTH`], the `gzip_packed` payloads (gzip or zlib) of one value share one
//! [`InflateLimits`] budget (bytes in all, and how deep they nest), and nothing panics.

use ferrogram_tl::inflate::{InflateBudget, InflateError, InflateLimits};

use crate::error::CodecError;
use crate::index::{ids, ParamKind, SchemaIndex, Ty, MAX_FLAG_FIELDS};
use crate::value::{Object, Value};
use crate::wire::Reader;
use crate::TypeRef;

/// How deep objects and vectors may nest (the real API nests about 10 levels).
pub const MAX_DEPTH: usize = 64;

/// The most elements a vector of zero-byte elements may announce: such elements take no input, so
/// the input length cannot bound their count.
const MAX_EMPTY_ELEMENTS: u32 = 1 << 16;

/// Reads one value of type `expected` from the start of `bytes`; returns it and how many bytes it
/// took. Trailing bytes are left alone (see [`decode_exact`]).
///
/// A boxed value may arrive as `gzip_packed` (any boxed position, as the spec allows); it is
/// inflated and the value inside returned. All of them together may inflate to the default
/// [`InflateLimits`]; [`decode_with`] takes others.
pub fn decode(schema: &SchemaIndex, expected: &TypeRef, bytes: &[u8]) -> Result<(Value, usize), CodecError> {
    decode_with(schema, expected, bytes, InflateLimits::default())
}

/// [`decode`] with the `gzip_packed` payloads of the value limited by `limits`: at most
/// `max_total_bytes` inflated in all, nested at most `max_depth` deep.
pub fn decode_with(
    schema: &SchemaIndex,
    expected: &TypeRef,
    bytes: &[u8],
    limits: InflateLimits,
) -> Result<(Value, usize), CodecError> {
    let ty = expected.check(schema)?;
    let mut r = Reader::new(bytes);
    let value = Decoder { schema }.read(&mut r, ty, 0, &mut InflateBudget::new(limits))?;
    Ok((value, r.position()))
}

/// Reads one value of type `expected` that must span all of `bytes` (with the default
/// [`InflateLimits`]).
pub fn decode_exact(schema: &SchemaIndex, expected: &TypeRef, bytes: &[u8]) -> Result<Value, CodecError> {
    decode_exact_with(schema, expected, bytes, InflateLimits::default())
}

/// [`decode_exact`] with `limits` on its `gzip_packed` payloads (see [`decode_with`]).
pub fn decode_exact_with(
    schema: &SchemaIndex,
    expected: &TypeRef,
    bytes: &[u8],
    limits: InflateLimits,
) -> Result<Value, CodecError> {
    let (value, used) = decode_with(schema, expected, bytes, limits)?;
    match bytes.len().saturating_sub(used) {
        0 => Ok(value),
        count => Err(CodecError::TrailingBytes { offset: used, count }),
    }
}

struct Decoder<'s> {
    schema: &'s SchemaIndex,
}

impl Decoder<'_> {
    fn read(&self, r: &mut Reader<'_>, ty: &Ty, depth: usize, budget: &mut InflateBudget) -> Result<Value, CodecError> {
        Ok(match ty {
            Ty::Int => Value::Int(r.i32()?),
            Ty::Long => Value::Long(r.i64()?),
            Ty::Double => Value::Double(r.f64()?),
            Ty::Int128 => Value::Int128(r.array()?),
            Ty::Int256 => Value::Int256(r.array()?),
            Ty::Bytes => Value::Bytes(r.tl_bytes()?.to_vec()),
            Ty::String => Value::String(r.tl_bytes()?.to_vec()),
            Ty::TrueFlag => Value::True,
            Ty::Bool => {
                let at = r.position();
                match r.u32()? {
                    ids::BOOL_TRUE => Value::Bool(true),
                    ids::BOOL_FALSE => Value::Bool(false),
                    id => return Err(CodecError::BadBool { id, offset: at }),
                }
            }
            Ty::BoxedTrue => {
                let at = r.position();
                match r.u32()? {
                    ids::TRUE => Value::True,
                    ids::GZIP_PACKED => return self.gzip(r, at, ty, depth, budget),
                    id => return Err(CodecError::UnknownConstructor { id, expected: "True".into(), offset: at }),
                }
            }
            Ty::Vector { bare, elem } => {
                if !bare {
                    let at = r.position();
                    match r.u32()? {
                        ids::VECTOR => {}
                        ids::GZIP_PACKED => return self.gzip(r, at, ty, depth, budget),
                        id => return Err(CodecError::NotAVector { id, offset: at }),
                    }
                }
                self.vector(r, elem, depth, budget)?
            }
            Ty::Boxed(_) | Ty::Function | Ty::AnyObject => self.boxed(r, ty, depth, budget)?,
            Ty::Bare(d) => Value::Object(self.fields(r, *d, depth, budget)?),
            Ty::Generic => return Err(CodecError::UnknownType { name: "X".into() }),
        })
    }

    /// A constructor id, checked against the expected type, and the fields after it.
    fn boxed(
        &self,
        r: &mut Reader<'_>,
        ty: &Ty,
        depth: usize,
        budget: &mut InflateBudget,
    ) -> Result<Value, CodecError> {
        let at = r.position();
        let id = r.u32()?;
        let found = self.schema.def_by_id(id);
        if id == ids::GZIP_PACKED && found.is_none() {
            return self.gzip(r, at, ty, depth, budget);
        }
        let expected = || self.schema.ty_name(ty);
        let index = match (ty, found) {
            (Ty::Function, Some((i, def))) if def.function => i,
            (Ty::Function, None) => return Err(CodecError::UnknownFunction { id, offset: at }),
            (Ty::Boxed(t), Some((i, def))) if !def.function && def.ty == Ty::Boxed(*t) => i,
            (Ty::AnyObject, Some((i, _))) => i,
            (_, Some((_, def))) => {
                return Err(CodecError::WrongType { found: def.name.clone(), expected: expected(), offset: at })
            }
            (_, None) => return Err(CodecError::UnknownConstructor { id, expected: expected(), offset: at }),
        };
        Ok(Value::Object(self.fields(r, index, depth, budget)?))
    }

    /// The fields of a definition, flags first resolved as they appear.
    fn fields(
        &self,
        r: &mut Reader<'_>,
        index: usize,
        depth: usize,
        budget: &mut InflateBudget,
    ) -> Result<Object, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        let def = self.schema.def(index).ok_or(CodecError::UnknownType { name: format!("#{index}") })?;
        let mut flags = [0u32; MAX_FLAG_FIELDS];
        let mut fields = Vec::with_capacity(def.params.len());
        for p in &def.params {
            match &p.kind {
                ParamKind::Flags { slot } => {
                    let value = r.u32()?;
                    if let Some(f) = flags.get_mut(*slot) {
                        *f = value;
                    }
                }
                ParamKind::Required(ty) => fields.push((p.name.clone(), self.read(r, ty, depth + 1, budget)?)),
                ParamKind::Optional { slot, bit, ty } => {
                    if flag_set(&flags, *slot, *bit) {
                        fields.push((p.name.clone(), self.read(r, ty, depth + 1, budget)?));
                    }
                }
            }
        }
        Ok(Object { name: def.name.clone(), id: def.id, fields })
    }

    /// A vector's count and elements (the `vector` id, if boxed, is already read).
    fn vector(
        &self,
        r: &mut Reader<'_>,
        elem: &Ty,
        depth: usize,
        budget: &mut InflateBudget,
    ) -> Result<Value, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        let at = r.position();
        let count = r.u32()?;
        // Every element that takes input takes at least 4 bytes.
        let limit = if self.may_be_empty(elem, 4) { MAX_EMPTY_ELEMENTS } else { (r.remaining() / 4) as u32 };
        if count > limit {
            return Err(CodecError::VectorTooLong { count, offset: at });
        }
        let mut items = Vec::with_capacity(count as usize);
        for _ in 0..count {
            items.push(self.read(r, elem, depth + 1, budget)?);
        }
        Ok(Value::Vector(items))
    }

    /// Whether a value of this type can take zero bytes (only `true` and bare constructors made of
    /// such). `budget` bounds the walk; when it runs out the answer is a cautious yes.
    fn may_be_empty(&self, ty: &Ty, budget: u32) -> bool {
        match ty {
            Ty::TrueFlag => true,
            Ty::Bare(d) if budget > 0 => self.schema.def(*d).is_some_and(|def| {
                def.params.iter().all(|p| match &p.kind {
                    ParamKind::Flags { .. } => false,
                    ParamKind::Required(t) | ParamKind::Optional { ty: t, .. } => self.may_be_empty(t, budget - 1),
                })
            }),
            Ty::Bare(_) => true,
            _ => false,
        }
    }

    /// `gzip_packed packed_data:bytes`: inflates (within what `budget` has left, one level
    /// deeper) and reads a value of the expected type that must span the inflated data.
    fn gzip(
        &self,
        r: &mut Reader<'_>,
        at: usize,
        ty: &Ty,
        depth: usize,
        budget: &mut InflateBudget,
    ) -> Result<Value, CodecError> {
        if depth >= MAX_DEPTH {
            return Err(CodecError::TooDeep { limit: MAX_DEPTH });
        }
        let packed = r.tl_bytes()?;
        let read = budget.inflate_then(packed, |budget, inflated| {
            let mut inner = Reader::new(&inflated);
            let value = self.read(&mut inner, ty, depth + 1, budget)?;
            match inner.remaining() {
                0 => Ok(value),
                count => Err(CodecError::TrailingBytes { offset: inner.position(), count }.into()),
            }
        });
        read.map_err(|e| match e {
            GzipRead::Inflate(error) => CodecError::Gzip { offset: at, error },
            GzipRead::Inner(e) => e,
        })
    }
}

/// What can fail in [`Decoder::gzip`]: inflating this payload (the caller adds its offset), or
/// reading what it packs (already a complete error).
enum GzipRead {
    Inflate(InflateError),
    Inner(CodecError),
}

impl From<InflateError> for GzipRead {
    fn from(e: InflateError) -> Self {
        GzipRead::Inflate(e)
    }
}

impl From<CodecError> for GzipRead {
    fn from(e: CodecError) -> Self {
        GzipRead::Inner(e)
    }
}

/// Whether bit `bit` of flags slot `slot` is set.
pub(crate) fn flag_set(flags: &[u32; MAX_FLAG_FIELDS], slot: usize, bit: u32) -> bool {
    flags.get(slot).is_some_and(|f| f & 1u32.checked_shl(bit).unwrap_or(0) != 0)
}
