//! Documentation data: descriptions, parameter docs, possible errors and bot usability.
//!
//! Read from `api-schema.json` / `mtp-schema.json` (the `@mtcute/tl` data) and `raw-errors.json`.
//! Bot usability comes from `raw-errors.json`'s `userOnly`/`botOnly` lists: the entries'
//! `available` field says `user` for 761 of 767 methods, `messages.sendMessage` among them, so it
//! cannot mean "users only";
//! see `data/tl/README.md` for their shape. Comments there are HTML; [`html_to_markdown`] turns
//! them into Markdown for rustdoc.

use std::collections::HashMap;

use serde::Deserialize;

/// One possible error of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorDoc {
    /// HTTP-like code (400, 406, 500 ...).
    pub code: i32,
    /// Error name (`PHONE_CODE_INVALID`).
    pub name: String,
    /// What it means.
    pub description: String,
}

/// Whether bots may call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BotUsage {
    /// Users and bots.
    Yes,
    /// Users only.
    No,
    /// Bots only.
    BotsOnly,
}

/// Documentation of one definition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefinitionDoc {
    /// Markdown description.
    pub description: String,
    /// Markdown description per parameter name.
    pub params: HashMap<String, String>,
    /// Possible errors (methods only).
    pub errors: Vec<ErrorDoc>,
    /// Whether bots may call it (methods only).
    pub bots: Option<BotUsage>,
}

/// All documentation data, keyed by full TL name (`auth.signIn`).
#[derive(Debug, Clone, Default)]
pub struct Docs {
    /// Per definition.
    pub definitions: HashMap<String, DefinitionDoc>,
    /// Per boxed type (`auth.Authorization`), Markdown.
    pub types: HashMap<String, String>,
    /// Every known error name → (code, description), from `raw-errors.json`.
    pub errors: HashMap<String, (i32, String)>,
}

/// Why documentation data could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DocsError {
    /// The JSON did not have the expected shape.
    #[error("invalid docs JSON: {0}")]
    Json(#[from] serde_json::Error),
}

#[derive(Deserialize)]
struct SchemaJson {
    e: Vec<EntryJson>,
    #[serde(default)]
    u: HashMap<String, String>,
}

#[derive(Deserialize)]
struct EntryJson {
    kind: String,
    name: String,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    arguments: Vec<ArgJson>,
    #[serde(default)]
    throws: Vec<ThrowJson>,
}

#[derive(Deserialize)]
struct ArgJson {
    name: String,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
struct ThrowJson {
    code: i32,
    name: String,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
struct RawErrorsJson {
    errors: HashMap<String, RawErrorJson>,
    #[serde(default, rename = "botOnly")]
    bot_only: HashMap<String, serde_json::Value>,
    #[serde(default, rename = "userOnly")]
    user_only: HashMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct RawErrorJson {
    code: i32,
    #[serde(default)]
    description: Option<String>,
}

impl Docs {
    /// Reads the API docs (`api-schema.json` text), optionally the MTProto docs (`mtp-schema.json`
    /// text, a bare array of entries with `mt_`-prefixed names) and `raw-errors.json` text.
    pub fn load(api_json: &str, mtp_json: Option<&str>, raw_errors_json: &str) -> Result<Self, DocsError> {
        let api: SchemaJson = serde_json::from_str(api_json)?;
        let raw: RawErrorsJson = serde_json::from_str(raw_errors_json)?;
        let mut docs = Docs::default();
        for (name, e) in raw.errors {
            docs.errors.insert(name, (e.code, html_to_markdown(e.description.as_deref().unwrap_or(""))));
        }
        let mut entries = api.e;
        if let Some(mtp) = mtp_json {
            let mtp: Vec<EntryJson> = serde_json::from_str(mtp)?;
            entries.extend(mtp.into_iter().map(|mut e| {
                e.name = e.name.trim_start_matches("mt_").to_string();
                e
            }));
        }
        for e in entries {
            let bots = (e.kind == "method").then(|| {
                if raw.bot_only.contains_key(&e.name) {
                    BotUsage::BotsOnly
                } else if raw.user_only.contains_key(&e.name) {
                    BotUsage::No
                } else {
                    BotUsage::Yes
                }
            });
            let doc = DefinitionDoc {
                description: html_to_markdown(e.comment.as_deref().unwrap_or("")),
                params: e
                    .arguments
                    .into_iter()
                    .filter_map(|a| a.comment.map(|c| (a.name, html_to_markdown(&c))))
                    .collect(),
                errors: e
                    .throws
                    .into_iter()
                    .map(|t| ErrorDoc {
                        code: t.code,
                        name: t.name,
                        description: html_to_markdown(t.comment.as_deref().unwrap_or("")),
                    })
                    .collect(),
                bots,
            };
            docs.definitions.insert(e.name, doc);
        }
        docs.types = api.u.into_iter().map(|(k, v)| (k, html_to_markdown(&v))).collect();
        Ok(docs)
    }
}

/// Turns the HTML of the docs data into one line of Markdown: links become absolute
/// `core.telegram.org` Markdown links, `<strong>`/`<em>`/`<code>` their Markdown forms, other tags
/// are dropped, `{@link auth.RawSendCodeRequest}` becomes `auth.sendCode`, and characters rustdoc
/// would misread (`[`, `]`, `<`, `>`, `|`, `*`, backticks) are escaped.
pub fn html_to_markdown(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut link_stack: Vec<String> = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{@link ") {
            if let Some(end) = after.find('}') {
                out.push('`');
                out.push_str(&mtcute_link_to_tl(&after[..end]));
                out.push('`');
                rest = &after[end + 1..];
                continue;
            }
        }
        if rest.starts_with('<') {
            if let Some(end) = rest.find('>') {
                let tag = &rest[1..end];
                rest = &rest[end + 1..];
                let lower = tag.to_ascii_lowercase();
                let name = lower.trim_start_matches('/').split_whitespace().next().unwrap_or("");
                let closing = lower.starts_with('/');
                match name {
                    "a" if !closing => {
                        let href = attr(tag, "href").unwrap_or_default();
                        link_stack.push(absolute_url(&href));
                        out.push('[');
                    }
                    "a" => {
                        let href = link_stack.pop().unwrap_or_default();
                        if href.is_empty() {
                            out.push(']');
                        } else {
                            out.push_str("](");
                            out.push_str(&href);
                            out.push(')');
                        }
                    }
                    "strong" | "b" => out.push_str("**"),
                    "em" | "i" => out.push('*'),
                    "code" => out.push('`'),
                    "br" | "p" | "li" | "ul" | "ol" | "tr" | "td" | "th" | "table" | "tbody" | "thead"
                        if !out.ends_with(' ') && !out.is_empty() =>
                    {
                        out.push(' ')
                    }
                    _ => {}
                }
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        match c {
            '&' => {
                let entities =
                    [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&quot;", '"'), ("&#39;", '\''), ("&nbsp;", ' ')];
                let full = format!("&{rest}");
                if let Some((ent, ch)) = entities.iter().find(|(e, _)| full.starts_with(e)) {
                    rest = &rest[ent.len() - 1..];
                    push_escaped(&mut out, *ch);
                } else {
                    out.push('&');
                }
            }
            '\n' | '\r' | '\t' => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            _ => push_escaped(&mut out, c),
        }
    }
    out.trim().to_string()
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '[' | ']' | '<' | '>' | '|' | '*' | '`' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        _ => out.push(c),
    }
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

fn absolute_url(href: &str) -> String {
    let href = href.replace("corefork.telegram.org", "core.telegram.org");
    if href.starts_with("http://") || href.starts_with("https://") {
        href
    } else if let Some(path) = href.strip_prefix('/') {
        format!("https://core.telegram.org/{path}")
    } else if href.is_empty() {
        String::new()
    } else {
        format!("https://core.telegram.org/{href}")
    }
}

/// `auth.RawSendCodeRequest` → `auth.sendCode`; `RawUser` → `user`.
fn mtcute_link_to_tl(link: &str) -> String {
    let (ns, name) = match link.rsplit_once('.') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, link),
    };
    let name = name.strip_prefix("Raw").unwrap_or(name);
    let name = name.strip_suffix("Request").unwrap_or(name);
    let mut chars = name.chars();
    let name = match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    };
    match ns {
        Some(ns) => format!("{ns}.{name}"),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_links_and_mtcute_references() {
        assert_eq!(
            html_to_markdown("SMS-message ID, obtained from {@link auth.RawSendCodeRequest}"),
            "SMS-message ID, obtained from `auth.sendCode`"
        );
        assert_eq!(
            html_to_markdown(
                "see <a href=\"https://corefork.telegram.org/api/auth\">login</a> &amp; <strong>more</strong>"
            ),
            "see [login](https://core.telegram.org/api/auth) & **more**"
        );
        assert_eq!(html_to_markdown("a [b] | c_d"), "a \\[b\\] \\| c_d");
    }
}
