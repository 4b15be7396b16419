//! What the parsers and writers share: a formatted range as a [`Span`] (a kind and UTF-16
//! bounds), its conversion to and from [`MessageEntity`](enums::MessageEntity), and the text
//! builder that counts UTF-16 units as it goes.

use ferrogram_tl::{enums, types};

/// What a span does to its text (the entity kinds Markdown or HTML can say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    Code,
    Pre(String),
    TextUrl(String),
    MentionName(i64),
    Blockquote { collapsed: bool },
    CustomEmoji(i64),
}

/// A formatted range of the text, in UTF-16 code units, `start < end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Span {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

/// The URL scheme and path of a mention link: `tg://user?id=123`.
const MENTION_PREFIX: &str = "tg://user?id=";

/// The kind a link to `url` makes: a mention for `tg://user?id=N`, else a text URL.
pub(super) fn link_kind(url: &str) -> Kind {
    let id = url
        .get(..MENTION_PREFIX.len())
        .filter(|prefix| prefix.eq_ignore_ascii_case(MENTION_PREFIX))
        .and_then(|_| url.get(MENTION_PREFIX.len()..))
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<i64>().ok());
    match id {
        Some(id) => Kind::MentionName(id),
        None => Kind::TextUrl(url.to_owned()),
    }
}

/// The URL a link span points to (`None` for spans that are no links).
pub(super) fn link_url(kind: &Kind) -> Option<String> {
    match kind {
        Kind::TextUrl(url) => Some(url.clone()),
        Kind::MentionName(id) => Some(format!("{MENTION_PREFIX}{id}")),
        _ => None,
    }
}

/// The span an entity is, within a text of `len` UTF-16 units (clamped to it); `None` for
/// entities with nothing to format or of a kind Markdown and HTML do not write (mentions by
/// `@username`, hashtags, URLs in the text itself: Telegram finds those on its own).
pub(super) fn from_entity(entity: &enums::MessageEntity, len: usize) -> Option<Span> {
    use enums::MessageEntity as E;
    let (offset, length, kind) = match entity {
        E::Bold(e) => (e.offset, e.length, Kind::Bold),
        E::Italic(e) => (e.offset, e.length, Kind::Italic),
        E::Underline(e) => (e.offset, e.length, Kind::Underline),
        E::Strike(e) => (e.offset, e.length, Kind::Strike),
        E::Spoiler(e) => (e.offset, e.length, Kind::Spoiler),
        E::Code(e) => (e.offset, e.length, Kind::Code),
        E::Pre(e) => (e.offset, e.length, Kind::Pre(e.language.clone())),
        E::TextUrl(e) => (e.offset, e.length, Kind::TextUrl(e.url.clone())),
        E::MentionName(e) => (e.offset, e.length, Kind::MentionName(e.user_id)),
        E::InputMessageEntityMentionName(e) => match &e.user_id {
            enums::InputUser::InputUser(user) => (e.offset, e.length, Kind::MentionName(user.user_id)),
            _ => return None,
        },
        E::Blockquote(e) => (e.offset, e.length, Kind::Blockquote { collapsed: e.collapsed }),
        E::CustomEmoji(e) => (e.offset, e.length, Kind::CustomEmoji(e.document_id)),
        _ => return None,
    };
    let start = usize::try_from(offset).ok()?.min(len);
    let end = start.saturating_add(usize::try_from(length).ok()?).min(len);
    (start < end).then_some(Span { kind, start, end })
}

/// The entity a span is; `None` if its bounds do not fit an `i32` (a text past 2 GiB).
fn to_entity(span: Span) -> Option<enums::MessageEntity> {
    let offset = i32::try_from(span.start).ok()?;
    let length = i32::try_from(span.end - span.start).ok()?;
    Some(match span.kind {
        Kind::Bold => types::MessageEntityBold { offset, length }.into(),
        Kind::Italic => types::MessageEntityItalic { offset, length }.into(),
        Kind::Underline => types::MessageEntityUnderline { offset, length }.into(),
        Kind::Strike => types::MessageEntityStrike { offset, length }.into(),
        Kind::Spoiler => types::MessageEntitySpoiler { offset, length }.into(),
        Kind::Code => types::MessageEntityCode { offset, length }.into(),
        Kind::Pre(language) => types::MessageEntityPre { offset, length, language }.into(),
        Kind::TextUrl(url) => types::MessageEntityTextUrl { offset, length, url }.into(),
        Kind::MentionName(user_id) => types::MessageEntityMentionName { offset, length, user_id }.into(),
        Kind::Blockquote { collapsed } => types::MessageEntityBlockquote { collapsed, offset, length }.into(),
        Kind::CustomEmoji(document_id) => types::MessageEntityCustomEmoji { offset, length, document_id }.into(),
    })
}

/// The spans of `entities` over `text`, in the order writers want: by start, the longer (the
/// outer) first. A bound inside a character (between the two halves of a surrogate pair) is
/// moved to that character's start.
pub(super) fn spans_of(text: &str, entities: &[enums::MessageEntity]) -> Vec<Span> {
    let len = super::utf16_len(text);
    let mut spans: Vec<Span> = entities.iter().filter_map(|e| from_entity(e, len)).collect();
    if spans.is_empty() {
        return spans;
    }
    let mut boundary = vec![false; len + 1];
    for (pos, _) in utf16_chars(text) {
        boundary[pos] = true;
    }
    boundary[len] = true;
    let snap = |mut pos: usize| {
        while !boundary[pos] {
            pos -= 1;
        }
        pos
    };
    for span in &mut spans {
        span.start = snap(span.start);
        span.end = snap(span.end);
    }
    spans.retain(|span| span.start < span.end);
    spans.sort_by(order);
    spans
}

/// By start, the outer (longer) first, then by kind: one order for any set of spans.
fn order(a: &Span, b: &Span) -> std::cmp::Ordering {
    a.start.cmp(&b.start).then(b.end.cmp(&a.end)).then(rank(&a.kind).cmp(&rank(&b.kind)))
}

fn rank(kind: &Kind) -> u8 {
    match kind {
        Kind::Blockquote { .. } => 0,
        Kind::TextUrl(_) => 1,
        Kind::MentionName(_) => 2,
        Kind::Bold => 3,
        Kind::Italic => 4,
        Kind::Underline => 5,
        Kind::Strike => 6,
        Kind::Spoiler => 7,
        Kind::CustomEmoji(_) => 8,
        Kind::Pre(_) => 9,
        Kind::Code => 10,
    }
}

/// The text being built by a parser, its length in UTF-16 units, and the spans found.
#[derive(Debug, Default)]
pub(super) struct Output {
    text: String,
    pos: usize,
    spans: Vec<Span>,
}

impl Output {
    /// Where the next character goes, in UTF-16 units.
    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn push_str(&mut self, text: &str) {
        self.text.push_str(text);
        self.pos += super::utf16_len(text);
    }

    pub fn push_char(&mut self, c: char) {
        self.text.push(c);
        self.pos += c.len_utf16();
    }

    /// Adds the span `kind` from `start` to here, if it covers anything.
    pub fn span(&mut self, kind: Kind, start: usize) {
        if start < self.pos {
            self.spans.push(Span { kind, start, end: self.pos });
        }
    }

    /// The text and its entities, sorted by offset (the outer of two at one offset first).
    pub fn finish(self) -> (String, Vec<enums::MessageEntity>) {
        let mut spans = self.spans;
        spans.sort_by(order);
        (self.text, spans.into_iter().filter_map(to_entity).collect())
    }
}

/// Each character of `text` with the UTF-16 offset it starts at.
pub(super) fn utf16_chars(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    text.chars().scan(0usize, |pos, c| {
        let at = *pos;
        *pos += c.len_utf16();
        Some((at, c))
    })
}
