//! [`Update`]: the typed events [`Client::next_update`](crate::Client::next_update) yields.

use ferrogram_tl::enums;

use super::message::{Message, Peer};
use super::message_box::Applied;

/// Something that happened to the account, in the order the server numbered it.
///
/// The common events are typed; every other update comes as [`Update::Raw`] with the TL value
/// the server sent. More variants may be added, so a `match` needs a catch-all arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Update {
    /// A new message, incoming or sent by the account from another device (messages the
    /// account sends through this client with `messages.sendMessage` come back as its answer,
    /// not as an event).
    NewMessage(Message),
    /// A message was edited (its new content).
    MessageEdited(Message),
    /// Messages were deleted. Outside channels, ids are of the account's own box and the chat
    /// is not named (`channel_id` is `None`).
    MessagesDeleted {
        /// The deleted messages' ids.
        ids: Vec<i32>,
        /// The channel they were in, for channel messages.
        channel_id: Option<i64>,
    },
    /// Messages of a chat were read up to `max_id`.
    ReadHistory {
        /// The chat.
        peer: Peer,
        /// Every message up to this id is read.
        max_id: i32,
        /// `true`: the other side read the account's messages (outbox); `false`: the account
        /// read incoming ones, on this or another device (inbox).
        outgoing: bool,
    },
    /// A user is typing (or uploading, recording, ...) in a chat.
    UserTyping {
        /// Where: the private chat with the user, or a group.
        peer: Peer,
        /// Who.
        user_id: i64,
        /// What they are doing (`sendMessageCancelAction` when they stopped).
        action: enums::SendMessageAction,
    },
    /// A user came online or went offline.
    UserStatus {
        /// Who.
        user_id: i64,
        /// Their status now.
        status: enums::UserStatus,
    },
    /// The server could not say everything that happened since the client's state (too much
    /// was missed): reload what you show (dialogs, histories) from the server.
    TooLong,
    /// Any other update, as the server sent it.
    Raw(Box<enums::Update>),
}

impl Update {
    /// The event an update the message box let through is, for the account `self_id`.
    pub(crate) fn from_applied(applied: Applied, self_id: Option<i64>) -> Update {
        match applied {
            Applied::ShortMessage(m) => Update::NewMessage(Message::from_short(&m, self_id)),
            Applied::ShortChatMessage(m) => Update::NewMessage(Message::from_short_chat(&m)),
            Applied::TooLong => Update::TooLong,
            Applied::Update(update) => Update::from_raw(*update, self_id),
        }
    }

    /// The typed event of a TL update (`Raw` for those without one).
    pub fn from_raw(update: enums::Update, self_id: Option<i64>) -> Update {
        use enums::Update as U;
        let message = |m: &enums::Message| Message::from_tl(m, self_id);
        match &update {
            U::NewMessage(u) => message(&u.message).map(Update::NewMessage),
            U::NewChannelMessage(u) => message(&u.message).map(Update::NewMessage),
            U::EditMessage(u) => message(&u.message).map(Update::MessageEdited),
            U::EditChannelMessage(u) => message(&u.message).map(Update::MessageEdited),
            U::DeleteMessages(u) => Some(Update::MessagesDeleted { ids: u.messages.clone(), channel_id: None }),
            U::DeleteChannelMessages(u) => {
                Some(Update::MessagesDeleted { ids: u.messages.clone(), channel_id: Some(u.channel_id) })
            }
            U::ReadHistoryInbox(u) => {
                Some(Update::ReadHistory { peer: Peer::from_tl(&u.peer), max_id: u.max_id, outgoing: false })
            }
            U::ReadHistoryOutbox(u) => {
                Some(Update::ReadHistory { peer: Peer::from_tl(&u.peer), max_id: u.max_id, outgoing: true })
            }
            U::ReadChannelInbox(u) => {
                Some(Update::ReadHistory { peer: Peer::Channel(u.channel_id), max_id: u.max_id, outgoing: false })
            }
            U::ReadChannelOutbox(u) => {
                Some(Update::ReadHistory { peer: Peer::Channel(u.channel_id), max_id: u.max_id, outgoing: true })
            }
            U::UserTyping(u) => {
                Some(Update::UserTyping { peer: Peer::User(u.user_id), user_id: u.user_id, action: u.action.clone() })
            }
            U::ChatUserTyping(u) => match &u.from_id {
                enums::Peer::User(from) => Some(Update::UserTyping {
                    peer: Peer::Chat(u.chat_id),
                    user_id: from.user_id,
                    action: u.action.clone(),
                }),
                _ => None,
            },
            U::UserStatus(u) => Some(Update::UserStatus { user_id: u.user_id, status: u.status.clone() }),
            _ => None,
        }
        .unwrap_or_else(|| Update::Raw(Box::new(update)))
    }
}
