//! The schema prepared for code generation: built-ins removed, duplicates dropped, types grouped
//! with their constructors, Rust paths decided and recursive fields found.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::names::{module_name, pascal_case, variant_name};
use crate::schema::{Category, Definition, ParameterType, Schema, Type};

/// TL definitions that are built into the runtime instead of generated.
const BUILTIN: &[&str] = &["boolFalse", "boolTrue", "true", "vector"];

/// Why a schema cannot be turned into Rust.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    /// A parameter or result names a type with no constructor in the schema.
    #[error("`{definition}` refers to unknown type `{ty}`")]
    UnknownType {
        /// The definition.
        definition: String,
        /// The type.
        ty: String,
    },
    /// Two constructors of one type got the same variant name.
    #[error("variant name clash in type `{0}`")]
    VariantClash(String),
}

/// The schema ready for generation.
pub struct Model<'a> {
    /// Module path the generated code lives at (`crate` or `crate::mtproto`).
    pub root: String,
    /// Constructors (deduplicated, in file order).
    pub constructors: Vec<&'a Definition>,
    /// Functions (deduplicated, in file order).
    pub functions: Vec<&'a Definition>,
    /// Boxed type full name → its constructors.
    pub types: BTreeMap<String, Vec<&'a Definition>>,
    /// Constructor full name → definition (for bare references).
    pub by_name: HashMap<String, &'a Definition>,
    /// (boxed type of the containing constructor, boxed field type) pairs in one recursion cycle:
    /// such fields are boxed.
    pub boxed_edges: HashSet<(String, String)>,
    /// Boxed types whose enum is estimated larger than `LARGE_ENUM_BYTES`: optional fields of
    /// these types are boxed, so that a `None` costs 8 bytes instead of the whole enum.
    pub large_types: HashSet<String>,
}

/// Optional fields of an enum type estimated above this size are boxed. Without it a
/// `types::Message` (dozens of optional fields) takes ~2.5 KB and decoding spends its time
/// moving it; with it, ~300 bytes.
pub const LARGE_ENUM_BYTES: usize = 64;

impl<'a> Model<'a> {
    /// Prepares `schema` for generation at module path `root`.
    pub fn new(schema: &'a Schema, root: &str) -> Result<Self, GenError> {
        let mut seen = HashSet::new();
        let mut constructors = Vec::new();
        let mut functions = Vec::new();
        for def in &schema.definitions {
            let full = def.full_name();
            // `mtcute.*` are the docs package's own helpers, not Telegram definitions.
            if BUILTIN.contains(&full.as_str()) || full.starts_with("mtcute.") || !seen.insert((def.category, full)) {
                continue;
            }
            match def.category {
                Category::Type => constructors.push(def),
                Category::Function => functions.push(def),
            }
        }
        let mut types: BTreeMap<String, Vec<&Definition>> = BTreeMap::new();
        let mut by_name = HashMap::new();
        for c in &constructors {
            types.entry(c.ty.full_name()).or_default().push(*c);
            by_name.insert(c.full_name(), *c);
        }
        let mut model = Model {
            root: root.to_string(),
            constructors,
            functions,
            types,
            by_name,
            boxed_edges: HashSet::new(),
            large_types: HashSet::new(),
        };
        model.check_references()?;
        model.find_cycles();
        model.find_large_types();
        Ok(model)
    }

    fn check_references(&self) -> Result<(), GenError> {
        for def in self.constructors.iter().chain(&self.functions) {
            let mut tys: Vec<&Type> = def
                .params
                .iter()
                .filter_map(|p| match &p.ty {
                    ParameterType::Normal { ty, .. } => Some(ty),
                    ParameterType::Flags => None,
                })
                .collect();
            if def.category == Category::Function {
                tys.push(&def.ty);
            }
            for ty in tys {
                self.rust_type(ty, &def.generics)
                    .ok_or_else(|| GenError::UnknownType { definition: def.full_name(), ty: ty.to_string() })?;
            }
        }
        for (name, ctors) in &self.types {
            let mut names = HashSet::new();
            for c in ctors {
                if !names.insert(self.variant(c)) {
                    return Err(GenError::VariantClash(name.clone()));
                }
            }
        }
        Ok(())
    }

    /// Finds boxed-type fields that close a recursion cycle (Tarjan's SCC over "constructor of A
    /// holds a B directly or in an Option").
    fn find_cycles(&mut self) {
        let names: Vec<String> = self.types.keys().cloned().collect();
        let index_of: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
        for (i, name) in names.iter().enumerate() {
            for c in &self.types[name] {
                for ty in direct_boxed_fields(c) {
                    if let Some(&j) = index_of.get(ty.full_name().as_str()) {
                        edges[i].push(j);
                    }
                }
            }
        }
        let scc = tarjan(&edges);
        for (i, targets) in edges.iter().enumerate() {
            for &j in targets {
                if scc[i] == scc[j] {
                    self.boxed_edges.insert((names[i].clone(), names[j].clone()));
                }
            }
        }
    }

    fn find_large_types(&mut self) {
        let mut memo: HashMap<String, usize> = HashMap::new();
        let names: Vec<String> = self.types.keys().cloned().collect();
        for name in &names {
            let size = self.estimate_enum(name, &mut memo, &mut HashSet::new());
            if size > LARGE_ENUM_BYTES {
                self.large_types.insert(name.clone());
            }
        }
    }

    /// Rough in-memory size of a type's enum: the largest constructor plus a tag.
    fn estimate_enum(&self, name: &str, memo: &mut HashMap<String, usize>, visiting: &mut HashSet<String>) -> usize {
        if let Some(&s) = memo.get(name) {
            return s;
        }
        if !visiting.insert(name.to_string()) {
            return 8;
        }
        let mut max = 0;
        for c in self.types.get(name).map(Vec::as_slice).unwrap_or(&[]) {
            let mut size = 0;
            for p in &c.params {
                let ParameterType::Normal { ty, flag } = &p.ty else { continue };
                size += match (ty.namespace.is_empty(), ty.name.as_str()) {
                    (true, "int") => 4,
                    (true, "long" | "double") => 8,
                    (true, "true" | "Bool") => 1,
                    (true, "int128") => 16,
                    (true, "int256") => 32,
                    (true, "string" | "bytes" | "Vector" | "vector") => 24,
                    _ if ty.generic_ref || ty.bare => 24,
                    _ if self.boxed_edges.contains(&(c.ty.full_name(), ty.full_name())) => 8,
                    _ => {
                        let inner = self.estimate_enum(&ty.full_name(), memo, visiting);
                        if flag.is_some() && inner > LARGE_ENUM_BYTES {
                            8
                        } else {
                            inner + if flag.is_some() { 8 } else { 0 }
                        }
                    }
                };
            }
            max = max.max(size);
        }
        visiting.remove(name);
        let size = max + 8;
        memo.insert(name.to_string(), size);
        size
    }

    /// Rust path of a definition's struct (`crate::types::auth::SentCode`).
    pub fn struct_path(&self, def: &Definition) -> String {
        let kind = match def.category {
            Category::Type => "types",
            Category::Function => "functions",
        };
        let mut path = format!("{}::{kind}", self.root);
        for ns in &def.namespace {
            path.push_str("::");
            path.push_str(&module_name(ns));
        }
        path.push_str("::");
        path.push_str(&pascal_case(&def.name));
        path
    }

    /// Rust path of a boxed type's enum (`crate::enums::auth::SentCode`).
    pub fn enum_path(&self, ty: &Type) -> String {
        let mut path = format!("{}::enums", self.root);
        for ns in &ty.namespace {
            path.push_str("::");
            path.push_str(&module_name(ns));
        }
        path.push_str("::");
        path.push_str(&pascal_case(&ty.name));
        path
    }

    /// Variant name of a constructor inside its type's enum.
    pub fn variant(&self, ctor: &Definition) -> String {
        variant_name(&pascal_case(&ctor.ty.name), &pascal_case(&ctor.name))
    }

    /// The constructor a bare type reference names (`future_salt`, `mt_future_salt`, `%Foo`).
    pub fn bare_constructor(&self, ty: &Type) -> Option<&'a Definition> {
        if ty.name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            // `%Type`: only meaningful for a type with exactly one constructor.
            return match self.types.get(&ty.full_name()).map(Vec::as_slice) {
                Some([only]) => Some(*only),
                _ => None,
            };
        }
        let full = ty.full_name();
        self.by_name.get(&full).or_else(|| self.by_name.get(full.trim_start_matches("mt_"))).copied()
    }

    /// The Rust type for a TL type reference, without boxing; `None` if the schema has no such type.
    pub fn rust_type(&self, ty: &Type, generics: &[String]) -> Option<String> {
        if ty.generic_ref {
            return if generics.contains(&ty.name) { Some(ty.name.clone()) } else { None };
        }
        if ty.namespace.is_empty() {
            let prim = match ty.name.as_str() {
                "int" => Some("i32"),
                "long" => Some("i64"),
                "double" => Some("f64"),
                "string" => Some("::std::string::String"),
                "bytes" => Some("::std::vec::Vec<u8>"),
                "int128" => Some("[u8; 16]"),
                "int256" => Some("[u8; 32]"),
                "Bool" | "true" => Some("bool"),
                _ => None,
            };
            if let Some(p) = prim {
                return Some(p.to_string());
            }
            if ty.name == "Vector" || ty.name == "vector" {
                let arg = ty.generic_arg.as_ref()?;
                return Some(format!("::std::vec::Vec<{}>", self.rust_type(arg, generics)?));
            }
        }
        if ty.bare {
            return self.bare_constructor(ty).map(|c| self.struct_path(c));
        }
        if self.types.contains_key(&ty.full_name()) {
            Some(self.enum_path(ty))
        } else {
            None
        }
    }

    /// The Rust field type of a parameter of constructor/function `def`, boxed if recursive.
    pub fn field_type(&self, def: &Definition, ty: &Type, optional: bool) -> String {
        let inner = self.rust_type(ty, &def.generics).unwrap_or_else(|| "()".into());
        if self.is_boxed(def, ty, optional) {
            format!("::std::boxed::Box<{inner}>")
        } else {
            inner
        }
    }

    /// Whether a field of type `ty` in `def` is boxed: to break a recursion cycle, or because it
    /// is optional and its enum is large.
    pub fn is_boxed(&self, def: &Definition, ty: &Type, optional: bool) -> bool {
        if ty.generic_arg.is_some() || ty.bare || ty.generic_ref {
            return false;
        }
        let full = ty.full_name();
        (def.category == Category::Type && self.boxed_edges.contains(&(def.ty.full_name(), full.clone())))
            || (optional && self.large_types.contains(&full))
    }

    /// Whether a Rust type for `ty` implements `Default` (used to derive it).
    pub fn has_default(&self, def: &Definition, ty: &Type) -> bool {
        if ty.generic_ref || self.is_boxed(def, ty, false) {
            return false;
        }
        matches!(
            ty.name.as_str(),
            "int"
                | "long"
                | "double"
                | "string"
                | "bytes"
                | "int128"
                | "int256"
                | "Bool"
                | "true"
                | "Vector"
                | "vector"
        )
    }
}

fn direct_boxed_fields(def: &Definition) -> impl Iterator<Item = &Type> {
    def.params.iter().filter_map(|p| match &p.ty {
        ParameterType::Normal { ty, .. } if ty.generic_arg.is_none() && !ty.bare => Some(ty),
        _ => None,
    })
}

/// Strongly connected components; returns the component index of each node.
fn tarjan(edges: &[Vec<usize>]) -> Vec<usize> {
    struct State<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        comp: Vec<usize>,
        comps: usize,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &s.edges[v] {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                s.comp[w] = s.comps;
                if w == v {
                    break;
                }
            }
            s.comps += 1;
        }
    }
    let n = edges.len();
    let mut s = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        comp: vec![0; n],
        comps: 0,
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(&mut s, v);
        }
    }
    s.comp
}
