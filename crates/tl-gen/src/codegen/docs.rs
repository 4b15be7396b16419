//! Rustdoc text of generated items: what Telegram's method pages show (description, parameters,
//! result, possible errors, bot usability) plus a short example and the TL definition.

use std::fmt::Write as _;

use super::model::Model;
use crate::docs::{BotUsage, DefinitionDoc, Docs};
use crate::names::{field_name, pascal_case};
use crate::schema::{Category, Definition, ParameterType, Type};

fn doc_lines(out: &mut String, text: &str) {
    for line in text.lines() {
        if line.is_empty() {
            out.push_str("///\n");
        } else {
            let _ = writeln!(out, "/// {line}");
        }
    }
}

/// Rustdoc of a constructor's or function's struct.
pub fn struct_docs(model: &Model<'_>, def: &Definition, doc: Option<&DefinitionDoc>) -> String {
    let mut text = String::new();
    let full = def.full_name();
    match doc.map(|d| d.description.as_str()).filter(|d| !d.is_empty()) {
        Some(d) => {
            let _ = writeln!(text, "{d}");
        }
        None => {
            let _ = writeln!(text, "`{full}` (no description in the docs data).");
        }
    }
    let _ = writeln!(text, "\n```text\n{}\n```", def.to_tl());

    let params: Vec<_> = def
        .params
        .iter()
        .filter_map(|p| match &p.ty {
            ParameterType::Normal { ty, flag } => Some((p, ty, flag)),
            ParameterType::Flags => None,
        })
        .collect();
    if !params.is_empty() {
        let _ = writeln!(text, "\n# Parameters\n\n| Name | Type | Description |\n| :--: | ---- | ----------- |");
        for (p, ty, flag) in &params {
            let desc = doc.and_then(|d| d.params.get(&p.name)).map(String::as_str).unwrap_or("");
            let ty_text = match flag {
                Some(f) => format!("`{ty}` (optional: `{}.{}`)", f.name, f.index),
                None => format!("`{ty}`"),
            };
            let _ = writeln!(text, "| **{}** | {ty_text} | {desc} |", p.name);
        }
    }

    if def.category == Category::Function {
        let result = result_link(model, &def.ty);
        let _ = writeln!(text, "\n# Result\n\nReturns {result}.");
        let errors = doc.map(|d| d.errors.as_slice()).unwrap_or(&[]);
        if !errors.is_empty() {
            let _ =
                writeln!(text, "\n# Possible errors\n\n| Code | Type | Description |\n| :--: | ---- | ----------- |");
            for e in errors {
                let _ = writeln!(text, "| {} | {} | {} |", e.code, e.name, e.description);
            }
        }
        let bots = match doc.and_then(|d| d.bots) {
            Some(BotUsage::No) => "No",
            Some(BotUsage::BotsOnly) => "Yes (bots only)",
            Some(BotUsage::Yes) | None => "Yes",
        };
        let _ = writeln!(text, "\n# Can bots use this method?\n\n{bots}");
        let _ = writeln!(text, "\n# Example\n\n```ignore\n{}```", example(model, def));
    }
    let mut out = String::new();
    doc_lines(&mut out, &text);
    out
}

fn result_link(model: &Model<'_>, ty: &Type) -> String {
    if ty.generic_ref {
        return format!("the result of the wrapped query (`{}`)", ty.name);
    }
    match model.rust_type(ty, &[]) {
        Some(path) if path.starts_with(&model.root) => format!("[`{ty}`]({path})"),
        _ => format!("`{ty}`"),
    }
}

/// A short example invoking the function with placeholder values.
fn example(model: &Model<'_>, def: &Definition) -> String {
    let path = model.struct_path(def).replacen(&model.root, "ferrogram_tl", 1);
    let mut s = format!("let request = {path} {{\n");
    for p in &def.params {
        let ParameterType::Normal { ty, flag } = &p.ty else { continue };
        let value = if ty.name == "true" && flag.is_some() {
            "false".to_string()
        } else if flag.is_some() {
            "None".to_string()
        } else {
            placeholder(model, ty)
        };
        let _ = writeln!(s, "    {}: {value},", field_name(&p.name));
    }
    s.push_str("};\nlet result = client.invoke(&request).await?;\nprintln!(\"{result:?}\");\n");
    s
}

fn placeholder(model: &Model<'_>, ty: &Type) -> String {
    match ty.name.as_str() {
        _ if ty.generic_ref => "ferrogram_tl::functions::help::GetConfig {}".into(),
        "string" => "\"some string here\".into()".into(),
        "bytes" => "b\"some bytes here\".to_vec()".into(),
        "int" | "long" => "42".into(),
        "double" => "4.2".into(),
        "int128" => "[0; 16]".into(),
        "int256" => "[0; 32]".into(),
        "Bool" => "false".into(),
        "Vector" | "vector" => "vec![]".into(),
        _ => {
            let ctor =
                model.types.get(&ty.full_name()).and_then(|cs| cs.iter().find(|c| c.params.is_empty()).or(cs.first()));
            match ctor {
                Some(c) if c.params.is_empty() => {
                    let e = model.enum_path(ty).replacen(&model.root, "ferrogram_tl", 1);
                    let s = model.struct_path(c).replacen(&model.root, "ferrogram_tl", 1);
                    format!("{e}::{}({s} {{}})", model.variant(c))
                }
                Some(c) => {
                    let s = model.struct_path(c).replacen(&model.root, "ferrogram_tl", 1);
                    format!("{s} {{ /* ... */ }}.into()")
                }
                None => "todo!()".into(),
            }
        }
    }
}

/// Rustdoc of a boxed type's enum.
pub fn enum_docs(model: &Model<'_>, docs: &Docs, ty: &Type, ctors: &[&Definition]) -> String {
    let mut text = String::new();
    match docs.types.get(&ty.full_name()).filter(|d| !d.is_empty()) {
        Some(d) => {
            let _ = writeln!(text, "{d}");
        }
        None => {
            let _ = writeln!(text, "The boxed type `{}`.", ty.full_name());
        }
    }
    let _ = writeln!(text, "\n# Constructors\n");
    for c in ctors {
        let _ = writeln!(
            text,
            "- [`{}`]({}) → `{}::{}`",
            c.full_name(),
            model.struct_path(c),
            pascal_case(&ty.name),
            model.variant(c)
        );
    }
    let mut out = String::new();
    doc_lines(&mut out, &text);
    out
}
