//! Formatted text: Markdown and HTML to a message's text and entities, and back.
//!
//! A Telegram message is plain text plus [`MessageEntity`](ferrogram_tl::enums::MessageEntity) values that say which ranges are bold,
//! links, code and so on. Their `offset` and `length` count **UTF-16 code units** (an emoji
//! outside the Basic Multilingual Plane counts 2, a combining mark 1), as Telegram's clients do;
//! every function here works in those units.
//!
//! - [`parse_markdown`] / [`to_markdown`]: Telethon's Markdown dialect (the rules: [`markdown`]);
//! - [`parse_html`] / [`to_html`]: the HTML subset of Telegram's Bot API (the rules: [`html`]).
//!
//! ```
//! use ferrogram::formatting::{parse_markdown, to_html};
//! let (text, entities) = parse_markdown("**hi** [there](https://example.com) 👋");
//! assert_eq!(text, "hi there 👋");
//! assert_eq!(to_html(&text, &entities), "<b>hi</b> <a href=\"https://example.com\">there</a> 👋");
//! ```
//!
//! **Mentions.** `[Ann](tg://user?id=123)` and `<a href="tg://user?id=123">` become a
//! `messageEntityMentionName` with `user_id` 123: the form received messages carry. Sending one
//! needs `inputMessageEntityMentionName`, which names the user by an `InputUser` (id and access
//! hash): convert the entities with [`resolve_mentions`] and the access hashes you hold.
//!
//! Both parsers accept any input: they never panic, take time linear in the input (no recursion,
//! however deep the nesting), and every entity they return lies inside the text they return.

pub mod html;
pub mod markdown;
mod spans;

#[cfg(test)]
mod tests;

pub use html::{parse_html, to_html};
pub use markdown::{parse_markdown, to_markdown};

use ferrogram_tl::{enums, types};

/// The entities with every `messageEntityMentionName` (what the parsers make of a
/// `tg://user?id=` link) replaced by the `inputMessageEntityMentionName` that sending needs,
/// naming the user with what `input_user(user_id)` returns (typically an `inputUser` with the
/// access hash your client has seen for that user). A mention `input_user` returns `None` for
/// is left out: that text is sent without the link. Other entities are kept as they are.
pub fn resolve_mentions(
    entities: Vec<enums::MessageEntity>,
    mut input_user: impl FnMut(i64) -> Option<enums::InputUser>,
) -> Vec<enums::MessageEntity> {
    entities
        .into_iter()
        .filter_map(|entity| match entity {
            enums::MessageEntity::MentionName(m) => input_user(m.user_id).map(|user_id| {
                types::InputMessageEntityMentionName { offset: m.offset, length: m.length, user_id }.into()
            }),
            other => Some(other),
        })
        .collect()
}

/// The length of `text` in UTF-16 code units, the unit of entity offsets and lengths.
pub fn utf16_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}
