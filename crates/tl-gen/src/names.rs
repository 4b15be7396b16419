//! How TL names become Rust names.
//!
//! - Types, constructors and functions: PascalCase of the name without its namespace, splitting
//!   words at `_` and at lower→upper case changes, each word capitalised and the rest lower-cased:
//!   `auth.signIn` → `SignIn`, `resPQ` → `ResPq`, `p_q_inner_data_dc` → `PQInnerDataDc`,
//!   `req_DH_params` → `ReqDhParams`.
//! - Fields: the TL name lower-cased (TL names are snake_case but for a few like `srp_B`, `M1`); Rust keywords become raw identifiers (`r#type`),
//!   and the few that cannot (`self`, `crate`, `super`) get an `is_`/`_` form (`self` → `is_self`).
//! - Enum variants: the constructor's Rust name with the type's Rust name stripped from its front
//!   when what remains is a non-empty identifier (`inputPeerUser` in `InputPeer` → `User`), else
//!   the full name (`auth.authorization` in `auth.Authorization` → `Authorization`; also where the
//!   rest would be the keyword `Self`).

/// PascalCase Rust name of a TL name (without namespace).
pub fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in split_words(name) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out
}

fn split_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let chars: Vec<char> = part.chars().collect();
        let mut current = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let prev = if i > 0 { Some(chars[i - 1]) } else { None };
            let next = chars.get(i + 1).copied();
            let boundary = match prev {
                Some(p) if c.is_ascii_uppercase() => {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next.is_some_and(|n| n.is_ascii_lowercase()))
                }
                _ => false,
            };
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

const RAW_OK_KEYWORDS: &[&str] = &[
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let",
    "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type",
    "unsafe", "use", "where", "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// Rust field name of a TL parameter name.
pub fn field_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let name = lower.as_str();
    match name {
        "self" => "is_self".to_string(),
        "crate" | "super" | "Self" => format!("{name}_"),
        _ if RAW_OK_KEYWORDS.contains(&name) => format!("r#{name}"),
        _ => name.to_string(),
    }
}

/// Rust module name of a TL namespace part.
pub fn module_name(ns: &str) -> String {
    field_name(&ns.to_ascii_lowercase())
}

/// Variant name of a constructor (`ctor_rust`) inside the enum of its type (`type_rust`).
pub fn variant_name(type_rust: &str, ctor_rust: &str) -> String {
    match ctor_rust.strip_prefix(type_rust) {
        Some(rest) if rest.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && rest != "Self" => rest.to_string(),
        _ => ctor_rust.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_rules() {
        assert_eq!(pascal_case("signIn"), "SignIn");
        assert_eq!(pascal_case("resPQ"), "ResPq");
        assert_eq!(pascal_case("p_q_inner_data_dc"), "PQInnerDataDc");
        assert_eq!(pascal_case("req_DH_params"), "ReqDhParams");
        assert_eq!(pascal_case("server_DH_inner_data"), "ServerDhInnerData");
        assert_eq!(pascal_case("inputPeerUser"), "InputPeerUser");
        assert_eq!(pascal_case("getDHConfig"), "GetDhConfig");
        assert_eq!(pascal_case("help.configSimple".rsplit('.').next().unwrap()), "ConfigSimple");
    }

    #[test]
    fn fields_and_variants() {
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("self"), "is_self");
        assert_eq!(field_name("phone_code"), "phone_code");
        assert_eq!(field_name("srp_B"), "srp_b");
        assert_eq!(variant_name("InputPeer", "InputPeerUser"), "User");
        assert_eq!(variant_name("Authorization", "Authorization"), "Authorization");
        assert_eq!(variant_name("Authorization", "AuthorizationSignUpRequired"), "SignUpRequired");
        assert_eq!(variant_name("Update", "Updates"), "Updates");
        assert_eq!(variant_name("ChannelParticipant", "ChannelParticipantSelf"), "ChannelParticipantSelf");
    }
}
