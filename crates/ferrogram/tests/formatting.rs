//! Properties of the Markdown and HTML parsers on generated input: they never panic, every
//! entity lies inside the text, and what `to_markdown`/`to_html` write parses back to the same
//! text and entities.

use ferrogram::formatting::{parse_html, parse_markdown, to_html, to_markdown, utf16_len};
use ferrogram_tl::enums::MessageEntity;
use proptest::prelude::*;

/// Input made mostly of the pieces the parsers react to, and some text (astral, combining).
fn pieces(markup: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(markup).prop_map(str::to_owned),
        2 => "[a-z 😀é\u{301}中\n]{1,4}",
        1 => any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

const MARKDOWN: &[&str] = &[
    "**",
    "__",
    "~~",
    "||",
    "`",
    "```",
    "```rust\n",
    "\n",
    "[",
    "]",
    "](",
    ")",
    "](https://x.org)",
    "](tg://user?id=7)",
    "\\",
    "\\*",
    "\\`",
    "*",
    "_",
    "|",
    "~",
    "(",
];

const HTML: &[&str] = &[
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<u>",
    "</u>",
    "<s>",
    "</del>",
    "<code>",
    "</code>",
    "<pre>",
    "</pre>",
    "<code class=\"language-r\">",
    "<a href=\"https://x.org/?a&amp;b\">",
    "<a href='tg://user?id=9'>",
    "</a>",
    "<span class=\"tg-spoiler\">",
    "<span>",
    "</span>",
    "<tg-spoiler>",
    "</tg-spoiler>",
    "<blockquote expandable>",
    "</blockquote>",
    "<tg-emoji emoji-id=\"5\">",
    "</tg-emoji>",
    "<",
    ">",
    "&",
    "&amp;",
    "&#x1F600;",
    "&lt;",
    "\"",
    "<br/>",
    "<a>",
];

/// Offset and length of an entity, and what else it says (its kind and attributes).
fn parts(entity: &MessageEntity) -> (String, i32, i32) {
    let text = format!("{entity:?}");
    let (offset, length) = match entity {
        MessageEntity::Bold(e) => (e.offset, e.length),
        MessageEntity::Italic(e) => (e.offset, e.length),
        MessageEntity::Underline(e) => (e.offset, e.length),
        MessageEntity::Strike(e) => (e.offset, e.length),
        MessageEntity::Spoiler(e) => (e.offset, e.length),
        MessageEntity::Code(e) => (e.offset, e.length),
        MessageEntity::Pre(e) => (e.offset, e.length),
        MessageEntity::TextUrl(e) => (e.offset, e.length),
        MessageEntity::MentionName(e) => (e.offset, e.length),
        MessageEntity::Blockquote(e) => (e.offset, e.length),
        MessageEntity::CustomEmoji(e) => (e.offset, e.length),
        other => panic!("the parsers made an entity they do not write: {other:?}"),
    };
    let key = text.replace(&format!("offset: {offset}"), "").replace(&format!("length: {length}"), "");
    (key, offset, length)
}

fn assert_inside(text: &str, entities: &[MessageEntity]) {
    let len = utf16_len(text) as i64;
    for entity in entities {
        let (_, offset, length) = parts(entity);
        assert!(offset >= 0 && length > 0 && i64::from(offset) + i64::from(length) <= len, "{entity:?} in {text:?}");
    }
}

/// The entities as ranges per kind, overlapping and touching ones of one kind made one (HTML
/// that crosses is written split, and reads back as touching pieces).
fn normalized(entities: &[MessageEntity]) -> Vec<(String, i32, i32)> {
    let mut ranges: Vec<(String, i32, i32)> =
        entities.iter().map(parts).map(|(key, offset, length)| (key, offset, offset + length)).collect();
    ranges.sort();
    let mut merged: Vec<(String, i32, i32)> = Vec::new();
    for (key, start, end) in ranges {
        match merged.last_mut() {
            Some(last) if last.0 == key && start <= last.2 => last.2 = last.2.max(end),
            _ => merged.push((key, start, end)),
        }
    }
    merged
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn markdown_never_panics_and_stays_inside(source in any::<String>()) {
        let (text, entities) = parse_markdown(&source);
        assert_inside(&text, &entities);
    }

    #[test]
    fn html_never_panics_and_stays_inside(source in any::<String>()) {
        let (text, entities) = parse_html(&source);
        assert_inside(&text, &entities);
    }

    #[test]
    fn markdown_reads_back_what_it_writes(source in pieces(MARKDOWN)) {
        let (text, entities) = parse_markdown(&source);
        assert_inside(&text, &entities);
        let written = to_markdown(&text, &entities);
        prop_assert_eq!(parse_markdown(&written), (text, entities), "written as {:?}", written);
    }

    #[test]
    fn html_reads_back_what_it_writes(source in pieces(HTML)) {
        let (text, entities) = parse_html(&source);
        assert_inside(&text, &entities);
        let written = to_html(&text, &entities);
        let (again, again_entities) = parse_html(&written);
        prop_assert_eq!(&again, &text, "written as {:?}", written);
        prop_assert_eq!(normalized(&again_entities), normalized(&entities), "written as {:?}", written);
    }

    #[test]
    fn markdown_of_any_entities_parses_to_text_and_entities_inside(
        text in "[a-z😀\u{301}*_`\\[\\]\\\\]{0,12}",
        raw in proptest::collection::vec((0i32..14, 0i32..14, 0usize..6), 0..6),
    ) {
        use ferrogram_tl::types;
        let entities: Vec<MessageEntity> = raw.into_iter().map(|(offset, length, kind)| match kind {
            0 => types::MessageEntityBold { offset, length }.into(),
            1 => types::MessageEntityItalic { offset, length }.into(),
            2 => types::MessageEntityCode { offset, length }.into(),
            3 => types::MessageEntityPre { offset, length, language: "py".into() }.into(),
            4 => types::MessageEntityTextUrl { offset, length, url: "u)".into() }.into(),
            _ => types::MessageEntityUnderline { offset, length }.into(),
        }).collect();
        let (back, back_entities) = parse_markdown(&to_markdown(&text, &entities));
        prop_assert_eq!(&back, &text);
        assert_inside(&back, &back_entities);
        let (back, back_entities) = parse_html(&to_html(&text, &entities));
        prop_assert_eq!(&back, &text);
        assert_inside(&back, &back_entities);
    }
}
