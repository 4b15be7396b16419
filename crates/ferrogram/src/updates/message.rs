//! [`Message`]: a message as update events and history carry it, and [`Peer`]: the chat it is in.
//!
//! This is deliberately small: the fields every message has. The full TL value stays
//! available as [`Message::raw`] when the event came with one (not for the short forms
//! `updateShortMessage` / `updateShortChatMessage`, which carry only these fields).

use ferrogram_tl::{enums, types};

/// A chat: a user (private chat), a basic group, or a channel/supergroup, by id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Peer {
    /// A private chat with this user.
    User(i64),
    /// A basic group.
    Chat(i64),
    /// A channel or supergroup.
    Channel(i64),
}

impl Peer {
    /// The peer a TL `Peer` names.
    pub fn from_tl(peer: &enums::Peer) -> Peer {
        match peer {
            enums::Peer::User(p) => Peer::User(p.user_id),
            enums::Peer::Chat(p) => Peer::Chat(p.chat_id),
            enums::Peer::Channel(p) => Peer::Channel(p.channel_id),
        }
    }

    /// The id, whatever the kind.
    pub fn id(&self) -> i64 {
        match *self {
            Peer::User(id) | Peer::Chat(id) | Peer::Channel(id) => id,
        }
    }

    /// The Bot API's one-number form: a user's id as it is, `-id` for a basic group,
    /// `-1000000000000 - id` for a channel.
    ///
    /// ```
    /// use ferrogram::Peer;
    /// assert_eq!(Peer::Channel(5).marked_id(), -1_000_000_000_005);
    /// assert_eq!(Peer::from_marked_id(Peer::Chat(7).marked_id()), Peer::Chat(7));
    /// ```
    pub fn marked_id(&self) -> i64 {
        match *self {
            Peer::User(id) => id,
            Peer::Chat(id) => id.saturating_neg(),
            Peer::Channel(id) => CHANNEL_MARK.saturating_sub(id),
        }
    }

    /// The peer a Bot API marked id names (see [`marked_id`](Self::marked_id)).
    pub fn from_marked_id(marked: i64) -> Peer {
        if marked >= 0 {
            Peer::User(marked)
        } else if marked > CHANNEL_MARK {
            Peer::Chat(marked.saturating_neg())
        } else {
            Peer::Channel(CHANNEL_MARK.saturating_sub(marked))
        }
    }

    /// The peer an input peer names (`inputPeerSelf` is `self_id`'s private chat); `None` for
    /// `inputPeerEmpty` and for the self peer without a signed-in account.
    pub fn from_input(peer: &enums::InputPeer, self_id: Option<i64>) -> Option<Peer> {
        use enums::InputPeer as I;
        match peer {
            I::Empty(_) => None,
            I::InputPeerSelf(_) => self_id.map(Peer::User),
            I::Chat(p) => Some(Peer::Chat(p.chat_id)),
            I::User(p) => Some(Peer::User(p.user_id)),
            I::Channel(p) => Some(Peer::Channel(p.channel_id)),
            I::UserFromMessage(p) => Some(Peer::User(p.user_id)),
            I::ChannelFromMessage(p) => Some(Peer::Channel(p.channel_id)),
        }
    }
}

/// Where the Bot API's channel ids start (downwards).
const CHANNEL_MARK: i64 = -1_000_000_000_000;

/// A message as an update event carries it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The message id (in the account's box for private chats and basic groups, in the
    /// channel's for channels).
    pub id: i32,
    /// The chat it is in. In a private chat this is the other user, whoever sent it.
    pub peer: Peer,
    /// Who sent it: a user id, or `None` when the chat itself posted it (channel posts) or
    /// the sender is unknown.
    pub sender_id: Option<i64>,
    /// The text (empty for media without a caption and for service messages).
    pub text: String,
    /// When it was sent (Unix seconds).
    pub date: i32,
    /// When it was last edited (Unix seconds), if ever.
    pub edit_date: Option<i32>,
    /// Whether the signed-in account sent it.
    pub out: bool,
    /// The id of the message it replies to, in the same chat.
    pub reply_to: Option<i32>,
    /// The formatting of [`text`](Self::text) (bold, links, mentions, ...).
    pub entities: Vec<enums::MessageEntity>,
    /// Who the message was forwarded from, when it is a forward naming its origin.
    pub forwarded_from: Option<Peer>,
    /// The message as the server sent it, when the update carried the whole value.
    pub raw: Option<Box<enums::Message>>,
}

impl Message {
    /// The message a TL `Message` is; `None` for `messageEmpty`. `self_id` (the signed-in
    /// account) is the sender of outgoing private messages that name none.
    pub fn from_tl(message: &enums::Message, self_id: Option<i64>) -> Option<Message> {
        let (id, peer, from, text, date, edit_date, out, reply_to) = match message {
            enums::Message::Empty(_) => return None,
            enums::Message::Message(m) => {
                (m.id, &m.peer_id, &m.from_id, m.message.clone(), m.date, m.edit_date, m.out, &m.reply_to)
            }
            enums::Message::Service(m) => {
                (m.id, &m.peer_id, &m.from_id, String::new(), m.date, None, m.out, &m.reply_to)
            }
        };
        let (entities, forwarded_from) = match message {
            enums::Message::Message(m) => {
                (m.entities.clone().unwrap_or_default(), forward_origin(m.fwd_from.as_deref()))
            }
            _ => (Vec::new(), None),
        };
        let peer = Peer::from_tl(peer);
        let sender_id = match (from, peer) {
            (Some(enums::Peer::User(u)), _) => Some(u.user_id),
            (Some(_), _) => None,
            // Private chats name no sender: it is the other user, or the account itself.
            (None, Peer::User(user)) => {
                if out {
                    self_id
                } else {
                    Some(user)
                }
            }
            (None, _) => None,
        };
        Some(Message {
            id,
            peer,
            sender_id,
            text,
            date,
            edit_date,
            out,
            reply_to: reply_to.as_deref().and_then(reply_id),
            entities,
            forwarded_from,
            raw: Some(Box::new(message.clone())),
        })
    }

    /// The message the account just sent to `peer`, from the `updateShortSentMessage` that
    /// answered it and what was sent (the short answer repeats neither the text nor the chat).
    pub(crate) fn sent(
        answer: &types::UpdateShortSentMessage,
        peer: Peer,
        text: String,
        entities: Vec<enums::MessageEntity>,
        reply_to: Option<i32>,
        self_id: Option<i64>,
    ) -> Message {
        Message {
            id: answer.id,
            peer,
            sender_id: self_id,
            text,
            date: answer.date,
            edit_date: None,
            out: true,
            reply_to,
            // The server's entities are the ones it kept (it may drop or fix some).
            entities: answer.entities.clone().unwrap_or(entities),
            forwarded_from: None,
            raw: None,
        }
    }

    /// A private message in its short form (`updateShortMessage`).
    pub fn from_short(m: &types::UpdateShortMessage, self_id: Option<i64>) -> Message {
        Message {
            id: m.id,
            peer: Peer::User(m.user_id),
            sender_id: if m.out { self_id } else { Some(m.user_id) },
            text: m.message.clone(),
            date: m.date,
            edit_date: None,
            out: m.out,
            reply_to: m.reply_to.as_deref().and_then(reply_id),
            entities: m.entities.clone().unwrap_or_default(),
            forwarded_from: forward_origin(m.fwd_from.as_deref()),
            raw: None,
        }
    }

    /// A basic group message in its short form (`updateShortChatMessage`).
    pub fn from_short_chat(m: &types::UpdateShortChatMessage) -> Message {
        Message {
            id: m.id,
            peer: Peer::Chat(m.chat_id),
            sender_id: Some(m.from_id),
            text: m.message.clone(),
            date: m.date,
            edit_date: None,
            out: m.out,
            reply_to: m.reply_to.as_deref().and_then(reply_id),
            entities: m.entities.clone().unwrap_or_default(),
            forwarded_from: forward_origin(m.fwd_from.as_deref()),
            raw: None,
        }
    }
}

/// Who a forward header names as the original sender, if anyone.
fn forward_origin(header: Option<&enums::MessageFwdHeader>) -> Option<Peer> {
    match header? {
        enums::MessageFwdHeader::MessageFwdHeader(h) => h.from_id.as_ref().map(Peer::from_tl),
    }
}

/// The message id a reply header points to (in the same chat).
fn reply_id(header: &enums::MessageReplyHeader) -> Option<i32> {
    match header {
        enums::MessageReplyHeader::MessageReplyHeader(h) if h.reply_to_peer_id.is_none() => h.reply_to_msg_id,
        _ => None,
    }
}
