//! The HTML subset of Telegram's Bot API ("HTML style"), to entities and back.
//!
//! | HTML                                              | entity                          |
//! |---------------------------------------------------|---------------------------------|
//! | `<b>`, `<strong>`                                 | `messageEntityBold`             |
//! | `<i>`, `<em>`                                     | `messageEntityItalic`           |
//! | `<u>`, `<ins>`                                    | `messageEntityUnderline`        |
//! | `<s>`, `<strike>`, `<del>`                        | `messageEntityStrike`           |
//! | `<tg-spoiler>`, `<span class="tg-spoiler">`       | `messageEntitySpoiler`          |
//! | `<code>`                                          | `messageEntityCode`             |
//! | `<pre>`, `<pre><code class="language-rust">`      | `messageEntityPre` (+ language) |
//! | `<a href="https://x.org">`                        | `messageEntityTextUrl`          |
//! | `<a href="tg://user?id=123">`                     | `messageEntityMentionName`      |
//! | `<blockquote>`, `<blockquote expandable>`         | `messageEntityBlockquote`       |
//! | `<tg-emoji emoji-id="5368324170671202286">`       | `messageEntityCustomEmoji`      |
//!
//! Character references: `&amp;` `&lt;` `&gt;` `&quot;` `&apos;`, and numeric ones (`&#128512;`,
//! `&#x1F600;`); anything else after `&` is text. Line breaks and spaces are kept as written.
//!
//! Malformed input is text, never an error:
//! - a `<` that does not start a well-formed tag before the next `<` or `>` is text (so write
//!   `&lt;` and `&gt;` inside attribute values, as in text);
//! - a tag not in the table (`<br>`, `<div>`, a comment) is dropped, its content kept;
//! - a closing tag closes the innermost open element of its own name, even if others opened
//!   inside it are still open (entities may overlap); one with no open element is dropped;
//! - elements still open at the end format the text up to the end;
//! - a `<code class="language-…">` that starts where an open `<pre>` starts gives that block
//!   its language and makes no entity of its own (a `<code>` without that class is code).
//!
//! [`to_html`] writes well-formed HTML: an entity that crosses another's end is closed there
//! and opened again after it.

use ferrogram_tl::enums;

use super::spans::{link_kind, link_url, spans_of, utf16_chars, Kind, Output, Span};

/// The element groups of the table; a closing tag closes an element of its own group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    Code,
    Pre,
    Link,
    Blockquote,
    Emoji,
    /// `<span>`: a spoiler with `class="tg-spoiler"`, else nothing.
    Span,
}

const GROUPS: usize = 11;

fn group(name: &str) -> Option<Group> {
    Some(match name {
        "b" | "strong" => Group::Bold,
        "i" | "em" => Group::Italic,
        "u" | "ins" => Group::Underline,
        "s" | "strike" | "del" => Group::Strike,
        "tg-spoiler" => Group::Spoiler,
        "code" => Group::Code,
        "pre" => Group::Pre,
        "a" => Group::Link,
        "blockquote" => Group::Blockquote,
        "tg-emoji" => Group::Emoji,
        "span" => Group::Span,
        _ => return None,
    })
}

/// An open element: where its text starts and the entity it makes (`None`: none).
#[derive(Debug)]
struct Open {
    start: usize,
    kind: Option<Kind>,
}

/// A tag as written: its lower-case name, whether it closes, and its attributes (values with
/// character references decoded).
#[derive(Debug)]
struct Tag {
    name: String,
    closing: bool,
    attributes: Vec<(String, String)>,
}

impl Tag {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The text and entities of Telegram-style HTML (see the module docs for the tags and for
/// what malformed input gives). Never fails.
///
/// ```
/// use ferrogram::formatting::parse_html;
/// let (text, entities) = parse_html("<b>1 &lt; 2</b> <pre><code class=\"language-rust\">let x;</code></pre>");
/// assert_eq!(text, "1 < 2 let x;");
/// assert_eq!(entities.len(), 2);
/// ```
pub fn parse_html(source: &str) -> (String, Vec<enums::MessageEntity>) {
    let mut out = Output::default();
    let mut open: [Vec<Open>; GROUPS] = Default::default();
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'<' => {
                // The tag ends at the next `>`, unless a `<` comes first: one scan per `<`, and
                // the text it covers holds no other `<`, so all scans together are linear.
                let end = bytes[i + 1..].iter().position(|&b| b == b'<' || b == b'>').map(|at| i + 1 + at);
                match end
                    .filter(|&end| bytes[end] == b'>')
                    .and_then(|end| read_tag(&source[i + 1..end]).map(|t| (t, end)))
                {
                    Some((tag, end)) => {
                        apply(&tag, &mut open, &mut out);
                        i = end + 1;
                    }
                    None => {
                        out.push_char('<');
                        i += 1;
                    }
                }
            }
            b'&' => match reference(&source[i..]) {
                Some((c, len)) => {
                    out.push_char(c);
                    i += len;
                }
                None => {
                    out.push_char('&');
                    i += 1;
                }
            },
            _ => {
                let run = bytes[i..].iter().position(|&b| b == b'<' || b == b'&').map_or(bytes.len(), |at| i + at);
                out.push_str(&source[i..run]);
                i = run;
            }
        }
    }
    for stack in open.iter_mut() {
        for element in stack.drain(..) {
            if let Some(kind) = element.kind {
                out.span(kind, element.start);
            }
        }
    }
    out.finish()
}

/// Opens or closes the element of `tag`.
fn apply(tag: &Tag, open: &mut [Vec<Open>; GROUPS], out: &mut Output) {
    let Some(group) = group(&tag.name) else { return };
    let stack = &mut open[group as usize];
    if tag.closing {
        if let Some(element) = stack.pop() {
            if let Some(kind) = element.kind {
                out.span(kind, element.start);
            }
        }
        return;
    }
    let start = out.pos();
    let kind = match group {
        Group::Bold => Some(Kind::Bold),
        Group::Italic => Some(Kind::Italic),
        Group::Underline => Some(Kind::Underline),
        Group::Strike => Some(Kind::Strike),
        Group::Spoiler => Some(Kind::Spoiler),
        Group::Span => (tag.attribute("class") == Some("tg-spoiler")).then_some(Kind::Spoiler),
        Group::Code => {
            // `<pre><code class="language-x">`: one pre block in language x.
            let class = tag.attribute("class").and_then(|c| c.strip_prefix("language-"));
            match (open[Group::Pre as usize].last_mut(), class) {
                (Some(Open { start: pre_start, kind: Some(Kind::Pre(language)) }), Some(class))
                    if *pre_start == start =>
                {
                    *language = class.to_owned();
                    None
                }
                _ => Some(Kind::Code),
            }
        }
        Group::Pre => Some(Kind::Pre(String::new())),
        Group::Link => tag.attribute("href").filter(|href| !href.is_empty()).map(link_kind),
        Group::Blockquote => Some(Kind::Blockquote { collapsed: tag.attribute("expandable").is_some() }),
        Group::Emoji => tag.attribute("emoji-id").and_then(|id| id.parse().ok()).map(Kind::CustomEmoji),
    };
    open[group as usize].push(Open { start, kind });
}

/// The tag between `<` and `>`, if it is one: `/`? name (attribute (`=` value)?)* `/`?.
fn read_tag(inner: &str) -> Option<Tag> {
    let (closing, rest) = match inner.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let name_len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).unwrap_or(rest.len());
    let name = &rest[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut rest = &rest[name_len..];
    if !rest.is_empty() && !rest.starts_with(|c: char| c.is_ascii_whitespace() || c == '/') {
        return None;
    }
    let mut attributes = Vec::new();
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if rest.is_empty() || rest == "/" {
            break;
        }
        let name_len =
            rest.find(|c: char| c.is_ascii_whitespace() || matches!(c, '=' | '"' | '\'' | '/')).unwrap_or(rest.len());
        if name_len == 0 {
            return None;
        }
        let attribute = rest[..name_len].to_ascii_lowercase();
        rest = rest[name_len..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let value = match rest.strip_prefix('=') {
            Some(after) => {
                let after = after.trim_start_matches(|c: char| c.is_ascii_whitespace());
                let (raw, tail) = match after.chars().next() {
                    Some(quote @ ('"' | '\'')) => {
                        let close = after[1..].find(quote)?;
                        (&after[1..1 + close], &after[close + 2..])
                    }
                    _ => {
                        let len = after.find(|c: char| c.is_ascii_whitespace()).unwrap_or(after.len());
                        (&after[..len], &after[len..])
                    }
                };
                rest = tail;
                decode(raw)
            }
            None => String::new(),
        };
        attributes.push((attribute, value));
    }
    Some(Tag { name: name.to_ascii_lowercase(), closing, attributes })
}

/// `text` with its character references decoded.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(at) = text[i..].find('&') {
        out.push_str(&text[i..i + at]);
        i += at;
        match reference(&text[i..]) {
            Some((c, len)) => {
                out.push(c);
                i += len;
            }
            None => {
                out.push('&');
                i += 1;
            }
        }
    }
    out.push_str(&text[i..]);
    out
}

/// The character a reference at the start of `text` (`&…;`) stands for, and its length.
fn reference(text: &str) -> Option<(char, usize)> {
    // The longest reference written here, `&#x10FFFF;` or `&#1114111;`, is 10 bytes; a little
    // more is looked at, and no more, however long the text.
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let body = text.get(1..end)?;
    let c = match body {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = body.strip_prefix('#')?;
            let value = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None if number.bytes().all(|b| b.is_ascii_digit()) => number.parse().ok()?,
                None => return None,
            };
            char::from_u32(value).filter(|&c| c != '\0')?
        }
    };
    Some((c, end + 1))
}

/// Well-formed HTML for `text` with `entities` (see the module docs for the tags). Offsets and
/// lengths are UTF-16 units; entities reaching past the text are cut at its end.
///
/// ```
/// use ferrogram::formatting::{parse_html, to_html};
/// let (text, entities) = parse_html("<b>bold <i>both</i></b> &amp; <a href=\"tg://user?id=7\">Ann</a>");
/// assert_eq!(to_html(&text, &entities), "<b>bold <i>both</i></b> &amp; <a href=\"tg://user?id=7\">Ann</a>");
/// ```
pub fn to_html(text: &str, entities: &[enums::MessageEntity]) -> String {
    let spans = spans_of(text, entities);
    let mut out = String::with_capacity(text.len() + 16 * spans.len());
    let mut next = 0;
    let mut stack: Vec<usize> = Vec::new();
    let total = super::utf16_len(text);
    for (pos, c) in utf16_chars(text).map(|(pos, c)| (pos, Some(c))).chain(std::iter::once((total, None))) {
        // Close what ends here; what was opened inside it and goes on is opened again.
        let mut reopen: Vec<usize> = Vec::new();
        if stack.iter().any(|&index| spans[index].end <= pos) {
            while let Some(index) = stack.pop() {
                close_tag(&spans[index].kind, &mut out);
                if spans[index].end > pos {
                    reopen.push(index);
                }
                if !stack.iter().any(|&index| spans[index].end <= pos) {
                    break;
                }
            }
        }
        while next < spans.len() && spans[next].start <= pos {
            reopen.push(next);
            next += 1;
        }
        // Outer (ending later) first, so that they nest.
        reopen.sort_by(|&a, &b| spans[b].end.cmp(&spans[a].end));
        for index in reopen {
            open_tag(&spans[index], &mut out);
            stack.push(index);
        }
        match c {
            Some('&') => out.push_str("&amp;"),
            Some('<') => out.push_str("&lt;"),
            Some('>') => out.push_str("&gt;"),
            Some(c) => out.push(c),
            None => break,
        }
    }
    out
}

fn open_tag(span: &Span, out: &mut String) {
    match &span.kind {
        Kind::Bold => out.push_str("<b>"),
        Kind::Italic => out.push_str("<i>"),
        Kind::Underline => out.push_str("<u>"),
        Kind::Strike => out.push_str("<s>"),
        Kind::Spoiler => out.push_str("<tg-spoiler>"),
        Kind::Code => out.push_str("<code>"),
        Kind::Pre(language) if language.is_empty() => out.push_str("<pre>"),
        Kind::Pre(language) => {
            out.push_str("<pre><code class=\"language-");
            out.push_str(&attribute_text(language));
            out.push_str("\">");
        }
        Kind::TextUrl(_) | Kind::MentionName(_) => {
            out.push_str("<a href=\"");
            out.push_str(&attribute_text(&link_url(&span.kind).unwrap_or_default()));
            out.push_str("\">");
        }
        Kind::Blockquote { collapsed: false } => out.push_str("<blockquote>"),
        Kind::Blockquote { collapsed: true } => out.push_str("<blockquote expandable>"),
        Kind::CustomEmoji(id) => {
            out.push_str("<tg-emoji emoji-id=\"");
            out.push_str(&id.to_string());
            out.push_str("\">");
        }
    }
}

fn close_tag(kind: &Kind, out: &mut String) {
    out.push_str(match kind {
        Kind::Bold => "</b>",
        Kind::Italic => "</i>",
        Kind::Underline => "</u>",
        Kind::Strike => "</s>",
        Kind::Spoiler => "</tg-spoiler>",
        Kind::Code => "</code>",
        Kind::Pre(language) if language.is_empty() => "</pre>",
        Kind::Pre(_) => "</code></pre>",
        Kind::TextUrl(_) | Kind::MentionName(_) => "</a>",
        Kind::Blockquote { .. } => "</blockquote>",
        Kind::CustomEmoji(_) => "</tg-emoji>",
    });
}

/// `value` escaped for a double-quoted attribute.
fn attribute_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}
