//! Telethon's Markdown dialect (`telethon.extensions.markdown`), with backslash escapes.
//!
//! | Markdown                      | entity                                 |
//! |-------------------------------|----------------------------------------|
//! | `**bold**`                    | `messageEntityBold`                    |
//! | `__italic__`                  | `messageEntityItalic`                  |
//! | `~~strike~~`                  | `messageEntityStrike`                  |
//! | `\|\|spoiler\|\|`             | `messageEntitySpoiler`                 |
//! | `` `code` ``                  | `messageEntityCode`                    |
//! | ```` ```rust\ncode``` ````    | `messageEntityPre` (language `rust`)   |
//! | `[text](https://x.org)`       | `messageEntityTextUrl`                 |
//! | `[text](tg://user?id=123)`    | `messageEntityMentionName` (user 123)  |
//!
//! This is Telethon's dialect, not CommonMark (grammers' choice): one `*` or `_` is plain text,
//! so `2*3*4` and `snake_case` need no escaping. The rules in full:
//! - `\` before an ASCII punctuation character makes that character plain text (`\*\*` is
//!   `**`); before anything else it is a backslash.
//! - `**`, `__`, `~~` and `||` toggle: each one of a kind opens, the next one of that kind
//!   closes. A last one left open is plain text. Different kinds may cross (`**a __b** c__`).
//! - `` ` `` starts code up to the next `` ` ``; ```` ``` ```` a block up to the next ```` ``` ````
//!   whose first line, if it is one word followed by a line break, names the language (else a
//!   first line break is dropped). Nothing inside is markup except `` \` `` and `\\`. Without an
//!   end, the backticks are plain text.
//! - `[` opens a link that `](url)` closes; the URL ends at the first `)` (`\)` for one inside).
//!   Links do not nest: of two `[` before one `](`, the first is plain text. A `[` or `](url)`
//!   without its other half is plain text.
//!
//! [`to_markdown`] writes entities the dialect can say and leaves out the others (underline,
//! blockquote, custom emoji: use [`to_html`](super::to_html) for those). Code and pre blocks
//! cannot hold formatting: an entity starting or ending strictly inside one is left out, as is
//! a link overlapping an earlier link. Every marker character in the text is escaped, so that
//! `parse_markdown(&to_markdown(text, entities))` gives the text back with the entities written.

use ferrogram_tl::enums;

use super::spans::{link_kind, link_url, spans_of, utf16_chars, Kind, Output, Span};

/// The four toggling delimiters, in the order of [`Toggle`]'s index.
const TOGGLES: [(&str, Kind); 4] =
    [("**", Kind::Bold), ("__", Kind::Italic), ("~~", Kind::Strike), ("||", Kind::Spoiler)];

/// One piece of the source, before delimiters are paired.
#[derive(Debug)]
enum Token<'s> {
    /// Plain text, as written.
    Text(&'s str),
    /// An escaped character.
    Char(char),
    /// `**`, `__`, `~~` or `||` (an index into [`TOGGLES`]).
    Toggle(usize),
    /// A code span's content.
    Code(String),
    /// A pre block's language and content.
    Pre(String, String),
    /// `[`.
    LinkOpen,
    /// `](url)`, and its source for when it is plain text.
    LinkClose(String, &'s str),
}

/// What pairing made of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// It stays as written.
    Literal,
    /// It opens a span the token at this index closes.
    Opens,
    /// It closes the span opened by the token at this index.
    Closes(usize),
}

/// The text and entities of Telethon-style Markdown (see the module docs for the dialect).
/// Never fails: what is not markup is text.
///
/// ```
/// use ferrogram::formatting::parse_markdown;
/// let (text, entities) = parse_markdown("**Hi** [Ann](tg://user?id=42), 2*3 = `6`");
/// assert_eq!(text, "Hi Ann, 2*3 = 6");
/// assert_eq!(entities.len(), 3);
/// ```
pub fn parse_markdown(source: &str) -> (String, Vec<enums::MessageEntity>) {
    let tokens = tokenize(source);
    let roles = pair(&tokens);
    let mut out = Output::default();
    let mut starts = vec![0usize; tokens.len()];
    for (index, token) in tokens.iter().enumerate() {
        let role = roles[index];
        match (token, role) {
            (Token::Text(text), _) => out.push_str(text),
            (Token::Char(c), _) => out.push_char(*c),
            (Token::Code(code), _) => {
                let start = out.pos();
                out.push_str(code);
                out.span(Kind::Code, start);
            }
            (Token::Pre(language, code), _) => {
                let start = out.pos();
                out.push_str(code);
                out.span(Kind::Pre(language.clone()), start);
            }
            (Token::Toggle(_) | Token::LinkOpen, Role::Opens) => starts[index] = out.pos(),
            (Token::Toggle(kind), Role::Closes(open)) => out.span(TOGGLES[*kind].1.clone(), starts[open]),
            (Token::LinkClose(url, _), Role::Closes(open)) => out.span(link_kind(url), starts[open]),
            (Token::Toggle(kind), _) => out.push_str(TOGGLES[*kind].0),
            (Token::LinkOpen, _) => out.push_char('['),
            (Token::LinkClose(_, source), _) => out.push_str(source),
        }
    }
    out.finish()
}

/// The source cut into tokens, in one pass. Each search for a closing backtick or parenthesis
/// that fails is remembered, so that no later start searches again: linear time in all.
fn tokenize(source: &str) -> Vec<Token<'_>> {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let (mut no_fence, mut no_tick, mut no_paren) = (false, false, false);
    let mut text_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        let token: Option<(Token<'_>, usize)> = match bytes[i] {
            b'\\' => match rest[1..].chars().next() {
                Some(c) if c.is_ascii_punctuation() => Some((Token::Char(c), 2)),
                _ => None,
            },
            b'`' if rest.starts_with("```") && !no_fence => match closing(rest, 3, "```") {
                Some((content, len)) => {
                    let (language, code) = split_language(&content);
                    Some((Token::Pre(language, code), len))
                }
                None => {
                    no_fence = true;
                    None
                }
            },
            b'`' if rest.starts_with("```") => Some((Token::Text("```"), 3)),
            b'`' if !no_tick => match closing(rest, 1, "`") {
                Some((content, len)) if !content.is_empty() => Some((Token::Code(content), len)),
                Some(_) => Some((Token::Text("``"), 2)),
                None => {
                    no_tick = true;
                    None
                }
            },
            b'*' | b'_' | b'~' | b'|' => {
                TOGGLES.iter().position(|(marker, _)| rest.starts_with(marker)).map(|kind| (Token::Toggle(kind), 2))
            }
            b'[' => Some((Token::LinkOpen, 1)),
            b']' if rest.starts_with("](") && !no_paren => match link_url_end(rest) {
                Some((url, len)) if !url.is_empty() => Some((Token::LinkClose(url, &rest[..len]), len)),
                Some(_) => None,
                None => {
                    no_paren = true;
                    None
                }
            },
            _ => None,
        };
        match token {
            Some((token, len)) => {
                if text_start < i {
                    tokens.push(Token::Text(&source[text_start..i]));
                }
                tokens.push(token);
                i += len;
                text_start = i;
            }
            // Plain text: on to the next byte that may start markup (all are ASCII, so this
            // stays on a character boundary).
            None => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'\\' | b'`' | b'*' | b'_' | b'~' | b'|' | b'[' | b']') {
                    i += 1;
                }
            }
        }
    }
    if text_start < bytes.len() {
        tokens.push(Token::Text(&source[text_start..]));
    }
    tokens
}

/// The content between `rest[..open]` and the next unescaped `end` (`` \` `` and `\\`
/// unescaped), and the length of the whole construct; `None` if it never ends.
fn closing(rest: &str, open: usize, end: &str) -> Option<(String, usize)> {
    let mut content = String::new();
    let mut chars = rest[open..].char_indices();
    while let Some((at, c)) = chars.next() {
        if rest[open + at..].starts_with(end) {
            return Some((content, open + at + end.len()));
        }
        if c == '\\' && matches!(rest[open + at + 1..].chars().next(), Some('`' | '\\')) {
            content.extend(chars.next().map(|(_, escaped)| escaped));
        } else {
            content.push(c);
        }
    }
    None
}

/// A pre block's language (its first line, if that is one word) and code.
fn split_language(content: &str) -> (String, String) {
    match content.split_once('\n') {
        Some((first, code)) if !first.is_empty() && !first.chars().any(char::is_whitespace) => {
            (first.to_owned(), code.to_owned())
        }
        Some(("", code)) => (String::new(), code.to_owned()),
        _ => (String::new(), content.to_owned()),
    }
}

/// The URL of `](url)` at the start of `rest` (`\)` and `\\` unescaped) and the construct's
/// length; `None` if no `)` ends it.
fn link_url_end(rest: &str) -> Option<(String, usize)> {
    let mut url = String::new();
    let mut chars = rest[2..].char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            ')' => return Some((url, 2 + at + 1)),
            '\\' if matches!(rest[2 + at + 1..].chars().next(), Some(')' | '\\')) => {
                url.extend(chars.next().map(|(_, escaped)| escaped));
            }
            _ => url.push(c),
        }
    }
    None
}

/// Pairs toggles of each kind in order, and each `](url)` with the latest `[` before it.
fn pair(tokens: &[Token<'_>]) -> Vec<Role> {
    let mut roles = vec![Role::Literal; tokens.len()];
    let mut open_toggles: [Option<usize>; TOGGLES.len()] = [None; TOGGLES.len()];
    let mut open_link: Option<usize> = None;
    for (index, token) in tokens.iter().enumerate() {
        match token {
            Token::Toggle(kind) => match open_toggles[*kind].take() {
                Some(open) => {
                    roles[open] = Role::Opens;
                    roles[index] = Role::Closes(open);
                }
                None => open_toggles[*kind] = Some(index),
            },
            // An earlier unclosed `[` stays plain text.
            Token::LinkOpen => open_link = Some(index),
            Token::LinkClose(..) => {
                if let Some(open) = open_link.take() {
                    roles[open] = Role::Opens;
                    roles[index] = Role::Closes(open);
                }
            }
            _ => {}
        }
    }
    roles
}

/// Markdown for `text` with `entities` (see the module docs for what is left out). Offsets
/// and lengths are UTF-16 units; entities reaching past the text are cut at its end.
///
/// ```
/// use ferrogram::formatting::{parse_markdown, to_markdown};
/// let (text, entities) = parse_markdown("**bold** and `x*y`");
/// assert_eq!(to_markdown(&text, &entities), "**bold** and `x*y`");
/// ```
pub fn to_markdown(text: &str, entities: &[enums::MessageEntity]) -> String {
    let spans = writable(spans_of(text, entities));
    let mut out = String::with_capacity(text.len() + 8 * spans.len());
    // Opening order: by start, outer first (as `spans_of` sorted them).
    let mut next_open = 0;
    let mut open: Vec<usize> = Vec::new();
    let mut in_code: Option<usize> = None;
    let total = super::utf16_len(text);
    for (pos, c) in utf16_chars(text).map(|(pos, c)| (pos, Some(c))).chain(std::iter::once((total, None))) {
        // Close what ends here, innermost (latest opened) first.
        open.retain(|&index| {
            let span = &spans[index];
            if span.end <= pos {
                close_marker(&span.kind, &mut out);
                false
            } else {
                true
            }
        });
        if in_code.is_some_and(|index| spans[index].end <= pos) {
            in_code = None;
        }
        while next_open < spans.len() && spans[next_open].start <= pos {
            let span = &spans[next_open];
            open_marker(&span.kind, &mut out);
            if matches!(span.kind, Kind::Code | Kind::Pre(_)) {
                in_code = Some(next_open);
            }
            open.insert(0, next_open);
            next_open += 1;
        }
        let Some(c) = c else { break };
        let escape = match in_code {
            Some(_) => matches!(c, '`' | '\\'),
            None => matches!(c, '\\' | '`' | '*' | '_' | '~' | '|' | '[' | ']'),
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The spans Markdown can say, with those it cannot nest left out (see the module docs).
fn writable(spans: Vec<Span>) -> Vec<Span> {
    let mut spans: Vec<Span> = spans
        .into_iter()
        .filter(|s| {
            matches!(
                s.kind,
                Kind::Bold
                    | Kind::Italic
                    | Kind::Strike
                    | Kind::Spoiler
                    | Kind::Code
                    | Kind::Pre(_)
                    | Kind::TextUrl(_)
                    | Kind::MentionName(_)
            )
        })
        .collect();
    // Code and pre blocks: the first of overlapping ones is kept.
    let mut blocks: Vec<(usize, usize)> = Vec::new();
    spans.retain(|s| {
        if !matches!(s.kind, Kind::Code | Kind::Pre(_)) {
            return true;
        }
        if blocks.last().is_some_and(|&(_, end)| s.start < end) {
            return false;
        }
        blocks.push((s.start, s.end));
        true
    });
    let inside_block = |at: usize| {
        let index = blocks.partition_point(|&(start, _)| start < at);
        index > 0 && at < blocks[index - 1].1
    };
    let mut last_link_end = 0;
    spans.retain(|s| {
        if matches!(s.kind, Kind::Code | Kind::Pre(_)) {
            return true;
        }
        if inside_block(s.start) || inside_block(s.end) {
            return false;
        }
        if link_url(&s.kind).is_some() {
            if s.start < last_link_end {
                return false;
            }
            last_link_end = s.end;
        }
        true
    });
    let mut spans = merge_toggles(spans);
    // At one position, code opens last (inside the rest): nothing may open inside it.
    let is_block = |s: &Span| matches!(s.kind, Kind::Code | Kind::Pre(_));
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(is_block(a).cmp(&is_block(b))).then(b.end.cmp(&a.end)));
    spans
}

/// Overlapping spans of one toggling kind made one (Markdown toggles cannot nest).
fn merge_toggles(spans: Vec<Span>) -> Vec<Span> {
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    let mut last_of_kind: [Option<usize>; TOGGLES.len()] = [None; TOGGLES.len()];
    for span in spans {
        let Some(kind) = TOGGLES.iter().position(|(_, k)| *k == span.kind) else {
            merged.push(span);
            continue;
        };
        match last_of_kind[kind] {
            Some(index) if span.start < merged[index].end => merged[index].end = merged[index].end.max(span.end),
            _ => {
                last_of_kind[kind] = Some(merged.len());
                merged.push(span);
            }
        }
    }
    merged
}

fn open_marker(kind: &Kind, out: &mut String) {
    match kind {
        Kind::Code => out.push('`'),
        Kind::Pre(language) => {
            out.push_str("```");
            // A language with a space would read as code: such a block is written without.
            if !language.chars().any(char::is_whitespace) {
                for c in language.chars() {
                    if matches!(c, '`' | '\\') {
                        out.push('\\');
                    }
                    out.push(c);
                }
            }
            out.push('\n');
        }
        Kind::TextUrl(_) | Kind::MentionName(_) => out.push('['),
        other => out.push_str(toggle_marker(other)),
    }
}

fn close_marker(kind: &Kind, out: &mut String) {
    match kind {
        Kind::Code => out.push('`'),
        Kind::Pre(_) => out.push_str("```"),
        Kind::TextUrl(_) | Kind::MentionName(_) => {
            out.push_str("](");
            for c in link_url(kind).unwrap_or_default().chars() {
                if matches!(c, ')' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push(')');
        }
        other => out.push_str(toggle_marker(other)),
    }
}

fn toggle_marker(kind: &Kind) -> &'static str {
    TOGGLES.iter().find(|(_, k)| k == kind).map_or("", |(marker, _)| marker)
}
