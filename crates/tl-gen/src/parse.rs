//! TL text → [`Schema`]. Grammar: <https://core.telegram.org/mtproto/TL>.

use crate::schema::{Category, Definition, Flag, Parameter, ParameterType, Schema, Type};

/// Why a schema line could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason} in `{text}`")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// The offending line.
    pub text: String,
    /// What was wrong.
    pub reason: String,
}

/// Parses TL schema text: comments, `---functions---`/`---types---` sections, and one definition
/// per `;`-terminated statement. Built-in declarations (`vector {t:Type} # [ t ] = Vector t;`,
/// `int ? = Int;`) are skipped.
pub fn parse_schema(text: &str) -> Result<Schema, ParseError> {
    let mut layer = None;
    let mut category = Category::Type;
    let mut definitions = Vec::new();
    let mut pending = String::new();
    let mut pending_line = 0;

    for (index, raw_line) in text.lines().enumerate() {
        let line_no = index + 1;
        let mut line = raw_line.trim();
        if let Some(rest) = line.strip_prefix("//") {
            if let Some(n) = rest.trim().strip_prefix("LAYER") {
                layer = n.trim().parse().ok();
            }
            continue;
        }
        if let Some(pos) = line.find("//") {
            line = line[..pos].trim();
        }
        if line.is_empty() {
            continue;
        }
        match line {
            "---functions---" => {
                category = Category::Function;
                continue;
            }
            "---types---" => {
                category = Category::Type;
                continue;
            }
            _ => {}
        }
        if pending.is_empty() {
            pending_line = line_no;
        } else {
            pending.push(' ');
        }
        pending.push_str(line);
        if !pending.ends_with(';') {
            continue;
        }
        let statement = std::mem::take(&mut pending);
        if let Some(def) = parse_definition(&statement, category).map_err(|reason| ParseError {
            line: pending_line,
            text: statement.clone(),
            reason,
        })? {
            definitions.push(def);
        }
    }
    if !pending.is_empty() {
        return Err(ParseError {
            line: pending_line,
            text: pending,
            reason: "definition without a closing `;`".into(),
        });
    }
    Ok(Schema { layer, definitions })
}

/// Parses one statement (ending in `;`). `Ok(None)` for built-ins that are not definitions.
fn parse_definition(statement: &str, category: Category) -> Result<Option<Definition>, String> {
    let body = statement.trim_end_matches(';').trim();
    let (left, right) = body.split_once('=').ok_or("missing `=`")?;
    let right = right.trim();
    // Built-ins: `int ? = Int`, `vector {t:Type} # [ t ] = Vector t`.
    if left.contains(" ? ") || left.trim_end().ends_with('?') || left.contains('[') {
        return Ok(None);
    }
    let mut words = left.split_whitespace();
    let head = words.next().ok_or("empty definition")?;
    let (full_name, declared_id) = match head.split_once('#') {
        Some((name, id)) => {
            let id = u32::from_str_radix(id, 16).map_err(|_| format!("bad constructor id `{id}`"))?;
            (name, Some(id))
        }
        None => (head, None),
    };
    if full_name.is_empty() {
        return Err("empty name".into());
    }
    let (namespace, name) = split_namespace(full_name);
    if !is_identifier(&name) {
        return Err(format!("bad name `{full_name}`"));
    }

    let mut generics = Vec::new();
    let mut params = Vec::new();
    for word in words {
        if let Some(inner) = word.strip_prefix('{') {
            let inner = inner.strip_suffix('}').ok_or("unclosed `{`")?;
            let (g, kind) = inner.split_once(':').ok_or("generic without `:`")?;
            if kind != "Type" {
                return Err(format!("unsupported generic kind `{kind}`"));
            }
            generics.push(g.to_string());
            continue;
        }
        let (pname, pty) = word.split_once(':').ok_or_else(|| format!("parameter `{word}` without `:`"))?;
        if !is_identifier(pname) {
            return Err(format!("bad parameter name `{pname}`"));
        }
        let ty = if pty == "#" {
            ParameterType::Flags
        } else if let Some((flag, ty)) = pty.split_once('?') {
            let (fname, bit) = flag.split_once('.').ok_or_else(|| format!("bad flag `{flag}`"))?;
            let index: u32 = bit.parse().map_err(|_| format!("bad flag bit `{bit}`"))?;
            if index > 31 {
                return Err(format!("flag bit {index} out of range"));
            }
            let declared = params.iter().any(|p: &Parameter| p.name == fname && p.ty == ParameterType::Flags);
            if !declared {
                return Err(format!("flag field `{fname}` used before its `#` declaration"));
            }
            ParameterType::Normal {
                ty: parse_type(ty, &generics)?,
                flag: Some(Flag { name: fname.to_string(), index }),
            }
        } else {
            ParameterType::Normal { ty: parse_type(pty, &generics)?, flag: None }
        };
        params.push(Parameter { name: pname.to_string(), ty });
    }

    let ty = parse_type(right, &generics)?;
    let id = declared_id.unwrap_or_else(|| infer_id(left, right));
    Ok(Some(Definition { namespace, name, id, id_declared: declared_id.is_some(), generics, params, ty, category }))
}

/// Parses a type reference.
fn parse_type(text: &str, generics: &[String]) -> Result<Type, String> {
    if text.is_empty() {
        return Err("empty type".into());
    }
    if let Some(inner) = text.strip_prefix('!') {
        if !generics.iter().any(|g| g == inner) {
            return Err(format!("`!{inner}` names no generic parameter"));
        }
        return Ok(Type {
            namespace: vec![],
            name: inner.to_string(),
            bare: true,
            generic_ref: true,
            generic_arg: None,
        });
    }
    let (text, percent) = match text.strip_prefix('%') {
        Some(t) => (t, true),
        None => (text, false),
    };
    let (base, arg) = match text.split_once('<') {
        Some((base, rest)) => {
            let inner = rest.strip_suffix('>').ok_or_else(|| format!("unclosed `<` in `{text}`"))?;
            (base, Some(Box::new(parse_type(inner, generics)?)))
        }
        None => (text, None),
    };
    let (namespace, name) = split_namespace(base);
    if !is_identifier(&name) {
        return Err(format!("bad type name `{text}`"));
    }
    let generic_ref = namespace.is_empty() && generics.contains(&name);
    let bare = percent || name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    Ok(Type { namespace, name, bare, generic_ref, generic_arg: arg })
}

fn split_namespace(full: &str) -> (Vec<String>, String) {
    let mut parts: Vec<String> = full.split('.').map(str::to_string).collect();
    let name = parts.pop().unwrap_or_default();
    (parts, name)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The id TL assigns to a definition without `#id`: CRC32 of the definition with `true` flag
/// fields removed, `bytes` spelled `string`, `<>` and `{}` dropped. The rule is checked against
/// every declared id of the API schema in the tests.
pub(crate) fn infer_id(left: &str, right: &str) -> u32 {
    let mut words: Vec<String> = Vec::new();
    for (i, word) in left.split_whitespace().enumerate() {
        if i == 0 {
            words.push(word.split('#').next().unwrap_or(word).to_string());
            continue;
        }
        if word.contains('?') && word.ends_with("?true") {
            continue;
        }
        let word = word.replace(":bytes", ":string").replace("?bytes", "?string");
        let word = word.replace('<', " ").replace(['>', '{', '}'], "");
        words.push(word);
    }
    let right = right.replace('<', " ").replace('>', "");
    let repr = format!("{} = {}", words.join(" "), right.trim());
    crc32fast::hash(repr.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags_vectors_and_generics() {
        let s = parse_schema(
            "// LAYER 7\nfoo#12345678 flags:# a:flags.0?true b:flags.1?Vector<long> c:string = Foo;\n\
             ---functions---\ninvokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;\n",
        )
        .unwrap();
        assert_eq!(s.layer, Some(7));
        assert_eq!(s.definitions.len(), 2);
        let foo = &s.definitions[0];
        assert_eq!(foo.id, 0x12345678);
        assert_eq!(foo.params.len(), 4);
        assert_eq!(foo.params[0].ty, ParameterType::Flags);
        match &foo.params[2].ty {
            ParameterType::Normal { ty, flag: Some(f) } => {
                assert_eq!(ty.name, "Vector");
                assert_eq!(ty.generic_arg.as_ref().unwrap().name, "long");
                assert_eq!(f.index, 1);
            }
            other => panic!("unexpected {other:?}"),
        }
        let inv = &s.definitions[1];
        assert_eq!(inv.category, Category::Function);
        assert_eq!(inv.generics, vec!["X".to_string()]);
        assert!(inv.ty.generic_ref);
    }

    #[test]
    fn infers_ids_like_telegram() {
        // Declared ids from the MTProto spec, recomputed without them.
        for line in [
            "resPQ#05162463 nonce:int128 server_nonce:int128 pq:string server_public_key_fingerprints:Vector<long> = ResPQ;",
            "invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;",
            "auth.signIn#8d52a951 flags:# phone_number:string phone_code_hash:string phone_code:flags.0?string email_verification:flags.1?EmailVerification = auth.Authorization;",
            "codeSettings#ad253d78 flags:# allow_flashcall:flags.0?true current_number:flags.1?true allow_app_hash:flags.4?true allow_missed_call:flags.5?true allow_firebase:flags.7?true unknown_number:flags.9?true logout_tokens:flags.6?Vector<bytes> token:flags.8?string app_sandbox:flags.8?Bool = CodeSettings;",
        ] {
            let declared = parse_schema(line).unwrap().definitions[0].id;
            let (l, r) = line.trim_end_matches(';').split_once('=').unwrap();
            assert_eq!(infer_id(l, r), declared, "{line}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_schema("ok#1 = Ok;\nbad#zz = Bad;").unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.reason.contains("bad constructor id"));
        assert!(parse_schema("x#1 a:flags.0?int = X;").unwrap_err().reason.contains("before its"));
        assert!(parse_schema("x#1 a:flags.40?int = X;").is_err());
        assert!(parse_schema("x#1 a = X;").is_err());
        assert!(parse_schema("x#1 a:int = X").is_err());
        assert!(parse_schema("x#1 q:!Y = X;").is_err());
    }

    #[test]
    fn skips_builtins() {
        let s = parse_schema("vector#1cb5c415 {t:Type} # [ t ] = Vector t;\nint ? = Int;\n").unwrap();
        assert!(s.definitions.is_empty());
    }
}
