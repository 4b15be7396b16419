//! Sending and changing messages in private chats, Saved Messages and basic groups:
//! `messages.sendMessage`, `messages.forwardMessages`, `messages.editMessage`,
//! and `messages.setTyping` (edits and reads are in [`super::edits`], deletions in
//! [`super::deletes`])
//! (<https://core.telegram.org/api/updates>, <https://core.telegram.org/method/messages.sendMessage>).
//!
//! Each event lands in every party's box with that party's own ids and pts; the caller gets the
//! answer Telegram gives (`updateShortSentMessage` for a private message, `updates` otherwise,
//! `messages.affectedMessages` for deletions and reads) and every other session of every party a
//! [`Push`](super::Push).

use std::collections::BTreeSet;

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, Deserializable, ErrorInfo, Serializable};

use super::delivery::{self, peer_tl, Outgoing, Place};
use super::failure::{self, fail};
use super::peers::PeerRef;
use super::{tl, Api, Push};
use crate::context::{CallContext, RpcError};
use crate::store::{user_peer, UserRecord};

/// The longest message text, in UTF-16 code units (`config.message_length_max`).
pub(crate) const MAX_MESSAGE_LENGTH: usize = 4096;
/// The most messages one `messages.forwardMessages` may forward.
const MAX_FORWARD: usize = 100;

/// Where a call sends to: the chat and the other accounts whose boxes get a copy.
pub(crate) struct Target {
    pub(crate) place: Place,
    pub(crate) others: Vec<i64>,
}

/// The number of UTF-16 code units of `text`, the unit of lengths and entity offsets
/// (<https://core.telegram.org/api/entities#entity-length>).
pub(crate) fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

macro_rules! entity_bounds {
    ($entity:expr, $($variant:ident),* $(,)?) => {
        match $entity {
            $(enums::MessageEntity::$variant(e) => (e.offset, e.length),)*
        }
    };
}

fn bounds(entity: &enums::MessageEntity) -> (i32, i32) {
    entity_bounds!(
        entity,
        Unknown,
        Mention,
        Hashtag,
        BotCommand,
        Url,
        Email,
        Bold,
        Italic,
        Code,
        Pre,
        TextUrl,
        MentionName,
        InputMessageEntityMentionName,
        Phone,
        Cashtag,
        Underline,
        Strike,
        BankCard,
        Spoiler,
        CustomEmoji,
        Blockquote,
        FormattedDate,
        DiffInsert,
        DiffReplace,
        DiffDelete,
        TonAddress,
    )
}

impl Api {
    /// The chat `peer` names for `me` to write in, with the members who get a copy.
    pub(crate) fn target(
        &self,
        me: &UserRecord,
        peer: &enums::InputPeer,
        errors: &[ErrorInfo],
    ) -> Result<Target, RpcError> {
        match self.resolve_input_peer(me, peer)? {
            PeerRef::User(id) if id == me.id => Ok(Target { place: Place::Private(id), others: Vec::new() }),
            PeerRef::User(id) => Ok(Target { place: Place::Private(id), others: vec![id] }),
            PeerRef::Chat(chat) => {
                let members = self.store.chat_participants(chat).map_err(|e| failure::internal(&e))?;
                if members.is_empty() {
                    // 400 as everywhere (a method's docs data may list another code).
                    return Err(fail(&[], "PEER_ID_INVALID"));
                }
                if !members.iter().any(|m| m.user_id == me.id) {
                    return Err(fail(errors, "CHAT_WRITE_FORBIDDEN"));
                }
                let others = members.into_iter().map(|m| m.user_id).filter(|u| *u != me.id).collect();
                Ok(Target { place: Place::Group(chat), others })
            }
            PeerRef::Channel(_) => Err(fail(errors, "CHANNEL_INVALID")),
        }
    }

    /// Checks a text's entities against it: bounds within the text (`ENTITY_BOUNDS_INVALID`),
    /// mentioned users that exist (`ENTITY_MENTION_USER_INVALID`, `inputMessageEntityMentionName`
    /// becomes `messageEntityMentionName`). No entities is `None`.
    pub(crate) fn check_entities(
        &self,
        me: &UserRecord,
        text: &str,
        entities: Option<&[enums::MessageEntity]>,
        errors: &[ErrorInfo],
    ) -> Result<Option<Vec<enums::MessageEntity>>, RpcError> {
        let Some(entities) = entities.filter(|e| !e.is_empty()) else { return Ok(None) };
        let len = utf16_len(text) as i64;
        if entities.len() > MAX_MESSAGE_LENGTH {
            return Err(fail(errors, "ENTITIES_TOO_LONG"));
        }
        let mut checked = Vec::with_capacity(entities.len());
        for entity in entities {
            let (offset, length) = bounds(entity);
            if offset < 0 || length <= 0 || i64::from(offset) + i64::from(length) > len {
                return Err(fail(errors, "ENTITY_BOUNDS_INVALID"));
            }
            checked.push(match entity {
                enums::MessageEntity::InputMessageEntityMentionName(m) => {
                    let user = self
                        .resolve_input_user(me, &m.user_id)
                        .map_err(|_| fail(errors, "ENTITY_MENTION_USER_INVALID"))?;
                    types::MessageEntityMentionName { offset, length, user_id: user.id }.into()
                }
                enums::MessageEntity::MentionName(m) => {
                    if self.store.user(m.user_id).map_err(|e| failure::internal(&e))?.is_none() {
                        return Err(fail(errors, "ENTITY_MENTION_USER_INVALID"));
                    }
                    entity.clone()
                }
                other => other.clone(),
            });
        }
        Ok(Some(checked))
    }

    /// A new message's text: not blank (`MESSAGE_EMPTY`), at most 4096 UTF-16 code units
    /// (`MESSAGE_TOO_LONG`).
    pub(crate) fn check_text(text: &str, errors: &[ErrorInfo]) -> Result<(), RpcError> {
        if text.trim().is_empty() {
            return Err(fail(errors, "MESSAGE_EMPTY"));
        }
        if utf16_len(text) > MAX_MESSAGE_LENGTH {
            return Err(fail(errors, "MESSAGE_TOO_LONG"));
        }
        Ok(())
    }

    /// `messages.sendMessage`: a private message answers `updateShortSentMessage` (the
    /// receiver's sessions get `updateShortMessage`), a group message `updates` with
    /// `updateMessageID` and `updateNewMessage` (the members get `updateShortChatMessage`).
    /// A `random_id` the sender used before is `RANDOM_ID_DUPLICATE`.
    pub(crate) fn send_message(
        &self,
        ctx: &CallContext,
        req: messages::SendMessage,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::SendMessage::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let target = self.target(&me, &req.peer, errors)?;
        if req.send_as.is_some() {
            // Only channels may be sent as, and none exist here.
            return Err(fail(errors, "SEND_AS_PEER_INVALID"));
        }
        Self::check_text(&req.message, errors)?;
        let entities = self.check_entities(&me, &req.message, req.entities.as_deref(), errors)?;
        let reply_to = self.reply_target(&me, target.place, req.reply_to.as_deref(), errors)?;
        let out = Outgoing {
            sender: me.id,
            place: target.place,
            date: ctx.now,
            text: req.message,
            entities,
            silent: req.silent,
            fwd_from: None,
            action: None,
            reply_to,
            random_id: Some(req.random_id),
        };
        let keep = self.config.update_log_limit;
        let entities = out.entities.clone();
        let sent = [out];
        let random_ids = self.store.random_ids();
        let delivered = self
            .store
            .atomically("send message", |tx| delivery::deliver_new(tx, random_ids, &sent, &target.others, keep))?
            .pop()
            .unwrap_or_default();
        self.push_delivered(pushes, &delivered, ctx.auth_key_id, ctx.now)?;
        let mine = delivered.first().ok_or_else(|| failure::internal_named("INTERNAL"))?;
        let answer: enums::Updates = match target.place {
            Place::Private(_) => types::UpdateShortSentMessage {
                out: true,
                id: mine.id,
                pts: mine.pts,
                pts_count: 1,
                date: tl::clamp_i32(ctx.now),
                media: None,
                entities,
                ttl_period: None,
            }
            .into(),
            Place::Group(_) => {
                let updates = vec![
                    types::UpdateMessageId { id: mine.id, random_id: req.random_id }.into(),
                    delivery::new_message(mine),
                ];
                self.updates_with_refs(&me, updates, &[&mine.message], ctx.now)?
            }
        };
        Ok(answer.to_bytes())
    }

    /// `updates` for `me` with the users and chats `messages` refer to.
    pub(crate) fn updates_with_refs(
        &self,
        me: &UserRecord,
        updates: Vec<enums::Update>,
        messages: &[&enums::Message],
        now: i64,
    ) -> Result<enums::Updates, RpcError> {
        let (mut users, mut chats) = (BTreeSet::new(), BTreeSet::new());
        for message in messages {
            delivery::refs_of(message, &mut users, &mut chats);
        }
        let (users, chats) = self.peers_view(me, &users, &chats)?;
        Ok(delivery::updates_of(updates, now, users, chats))
    }

    /// The id in `me`'s box of the message `reply_to` answers: it must be in the same chat
    /// (`REPLY_MESSAGE_ID_INVALID`).
    fn reply_target(
        &self,
        me: &UserRecord,
        place: Place,
        reply_to: Option<&enums::InputReplyTo>,
        errors: &[ErrorInfo],
    ) -> Result<Option<i32>, RpcError> {
        let Some(reply_to) = reply_to else { return Ok(None) };
        let enums::InputReplyTo::Message(reply) = reply_to else { return Err(fail(errors, "REPLY_TO_INVALID")) };
        if reply.reply_to_msg_id <= 0 {
            return Err(fail(errors, "REPLY_MESSAGE_ID_INVALID"));
        }
        let row = self.store.message(me.id, reply.reply_to_msg_id).map_err(|e| failure::internal(&e))?;
        match row {
            Some(row) if row.peer == place.peer_for(me.id, me.id) => Ok(Some(row.id)),
            _ => Err(fail(errors, "REPLY_MESSAGE_ID_INVALID")),
        }
    }

    /// `messages.forwardMessages`: copies of messages of `from_peer` (in `me`'s box) sent to
    /// `to_peer` with a `messageFwdHeader` naming the original sender (none with
    /// `drop_author`). Answers `updates` with an `updateMessageID` and `updateNewMessage` per
    /// message.
    pub(crate) fn forward_messages(
        &self,
        ctx: &CallContext,
        req: messages::ForwardMessages,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::ForwardMessages::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        if req.id.is_empty() {
            return Err(fail(errors, "MESSAGE_IDS_EMPTY"));
        }
        if req.id.len() != req.random_id.len() || req.id.len() > MAX_FORWARD {
            return Err(fail(errors, "RANDOM_ID_INVALID"));
        }
        let from = match self.resolve_input_peer(&me, &req.from_peer)? {
            PeerRef::User(id) => Place::Private(id),
            PeerRef::Chat(id) => Place::Group(id),
            PeerRef::Channel(_) => return Err(fail(errors, "CHANNEL_INVALID")),
        };
        let target = self.target(&me, &req.to_peer, errors)?;
        let from_key = from.peer_for(me.id, me.id);
        let mut originals = Vec::with_capacity(req.id.len());
        for (id, random_id) in req.id.iter().zip(&req.random_id) {
            let row = self.store.message(me.id, *id).map_err(|e| failure::internal(&e))?;
            let Some(row) = row.filter(|r| r.peer == from_key) else { continue };
            let message =
                enums::Message::from_bytes_exact(&row.body).map_err(|_| failure::internal_named("INTERNAL"))?;
            if let enums::Message::Message(m) = message {
                originals.push((m, row.from_id, *random_id));
            }
        }
        if originals.is_empty() {
            return Err(fail(errors, "MESSAGE_ID_INVALID"));
        }
        let outgoing: Vec<Outgoing> = originals
            .into_iter()
            .map(|(original, sender, random_id)| {
                let fwd_from = if req.drop_author {
                    None
                } else {
                    Some(match original.fwd_from.as_deref() {
                        Some(header) => header.clone(),
                        None => types::MessageFwdHeader {
                            from_id: Some(peer_tl(user_peer(sender))),
                            date: original.date,
                            ..Default::default()
                        }
                        .into(),
                    })
                };
                Outgoing {
                    sender: me.id,
                    place: target.place,
                    date: ctx.now,
                    text: original.message,
                    entities: original.entities,
                    silent: req.silent,
                    fwd_from,
                    action: None,
                    reply_to: None,
                    random_id: Some(random_id),
                }
            })
            .collect();
        let keep = self.config.update_log_limit;
        let random_ids = self.store.random_ids();
        let delivered = self.store.atomically("forward messages", |tx| {
            delivery::deliver_new(tx, random_ids, &outgoing, &target.others, keep)
        })?;
        let mut mine = Vec::with_capacity(delivered.len());
        let mut updates = Vec::with_capacity(delivered.len() * 2);
        for (copies, out) in delivered.iter().zip(&outgoing) {
            self.push_delivered(pushes, copies, ctx.auth_key_id, ctx.now)?;
            let Some(first) = copies.first() else { continue };
            let random_id = out.random_id.unwrap_or_default();
            updates.push(types::UpdateMessageId { id: first.id, random_id }.into());
            updates.push(delivery::new_message(first));
            mine.push(first.message.clone());
        }
        let refs: Vec<&enums::Message> = mine.iter().collect();
        Ok(self.updates_with_refs(&me, updates, &refs, ctx.now)?.to_bytes())
    }

    /// `messages.setTyping`: `boolTrue`; the other side of a private chat gets
    /// `updateUserTyping`, the other members of a group `updateChatUserTyping` (no pts).
    pub(crate) fn set_typing(
        &self,
        ctx: &CallContext,
        req: messages::SetTyping,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::SetTyping::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let target = self.target(&me, &req.peer, errors)?;
        let update: enums::Update = match target.place {
            Place::Private(_) => {
                types::UpdateUserTyping { user_id: me.id, top_msg_id: None, action: req.action.clone() }.into()
            }
            Place::Group(chat) => types::UpdateChatUserTyping {
                chat_id: chat,
                from_id: peer_tl(user_peer(me.id)),
                action: req.action.clone(),
            }
            .into(),
        };
        let short: enums::Updates = types::UpdateShort { update, date: tl::clamp_i32(ctx.now) }.into();
        for other in &target.others {
            self.push_to(pushes, *other, ctx.auth_key_id, &short);
        }
        Ok(true.to_bytes())
    }
}
