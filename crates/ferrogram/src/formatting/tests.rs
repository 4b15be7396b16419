//! Examples of both dialects, UTF-16 offsets, malformed and hostile input.

use std::time::{Duration, Instant};

use ferrogram_tl::{enums, types};

use super::*;

fn bold(offset: i32, length: i32) -> enums::MessageEntity {
    types::MessageEntityBold { offset, length }.into()
}

fn italic(offset: i32, length: i32) -> enums::MessageEntity {
    types::MessageEntityItalic { offset, length }.into()
}

fn code(offset: i32, length: i32) -> enums::MessageEntity {
    types::MessageEntityCode { offset, length }.into()
}

fn pre(offset: i32, length: i32, language: &str) -> enums::MessageEntity {
    types::MessageEntityPre { offset, length, language: language.into() }.into()
}

fn url(offset: i32, length: i32, url: &str) -> enums::MessageEntity {
    types::MessageEntityTextUrl { offset, length, url: url.into() }.into()
}

fn mention(offset: i32, length: i32, user_id: i64) -> enums::MessageEntity {
    types::MessageEntityMentionName { offset, length, user_id }.into()
}

fn strike(offset: i32, length: i32) -> enums::MessageEntity {
    types::MessageEntityStrike { offset, length }.into()
}

fn spoiler(offset: i32, length: i32) -> enums::MessageEntity {
    types::MessageEntitySpoiler { offset, length }.into()
}

#[test]
fn markdown_covers_the_dialect() {
    let (text, entities) = parse_markdown("**b** __i__ ~~s~~ ||p|| `c` [u](https://x.org) [m](tg://user?id=42)");
    assert_eq!(text, "b i s p c u m");
    assert_eq!(
        entities,
        [
            bold(0, 1),
            italic(2, 1),
            strike(4, 1),
            spoiler(6, 1),
            code(8, 1),
            url(10, 1, "https://x.org"),
            mention(12, 1, 42)
        ]
    );
    let (text, entities) = parse_markdown("```rust\nfn main() {}\n```");
    assert_eq!((text.as_str(), entities), ("fn main() {}\n", vec![pre(0, 13, "rust")]));
    let (text, entities) = parse_markdown("```\nno language```");
    assert_eq!((text.as_str(), entities), ("no language", vec![pre(0, 11, "")]));
}

#[test]
fn markdown_single_markers_escapes_and_unclosed_ones_are_text() {
    assert_eq!(parse_markdown("2*3*4 snake_case a|b ~x"), ("2*3*4 snake_case a|b ~x".into(), vec![]));
    assert_eq!(parse_markdown(r"\*\*not bold\*\* \[x\](y) \a"), (r"**not bold** [x](y) \a".into(), vec![]));
    assert_eq!(parse_markdown("**open and `tick"), ("**open and `tick".into(), vec![]));
    assert_eq!(parse_markdown("](x) no link [a](b"), ("](x) no link [a](b".into(), vec![]));
    assert_eq!(parse_markdown("[a] b](x)"), ("a] b".into(), vec![url(0, 4, "x")]));
    // Crossing kinds are both kept; the last of an odd number stays text.
    assert_eq!(parse_markdown("**a __b** c__"), ("a b c".into(), vec![bold(0, 3), italic(2, 3)]));
    assert_eq!(parse_markdown("**a** **b"), ("a **b".into(), vec![bold(0, 1)]));
    // Of two `[` the later opens the link.
    assert_eq!(parse_markdown("[a [b](u)"), ("[a b".into(), vec![url(3, 1, "u")]));
    // Inside code only backticks and backslashes are escaped.
    assert_eq!(parse_markdown(r"`a**b\`c\\`"), (r"a**b`c\".into(), vec![code(0, 7)]));
    assert_eq!(parse_markdown(r"[x](a\)b)"), ("x".into(), vec![url(0, 1, "a)b")]));
}

#[test]
fn offsets_count_utf16_units() {
    // 😀 is two units, é written as e + U+0301 is two chars of one unit each, 中 one unit.
    let (text, entities) = parse_markdown("😀 **e\u{301}中😀** x");
    assert_eq!(text, "😀 e\u{301}中😀 x");
    assert_eq!(entities, [bold(3, 5)]);
    let (_, entities) = parse_html("👍🏽<i>𝄞</i>");
    assert_eq!(entities, [italic(4, 2)]);
    assert_eq!(utf16_len("👍🏽𝄞"), 6);
    assert_eq!(to_markdown("😀 e\u{301}中😀 x", &[bold(3, 5)]), "😀 **e\u{301}中😀** x");
    assert_eq!(to_html("😀a", &[bold(2, 1)]), "😀<b>a</b>");
}

#[test]
fn markdown_writes_what_it_reads() {
    let text = "x*y [a] bold`";
    let entities = [bold(8, 4), url(4, 3, "https://e.org/(1)")];
    let markdown = to_markdown(text, &entities);
    assert_eq!(markdown, r"x\*y [\[a\]](https://e.org/(1\)) **bold**\`");
    assert_eq!(parse_markdown(&markdown), (text.into(), vec![url(4, 3, "https://e.org/(1)"), bold(8, 4)]));
    // Pre blocks keep their language; formatting inside code is left out.
    assert_eq!(to_markdown("let x;", &[pre(0, 6, "rust")]), "```rust\nlet x;```");
    assert_eq!(to_markdown("ab", &[code(0, 2), bold(1, 1)]), "`ab`");
    assert_eq!(to_markdown("ab", &[code(0, 2), bold(0, 2)]), "**`ab`**");
    // Underline has no Markdown: left out.
    assert_eq!(to_markdown("u", &[types::MessageEntityUnderline { offset: 0, length: 1 }.into()]), "u");
}

#[test]
fn html_covers_the_tags() {
    let source = "<b>b</b><strong>B</strong><i>i</i><em>I</em><u>u</u><ins>U</ins><s>s</s><del>S</del>\
        <strike>T</strike><tg-spoiler>p</tg-spoiler><span class=\"tg-spoiler\">P</span><span>n</span>\
        <code>c</code><pre>p</pre><pre><code class=\"language-rust\">r</code></pre>\
        <a href=\"https://x.org/?a=1&amp;b=2\">l</a><a href='tg://user?id=7'>m</a>\
        <blockquote>q</blockquote><blockquote expandable>Q</blockquote><tg-emoji emoji-id=\"5\">e</tg-emoji>";
    let (text, entities) = parse_html(source);
    assert_eq!(text, "bBiIuUsSTpPncprlmqQe");
    let kinds: Vec<String> =
        entities.iter().map(|e| format!("{e:?}").split('(').next().unwrap_or("").to_owned()).collect();
    assert_eq!(
        kinds,
        [
            "Bold",
            "Bold",
            "Italic",
            "Italic",
            "Underline",
            "Underline",
            "Strike",
            "Strike",
            "Strike",
            "Spoiler",
            "Spoiler",
            "Code",
            "Pre",
            "Pre",
            "TextUrl",
            "MentionName",
            "Blockquote",
            "Blockquote",
            "CustomEmoji"
        ]
    );
    assert_eq!(entities[13], pre(14, 1, "rust"));
    assert_eq!(entities[14], url(15, 1, "https://x.org/?a=1&b=2"));
    assert_eq!(entities[15], mention(16, 1, 7));
    assert_eq!(to_html(&text, &entities).matches("<blockquote expandable>").count(), 1);
}

#[test]
fn html_references_and_malformed_input_are_text() {
    assert_eq!(
        parse_html("&amp;&lt;&gt;&quot;&apos;&#65;&#x1F600;&nope; & &#0; &#xD800;").0,
        "&<>\"'A😀&nope; & &#0; &#xD800;"
    );
    assert_eq!(parse_html("1 < 2 > 0 <3 <b <i>x</i>"), ("1 < 2 > 0 <3 <b x".into(), vec![italic(16, 1)]));
    // Unclosed: up to the end. Stray closing tags: dropped. Unknown tags: dropped, content kept.
    assert_eq!(parse_html("<b>open"), ("open".into(), vec![bold(0, 4)]));
    assert_eq!(parse_html("</b>x</i>"), ("x".into(), vec![]));
    assert_eq!(parse_html("<div>a<br/>b</div>"), ("ab".into(), vec![]));
    // Mismatched: each closes its own; the entities overlap.
    assert_eq!(parse_html("<b>a<i>b</b>c</i>"), ("abc".into(), vec![bold(0, 2), italic(1, 2)]));
    // A quote that never closes makes the tag text.
    assert_eq!(parse_html("<a href=\"x>y</a>"), ("<a href=\"x>y".into(), vec![]));
    // Written back well-formed: the overlap is split.
    assert_eq!(to_html("abc", &[bold(0, 2), italic(1, 2)]), "<b>a<i>b</i></b><i>c</i>");
    assert_eq!(
        to_html("<&>\"", &[url(0, 4, "https://e.org/?q=\"<>&")]),
        "<a href=\"https://e.org/?q=&quot;&lt;&gt;&amp;\">&lt;&amp;&gt;\"</a>"
    );
}

#[test]
fn entities_past_the_text_are_cut_and_mentions_resolve_for_sending() {
    assert_eq!(to_html("ab", &[bold(1, 100), italic(5, 1), bold(-1, 3)]), "a<b>b</b>");
    assert_eq!(to_markdown("ab", &[bold(1, 100)]), "a**b**");
    let (_, entities) = parse_markdown("[Ann](tg://user?id=42) [Bob](tg://user?id=43) **x**");
    let input = types::InputUser { user_id: 42, access_hash: 99 };
    let resolved = resolve_mentions(entities, |id| (id == 42).then(|| input.clone().into()));
    assert_eq!(
        resolved,
        [types::InputMessageEntityMentionName { offset: 0, length: 3, user_id: input.into() }.into(), bold(8, 1)]
    );
}

/// Runs `parse` on `input` and says how long it took.
fn timed<T>(input: &str, parse: impl Fn(&str) -> T) -> Duration {
    let started = Instant::now();
    let _ = parse(input);
    started.elapsed()
}

#[test]
fn hostile_input_takes_linear_time() {
    let mb = 1 << 20;
    let cases: Vec<String> = vec![
        "*".repeat(mb),
        "`".repeat(mb),
        "[".repeat(mb),
        "](".repeat(mb / 2),
        "\\".repeat(mb),
        "```a".repeat(mb / 4),
        "<".repeat(mb),
        "<b>".repeat(mb / 3),
        "<a href=\"".repeat(mb / 9),
        "&#x".repeat(mb / 3),
        "<<>".repeat(mb / 3),
    ];
    // Linear work over a megabyte is milliseconds; quadratic would be hours. The bound is wide
    // for slow, shared debug builds.
    let limit = Duration::from_secs(20);
    for input in &cases {
        let head: String = input.chars().take(12).collect();
        let markdown = timed(input, parse_markdown);
        let html = timed(input, parse_html);
        assert!(markdown < limit && html < limit, "{head}…: markdown {markdown:?}, html {html:?}");
    }
    let (text, entities) = parse_html(&format!("{}x", "<b>".repeat(100_000)));
    assert_eq!((text.as_str(), entities.len()), ("x", 100_000));
    let html = to_html(&text, &entities);
    assert_eq!(html.len(), 100_000 * 7 + 1);
}
