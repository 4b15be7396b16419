//! A parsed TL schema compiled for fast encoding and decoding: every type reference resolved once,
//! constructors and functions looked up by id and by name through hash maps, and for each type
//! the constructors the neutral-value rule picks.
//!
//! Schema language: <https://core.telegram.org/mtproto/TL>; built-in types (`int`, `long`,
//! `double`, `int128`, `int256`, `bytes`, `string`, `Bool`, `true`, `Vector`/`vector`):
//! <https://core.telegram.org/mtproto/serialize>; generics (`{X:Type}` and `!X`):
//! <https://core.telegram.org/mtproto/TL-combinators>.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use tl_gen::{Category, Definition, ParameterType, Schema};

use crate::error::{CodecError, SchemaError};

/// How many `#` fields one definition may have (real schemas use at most three).
pub(crate) const MAX_FLAG_FIELDS: usize = 8;

/// Constructor ids of the built-in types, fixed by the MTProto spec.
pub(crate) mod ids {
    /// `boolTrue#997275b5 = Bool`.
    pub const BOOL_TRUE: u32 = 0x9972_75b5;
    /// `boolFalse#bc799737 = Bool`.
    pub const BOOL_FALSE: u32 = 0xbc79_9737;
    /// `true#3fedd339 = True`.
    pub const TRUE: u32 = 0x3fed_d339;
    /// `vector#1cb5c415 {t:Type} # [ t ] = Vector t`.
    pub const VECTOR: u32 = 0x1cb5_c415;
    /// `gzip_packed#3072cfa1 packed_data:bytes = Object`.
    pub const GZIP_PACKED: u32 = 0x3072_cfa1;
    /// `rpc_error#2144ca19 error_code:int error_message:string = RpcError`.
    pub const RPC_ERROR: u32 = 0x2144_ca19;
}

/// Each index gets a distinct serial so a [`TypeRef`] can tell which schema made it.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// A resolved type reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    Int,
    Long,
    Double,
    Int128,
    Int256,
    Bytes,
    String,
    /// Boxed `Bool`: `boolTrue` / `boolFalse`.
    Bool,
    /// Bare `true`: zero bytes; only meaningful as a conditional field.
    TrueFlag,
    /// Boxed `True`: the id of `true#3fedd339`.
    BoxedTrue,
    /// `Vector<T>` (boxed, with the `vector` id) or `vector<T>` (bare).
    Vector {
        bare: bool,
        elem: Box<Ty>,
    },
    /// A boxed type: index into [`SchemaIndex::types`].
    Boxed(usize),
    /// A bare constructor: index into [`SchemaIndex::defs`].
    Bare(usize),
    /// `!X`: any function of the schema, boxed (the query that `invokeWithLayer` & co. wrap).
    Function,
    /// `Object`: any constructor or function, boxed.
    AnyObject,
    /// `X` as the result of a generic function: the wrapped query's result type.
    Generic,
}

/// One parameter of a compiled definition.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: String,
    pub kind: ParamKind,
}

/// What a parameter is on the wire.
#[derive(Debug, Clone)]
pub(crate) enum ParamKind {
    /// A `#` field; its value lives in flags slot `slot` while reading or writing.
    Flags { slot: usize },
    /// Always present.
    Required(Ty),
    /// Present when bit `bit` of flags slot `slot` is set.
    Optional { slot: usize, bit: u32, ty: Ty },
}

/// A compiled constructor or function.
#[derive(Debug, Clone)]
pub(crate) struct Def {
    pub name: String,
    pub id: u32,
    pub function: bool,
    pub params: Vec<Param>,
    /// Constructors: `Boxed(their type)`; functions: the result type.
    pub ty: Ty,
    /// How many fields are always present (flags fields not counted).
    pub required: usize,
    pub source: Definition,
}

/// A boxed type and its constructors.
#[derive(Debug, Clone)]
pub(crate) struct TypeInfo {
    pub name: String,
    /// Indices into `defs`, in file order.
    pub constructors: Vec<usize>,
    /// The constructor a missing required value of this type becomes (see [`neutral_choice`]).
    pub neutral: Option<usize>,
    /// The constructor that stands in for one the target layer lacks.
    pub fallback: Option<usize>,
}

/// A TL schema compiled for [`crate::decode()`], [`crate::encode()`] and translation.
///
/// Built once per schema text; lookups by id and by name are hash-map hits. `Bool`, `True`,
/// `Vector`, `Object` and the primitive types are built in, so a schema file does not need to
/// declare them (ours does not; GramJS's does, and those declarations are skipped).
#[derive(Debug, Clone)]
pub struct SchemaIndex {
    serial: u64,
    layer: Option<i32>,
    pub(crate) defs: Vec<Def>,
    by_id: HashMap<u32, usize>,
    by_name: HashMap<String, usize>,
    pub(crate) types: Vec<TypeInfo>,
    type_by_name: HashMap<String, usize>,
}

/// A type to read or write, resolved against one schema (made by [`SchemaIndex::type_ref`]), or
/// one of the schema-independent [`TypeRef::any_function`] / [`TypeRef::any_object`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRef {
    /// The serial of the schema the reference belongs to; `None` for schema-independent ones.
    pub(crate) schema: Option<u64>,
    pub(crate) ty: Ty,
    text: String,
}

impl TypeRef {
    /// Any function of the schema, boxed: how a request (or `!X` query) is read.
    pub fn any_function() -> TypeRef {
        TypeRef { schema: None, ty: Ty::Function, text: "!X".into() }
    }

    /// Any constructor or function of the schema, boxed (TL's `Object`).
    pub fn any_object() -> TypeRef {
        TypeRef { schema: None, ty: Ty::AnyObject, text: "Object".into() }
    }

    /// The type expression this reference was made from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the schema may use this reference.
    pub(crate) fn check(&self, schema: &SchemaIndex) -> Result<&Ty, CodecError> {
        match self.schema {
            Some(s) if s != schema.serial => Err(CodecError::ForeignTypeRef),
            _ => Ok(&self.ty),
        }
    }
}

impl fmt::Display for TypeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Names a schema file may declare that are built into this crate instead.
fn is_builtin_definition(def: &Definition) -> bool {
    let ty = def.ty.full_name();
    matches!(ty.as_str(), "Bool" | "True" | "Vector") && def.category == Category::Type
}

impl SchemaIndex {
    /// Parses and compiles TL schema text.
    pub fn parse(text: &str) -> Result<SchemaIndex, SchemaError> {
        SchemaIndex::new(&tl_gen::parse_schema(text)?)
    }

    /// Compiles a parsed schema.
    pub fn new(schema: &Schema) -> Result<SchemaIndex, SchemaError> {
        let mut index = SchemaIndex {
            serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
            layer: schema.layer,
            defs: Vec::new(),
            by_id: HashMap::new(),
            by_name: HashMap::new(),
            types: Vec::new(),
            type_by_name: HashMap::new(),
        };
        // Pass 1: names, ids and constructor lists, so that pass 2 can resolve bare references to
        // constructors declared later in the file.
        for def in schema.definitions.iter().filter(|d| !is_builtin_definition(d)) {
            let name = def.full_name();
            let position = index.defs.len();
            let clash = |what: &str| SchemaError::Resolve {
                definition: name.clone(),
                reason: format!("{what} declared twice"),
            };
            if index.by_id.insert(def.id, position).is_some() {
                return Err(clash("id"));
            }
            if index.by_name.insert(name.clone(), position).is_some() {
                return Err(clash("name"));
            }
            let function = def.category == Category::Function;
            let ty = if function {
                Ty::Generic // resolved in pass 2
            } else {
                let t = index.type_slot(&def.ty.full_name());
                if let Some(info) = index.types.get_mut(t) {
                    info.constructors.push(position);
                }
                Ty::Boxed(t)
            };
            index.defs.push(Def {
                name,
                id: def.id,
                function,
                params: Vec::new(),
                ty,
                required: 0,
                source: def.clone(),
            });
        }
        // Pass 2: parameters and function result types.
        for position in 0..index.defs.len() {
            let Some(source) = index.defs.get(position).map(|d| d.source.clone()) else { continue };
            let fail = |reason: String| SchemaError::Resolve { definition: source.full_name(), reason };
            let mut params = Vec::with_capacity(source.params.len());
            let mut flag_names: Vec<&str> = Vec::new();
            let mut required = 0;
            for p in &source.params {
                let kind = match &p.ty {
                    ParameterType::Flags => {
                        if flag_names.len() >= MAX_FLAG_FIELDS {
                            return Err(fail(format!("more than {MAX_FLAG_FIELDS} `#` fields")));
                        }
                        flag_names.push(&p.name);
                        ParamKind::Flags { slot: flag_names.len() - 1 }
                    }
                    ParameterType::Normal { ty, flag: None } => {
                        required += 1;
                        ParamKind::Required(index.resolve_param(ty).map_err(fail)?)
                    }
                    ParameterType::Normal { ty, flag: Some(flag) } => {
                        let slot = flag_names
                            .iter()
                            .position(|n| *n == flag.name)
                            .ok_or_else(|| fail(format!("no `#` field `{}`", flag.name)))?;
                        ParamKind::Optional { slot, bit: flag.index, ty: index.resolve_param(ty).map_err(fail)? }
                    }
                };
                params.push(Param { name: p.name.clone(), kind });
            }
            let result = if source.category == Category::Function {
                if source.ty.generic_ref {
                    Some(Ty::Generic)
                } else {
                    Some(index.resolve_param(&source.ty).map_err(fail)?)
                }
            } else {
                None
            };
            if let Some(def) = index.defs.get_mut(position) {
                def.params = params;
                def.required = required;
                if let Some(result) = result {
                    def.ty = result;
                }
            }
        }
        for t in 0..index.types.len() {
            let (neutral, fallback) = index.neutral_choice(t);
            if let Some(info) = index.types.get_mut(t) {
                info.neutral = neutral;
                info.fallback = fallback;
            }
        }
        Ok(index)
    }

    /// The index of a boxed type, registering it (without constructors) on first sight.
    fn type_slot(&mut self, name: &str) -> usize {
        if let Some(&t) = self.type_by_name.get(name) {
            return t;
        }
        self.types.push(TypeInfo { name: name.to_string(), constructors: Vec::new(), neutral: None, fallback: None });
        self.type_by_name.insert(name.to_string(), self.types.len() - 1);
        self.types.len() - 1
    }

    /// Resolves a parameter's type while building.
    fn resolve_param(&mut self, ty: &tl_gen::Type) -> Result<Ty, String> {
        if ty.generic_ref {
            // `!X` (and a plain `X` used as a field) is a whole wrapped query.
            return Ok(Ty::Function);
        }
        let name = ty.full_name();
        if let Some(arg) = &ty.generic_arg {
            let elem = self.resolve_param(arg)?;
            return match name.as_str() {
                "Vector" => Ok(Ty::Vector { bare: false, elem: Box::new(elem) }),
                "vector" => Ok(Ty::Vector { bare: true, elem: Box::new(elem) }),
                _ => Err(format!("`{name}` takes no type argument")),
            };
        }
        if let Some(t) = builtin(&name) {
            return Ok(t);
        }
        if ty.bare {
            // `%T` or a lower-case constructor name.
            return self.resolve_bare(&name).ok_or_else(|| format!("no bare type `{name}`"));
        }
        Ok(Ty::Boxed(self.type_slot(&name)))
    }

    /// A bare reference: a constructor by name, or the single constructor of a type (`%T`).
    fn resolve_bare(&self, name: &str) -> Option<Ty> {
        if let Some(&d) = self.by_name.get(name) {
            return self.defs.get(d).filter(|d| !d.function).map(|_| Ty::Bare(d));
        }
        let t = self.type_by_name.get(name)?;
        match self.types.get(*t)?.constructors.as_slice() {
            [only] => Some(Ty::Bare(*only)),
            _ => None,
        }
    }

    /// Picks a type's neutral and fallback constructors.
    ///
    /// Neutral: the first constructor whose name ends in `Empty` (`userEmpty`, `inputPeerEmpty`),
    /// else the constructor with the fewest always-present fields, the first in file order on a
    /// tie. Fallback (for a constructor the target layer lacks): the first whose name ends in
    /// `Unsupported` (`messageMediaUnsupported`), else the neutral one.
    fn neutral_choice(&self, t: usize) -> (Option<usize>, Option<usize>) {
        let Some(info) = self.types.get(t) else { return (None, None) };
        let short = |d: &usize| self.defs.get(*d).map(|d| d.source.name.clone()).unwrap_or_default();
        let neutral = info.constructors.iter().find(|d| short(d).ends_with("Empty")).copied().or_else(|| {
            info.constructors.iter().min_by_key(|d| self.defs.get(**d).map_or(usize::MAX, |d| d.required)).copied()
        });
        let fallback = info.constructors.iter().find(|d| short(d).ends_with("Unsupported")).copied().or(neutral);
        (neutral, fallback)
    }

    /// The layer from the schema's `// LAYER N` line, if it has one.
    pub fn layer(&self) -> Option<i32> {
        self.layer
    }

    /// Every constructor and function, in file order (built-in declarations left out).
    pub fn definitions(&self) -> impl Iterator<Item = &Definition> {
        self.defs.iter().map(|d| &d.source)
    }

    /// The definition with this full name (`auth.signIn`).
    pub fn definition(&self, name: &str) -> Option<&Definition> {
        self.def_by_name(name).map(|(_, d)| &d.source)
    }

    /// The definition with this constructor id.
    pub fn definition_by_id(&self, id: u32) -> Option<&Definition> {
        self.def_by_id(id).map(|(_, d)| &d.source)
    }

    /// Whether the schema defines this id.
    pub fn has_id(&self, id: u32) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The constructors of a boxed type, in file order (empty for unknown and built-in types).
    pub fn constructors(&self, type_name: &str) -> Vec<&Definition> {
        self.type_by_name
            .get(type_name)
            .and_then(|t| self.types.get(*t))
            .map(|info| info.constructors.iter().filter_map(|d| self.defs.get(*d)).map(|d| &d.source).collect())
            .unwrap_or_default()
    }

    /// The constructor a missing required value of this type becomes (see the crate docs).
    pub fn neutral_constructor(&self, type_name: &str) -> Option<&str> {
        let info = self.types.get(*self.type_by_name.get(type_name)?)?;
        self.defs.get(info.neutral?).map(|d| d.name.as_str())
    }

    /// The type's `...Unsupported` constructor, else its neutral one: what replaces a constructor
    /// the target layer lacks when nothing better fits (the translator first tries the constructor
    /// sharing the most field names; see the crate docs).
    pub fn fallback_constructor(&self, type_name: &str) -> Option<&str> {
        let info = self.types.get(*self.type_by_name.get(type_name)?)?;
        self.defs.get(info.fallback?).map(|d| d.name.as_str())
    }

    /// The result type of a function, by the function's full name.
    pub fn result_type(&self, function: &str) -> Option<TypeRef> {
        let (_, def) = self.def_by_name(function).filter(|(_, d)| d.function)?;
        Some(TypeRef { schema: Some(self.serial), ty: def.ty.clone(), text: def.source.ty.to_string() })
    }

    /// Resolves a type expression against this schema: `auth.Authorization`, `Vector<User>`,
    /// `vector<long>`, `%Config`, `user` (bare constructor), `int`, `Bool`, `Object`, `!X` (any
    /// function).
    pub fn type_ref(&self, expr: &str) -> Result<TypeRef, CodecError> {
        let ty = self.parse_type_expr(expr.trim())?;
        Ok(TypeRef { schema: Some(self.serial), ty, text: expr.trim().to_string() })
    }

    fn parse_type_expr(&self, expr: &str) -> Result<Ty, CodecError> {
        let unknown = || CodecError::UnknownType { name: expr.to_string() };
        if expr == "!X" {
            return Ok(Ty::Function);
        }
        if let Some((base, rest)) = expr.split_once('<') {
            let inner = rest.strip_suffix('>').ok_or_else(unknown)?;
            let elem = Box::new(self.parse_type_expr(inner.trim())?);
            return match base.trim() {
                "Vector" => Ok(Ty::Vector { bare: false, elem }),
                "vector" => Ok(Ty::Vector { bare: true, elem }),
                _ => Err(unknown()),
            };
        }
        if let Some(t) = builtin(expr) {
            return Ok(t);
        }
        if let Some(name) = expr.strip_prefix('%') {
            return self.resolve_bare(name).ok_or_else(unknown);
        }
        let short = expr.rsplit('.').next().unwrap_or(expr);
        if short.starts_with(|c: char| c.is_ascii_lowercase()) {
            return self.resolve_bare(expr).ok_or_else(unknown);
        }
        match self.type_by_name.get(expr) {
            Some(&t) if self.types.get(t).is_some_and(|i| !i.constructors.is_empty()) => Ok(Ty::Boxed(t)),
            _ => Err(unknown()),
        }
    }

    pub(crate) fn def_by_id(&self, id: u32) -> Option<(usize, &Def)> {
        let i = *self.by_id.get(&id)?;
        Some((i, self.defs.get(i)?))
    }

    pub(crate) fn def_by_name(&self, name: &str) -> Option<(usize, &Def)> {
        let i = *self.by_name.get(name)?;
        Some((i, self.defs.get(i)?))
    }

    pub(crate) fn def(&self, index: usize) -> Option<&Def> {
        self.defs.get(index)
    }

    pub(crate) fn type_info(&self, index: usize) -> Option<&TypeInfo> {
        self.types.get(index)
    }

    /// A readable name of a resolved type, for error messages.
    pub(crate) fn ty_name(&self, ty: &Ty) -> String {
        match ty {
            Ty::Int => "int".into(),
            Ty::Long => "long".into(),
            Ty::Double => "double".into(),
            Ty::Int128 => "int128".into(),
            Ty::Int256 => "int256".into(),
            Ty::Bytes => "bytes".into(),
            Ty::String => "string".into(),
            Ty::Bool => "Bool".into(),
            Ty::TrueFlag => "true".into(),
            Ty::BoxedTrue => "True".into(),
            Ty::Vector { bare, elem } => {
                format!("{}<{}>", if *bare { "vector" } else { "Vector" }, self.ty_name(elem))
            }
            Ty::Boxed(t) => self.types.get(*t).map(|i| i.name.clone()).unwrap_or_default(),
            Ty::Bare(d) => self.defs.get(*d).map(|d| d.name.clone()).unwrap_or_default(),
            Ty::Function => "function".into(),
            Ty::AnyObject => "Object".into(),
            Ty::Generic => "X".into(),
        }
    }
}

/// The built-in types by name.
fn builtin(name: &str) -> Option<Ty> {
    Some(match name {
        "int" => Ty::Int,
        "long" | "int53" => Ty::Long,
        "double" => Ty::Double,
        "int128" => Ty::Int128,
        "int256" => Ty::Int256,
        "bytes" => Ty::Bytes,
        "string" => Ty::String,
        "true" => Ty::TrueFlag,
        "Bool" => Ty::Bool,
        "True" => Ty::BoxedTrue,
        "Object" => Ty::AnyObject,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "// LAYER 5\n\
        fooEmpty#00000001 = Foo;\n\
        foo#00000002 flags:# a:flags.0?true b:int c:Vector<long> = Foo;\n\
        fooUnsupported#00000003 x:int = Foo;\n\
        bar#00000004 f:%Baz g:baz = Bar;\n\
        baz#00000005 n:int = Baz;\n\
        boolTrue#997275b5 = Bool;\n\
        ---functions---\n\
        getFoo#00000010 id:int = Foo;\n\
        wrap#00000011 {X:Type} query:!X = X;\n";

    #[test]
    fn resolves_types_and_skips_builtins() {
        let s = SchemaIndex::parse(SCHEMA).unwrap();
        assert_eq!(s.layer(), Some(5));
        assert!(s.definition("boolTrue").is_none(), "built-in Bool constructors are not definitions");
        let bar = s.def_by_name("bar").unwrap().1;
        let baz = s.def_by_name("baz").unwrap().0;
        assert!(matches!(bar.params[0].kind, ParamKind::Required(Ty::Bare(d)) if d == baz));
        assert!(matches!(bar.params[1].kind, ParamKind::Required(Ty::Bare(d)) if d == baz));
        assert_eq!(s.def_by_name("wrap").unwrap().1.ty, Ty::Generic);
        assert!(matches!(s.def_by_name("wrap").unwrap().1.params[0].kind, ParamKind::Required(Ty::Function)));
        assert_eq!(s.neutral_constructor("Foo"), Some("fooEmpty"));
        assert_eq!(s.fallback_constructor("Foo"), Some("fooUnsupported"));
        assert_eq!(s.neutral_constructor("Baz"), Some("baz"));
    }

    #[test]
    fn type_expressions() {
        let s = SchemaIndex::parse(SCHEMA).unwrap();
        assert!(matches!(s.type_ref("Vector<Foo>").unwrap().ty, Ty::Vector { bare: false, .. }));
        assert!(matches!(s.type_ref("vector<long>").unwrap().ty, Ty::Vector { bare: true, .. }));
        assert!(matches!(s.type_ref("%Baz").unwrap().ty, Ty::Bare(_)));
        assert_eq!(s.type_ref("Bool").unwrap().ty, Ty::Bool);
        assert!(s.type_ref("Nope").is_err());
        assert!(s.type_ref("Vector<Foo").is_err());
        assert!(s.type_ref("%Foo").is_err(), "Foo has three constructors");
        assert_eq!(s.result_type("getFoo").unwrap().to_string(), "Foo");
    }

    #[test]
    fn refuses_duplicates_and_too_many_flags() {
        assert!(SchemaIndex::parse("a#00000001 = A;\nb#00000001 = B;").is_err());
        let many: String = (0..9).map(|i| format!(" f{i}:#")).collect();
        assert!(SchemaIndex::parse(&format!("a#00000001{many} = A;")).is_err());
    }
}
