//! [`PeerRef`]: every way a caller may name a chat.

use ferrogram_tl::{enums, types};

use crate::updates::{Message, Peer};

/// A user, group or channel as a caller names it; every method that takes a chat takes
/// `impl Into<PeerRef>`, so callers never build an `InputPeer` by hand:
///
/// | argument | names |
/// | --- | --- |
/// | `"me"`, `"self"` | the signed-in account (its Saved Messages) |
/// | `"@ann"`, `"ann"` | the user or channel with that username (`contacts.resolveUsername` when not cached) |
/// | `"+15550001234"` | the user with that phone (`contacts.resolvePhone` when not cached) |
/// | an `i64` | a peer by the Bot API's marked id: a user's id, `-chat_id` for a basic group, `-100…` for a channel ([`Peer::marked_id`]) |
/// | a [`Peer`], a [`Message`] (its chat) | that peer, by the access hash the cache holds |
/// | a `types::User`, `enums::User` | that user, by the hash it carries |
/// | an `enums::InputPeer` | itself |
///
/// ```
/// use ferrogram::peers::PeerRef;
/// use ferrogram::Peer;
/// assert_eq!(PeerRef::from("@Ann"), PeerRef::Username("Ann".into()));
/// assert_eq!(PeerRef::from("me"), PeerRef::Me);
/// assert_eq!(PeerRef::from("+1 555 000"), PeerRef::Phone("1555000".into()));
/// assert_eq!(PeerRef::from(-42i64), PeerRef::Peer(Peer::Chat(42)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum PeerRef {
    /// The signed-in account.
    Me,
    /// A peer by kind and id; its access hash comes from the peer cache.
    Peer(Peer),
    /// A username, without `@`.
    Username(String),
    /// A phone number, digits only.
    Phone(String),
    /// A ready input peer.
    Input(enums::InputPeer),
}

impl From<&str> for PeerRef {
    fn from(name: &str) -> PeerRef {
        let name = name.trim();
        if name.eq_ignore_ascii_case("me") || name.eq_ignore_ascii_case("self") {
            return PeerRef::Me;
        }
        if let Some(phone) = name.strip_prefix('+') {
            return PeerRef::Phone(phone.chars().filter(char::is_ascii_digit).collect());
        }
        let name = name.strip_prefix('@').unwrap_or(name);
        let name = name.strip_prefix("https://t.me/").or_else(|| name.strip_prefix("t.me/")).unwrap_or(name);
        PeerRef::Username(name.to_string())
    }
}

impl From<String> for PeerRef {
    fn from(name: String) -> PeerRef {
        PeerRef::from(name.as_str())
    }
}

impl From<&String> for PeerRef {
    fn from(name: &String) -> PeerRef {
        PeerRef::from(name.as_str())
    }
}

impl From<i64> for PeerRef {
    fn from(marked_id: i64) -> PeerRef {
        PeerRef::Peer(Peer::from_marked_id(marked_id))
    }
}

impl From<Peer> for PeerRef {
    fn from(peer: Peer) -> PeerRef {
        PeerRef::Peer(peer)
    }
}

impl From<&Peer> for PeerRef {
    fn from(peer: &Peer) -> PeerRef {
        PeerRef::Peer(*peer)
    }
}

impl From<&Message> for PeerRef {
    fn from(message: &Message) -> PeerRef {
        PeerRef::Peer(message.peer)
    }
}

impl From<enums::InputPeer> for PeerRef {
    fn from(peer: enums::InputPeer) -> PeerRef {
        PeerRef::Input(peer)
    }
}

impl From<&enums::InputPeer> for PeerRef {
    fn from(peer: &enums::InputPeer) -> PeerRef {
        PeerRef::Input(peer.clone())
    }
}

impl From<&types::User> for PeerRef {
    fn from(user: &types::User) -> PeerRef {
        match user.access_hash {
            _ if user.is_self => PeerRef::Me,
            Some(access_hash) if !user.min => {
                PeerRef::Input(types::InputPeerUser { user_id: user.id, access_hash }.into())
            }
            // No usable hash of its own: the cache may know one.
            _ => PeerRef::Peer(Peer::User(user.id)),
        }
    }
}

impl From<types::User> for PeerRef {
    fn from(user: types::User) -> PeerRef {
        PeerRef::from(&user)
    }
}

impl From<&enums::User> for PeerRef {
    fn from(user: &enums::User) -> PeerRef {
        match user {
            enums::User::User(user) => PeerRef::from(user),
            enums::User::Empty(user) => PeerRef::Peer(Peer::User(user.id)),
        }
    }
}

impl From<enums::User> for PeerRef {
    fn from(user: enums::User) -> PeerRef {
        PeerRef::from(&user)
    }
}

impl std::fmt::Display for PeerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerRef::Me => f.write_str("me"),
            PeerRef::Peer(peer) => write!(f, "{peer:?}"),
            PeerRef::Username(name) => write!(f, "@{name}"),
            PeerRef::Phone(phone) => write!(f, "+{phone}"),
            PeerRef::Input(peer) => write!(f, "{peer:?}"),
        }
    }
}
