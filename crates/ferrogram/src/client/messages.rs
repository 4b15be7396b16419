//! Sending and changing messages: [`InputMessage`], [`Client::send_message`],
//! [`Client::edit_message`], [`Client::delete_messages`], [`Client::forward_messages`],
//! [`Client::mark_as_read`], [`Client::send_typing`], [`Client::get_messages_by_id`]
//! (<https://core.telegram.org/api/send>).
//!
//! The answers of these calls go through the updates engine like every other `Updates`
//! answer (see [`Client::next_update`]), so the account's pts stays in step without a
//! `getDifference`.

use ferrogram_tl::{enums, functions, types};

use super::{ApiError, Client};
use crate::peers::PeerRef;
use crate::updates::Message;

impl Client {
    /// `entities` as a request carries them: a mention of a user by id
    /// (`messageEntityMentionName`, what the formatting parsers make) becomes the
    /// `inputMessageEntityMentionName` of that user's access hash, if the client knows it.
    fn sendable_entities(&self, entities: &[enums::MessageEntity]) -> Vec<enums::MessageEntity> {
        crate::formatting::resolve_mentions(entities.to_vec(), |user_id| {
            let cached = self.cached_peer(crate::Peer::User(user_id)).ok().flatten()?;
            let access_hash = cached.access_hash.filter(|_| !cached.min)?;
            Some(types::InputUser { user_id, access_hash }.into())
        })
    }
}

/// A message to send: its text and how to send it. Made from a `&str` or a `String`, then
/// adjusted:
///
/// ```
/// use ferrogram::InputMessage;
/// let message = InputMessage::from("see you at 5").reply_to(Some(42)).silent(true);
/// assert_eq!(message.text(), "see you at 5");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InputMessage {
    text: String,
    entities: Vec<enums::MessageEntity>,
    reply_to: Option<i32>,
    silent: bool,
    no_webpage: bool,
}

impl InputMessage {
    /// A plain text message.
    pub fn new(text: impl Into<String>) -> InputMessage {
        InputMessage { text: text.into(), ..InputMessage::default() }
    }

    /// A message written in Markdown (Telethon's dialect: `**bold**`, `__italic__`, `~~strike~~`,
    /// `||spoiler||`, `` `code` ``, fenced blocks, `[text](url)`, `[name](tg://user?id=123)`;
    /// see [`formatting::markdown`](crate::formatting::markdown)):
    ///
    /// ```
    /// use ferrogram::InputMessage;
    /// let message = InputMessage::markdown("**hi** [Ann](tg://user?id=1000001)");
    /// assert_eq!(message.text(), "hi Ann");
    /// assert_eq!(message.get_entities().len(), 2);
    /// ```
    ///
    /// A mention of a user by id is sent as Telegram wants it (`inputMessageEntityMentionName`)
    /// when the client knows that user's access hash; otherwise it is left out.
    pub fn markdown(text: &str) -> InputMessage {
        let (text, entities) = crate::formatting::parse_markdown(text);
        InputMessage::new(text).entities(entities)
    }

    /// A message written in Telegram's HTML (`<b>`, `<i>`, `<u>`, `<s>`, `<code>`, `<pre>`,
    /// `<a href>`, `<blockquote>`, `<tg-spoiler>`; see [`formatting::html`](crate::formatting::html)).
    ///
    /// ```
    /// use ferrogram::InputMessage;
    /// let message = InputMessage::html("<b>hi</b> &amp; bye");
    /// assert_eq!(message.text(), "hi & bye");
    /// ```
    pub fn html(text: &str) -> InputMessage {
        let (text, entities) = crate::formatting::parse_html(text);
        InputMessage::new(text).entities(entities)
    }

    /// The same message with these formatting entities (offsets and lengths in UTF-16 code
    /// units of the text, as Telegram counts them).
    pub fn entities(mut self, entities: Vec<enums::MessageEntity>) -> InputMessage {
        self.entities = entities;
        self
    }

    /// The same message as a reply to message `id` of the same chat (`None`: not a reply).
    pub fn reply_to(mut self, id: Option<i32>) -> InputMessage {
        self.reply_to = id;
        self
    }

    /// Sent without a notification sound.
    pub fn silent(mut self, silent: bool) -> InputMessage {
        self.silent = silent;
        self
    }

    /// Sent without a link preview.
    pub fn no_webpage(mut self, no_webpage: bool) -> InputMessage {
        self.no_webpage = no_webpage;
        self
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The formatting entities.
    pub fn get_entities(&self) -> &[enums::MessageEntity] {
        &self.entities
    }

    fn reply_header(&self) -> Option<Box<enums::InputReplyTo>> {
        self.reply_to.map(|id| {
            Box::new(
                types::InputReplyToMessage {
                    reply_to_msg_id: id,
                    top_msg_id: None,
                    reply_to_peer_id: None,
                    quote_text: None,
                    quote_entities: None,
                    quote_offset: None,
                    monoforum_peer_id: None,
                    todo_item_id: None,
                    poll_option: None,
                }
                .into(),
            )
        })
    }
}

impl From<&str> for InputMessage {
    fn from(text: &str) -> InputMessage {
        InputMessage::new(text)
    }
}

impl From<String> for InputMessage {
    fn from(text: String) -> InputMessage {
        InputMessage::new(text)
    }
}

impl From<&String> for InputMessage {
    fn from(text: &String) -> InputMessage {
        InputMessage::new(text.as_str())
    }
}

/// A fresh `random_id` for a send (Telegram drops a second send with the same one).
pub(crate) fn random_id() -> i64 {
    let mut bytes = [0u8; 8];
    // The OS generator failing leaves the clock's nanoseconds: still unique enough for a
    // duplicate check, and never a panic.
    if getrandom::getrandom(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        bytes = (nanos.as_nanos() as i64).to_le_bytes();
    }
    i64::from_le_bytes(bytes)
}

/// The new messages an `Updates` answer carries, in the order of `random_ids` (the
/// `updateMessageID` of each send ties it to its message).
pub(crate) fn sent_messages(updates: &enums::Updates, random_ids: &[i64], self_id: Option<i64>) -> Vec<Message> {
    let list: &[enums::Update] = match updates {
        enums::Updates::Updates(u) => &u.updates,
        enums::Updates::Combined(u) => &u.updates,
        enums::Updates::UpdateShort(u) => std::slice::from_ref(&u.update),
        _ => &[],
    };
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    for update in list {
        match update {
            enums::Update::MessageId(u) => ids.push((u.random_id, u.id)),
            enums::Update::NewMessage(u) => messages.extend(Message::from_tl(&u.message, self_id)),
            enums::Update::NewChannelMessage(u) => messages.extend(Message::from_tl(&u.message, self_id)),
            _ => {}
        }
    }
    random_ids
        .iter()
        .filter_map(|random| ids.iter().find(|(r, _)| r == random).map(|(_, id)| *id))
        .filter_map(|id| messages.iter().position(|m| m.id == id).map(|at| messages.swap_remove(at)))
        .collect()
}

/// The edited messages an `Updates` answer carries.
fn edited_messages(updates: &enums::Updates, self_id: Option<i64>) -> Vec<Message> {
    let list: &[enums::Update] = match updates {
        enums::Updates::Updates(u) => &u.updates,
        enums::Updates::Combined(u) => &u.updates,
        enums::Updates::UpdateShort(u) => std::slice::from_ref(&u.update),
        _ => &[],
    };
    list.iter()
        .filter_map(|update| match update {
            enums::Update::EditMessage(u) => Message::from_tl(&u.message, self_id),
            enums::Update::EditChannelMessage(u) => Message::from_tl(&u.message, self_id),
            _ => None,
        })
        .collect()
}

/// The input channel of a channel input peer, for the `channels.*` forms of calls.
fn input_channel(peer: &enums::InputPeer) -> Option<enums::InputChannel> {
    match peer {
        enums::InputPeer::Channel(c) => {
            Some(types::InputChannel { channel_id: c.channel_id, access_hash: c.access_hash }.into())
        }
        _ => None,
    }
}

impl Client {
    /// Sends a text message to `peer` and returns it as sent (its id, date and the entities
    /// the server kept).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// use ferrogram::InputMessage;
    /// let sent = client.send_message("@ann", "hello").await?;
    /// client.send_message("me", InputMessage::from("a note to self").silent(true)).await?;
    /// client.send_message(sent.peer, InputMessage::from("and a reply").reply_to(Some(sent.id))).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_message(
        &self,
        peer: impl Into<PeerRef>,
        message: impl Into<InputMessage>,
    ) -> Result<Message, ApiError> {
        let input = self.resolve_peer(peer).await?;
        let target = self.peer_of(&input)?;
        let message = message.into();
        let random_id = random_id();
        let request = functions::messages::SendMessage {
            peer: input,
            message: message.text.clone(),
            random_id,
            no_webpage: message.no_webpage,
            silent: message.silent,
            background: false,
            clear_draft: false,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            reply_to: message.reply_header(),
            reply_markup: None,
            entities: (!message.entities.is_empty()).then(|| self.sendable_entities(&message.entities)),
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
            rich_message: None,
        };
        let answer = self.invoke(&request).await?;
        let self_id = self.self_id();
        match &answer {
            enums::Updates::UpdateShortSentMessage(sent) => {
                Ok(Message::sent(sent, target, message.text, message.entities, message.reply_to, self_id))
            }
            other => {
                sent_messages(other, &[random_id], self_id).pop().ok_or(ApiError::UnexpectedAnswer("the sent message"))
            }
        }
    }

    /// Replaces the text of message `id` in `peer` (the account's own message) and returns it
    /// as edited.
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let sent = client.send_message("me", "typo").await?;
    /// let fixed = client.edit_message("me", sent.id, "no typo").await?;
    /// assert!(fixed.edit_date.is_some());
    /// # Ok(()) }
    /// ```
    pub async fn edit_message(
        &self,
        peer: impl Into<PeerRef>,
        id: i32,
        message: impl Into<InputMessage>,
    ) -> Result<Message, ApiError> {
        let input = self.resolve_peer(peer).await?;
        let message = message.into();
        let request = functions::messages::EditMessage {
            no_webpage: message.no_webpage,
            invert_media: false,
            peer: input,
            id,
            message: Some(message.text),
            media: None,
            reply_markup: None,
            entities: (!message.entities.is_empty()).then(|| self.sendable_entities(&message.entities)),
            schedule_date: None,
            schedule_repeat_period: None,
            quick_reply_shortcut_id: None,
            rich_message: None,
        };
        let answer = self.invoke(&request).await?;
        edited_messages(&answer, self.self_id())
            .into_iter()
            .find(|m| m.id == id)
            .ok_or(ApiError::UnexpectedAnswer("the edited message"))
    }

    /// Deletes messages `ids` of `peer`; with `revoke`, for everyone in the chat, else only
    /// for this account. Returns how many the server deleted (`pts_count`).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let sent = client.send_message("@ann", "oops").await?;
    /// client.delete_messages("@ann", &[sent.id], true).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_messages(&self, peer: impl Into<PeerRef>, ids: &[i32], revoke: bool) -> Result<i32, ApiError> {
        let input = self.resolve_peer(peer).await?;
        let enums::messages::AffectedMessages::AffectedMessages(affected) = match input_channel(&input) {
            Some(channel) => self.invoke(&functions::channels::DeleteMessages { channel, id: ids.to_vec() }).await?,
            None => self.invoke(&functions::messages::DeleteMessages { revoke, id: ids.to_vec() }).await?,
        };
        Ok(affected.pts_count)
    }

    /// Forwards messages `ids` of `from` to `to`; returns the new copies in `to`, in the order
    /// of `ids` (those the server could not forward are left out).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let note = client.send_message("me", "worth sharing").await?;
    /// let copies = client.forward_messages("@ann", "me", &[note.id]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn forward_messages(
        &self,
        to: impl Into<PeerRef>,
        from: impl Into<PeerRef>,
        ids: &[i32],
    ) -> Result<Vec<Message>, ApiError> {
        let to_peer = self.resolve_peer(to).await?;
        let from_peer = self.resolve_peer(from).await?;
        let random_ids: Vec<i64> = ids.iter().map(|_| random_id()).collect();
        let request = functions::messages::ForwardMessages {
            silent: false,
            background: false,
            with_my_score: false,
            drop_author: false,
            drop_media_captions: false,
            noforwards: false,
            allow_paid_floodskip: false,
            from_ephemeral: false,
            from_peer,
            id: ids.to_vec(),
            random_id: random_ids.clone(),
            to_peer,
            top_msg_id: None,
            reply_to: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            video_timestamp: None,
            allow_paid_stars: None,
            suggested_post: None,
        };
        let answer = self.invoke(&request).await?;
        Ok(sent_messages(&answer, &random_ids, self.self_id()))
    }

    /// Marks every incoming message of `peer` read (the sender sees its messages read).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// client.mark_as_read("@ann").await?;
    /// # Ok(()) }
    /// ```
    pub async fn mark_as_read(&self, peer: impl Into<PeerRef>) -> Result<(), ApiError> {
        let input = self.resolve_peer(peer).await?;
        match input_channel(&input) {
            Some(channel) => {
                self.invoke(&functions::channels::ReadHistory { channel, max_id: 0 }).await?;
            }
            None => {
                self.invoke(&functions::messages::ReadHistory { peer: input, max_id: 0 }).await?;
            }
        }
        Ok(())
    }

    /// Shows "typing…" to `peer` (for a few seconds, or until a message is sent).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// client.send_typing("@ann").await?;
    /// client.send_message("@ann", "there").await?;
    /// # Ok(()) }
    /// ```
    pub async fn send_typing(&self, peer: impl Into<PeerRef>) -> Result<(), ApiError> {
        let input = self.resolve_peer(peer).await?;
        let request = functions::messages::SetTyping {
            peer: input,
            top_msg_id: None,
            action: types::SendMessageTypingAction {}.into(),
        };
        self.invoke(&request).await?;
        Ok(())
    }

    /// Messages of `peer` by id, in the order of `ids`: `None` where there is no such message
    /// (deleted, or never there).
    ///
    /// ```no_run
    /// # async fn example(client: ferrogram::Client) -> Result<(), ferrogram::ApiError> {
    /// let found = client.get_messages_by_id("me", &[1, 2, 3]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn get_messages_by_id(
        &self,
        peer: impl Into<PeerRef>,
        ids: &[i32],
    ) -> Result<Vec<Option<Message>>, ApiError> {
        let input = self.resolve_peer(peer).await?;
        let wanted = self.peer_of(&input)?;
        let id: Vec<enums::InputMessage> = ids.iter().map(|&id| types::InputMessageId { id }.into()).collect();
        let answer = match input_channel(&input) {
            Some(channel) => self.invoke(&functions::channels::GetMessages { channel, id }).await?,
            None => self.invoke(&functions::messages::GetMessages { id }).await?,
        };
        let self_id = self.self_id();
        let found = messages_of(answer, self_id);
        // Outside channels, ids are of the account's whole box: keep those of this chat.
        Ok(ids.iter().map(|id| found.iter().find(|m| m.id == *id && m.peer == wanted).cloned()).collect())
    }
}

/// The messages of a `messages.Messages` answer.
pub(crate) fn messages_of(answer: enums::messages::Messages, self_id: Option<i64>) -> Vec<Message> {
    use enums::messages::Messages as M;
    let list = match answer {
        M::Messages(m) => m.messages,
        M::Slice(m) => m.messages,
        M::ChannelMessages(m) => m.messages,
        M::NotModified(_) => Vec::new(),
    };
    list.iter().filter_map(|m| Message::from_tl(m, self_id)).collect()
}
