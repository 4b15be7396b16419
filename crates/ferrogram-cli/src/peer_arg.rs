//! The `PEER` and `USERNAME` arguments of the messaging commands, checked before anything is
//! sent: a mistyped name fails at once with what was expected, instead of as a server lookup.
//!
//! `PEER` is what [`ferrogram::PeerRef`] accepts, written on a command line:
//! `me` (Saved Messages), `@name` / `name` / `t.me/name`, `+phone`, or a marked id
//! (a user's id, `-ID` for a basic group, `-100…` for a channel).

use ferrogram::PeerRef;

/// The longest username the server resolves (Telegram's own are at most 32 characters; bots
/// made on a local server may have longer ones).
const MAX_USERNAME_LEN: usize = 64;

/// The most digits a phone number has (E.164).
const MAX_PHONE_DIGITS: usize = 15;

/// What a `PEER` argument may be, for error messages.
const PEER_FORMS: &str = "expected `me`, a @username, a +phone number or a numeric id";

/// Reads a `PEER` argument (a clap value parser).
pub fn parse_peer(text: &str) -> Result<PeerRef, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("the peer is empty: {PEER_FORMS}"));
    }
    // Before the id: Rust reads `+123` as the number 123.
    if text.starts_with('+') {
        return parse_phone(text);
    }
    if let Ok(id) = text.parse::<i64>() {
        if id == 0 {
            return Err(format!("0 is no peer id: {PEER_FORMS}"));
        }
        return Ok(PeerRef::from(id));
    }
    if text.eq_ignore_ascii_case("me") || text.eq_ignore_ascii_case("self") {
        return Ok(PeerRef::Me);
    }
    let name = text.strip_prefix("https://").unwrap_or(text);
    let name = name.strip_prefix("t.me/").unwrap_or(name);
    check_username(name.strip_prefix('@').unwrap_or(name), PEER_FORMS)
}

/// Reads the argument of `ferrogram resolve`: a username (with or without `@`) or a `+phone`.
pub fn parse_username(text: &str) -> Result<PeerRef, String> {
    let text = text.trim();
    if text.starts_with('+') {
        return parse_phone(text);
    }
    check_username(text.strip_prefix('@').unwrap_or(text), "expected a @username or a +phone number")
}

/// A username of letters, digits and `_` (not all digits: that is an id).
fn check_username(name: &str, expected: &str) -> Result<PeerRef, String> {
    if name.is_empty() {
        return Err(format!("the username is empty: {expected}"));
    }
    if name.len() > MAX_USERNAME_LEN {
        return Err(format!("`{name}` is too long for a username (at most {MAX_USERNAME_LEN} characters)"));
    }
    if let Some(bad) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(format!(
            "`{name}` is not a username (`{bad}`: only letters, digits and _ may be in one): {expected}"
        ));
    }
    if name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{name}` is a number, not a username: {expected}"));
    }
    Ok(PeerRef::Username(name.to_owned()))
}

/// `+` and digits, written as phone books write them (spaces, `-`, `(`, `)`, `.` between).
fn parse_phone(text: &str) -> Result<PeerRef, String> {
    let rest = text.strip_prefix('+').unwrap_or(text);
    if let Some(bad) = rest.chars().find(|c| !(c.is_ascii_digit() || " -().".contains(*c))) {
        return Err(format!("`{text}` is not a phone number (`{bad}`)"));
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.len() > MAX_PHONE_DIGITS {
        return Err(format!("`{text}` is not a phone number (1 to {MAX_PHONE_DIGITS} digits after +)"));
    }
    Ok(PeerRef::Phone(digits))
}

/// Reads a `--limit` (a clap value parser): 1 or more.
pub fn parse_limit(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("the limit must be at least 1".into()),
        Ok(limit) => Ok(limit),
        Err(_) => Err(format!("`{text}` is not a count (a whole number, 1 or more)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrogram::Peer;

    #[test]
    fn every_form_of_peer_is_read() {
        assert_eq!(parse_peer("me"), Ok(PeerRef::Me));
        assert_eq!(parse_peer("@Ann_1"), Ok(PeerRef::Username("Ann_1".into())));
        assert_eq!(parse_peer("ann"), Ok(PeerRef::Username("ann".into())));
        assert_eq!(parse_peer("https://t.me/ann"), Ok(PeerRef::Username("ann".into())));
        assert_eq!(parse_peer("+1 (555) 000-12"), Ok(PeerRef::Phone("155500012".into())));
        assert_eq!(parse_peer("+9996620102"), Ok(PeerRef::Phone("9996620102".into())));
        assert_eq!(parse_peer("1000001"), Ok(PeerRef::Peer(Peer::User(1000001))));
        assert_eq!(parse_peer("-42"), Ok(PeerRef::Peer(Peer::Chat(42))));
        assert_eq!(parse_peer("-1000000000077"), Ok(PeerRef::Peer(Peer::Channel(77))));
    }

    #[test]
    fn what_is_no_peer_is_refused_with_the_reason() {
        for (bad, says) in [
            ("", "empty"),
            ("@", "empty"),
            ("no such!", "not a username (` `"),
            ("ann!", "`!`"),
            ("0", "0 is no peer id"),
            ("+", "not a phone number"),
            ("+12a", "`a`"),
            ("+1234567890123456", "1 to 15 digits"),
            ("99999999999999999999", "a number, not a username"),
        ] {
            let error = parse_peer(bad).expect_err(bad);
            assert!(error.contains(says), "{bad:?}: {error}");
        }
        assert!(parse_peer(&"a".repeat(65)).expect_err("long").contains("too long"));
    }

    #[test]
    fn resolve_takes_names_and_phones_only() {
        assert_eq!(parse_username("@bea"), Ok(PeerRef::Username("bea".into())));
        assert_eq!(parse_username("+9996620102"), Ok(PeerRef::Phone("9996620102".into())));
        assert!(parse_username("1000001").is_err());
        assert!(parse_username("me!").is_err());
    }

    #[test]
    fn a_limit_is_one_or_more() {
        assert_eq!(parse_limit("20"), Ok(20));
        assert!(parse_limit("0").expect_err("0").contains("at least 1"));
        assert!(parse_limit("-3").is_err());
        assert!(parse_limit("many").is_err());
    }
}
