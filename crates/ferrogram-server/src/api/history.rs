//! Reading what a box holds: `messages.getHistory` and `messages.search` with Telegram's offset
//! rules (<https://core.telegram.org/api/offsets>), `messages.getMessages`, `messages.getDialogs`,
//! `messages.getPeerDialogs` and `messages.getPinnedDialogs`; and the start-up calls whose
//! answers are empty here (`messages.getDialogFilters`, `messages.getAvailableReactions`,
//! `messages.getAllStickers`).

use std::collections::BTreeSet;

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, Deserializable, ErrorInfo, Serializable};

use super::delivery::{self, peer_tl};
use super::failure::{self, fail};
use super::peers::PeerRef;
use super::Api;
use crate::context::{CallContext, RpcError};
use crate::store::{chat_peer, user_peer, DialogRow, HistoryQuery, MessageRow, UserRecord};

/// The most messages one history or search call returns.
const MAX_HISTORY_LIMIT: i32 = 100;
/// The most dialogs one `messages.getDialogs` returns.
const MAX_DIALOGS_LIMIT: i32 = 100;

/// Dialogs, their top messages, and the chats and users these mention.
type DialogParts = (Vec<enums::Dialog>, Vec<enums::Message>, Vec<enums::Chat>, Vec<enums::User>);

impl Api {
    /// The peer key of a chat `me` may read: any user (Saved Messages for `me`), a basic group
    /// `me` is or was in.
    pub(crate) fn readable(
        &self,
        me: &UserRecord,
        peer: &enums::InputPeer,
        errors: &[ErrorInfo],
    ) -> Result<i64, RpcError> {
        match self.resolve_input_peer(me, peer)? {
            PeerRef::User(id) => Ok(user_peer(id)),
            PeerRef::Chat(id) => {
                // A member, or a former one whose box still has the group's dialog.
                let internal = |e: crate::store::StoreError| failure::internal(&e);
                let member = self.store.chat_participants(id).map_err(internal)?.iter().any(|m| m.user_id == me.id);
                if member || self.store.dialog(me.id, chat_peer(id)).map_err(internal)?.is_some() {
                    Ok(chat_peer(id))
                } else {
                    Err(fail(errors, "CHAT_ID_INVALID"))
                }
            }
            PeerRef::Channel(_) => Err(fail(errors, "CHANNEL_INVALID")),
        }
    }

    /// Messages as `messages.messages` (all of them) or `messages.messagesSlice` (`count` in
    /// all), with the users and chats they mention.
    fn messages_answer(&self, me: &UserRecord, rows: &[MessageRow], count: i64) -> Result<Vec<u8>, RpcError> {
        let messages = decode_rows(rows);
        let (mut users, mut chats) = (BTreeSet::new(), BTreeSet::new());
        for m in &messages {
            delivery::refs_of(m, &mut users, &mut chats);
        }
        let (users, chats) = self.peers_view(me, &users, &chats)?;
        let answer: enums::messages::Messages = if count <= messages.len() as i64 {
            types::messages::Messages { messages, topics: Vec::new(), chats, users }.into()
        } else {
            types::messages::MessagesSlice {
                inexact: false,
                count: count.min(i64::from(i32::MAX)) as i32,
                next_rate: None,
                offset_id_offset: None,
                search_flood: None,
                messages,
                topics: Vec::new(),
                chats,
                users,
            }
            .into()
        };
        Ok(answer.to_bytes())
    }

    /// `messages.getHistory`: the chat's messages newest first, from `offset_id`/`offset_date`
    /// shifted by `add_offset`, between `min_id` and `max_id`, at most 100.
    pub(crate) fn get_history(&self, ctx: &CallContext, req: messages::GetHistory) -> Result<Vec<u8>, RpcError> {
        let errors = messages::GetHistory::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let peer = self.readable(&me, &req.peer, errors)?;
        let query = HistoryQuery {
            offset_id: req.offset_id.max(0),
            offset_date: i64::from(req.offset_date.max(0)),
            add_offset: req.add_offset,
            limit: req.limit.clamp(0, MAX_HISTORY_LIMIT) as u32,
            max_id: req.max_id.max(0),
            min_id: req.min_id.max(0),
            ..HistoryQuery::default()
        };
        let (rows, count) = self.store.history(me.id, Some(peer), &query).map_err(|e| failure::internal(&e))?;
        self.messages_answer(&me, &rows, count)
    }

    /// `messages.search`: the messages of a chat (of every chat with `inputPeerEmpty`) whose text
    /// contains `q`, optionally from one sender and between two dates, with the offsets of
    /// `messages.getHistory`. Filters for media match nothing: no message here has media.
    pub(crate) fn search(&self, ctx: &CallContext, req: messages::Search) -> Result<Vec<u8>, RpcError> {
        let errors = messages::Search::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let peer = match &req.peer {
            enums::InputPeer::Empty(_) => None,
            peer => Some(self.readable(&me, peer, errors)?),
        };
        let from_id = match &req.from_id {
            Some(from) => match self.resolve_input_peer(&me, from).map_err(|_| fail(errors, "FROM_PEER_INVALID"))? {
                PeerRef::User(id) => Some(id),
                _ => return Err(fail(errors, "FROM_PEER_INVALID")),
            },
            None => None,
        };
        if !matches!(req.filter, enums::MessagesFilter::InputMessagesFilterEmpty(_)) {
            return self.messages_answer(&me, &[], 0);
        }
        let query = HistoryQuery {
            offset_id: req.offset_id.max(0),
            offset_date: 0,
            add_offset: req.add_offset,
            limit: req.limit.clamp(0, MAX_HISTORY_LIMIT) as u32,
            max_id: req.max_id.max(0),
            min_id: req.min_id.max(0),
            text: Some(req.q.clone()),
            from_id,
            min_date: i64::from(req.min_date.max(0)),
            max_date: i64::from(req.max_date.max(0)),
        };
        let (rows, count) = self.store.history(me.id, peer, &query).map_err(|e| failure::internal(&e))?;
        self.messages_answer(&me, &rows, count)
    }

    /// `messages.getMessages`: messages of `me`'s box by id (`inputMessageReplyTo`: the message
    /// it answers); `messageEmpty` for what is not there.
    pub(crate) fn get_messages(&self, ctx: &CallContext, req: messages::GetMessages) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let mut messages = Vec::with_capacity(req.id.len().min(200));
        for input in req.id.iter().take(200) {
            let (id, replied) = match input {
                enums::InputMessage::Id(m) => (m.id, false),
                enums::InputMessage::ReplyTo(m) => (m.id, true),
                _ => (0, false),
            };
            let mut found = self.store.message(me.id, id).map_err(|e| failure::internal(&e))?.map(|r| decode_row(&r));
            if replied {
                let to = match &found {
                    Some(enums::Message::Message(m)) => m.reply_to.as_deref().and_then(|r| match r {
                        enums::MessageReplyHeader::MessageReplyHeader(h) => h.reply_to_msg_id,
                        _ => None,
                    }),
                    _ => None,
                };
                found = match to {
                    Some(to) => {
                        self.store.message(me.id, to).map_err(|e| failure::internal(&e))?.map(|r| decode_row(&r))
                    }
                    None => None,
                };
            }
            messages.push(found.unwrap_or_else(|| types::MessageEmpty { id, peer_id: None }.into()));
        }
        let (mut users, mut chats) = (BTreeSet::new(), BTreeSet::new());
        for m in &messages {
            delivery::refs_of(m, &mut users, &mut chats);
        }
        let (users, chats) = self.peers_view(&me, &users, &chats)?;
        Ok(enums::messages::Messages::from(types::messages::Messages { messages, topics: Vec::new(), chats, users })
            .to_bytes())
    }

    /// Dialogs with their top messages and the users and chats they mention.
    fn dialogs_parts(&self, me: &UserRecord, rows: &[DialogRow]) -> Result<DialogParts, RpcError> {
        let (mut users, mut chats) = (BTreeSet::new(), BTreeSet::new());
        let mut dialogs = Vec::with_capacity(rows.len());
        let mut messages = Vec::with_capacity(rows.len());
        for row in rows {
            match row.peer {
                p if p < 0 => chats.insert(-p),
                p => users.insert(p),
            };
            if let Some(top) = self.store.message(me.id, row.top_message).map_err(|e| failure::internal(&e))? {
                let message = decode_row(&top);
                delivery::refs_of(&message, &mut users, &mut chats);
                messages.push(message);
            }
            dialogs.push(dialog_tl(row));
        }
        let (users, chats) = self.peers_view(me, &users, &chats)?;
        Ok((dialogs, messages, chats, users))
    }

    /// `messages.getDialogs`: pinned dialogs first, then the others by their newest message,
    /// below `(offset_date, offset_id)` when set; `messages.dialogsSlice` when not all fit.
    pub(crate) fn get_dialogs(&self, ctx: &CallContext, req: messages::GetDialogs) -> Result<Vec<u8>, RpcError> {
        let errors = messages::GetDialogs::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        if req.folder_id.is_some_and(|f| f != 0 && f != 1) {
            return Err(fail(errors, "FOLDER_ID_INVALID"));
        }
        let limit = req.limit.clamp(0, MAX_DIALOGS_LIMIT) as u32;
        let offset = (req.offset_date > 0 || req.offset_id > 0).then(|| {
            let date = if req.offset_date > 0 { i64::from(req.offset_date) } else { i64::MAX };
            let id = if req.offset_id > 0 { req.offset_id } else { i32::MAX };
            (date, id)
        });
        // Nothing is ever archived here: folder 1 is empty.
        let rows = if req.folder_id == Some(1) {
            Vec::new()
        } else {
            self.store.dialogs(me.id, offset, req.exclude_pinned, limit).map_err(|e| failure::internal(&e))?
        };
        let count = if req.folder_id == Some(1) {
            0
        } else {
            self.store.dialog_count(me.id).map_err(|e| failure::internal(&e))?
        };
        let (dialogs, messages, chats, users) = self.dialogs_parts(&me, &rows)?;
        let answer: enums::messages::Dialogs = if offset.is_none() && dialogs.len() as i64 >= count {
            types::messages::Dialogs { dialogs, messages, chats, users }.into()
        } else {
            types::messages::DialogsSlice {
                count: count.min(i64::from(i32::MAX)) as i32,
                dialogs,
                messages,
                chats,
                users,
            }
            .into()
        };
        Ok(answer.to_bytes())
    }

    /// `messages.getPeerDialogs`: the dialogs with these peers (an empty one for a peer without
    /// messages) and the update state.
    pub(crate) fn get_peer_dialogs(
        &self,
        ctx: &CallContext,
        req: messages::GetPeerDialogs,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::GetPeerDialogs::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        if req.peers.is_empty() {
            return Err(fail(errors, "INPUT_PEERS_EMPTY"));
        }
        let mut rows = Vec::with_capacity(req.peers.len());
        for peer in req.peers.iter().take(MAX_DIALOGS_LIMIT as usize) {
            let enums::InputDialogPeer::InputDialogPeer(peer) = peer else { continue };
            let key = self.readable(&me, &peer.peer, errors)?;
            let row = self.store.dialog(me.id, key).map_err(|e| failure::internal(&e))?;
            rows.push(row.unwrap_or(DialogRow {
                owner: me.id,
                peer: key,
                top_message: 0,
                top_date: 0,
                read_inbox_max_id: 0,
                read_outbox_max_id: 0,
                unread_count: 0,
                pinned: 0,
            }));
        }
        self.peer_dialogs_answer(ctx, &me, &rows)
    }

    /// `messages.getPinnedDialogs`: the pinned dialogs (folder 0) and the update state.
    pub(crate) fn get_pinned_dialogs(
        &self,
        ctx: &CallContext,
        req: messages::GetPinnedDialogs,
    ) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let rows = if req.folder_id == 0 {
            let rows = self.store.dialogs(me.id, None, false, MAX_DIALOGS_LIMIT as u32);
            rows.map_err(|e| failure::internal(&e))?.into_iter().filter(|d| d.pinned > 0).collect()
        } else {
            Vec::new()
        };
        self.peer_dialogs_answer(ctx, &me, &rows)
    }

    fn peer_dialogs_answer(&self, ctx: &CallContext, me: &UserRecord, rows: &[DialogRow]) -> Result<Vec<u8>, RpcError> {
        let (dialogs, messages, chats, users) = self.dialogs_parts(me, rows)?;
        let state = self.store.update_state(me.id).map_err(|e| failure::internal(&e))?;
        let unread = self.store.unread_total(me.id).map_err(|e| failure::internal(&e))?;
        let state = types::updates::State {
            pts: state.pts,
            qts: state.qts,
            date: super::tl::clamp_i32(ctx.now),
            seq: state.seq,
            unread_count: super::tl::clamp_i32(unread),
        };
        Ok(enums::messages::PeerDialogs::from(types::messages::PeerDialogs {
            dialogs,
            messages,
            chats,
            users,
            state: state.into(),
        })
        .to_bytes())
    }

    /// `messages.getDialogFilters`: only the default "All chats" filter.
    pub(crate) fn get_dialog_filters(
        &self,
        ctx: &CallContext,
        _req: messages::GetDialogFilters,
    ) -> Result<Vec<u8>, RpcError> {
        self.user_of(ctx)?;
        Ok(enums::messages::DialogFilters::from(types::messages::DialogFilters {
            tags_enabled: false,
            filters: vec![types::DialogFilterDefault {}.into()],
        })
        .to_bytes())
    }

    /// `messages.getAvailableReactions`: none.
    pub(crate) fn get_available_reactions(
        &self,
        ctx: &CallContext,
        _req: messages::GetAvailableReactions,
    ) -> Result<Vec<u8>, RpcError> {
        self.user_of(ctx)?;
        Ok(enums::messages::AvailableReactions::from(types::messages::AvailableReactions {
            hash: 0,
            reactions: Vec::new(),
        })
        .to_bytes())
    }

    /// `messages.getAllStickers`: no sticker sets.
    pub(crate) fn get_all_stickers(
        &self,
        ctx: &CallContext,
        _req: messages::GetAllStickers,
    ) -> Result<Vec<u8>, RpcError> {
        self.user_of(ctx)?;
        Ok(enums::messages::AllStickers::from(types::messages::AllStickers { hash: 0, sets: Vec::new() }).to_bytes())
    }
}

fn dialog_tl(row: &DialogRow) -> enums::Dialog {
    types::Dialog {
        pinned: row.pinned > 0,
        unread_mark: false,
        view_forum_as_messages: false,
        peer: peer_tl(row.peer),
        top_message: row.top_message,
        read_inbox_max_id: row.read_inbox_max_id,
        read_outbox_max_id: row.read_outbox_max_id,
        unread_count: row.unread_count,
        unread_mentions_count: 0,
        unread_reactions_count: 0,
        unread_poll_votes_count: 0,
        notify_settings: types::PeerNotifySettings::default().into(),
        pts: None,
        draft: None,
        folder_id: None,
        ttl_period: None,
    }
    .into()
}

/// A stored copy as its `Message` (an undecodable row, which this server never writes, as
/// `messageEmpty`).
pub(crate) fn decode_row(row: &MessageRow) -> enums::Message {
    enums::Message::from_bytes_exact(&row.body).unwrap_or_else(|_| {
        tracing::warn!(owner = row.owner, id = row.id, "a stored message does not decode");
        types::MessageEmpty { id: row.id, peer_id: None }.into()
    })
}

fn decode_rows(rows: &[MessageRow]) -> Vec<enums::Message> {
    rows.iter().map(decode_row).collect()
}
