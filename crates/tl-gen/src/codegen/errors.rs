//! The `errors` module of the API: a typed error enum per method, generated from the possible
//! errors the docs data lists for it (DESIGN.md, "Typed errors"), behind the traits
//! `errors::MethodError` and `errors::MethodErrors`.
//!
//! For `auth.signIn` this is `errors::auth::SignInError` with a unit variant per listed error
//! (`PhoneCodeInvalid`), a `u32`-carrying variant per listed `%d` error (`FLOOD_WAIT_%d` →
//! `FloodWait(u32)`) and `Other(String)`. The enums borrow their code, name and description from
//! the function's `POSSIBLE_ERRORS` table instead of repeating them, so each costs a few small
//! `match`es. The hand-written part of the module is `errors_runtime.rs.in`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::model::Model;
use crate::docs::Docs;
use crate::names::{module_name, pascal_case};
use crate::schema::Definition;

const RUNTIME: &str = include_str!("errors_runtime.rs.in");

/// One variant of a method's error enum.
struct Variant<'d> {
    /// Rust identifier (`PhoneCodeInvalid`, `FloodWait`).
    ident: String,
    /// Documented name (`PHONE_CODE_INVALID`, `FLOOD_WAIT_%d`).
    name: &'d str,
    /// Index into the function's `POSSIBLE_ERRORS`.
    index: usize,
    /// Whether the name has a `%d` and the variant carries its value.
    valued: bool,
}

/// The name an error's `%d` pattern stands for: the pattern without `%d` and the `_` beside it
/// (`FLOOD_WAIT_%d` → `FLOOD_WAIT`, `FILE_PART_%d_MISSING` → `FILE_PART_MISSING`,
/// `PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_%dMIN` → `PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_MIN`).
pub fn pattern_name(pattern: &str) -> String {
    let removed = pattern.replacen("%d", "_", 1);
    removed.split('_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_")
}

/// Rust identifier of an error name: PascalCase of its words (`PHONE_CODE_INVALID` →
/// `PhoneCodeInvalid`); a leading digit is spelled out (`2FA_CONFIRM_WAIT` → `TwoFaConfirmWait`)
/// because identifiers cannot start with one.
pub fn variant_ident(name: &str) -> String {
    const DIGITS: [&str; 10] = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"];
    let mut out = String::new();
    for word in name.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            match first.to_digit(10) {
                Some(d) if out.is_empty() => {
                    out.push_str(DIGITS[d as usize]);
                    // The word goes on as a word of its own: `2FA` → `TwoFa`.
                    if let Some(second) = chars.next() {
                        out.push(second.to_ascii_uppercase());
                    }
                }
                _ => out.push(first.to_ascii_uppercase()),
            }
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

/// The variants of one method's enum, in the order of its documented errors. A `%d` error whose
/// identifier clashes with a plain one (`AUTH_RESTART` and `AUTH_RESTART_%d`) gets an `X` suffix,
/// after Telegram's own notation (`AUTH_RESTART_X`): `AuthRestartX(u32)`.
fn variants(errors: &[crate::docs::ErrorDoc]) -> Vec<Variant<'_>> {
    let plain: BTreeSet<String> =
        errors.iter().filter(|e| !e.name.contains("%d")).map(|e| variant_ident(&e.name)).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for (index, e) in errors.iter().enumerate() {
        let valued = e.name.contains("%d");
        let mut ident = if valued { variant_ident(&pattern_name(&e.name)) } else { variant_ident(&e.name) };
        if valued && plain.contains(&ident) {
            ident.push('X');
        }
        if ident.is_empty() || ident == "Other" || !seen.insert(ident.clone()) {
            // A documented name repeated in one method's list, or one that maps onto another's
            // identifier: the first one wins, the rest still arrive as `Other`.
            continue;
        }
        out.push(Variant { ident, name: &e.name, index, valued });
    }
    out
}

/// Emits `pub mod errors { .. }`: the runtime, the `%d` pattern table, the method → errors table
/// and an enum per API function.
pub fn emit(out: &mut String, model: &Model<'_>, docs: &Docs) {
    out.push_str(
        "/// Typed RPC errors: for each API method an enum of the errors its documentation lists, with an\n\
         /// `Other` variant for the rest (`errors::auth::SignInError::PhoneCodeInvalid`). Every function\n\
         /// struct implements [`errors::MethodErrors`], naming its enum.\n\
         #[allow(clippy::all)]\npub mod errors {\n",
    );
    out.push_str(RUNTIME);
    emit_patterns(out, docs);

    let mut methods: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<Vec<String>, Vec<&Definition>> = BTreeMap::new();
    for def in &model.functions {
        groups.entry(def.namespace.clone()).or_default().push(def);
    }
    for (ns, defs) in groups {
        for part in &ns {
            let _ = writeln!(out, "/// Errors of the `{part}` namespace's methods.\npub mod {} {{", module_name(part));
        }
        for def in defs {
            if let Some(path) = emit_enum(out, model, docs, def) {
                methods.push((def.full_name(), path));
            }
        }
        for _ in &ns {
            out.push_str("}\n");
        }
    }

    methods.sort();
    out.push_str("/// Each API method with documented errors, sorted by TL name, with its `POSSIBLE_ERRORS`.\nstatic METHODS: &[(&str, &[crate::ErrorInfo])] = &[\n");
    for (name, path) in methods {
        let _ = writeln!(out, "    ({name:?}, {path}::POSSIBLE_ERRORS),");
    }
    out.push_str("];\n}\n\n");
}

/// `VALUE_PATTERNS`: every documented `%d` error name (docs data and method lists) with the name
/// it stands for.
fn emit_patterns(out: &mut String, docs: &Docs) {
    let mut patterns: BTreeSet<&str> = docs.errors.keys().map(String::as_str).filter(|n| n.contains("%d")).collect();
    for d in docs.definitions.values() {
        patterns.extend(d.errors.iter().map(|e| e.name.as_str()).filter(|n| n.contains("%d")));
    }
    out.push_str("/// Every documented error name with a number in it (`FLOOD_WAIT_%d`), with the name it stands for\n/// (`FLOOD_WAIT`).\npub static VALUE_PATTERNS: &[(&str, &str)] = &[\n");
    for p in patterns {
        let _ = writeln!(out, "    ({p:?}, {:?}),", pattern_name(p));
    }
    out.push_str("];\n\n");
}

/// The enum of one function and its `MethodErrors` impl; returns the path of the function's
/// struct (instantiated, for generic functions) when it has documented errors.
fn emit_enum(out: &mut String, model: &Model<'_>, docs: &Docs, def: &Definition) -> Option<String> {
    let struct_path = model.struct_path(def);
    let generics = if def.generics.is_empty() { String::new() } else { format!("<{}>", def.generics.join(", ")) };
    // A concrete instantiation reaches the inherent `POSSIBLE_ERRORS` of a generic function.
    let concrete = if def.generics.is_empty() {
        struct_path.clone()
    } else {
        format!("{struct_path}::<{}>", vec!["()"; def.generics.len()].join(", "))
    };
    let errors = docs.definitions.get(&def.full_name()).map(|d| d.errors.as_slice()).unwrap_or(&[]);
    if errors.is_empty() {
        let _ = writeln!(
            out,
            "impl{generics} crate::errors::MethodErrors for {struct_path}{generics} {{ type Error = crate::errors::Undocumented; }}"
        );
        return None;
    }
    let name = format!("{}Error", pascal_case(&def.name));
    let full = def.full_name();
    let variants = variants(errors);
    let _ = writeln!(
        out,
        "/// The errors of [`{full}`]({struct_path}): a variant per documented error, `Other` for the rest.\n#[derive(Debug, Clone, PartialEq, Eq, Hash)]\npub enum {name} {{"
    );
    for v in &variants {
        let e = &errors[v.index];
        let _ = writeln!(out, "    /// {} {}: {}", e.code, e.name, e.description.replace('\n', " "));
        let _ = writeln!(out, "    {}{},", v.ident, if v.valued { "(u32)" } else { "" });
    }
    out.push_str("    /// An error the documentation does not list for this method: the message as sent.\n    Other(::std::string::String),\n}\n");

    let _ = writeln!(out, "impl crate::errors::MethodError for {name} {{\n    fn from_name(message: &str) -> Self {{\n        match message {{");
    for v in variants.iter().filter(|v| !v.valued) {
        let _ = writeln!(out, "            {:?} => Self::{},", v.name, v.ident);
    }
    out.push_str("            _ => {\n");
    for v in variants.iter().filter(|v| v.valued) {
        let (prefix, suffix) = v.name.split_once("%d").unwrap_or((v.name, ""));
        let _ = writeln!(
            out,
            "                if let ::std::option::Option::Some(v) = crate::errors::value_in(message, {prefix:?}, {suffix:?}) {{ return Self::{}(v); }}",
            v.ident
        );
    }
    out.push_str("                Self::Other(message.into())\n            }\n        }\n    }\n");
    let _ = writeln!(
        out,
        "    fn info(&self) -> ::std::option::Option<&'static crate::ErrorInfo> {{\n        let i = match self {{"
    );
    for v in &variants {
        let _ = writeln!(out, "            Self::{}{} => {},", v.ident, if v.valued { "(_)" } else { "" }, v.index);
    }
    let _ = writeln!(out, "            Self::Other(_) => return ::std::option::Option::None,\n        }};\n        {concrete}::POSSIBLE_ERRORS.get(i)\n    }}");
    if variants.iter().any(|v| v.valued) {
        out.push_str("    fn value(&self) -> ::std::option::Option<u32> {\n        match self {\n");
        for v in variants.iter().filter(|v| v.valued) {
            let _ = writeln!(out, "            Self::{}(v) => ::std::option::Option::Some(*v),", v.ident);
        }
        out.push_str("            _ => ::std::option::Option::None,\n        }\n    }\n");
    }
    out.push_str("    fn other(&self) -> ::std::option::Option<&str> {\n        match self {\n            Self::Other(m) => ::std::option::Option::Some(m),\n            _ => ::std::option::Option::None,\n        }\n    }\n}\n");
    let _ = writeln!(
        out,
        "impl ::std::fmt::Display for {name} {{\n    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {{ crate::errors::display(self, f) }}\n}}\nimpl ::std::error::Error for {name} {{}}"
    );
    let _ = writeln!(
        out,
        "impl{generics} crate::errors::MethodErrors for {struct_path}{generics} {{ type Error = {name}; }}\n"
    );
    Some(concrete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_names_drop_the_number_and_its_underscore() {
        assert_eq!(pattern_name("FLOOD_WAIT_%d"), "FLOOD_WAIT");
        assert_eq!(pattern_name("FILE_PART_%d_MISSING"), "FILE_PART_MISSING");
        assert_eq!(pattern_name("PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_%dMIN"), "PREVIOUS_CHAT_IMPORT_ACTIVE_WAIT_MIN");
        assert_eq!(pattern_name("2FA_CONFIRM_WAIT_%d"), "2FA_CONFIRM_WAIT");
    }

    #[test]
    fn identifiers_are_pascal_case_and_never_start_with_a_digit() {
        assert_eq!(variant_ident("PHONE_CODE_INVALID"), "PhoneCodeInvalid");
        assert_eq!(variant_ident("2FA_CONFIRM_WAIT"), "TwoFaConfirmWait");
        assert_eq!(variant_ident("SHA256_HASH_INVALID"), "Sha256HashInvalid");
    }

    #[test]
    fn a_valued_error_clashing_with_a_plain_one_gets_an_x() {
        let doc = |name: &str| crate::docs::ErrorDoc { code: 500, name: name.into(), description: String::new() };
        let errors = [doc("AUTH_RESTART"), doc("AUTH_RESTART_%d"), doc("FLOOD_WAIT_%d"), doc("AUTH_RESTART")];
        let v = variants(&errors);
        let idents: Vec<_> = v.iter().map(|v| (v.ident.as_str(), v.valued, v.index)).collect();
        assert_eq!(idents, [("AuthRestart", false, 0), ("AuthRestartX", true, 1), ("FloodWait", true, 2)]);
    }
}
