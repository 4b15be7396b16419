//! The parsed form of a TL schema.

/// A whole schema file: its definitions in file order and the layer it declares, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The layer from a `// LAYER N` comment, if the file has one.
    pub layer: Option<i32>,
    /// Every constructor and function, in file order.
    pub definitions: Vec<Definition>,
}

/// Whether a definition is a constructor of a type or a function (RPC method).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// A constructor (`---types---` section).
    Type,
    /// A function (`---functions---` section).
    Function,
}

/// One TL combinator: `name#id params = Type;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Namespace parts (`["auth"]` for `auth.signIn`; empty for most).
    pub namespace: Vec<String>,
    /// Name without namespace (`signIn`).
    pub name: String,
    /// Constructor id: declared after `#`, or inferred as TL does (CRC32 of the normalised line).
    pub id: u32,
    /// Whether the id was declared in the text (false: it was inferred).
    pub id_declared: bool,
    /// Generic parameters (`{X:Type}` gives `["X"]`).
    pub generics: Vec<String>,
    /// The parameters, including `flags:#` fields, in wire order.
    pub params: Vec<Parameter>,
    /// The type this constructor builds or this function returns.
    pub ty: Type,
    /// Constructor or function.
    pub category: Category,
}

impl Definition {
    /// The full TL name, `auth.signIn`.
    pub fn full_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.namespace.join("."), self.name)
        }
    }

    /// The definition written back as one line of TL text (with its id).
    pub fn to_tl(&self) -> String {
        let mut s = format!("{}#{:08x}", self.full_name(), self.id);
        for g in &self.generics {
            s.push_str(&format!(" {{{g}:Type}}"));
        }
        for p in &self.params {
            s.push(' ');
            s.push_str(&p.to_tl());
        }
        s.push_str(&format!(" = {};", self.ty));
        s
    }
}

/// One parameter: `name:type`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// Parameter name as in the schema (`phone_code_hash`).
    pub name: String,
    /// What the parameter holds.
    pub ty: ParameterType,
}

impl Parameter {
    /// The parameter written back as TL text.
    pub fn to_tl(&self) -> String {
        match &self.ty {
            ParameterType::Flags => format!("{}:#", self.name),
            ParameterType::Normal { ty, flag: None } => format!("{}:{}", self.name, ty),
            ParameterType::Normal { ty, flag: Some(f) } => {
                format!("{}:{}.{}?{}", self.name, f.name, f.index, ty)
            }
        }
    }
}

/// The kind of a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum ParameterType {
    /// A `#` field: a bit set computed from the conditional fields that refer to it.
    Flags,
    /// A value, present always or only when a flag bit is set.
    Normal {
        /// Its type.
        ty: Type,
        /// The flag bit that makes it present (`flags.0?`), if conditional.
        flag: Option<Flag>,
    },
}

/// A reference to a bit of a flags field: `flags2.5`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flag {
    /// Name of the `#` field.
    pub name: String,
    /// Bit index, 0..=31.
    pub index: u32,
}

/// A type reference such as `auth.SentCode`, `Vector<long>`, `%Message`, `!X` or `int`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Type {
    /// Namespace parts.
    pub namespace: Vec<String>,
    /// Name without namespace (`Vector`, `long`, `SentCode`, `X`).
    pub name: String,
    /// Bare (no constructor id on the wire): lower-case names and `%Type`.
    pub bare: bool,
    /// A reference to a generic parameter: `!X` or a plain `X` that is a declared generic.
    pub generic_ref: bool,
    /// The argument of `Vector<T>` / `vector<T>`.
    pub generic_arg: Option<Box<Type>>,
}

impl Type {
    /// The full name with namespace (`auth.SentCode`).
    pub fn full_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.namespace.join("."), self.name)
        }
    }
}

impl std::fmt::Display for Type {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.generic_ref && self.bare {
            write!(f, "!")?;
        }
        write!(f, "{}", self.full_name())?;
        if let Some(arg) = &self.generic_arg {
            write!(f, "<{arg}>")?;
        }
        Ok(())
    }
}
