//! The registry of API layers a server speaks, and translation of requests and answers between a
//! client's layer and ours (layers: <https://core.telegram.org/api/invoking#layers>).
//!
//! One schema file per layer is the whole of a layer's support: ours (`data/tl/api.tl`, the layer
//! our generated types in `ferrogram-tl` were made from) and any number of others
//! (`data/tl/layers/api-N.tl`, all compiled in by the build script; more at run time with
//! [`Layers::load_dir`]). A client announces its layer with `invokeWithLayer`; it is served with the
//! nearest known layer not newer than it ([`Layers::layer_for`]); a client older than every known
//! layer is refused ([`TranslateError::LayerTooOld`]) rather than answered in a layer it cannot read.

use std::collections::BTreeMap;
use std::path::Path;

use ferrogram_tl::InflateLimits;

use crate::decode::decode_exact_with;
use crate::encode::encode_as;
use crate::error::{CodecError, LayersError, TranslateError};
use crate::index::{ids, SchemaIndex, Ty};
use crate::translate::{Direction, Lift};
use crate::wire::Reader;
use crate::TypeRef;

/// Our schema, embedded by [`Layers::embedded`].
const OURS_TL: &str = include_str!("../../../data/tl/api.tl");

// `EMBEDDED_LAYERS`: every `data/tl/layers/api-*.tl`, listed by the build script.
include!(concat!(env!("OUT_DIR"), "/embedded_layers.rs"));

/// The API layers a server speaks: ours and other layers' schemas, each compiled once.
///
/// All methods take the layer a client *announced*; which schema serves it is
/// [`Layers::layer_for`]'s choice. When that is ours, translation is a copy of the input.
///
/// Reading a request or answer inflates its `gzip_packed` payloads within one
/// [`InflateLimits`] budget per message ([`Layers::with_inflate_limits`]; the default otherwise).
#[derive(Debug, Clone)]
pub struct Layers {
    ours: i32,
    schemas: BTreeMap<i32, SchemaIndex>,
    inflate_limits: InflateLimits,
}

impl Layers {
    /// A registry with our schema only. Its text must carry a `// LAYER N` line.
    pub fn ours(api_tl: &str) -> Result<Layers, LayersError> {
        let file = "our api.tl";
        let schema = SchemaIndex::parse(api_tl).map_err(|source| LayersError::Schema { file: file.into(), source })?;
        let layer = schema.layer().ok_or_else(|| LayersError::NoLayer { file: file.into() })?;
        Ok(Layers { ours: layer, schemas: BTreeMap::from([(layer, schema)]), inflate_limits: InflateLimits::default() })
    }

    /// Ours (`data/tl/api.tl`) and every layer in `data/tl/layers`, as compiled into this crate.
    pub fn embedded() -> Result<Layers, LayersError> {
        let mut layers = Layers::ours(OURS_TL)?;
        for (name, text) in EMBEDDED_LAYERS {
            layers.add(name, text)?;
        }
        Ok(layers)
    }

    /// The same registry with other limits on the `gzip_packed` payloads of each request or answer
    /// it reads.
    pub fn with_inflate_limits(mut self, limits: InflateLimits) -> Self {
        self.inflate_limits = limits;
        self
    }

    /// The limits on the `gzip_packed` payloads of each request or answer read.
    pub fn inflate_limits(&self) -> InflateLimits {
        self.inflate_limits
    }

    /// Adds another layer's schema. Its layer number comes from a `// LAYER N` line, else from a
    /// file name of the form `api-N.tl`.
    pub fn add(&mut self, file_name: &str, text: &str) -> Result<(), LayersError> {
        let schema =
            SchemaIndex::parse(text).map_err(|source| LayersError::Schema { file: file_name.into(), source })?;
        let layer = schema
            .layer()
            .or_else(|| layer_from_file_name(file_name))
            .ok_or_else(|| LayersError::NoLayer { file: file_name.into() })?;
        if self.schemas.contains_key(&layer) {
            let reason = if layer == self.ours { "is our own layer" } else { "was added before" };
            return Err(LayersError::BadLayer { layer, reason: format!("{file_name} {reason}") });
        }
        self.schemas.insert(layer, schema);
        Ok(())
    }

    /// Adds every `api*.tl` file of a directory (other files, such as MTProto schemas, are left
    /// alone), in name order.
    pub fn load_dir(&mut self, dir: &Path) -> Result<(), LayersError> {
        let io = |source| LayersError::Io { file: dir.display().to_string(), source };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with("api") && name.ends_with(".tl") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for path in files {
            let file = path.display().to_string();
            let text =
                std::fs::read_to_string(&path).map_err(|source| LayersError::Io { file: file.clone(), source })?;
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(&file).to_string();
            self.add(&name, &text)?;
        }
        Ok(())
    }

    /// Our layer (the one `ferrogram-tl` was generated from).
    pub fn our_layer(&self) -> i32 {
        self.ours
    }

    /// Our compiled schema.
    pub fn our_schema(&self) -> &SchemaIndex {
        // `ours` is inserted by the only constructor and never removed.
        self.schemas.get(&self.ours).unwrap_or_else(|| unreachable!("our schema is always registered"))
    }

    /// The compiled schema of exactly this layer, if known.
    pub fn schema(&self, layer: i32) -> Option<&SchemaIndex> {
        self.schemas.get(&layer)
    }

    /// Every known layer, ascending.
    pub fn known_layers(&self) -> impl Iterator<Item = i32> + '_ {
        self.schemas.keys().copied()
    }

    /// The layer whose schema serves a client that announced `announced`: the newest known layer
    /// not newer than it (a client newer than every known layer gets the newest). `None` for a
    /// client older than every known layer: no schema here can be read by it.
    pub fn layer_for(&self, announced: i32) -> Option<i32> {
        self.schemas.range(..=announced).next_back().map(|(layer, _)| *layer)
    }

    /// The oldest known layer.
    pub fn oldest_layer(&self) -> i32 {
        self.schemas.keys().next().copied().unwrap_or(self.ours)
    }

    /// The layer a request announces, looking through the wrappers that may precede
    /// `invokeWithLayer` (`invokeWithoutUpdates`, `invokeAfterMsg`, `invokeWithTakeout`). Their
    /// ids are the same in every layer, so this needs no client schema. `None`: no
    /// `invokeWithLayer` in front.
    pub fn announced_layer(&self, request: &[u8]) -> Option<i32> {
        let ours = self.our_schema();
        let id = |name: &str| ours.definition(name).map(|d| d.id);
        let (with_layer, without_updates) = (id("invokeWithLayer")?, id("invokeWithoutUpdates"));
        let (after_msg, takeout) = (id("invokeAfterMsg"), id("invokeWithTakeout"));
        let mut r = Reader::new(request);
        loop {
            let found = Some(r.u32().ok()?);
            if found == Some(with_layer) {
                return r.i32().ok();
            } else if found == without_updates {
                continue;
            } else if found == after_msg || found == takeout {
                r.i64().ok()?;
            } else {
                return None;
            }
        }
    }

    /// The layer number and schema serving an announced layer.
    fn serving(&self, announced: i32) -> Result<(i32, &SchemaIndex), TranslateError> {
        let too_old = || TranslateError::LayerTooOld { layer: announced, oldest: self.oldest_layer() };
        let layer = self.layer_for(announced).ok_or_else(too_old)?;
        Ok((layer, self.schemas.get(&layer).ok_or_else(too_old)?))
    }

    /// A client's request (a function call, possibly inside `invokeWithLayer`, `initConnection`,
    /// `invokeWithoutUpdates` and other `!X` wrappers, to any depth) in the client's layer, as the
    /// same request in our layer's bytes, ready for `ferrogram-tl`'s generated types.
    ///
    /// A method or constructor our layer lacks is [`TranslateError::UnknownMethod`] /
    /// [`TranslateError::UnknownConstructor`]; fields our layer lacks are dropped, fields only our
    /// layer has get their neutral value. The `layer` of an `invokeWithLayer` is kept as sent.
    pub fn request_to_ours(&self, layer: i32, bytes: &[u8]) -> Result<Vec<u8>, TranslateError> {
        let (from_layer, from) = self.serving(layer)?;
        if from_layer == self.ours {
            return Ok(bytes.to_vec());
        }
        let value = decode_exact_with(from, &TypeRef::any_function(), bytes, self.inflate_limits)
            .map_err(request_decode_error)?;
        let ours = self.our_schema();
        let lifted = Lift { to: ours, direction: Direction::Request }
            .value(value, &Ty::Function, 0)?
            .ok_or_else(|| TranslateError::Encode(CodecError::UnknownType { name: "!X".into() }))?;
        encode_as(ours, &TypeRef::any_function(), &lifted).map_err(TranslateError::Encode)
    }

    /// Our answer to `method` (its boxed result, in our layer) as the client's layer expects it.
    ///
    /// `method` is our TL name of the innermost query (`auth.signIn`, not `invokeWithLayer`): its
    /// result type says how to read the answer. Constructors the client's layer lacks become the
    /// type's fallback (see the crate docs' rules), missing fields neutral values. An
    /// `rpc_error` is passed through unchanged: it is the same in every layer.
    pub fn answer_to_layer(&self, layer: i32, method: &str, bytes: &[u8]) -> Result<Vec<u8>, TranslateError> {
        let (to_layer, to) = self.serving(layer)?;
        if to_layer == self.ours || starts_with_rpc_error(bytes) {
            return Ok(bytes.to_vec());
        }
        let ours = self.our_schema();
        let our_type = ours.result_type(method).ok_or_else(|| TranslateError::UnknownMethod { name: method.into() })?;
        let their_type = to.result_type(method).filter(|t| t.ty != Ty::Generic);
        self.lift_answer(to, &our_type, their_type, bytes)
    }

    /// An object we send unasked (an `Updates`, say) of our boxed type `type_name`, as the
    /// client's layer expects it. Same rules as [`Layers::answer_to_layer`].
    pub fn object_to_layer(&self, layer: i32, type_name: &str, bytes: &[u8]) -> Result<Vec<u8>, TranslateError> {
        let (to_layer, to) = self.serving(layer)?;
        if to_layer == self.ours {
            return Ok(bytes.to_vec());
        }
        let our_type = self.our_schema().type_ref(type_name).map_err(TranslateError::ResultType)?;
        self.lift_answer(to, &our_type, None, bytes)
    }

    /// Reads `bytes` as `our_type` with our schema and writes it with `to` as `their_type` (by
    /// default: the type of the same name there, or any object when `to` has no such type).
    fn lift_answer(
        &self,
        to: &SchemaIndex,
        our_type: &TypeRef,
        their_type: Option<TypeRef>,
        bytes: &[u8],
    ) -> Result<Vec<u8>, TranslateError> {
        if our_type.ty == Ty::Generic {
            return Err(TranslateError::ResultType(CodecError::UnknownType { name: our_type.to_string() }));
        }
        let value = decode_exact_with(self.our_schema(), our_type, bytes, self.inflate_limits)
            .map_err(TranslateError::Answer)?;
        let their_type = their_type.or_else(|| to.type_ref(our_type.as_str()).ok()).unwrap_or_else(TypeRef::any_object);
        let lifted = Lift { to, direction: Direction::Answer }.value(value, &their_type.ty, 0)?.ok_or_else(|| {
            TranslateError::Encode(CodecError::TypeMismatch {
                context: "answer".into(),
                expected: their_type.to_string(),
                found: our_type.to_string(),
            })
        })?;
        encode_as(to, &their_type, &lifted).map_err(TranslateError::Encode)
    }
}

/// `api-198.tl` gives 198.
fn layer_from_file_name(name: &str) -> Option<i32> {
    let base = Path::new(name).file_name()?.to_str()?;
    base.strip_prefix("api-")?.strip_suffix(".tl")?.parse().ok()
}

/// Whether an answer is an `rpc_error` (MTProto, the same in every layer).
fn starts_with_rpc_error(bytes: &[u8]) -> bool {
    Reader::new(bytes).peek_u32().is_ok_and(|id| id == ids::RPC_ERROR)
}

/// Reading a client's request: ids its own layer does not know are unknown methods/constructors.
fn request_decode_error(e: CodecError) -> TranslateError {
    match e {
        CodecError::UnknownFunction { id, .. } => TranslateError::UnknownMethod { name: format!("{id:#010x}") },
        CodecError::UnknownConstructor { id, .. } => TranslateError::UnknownConstructor { name: format!("{id:#010x}") },
        other => TranslateError::Decode(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "// LAYER 10\nfoo#00000001 a:int = Foo;\n---functions---\nget#00000002 = Foo;\n";

    fn registry() -> Layers {
        let mut layers = Layers::ours(OURS).unwrap();
        layers.add("api-5.tl", "foo#00000003 = Foo;\n---functions---\nget#00000002 = Foo;\n").unwrap();
        layers.add("x.tl", "// LAYER 12\nfoo#00000004 = Foo;\n").unwrap();
        layers
    }

    #[test]
    fn picks_the_nearest_layer_not_newer() {
        let layers = registry();
        assert_eq!(layers.known_layers().collect::<Vec<_>>(), [5, 10, 12]);
        assert_eq!(layers.layer_for(5), Some(5));
        assert_eq!(layers.layer_for(9), Some(5));
        assert_eq!(layers.layer_for(10), Some(10));
        assert_eq!(layers.layer_for(11), Some(10));
        assert_eq!(layers.layer_for(500), Some(12));
        assert_eq!(layers.layer_for(4), None, "older than all: no layer serves it");
        assert_eq!(layers.oldest_layer(), 5);
    }

    #[test]
    fn refuses_duplicate_and_unnumbered_layers() {
        let mut layers = registry();
        assert!(matches!(layers.add("api-5.tl", "foo#00000003 = Foo;"), Err(LayersError::BadLayer { layer: 5, .. })));
        assert!(matches!(layers.add("api-10.tl", "foo#00000003 = Foo;"), Err(LayersError::BadLayer { layer: 10, .. })));
        assert!(matches!(layers.add("api.tl", "foo#00000003 = Foo;"), Err(LayersError::NoLayer { .. })));
        assert!(matches!(Layers::ours("foo#00000003 = Foo;"), Err(LayersError::NoLayer { .. })));
        assert_eq!(layer_from_file_name("dir/api-77.tl"), Some(77));
    }

    #[test]
    fn same_layer_is_a_copy() {
        let layers = registry();
        let garbage = [1u8, 2, 3];
        assert_eq!(layers.request_to_ours(10, &garbage).unwrap(), garbage);
        assert_eq!(layers.answer_to_layer(11, "nope", &garbage).unwrap(), garbage);
    }

    #[test]
    fn answers_move_between_ids_by_name() {
        let layers = registry();
        // foo#1 a:int (ours) -> foo#3 (layer 5): the field is dropped, the id changes.
        let ours = [1u8, 0, 0, 0, 42, 0, 0, 0];
        assert_eq!(layers.answer_to_layer(5, "get", &ours).unwrap(), [3, 0, 0, 0]);
        // foo#3 (layer 5) as a request value cannot occur (not a function), but `get` lifts.
        assert_eq!(layers.request_to_ours(5, &[2, 0, 0, 0]).unwrap(), [2, 0, 0, 0]);
        assert!(matches!(layers.request_to_ours(5, &[9, 0, 0, 0]), Err(TranslateError::UnknownMethod { .. })));
    }

    #[test]
    fn a_layer_older_than_all_is_refused_not_guessed() {
        let layers = registry();
        let refused = layers.request_to_ours(4, &[2, 0, 0, 0]).unwrap_err();
        assert!(matches!(refused, TranslateError::LayerTooOld { layer: 4, oldest: 5 }), "{refused:?}");
        assert_eq!(refused.rpc_error(), (400, "CONNECTION_LAYER_INVALID"));
        assert!(matches!(layers.answer_to_layer(4, "get", &[3, 0, 0, 0]), Err(TranslateError::LayerTooOld { .. })));
    }
}
