//! Basic groups (<https://core.telegram.org/api/channel#basic-groups>): `messages.createChat`,
//! `messages.addChatUser`, `messages.deleteChatUser`, `messages.editChatTitle`,
//! `messages.getChats` and `messages.getFullChat`. Every change is a service message
//! (`messageActionChatCreate`, `…AddUser`, `…DeleteUser`, `…EditTitle`) in every member's box.

use std::collections::BTreeSet;

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, Serializable};

use super::delivery::{self, Delivered, Outgoing, Place};
use super::failure::{self, fail};
use super::{tl, Api, Push};
use crate::context::{CallContext, RpcError};
use crate::store::{chats, ChatRow, ParticipantRow, StoreError, UserRecord};

/// The most members a basic group has (`config.chat_size_max`).
const MAX_CHAT_MEMBERS: usize = 200;
/// The longest group title, in characters.
const MAX_TITLE_LENGTH: usize = 128;

impl Api {
    /// The basic group `chat_id` as `viewer` sees it: `chat` for a member, `chatForbidden` for
    /// anyone else; `None` if there is no such group.
    pub(crate) fn chat_view(&self, viewer: i64, chat_id: i64) -> Result<Option<enums::Chat>, RpcError> {
        let Some(chat) = self.store.chat(chat_id).map_err(|e| failure::internal(&e))? else { return Ok(None) };
        let members = self.store.chat_participants(chat_id).map_err(|e| failure::internal(&e))?;
        Ok(Some(chat_tl(&chat, &members, viewer)))
    }

    fn group_of(&self, me: &UserRecord, chat_id: i64) -> Result<(ChatRow, Vec<ParticipantRow>), RpcError> {
        let chat = self.store.chat(chat_id).map_err(|e| failure::internal(&e))?;
        let chat = chat.ok_or_else(|| fail(&[], "CHAT_ID_INVALID"))?;
        let members = self.store.chat_participants(chat_id).map_err(|e| failure::internal(&e))?;
        if !members.iter().any(|m| m.user_id == me.id) {
            return Err(fail(&[], "CHAT_ID_INVALID"));
        }
        Ok((chat, members))
    }

    /// Applies `change` (which returns the group's id) and delivers a service message of `me`
    /// in that group to `me` and `others` in the same store transaction, pushes it, and answers
    /// `updates` with its `updateNewMessage`.
    fn chat_event(
        &self,
        ctx: &CallContext,
        me: &UserRecord,
        action: enums::MessageAction,
        others: Vec<i64>,
        change: impl FnOnce(&rusqlite::Connection) -> Result<i64, StoreError>,
        pushes: &mut Vec<Push>,
    ) -> Result<enums::Updates, RpcError> {
        let keep = self.config.update_log_limit;
        let delivered: Vec<Delivered> = self
            .store
            .atomically("change chat", |tx| {
                let chat_id = change(tx)?;
                let out = Outgoing {
                    sender: me.id,
                    place: Place::Group(chat_id),
                    date: ctx.now,
                    text: String::new(),
                    entities: None,
                    silent: false,
                    fwd_from: None,
                    action: Some(action),
                    reply_to: None,
                    random_id: None,
                };
                delivery::deliver(tx, &out, &others, keep)
            })
            .map_err(|e| failure::internal(&e))?;
        self.push_delivered(pushes, &delivered, ctx.auth_key_id, ctx.now)?;
        let mine = delivered.first().ok_or_else(|| failure::internal_named("INTERNAL"))?;
        self.updates_with_refs(me, vec![delivery::new_message(mine)], &[&mine.message], ctx.now)
    }

    fn invited(updates: enums::Updates) -> Vec<u8> {
        enums::messages::InvitedUsers::from(types::messages::InvitedUsers { updates, missing_invitees: Vec::new() })
            .to_bytes()
    }

    /// `messages.createChat`: a basic group of `me` and `users`; answers
    /// `messages.invitedUsers` with the `messageActionChatCreate` service message.
    pub(crate) fn create_chat(
        &self,
        ctx: &CallContext,
        req: messages::CreateChat,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::CreateChat::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let title = check_title(&req.title, errors)?;
        if req.users.len() >= MAX_CHAT_MEMBERS {
            return Err(fail(errors, "USERS_TOO_MUCH"));
        }
        let mut invited = Vec::new();
        for user in &req.users {
            let user = self.resolve_input_user(&me, user)?;
            if user.id != me.id && !invited.contains(&user.id) {
                invited.push(user.id);
            }
        }
        if invited.is_empty() {
            return Err(fail(errors, "USERS_TOO_FEW"));
        }
        let mut all = vec![me.id];
        all.extend(&invited);
        let action = types::MessageActionChatCreate { title: title.clone(), users: all.clone() }.into();
        let (now, creator) = (ctx.now, me.id);
        let change = move |tx: &rusqlite::Connection| {
            let chat = chats::create(tx, &title, creator, now)?;
            for user in &all {
                let member = ParticipantRow { user_id: *user, inviter_id: creator, date: now, admin: false };
                chats::add(tx, chat.id, &member)?;
            }
            Ok(chat.id)
        };
        let updates = self.chat_event(ctx, &me, action, invited, change, pushes)?;
        Ok(Self::invited(updates))
    }

    /// `messages.addChatUser`: adds a user to a group `me` is in (`messageActionChatAddUser`).
    pub(crate) fn add_chat_user(
        &self,
        ctx: &CallContext,
        req: messages::AddChatUser,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::AddChatUser::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let (chat, members) = self.group_of(&me, req.chat_id)?;
        let user = self.resolve_input_user(&me, &req.user_id)?;
        if members.iter().any(|m| m.user_id == user.id) {
            return Err(fail(errors, "USER_ALREADY_PARTICIPANT"));
        }
        if members.len() >= MAX_CHAT_MEMBERS {
            return Err(fail(errors, "USERS_TOO_MUCH"));
        }
        let mut others: Vec<i64> = members.iter().map(|m| m.user_id).collect();
        others.push(user.id);
        let action = types::MessageActionChatAddUser { users: vec![user.id] }.into();
        let member = ParticipantRow { user_id: user.id, inviter_id: me.id, date: ctx.now, admin: false };
        let change = |tx: &rusqlite::Connection| chats::add(tx, chat.id, &member).map(|_| chat.id);
        let updates = self.chat_event(ctx, &me, action, others, change, pushes)?;
        Ok(Self::invited(updates))
    }

    /// `messages.deleteChatUser`: removes a member (the creator or whoever added them may; anyone
    /// may leave) with `messageActionChatDeleteUser`, which the removed member gets too.
    pub(crate) fn delete_chat_user(
        &self,
        ctx: &CallContext,
        req: messages::DeleteChatUser,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::DeleteChatUser::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let (chat, members) = self.group_of(&me, req.chat_id)?;
        let user = self.resolve_input_user(&me, &req.user_id)?;
        let Some(member) = members.iter().find(|m| m.user_id == user.id) else {
            return Err(fail(errors, "USER_NOT_PARTICIPANT"));
        };
        if user.id != me.id && chat.creator != me.id && member.inviter_id != me.id {
            return Err(fail(errors, "CHAT_ADMIN_REQUIRED"));
        }
        let others = members.iter().map(|m| m.user_id).collect();
        let action = types::MessageActionChatDeleteUser { user_id: user.id }.into();
        let change = |tx: &rusqlite::Connection| chats::remove(tx, chat.id, user.id).map(|_| chat.id);
        let updates = self.chat_event(ctx, &me, action, others, change, pushes)?;
        Ok(updates.to_bytes())
    }

    /// `messages.editChatTitle`: renames a group `me` is in (`messageActionChatEditTitle`).
    pub(crate) fn edit_chat_title(
        &self,
        ctx: &CallContext,
        req: messages::EditChatTitle,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::EditChatTitle::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let (chat, members) = self.group_of(&me, req.chat_id)?;
        let title = check_title(&req.title, errors)?;
        if title == chat.title {
            return Err(fail(errors, "CHAT_NOT_MODIFIED"));
        }
        let others = members.iter().map(|m| m.user_id).collect();
        let action = types::MessageActionChatEditTitle { title: title.clone() }.into();
        let change = |tx: &rusqlite::Connection| chats::set_title(tx, chat.id, &title).map(|_| chat.id);
        let updates = self.chat_event(ctx, &me, action, others, change, pushes)?;
        Ok(updates.to_bytes())
    }

    /// `messages.getChats`: the basic groups with these ids (unknown ids left out).
    pub(crate) fn get_chats(&self, ctx: &CallContext, req: messages::GetChats) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let mut chats = Vec::new();
        for id in req.id.iter().take(MAX_CHAT_MEMBERS) {
            if let Some(chat) = self.chat_view(me.id, *id)? {
                chats.push(chat);
            }
        }
        Ok(enums::messages::Chats::from(types::messages::Chats { chats }).to_bytes())
    }

    /// `messages.getFullChat`: a group `me` is in, with its members.
    pub(crate) fn get_full_chat(&self, ctx: &CallContext, req: messages::GetFullChat) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let (chat, members) = self.group_of(&me, req.chat_id)?;
        let participants = types::ChatParticipants {
            chat_id: chat.id,
            participants: members.iter().map(|m| participant_tl(&chat, m)).collect(),
            version: chat.version,
        };
        let full = types::ChatFull {
            can_set_username: false,
            has_scheduled: false,
            translations_disabled: false,
            has_welcome_messages: false,
            id: chat.id,
            about: String::new(),
            participants: participants.into(),
            chat_photo: None,
            notify_settings: types::PeerNotifySettings::default().into(),
            exported_invite: None,
            bot_info: None,
            pinned_msg_id: None,
            folder_id: None,
            call: None,
            ttl_period: None,
            groupcall_default_join_as: None,
            theme_emoticon: None,
            requests_pending: None,
            recent_requesters: None,
            available_reactions: None,
            reactions_limit: None,
        };
        let users: BTreeSet<i64> = members.iter().map(|m| m.user_id).collect();
        let (users, _) = self.peers_view(&me, &users, &BTreeSet::new())?;
        Ok(enums::messages::ChatFull::from(types::messages::ChatFull {
            full_chat: full.into(),
            chats: vec![chat_tl(&chat, &members, me.id)],
            users,
        })
        .to_bytes())
    }
}

fn check_title(title: &str, errors: &[ferrogram_tl::ErrorInfo]) -> Result<String, RpcError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(fail(errors, "CHAT_TITLE_EMPTY"));
    }
    Ok(title.chars().take(MAX_TITLE_LENGTH).collect())
}

fn chat_tl(chat: &ChatRow, members: &[ParticipantRow], viewer: i64) -> enums::Chat {
    if !members.iter().any(|m| m.user_id == viewer) {
        return types::ChatForbidden { id: chat.id, title: chat.title.clone() }.into();
    }
    types::Chat {
        creator: chat.creator == viewer,
        left: false,
        deactivated: false,
        call_active: false,
        call_not_empty: false,
        noforwards: false,
        id: chat.id,
        title: chat.title.clone(),
        photo: types::ChatPhotoEmpty {}.into(),
        participants_count: members.len() as i32,
        date: tl::clamp_i32(chat.date),
        version: chat.version,
        migrated_to: None,
        admin_rights: None,
        default_banned_rights: None,
    }
    .into()
}

fn participant_tl(chat: &ChatRow, m: &ParticipantRow) -> enums::ChatParticipant {
    if m.user_id == chat.creator {
        types::ChatParticipantCreator { user_id: m.user_id, rank: None }.into()
    } else if m.admin {
        types::ChatParticipantAdmin {
            user_id: m.user_id,
            inviter_id: m.inviter_id,
            date: tl::clamp_i32(m.date),
            rank: None,
        }
        .into()
    } else {
        types::ChatParticipant { user_id: m.user_id, inviter_id: m.inviter_id, date: tl::clamp_i32(m.date), rank: None }
            .into()
    }
}
