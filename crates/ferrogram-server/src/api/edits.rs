//! `messages.editMessage` and `messages.readHistory`: an edit changes every copy of a message
//! (`updateEditMessage` in each owner's box), a read moves the reader's inbox
//! (`updateReadHistoryInbox`) and each sender's outbox (`updateReadHistoryOutbox`)
//! (<https://core.telegram.org/api/updates>).

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, Deserializable, Serializable};

use super::delivery::{self, peer_tl, Place};
use super::failure::{self, fail};
use super::{tl, Api, Push};
use crate::context::{CallContext, RpcError};
use crate::store::{self, user_peer, StoreError};

/// How long after sending a message may be edited, in seconds (`config.edit_time_limit`);
/// Saved Messages have no limit.
const EDIT_TIME_LIMIT: i64 = 172_800;

impl Api {
    /// `messages.editMessage`: a new text and entities for a message `me` sent, in every copy.
    /// Answers `updates` with `updateEditMessage`; every other session of every party gets its
    /// own copy's `updateEditMessage`.
    pub(crate) fn edit_message(
        &self,
        ctx: &CallContext,
        req: messages::EditMessage,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::EditMessage::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let target = self.target(&me, &req.peer, errors)?;
        if req.media.is_some() {
            return Err(fail(errors, "MEDIA_PREV_INVALID"));
        }
        let row = self.store.message(me.id, req.id).map_err(|e| failure::internal(&e))?;
        let row = row
            .filter(|r| r.peer == target.place.peer_for(me.id, me.id))
            .ok_or_else(|| fail(errors, "MESSAGE_ID_INVALID"))?;
        let Ok(enums::Message::Message(old)) = enums::Message::from_bytes_exact(&row.body) else {
            return Err(fail(errors, "MESSAGE_ID_INVALID"));
        };
        if !row.out {
            return Err(fail(errors, "MESSAGE_AUTHOR_REQUIRED"));
        }
        let saved = matches!(target.place, Place::Private(id) if id == me.id);
        if !saved && ctx.now - row.date > EDIT_TIME_LIMIT {
            return Err(fail(errors, "MESSAGE_EDIT_TIME_EXPIRED"));
        }
        let text = req.message.clone().unwrap_or_else(|| old.message.clone());
        Self::check_text(&text, errors)?;
        let entities = match (&req.message, &req.entities) {
            (_, Some(entities)) => self.check_entities(&me, &text, Some(entities), errors)?,
            (Some(_), None) => None,
            (None, None) => old.entities.clone(),
        };
        if text == old.message && entities == old.entities {
            return Err(fail(errors, "MESSAGE_NOT_MODIFIED"));
        }
        let keep = self.config.update_log_limit;
        let edited = self
            .store
            .atomically("edit message", |tx| {
                let mut edited = Vec::new();
                for (owner, id) in store::messages::copies(tx, row.origin_user, row.origin_id)? {
                    let Some(copy) = store::messages::message(tx, owner, id)? else { continue };
                    let Ok(enums::Message::Message(mut m)) = enums::Message::from_bytes_exact(&copy.body) else {
                        continue;
                    };
                    m.message = text.clone();
                    m.entities = entities.clone();
                    m.edit_date = Some(tl::clamp_i32(ctx.now));
                    let message = enums::Message::from(m);
                    store::messages::replace(tx, owner, id, &text, &message.to_bytes(), Some(ctx.now))?;
                    let update = |pts| -> enums::Update {
                        types::UpdateEditMessage { message: message.clone(), pts, pts_count: 1 }.into()
                    };
                    let pts = store::updates::append(tx, owner, 1, ctx.now, keep, |pts| update(pts).to_bytes())?;
                    edited.push((owner, update(pts), message));
                }
                Ok::<_, StoreError>(edited)
            })
            .map_err(|e| failure::internal(&e))?;
        let mut answer = None;
        for (owner, update, message) in edited {
            let Some(user) = self.store.user(owner).map_err(|e| failure::internal(&e))? else { continue };
            let updates = self.updates_with_refs(&user, vec![update], &[&message], ctx.now)?;
            self.push_to(pushes, owner, ctx.auth_key_id, &updates);
            if owner == me.id {
                answer = Some(updates);
            }
        }
        let answer = answer.ok_or_else(|| fail(errors, "MESSAGE_ID_INVALID"))?;
        Ok(answer.to_bytes())
    }

    /// `messages.readHistory`: marks `me`'s incoming messages of a chat read up to `max_id` (all
    /// with 0) with `updateReadHistoryInbox`, and each sender's outgoing ones with
    /// `updateReadHistoryOutbox`. Answers `messages.affectedMessages` (pts_count 0 if nothing
    /// was unread).
    pub(crate) fn read_history(
        &self,
        ctx: &CallContext,
        req: messages::ReadHistory,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::ReadHistory::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let target = self.target(&me, &req.peer, errors).map_err(|e| match e.name.as_str() {
            "CHAT_WRITE_FORBIDDEN" => fail(errors, "CHAT_ID_INVALID"),
            _ => e,
        })?;
        let key = target.place.peer_for(me.id, me.id);
        let max_id = if req.max_id <= 0 { i32::MAX } else { req.max_id };
        let keep = self.config.update_log_limit;
        let events = self
            .store
            .atomically("read history", |tx| {
                let Some((dialog, before)) = store::dialogs::read_inbox(tx, me.id, key, max_id)? else {
                    return Ok::<_, StoreError>(Vec::new());
                };
                let inbox = |pts| -> enums::Update {
                    types::UpdateReadHistoryInbox {
                        folder_id: None,
                        peer: peer_tl(key),
                        top_msg_id: None,
                        max_id: dialog.read_inbox_max_id,
                        still_unread_count: dialog.unread_count,
                        pts,
                        pts_count: 1,
                    }
                    .into()
                };
                let pts = store::updates::append(tx, me.id, 1, ctx.now, keep, |pts| inbox(pts).to_bytes())?;
                let mut events = vec![(me.id, inbox(pts), pts)];
                let senders = store::dialogs::senders_between(tx, me.id, key, before, dialog.read_inbox_max_id)?;
                for (sender, origin_id) in senders.into_iter().filter(|(s, _)| *s != me.id) {
                    let their_key = match target.place {
                        Place::Private(_) => user_peer(me.id),
                        Place::Group(_) => key,
                    };
                    if !store::dialogs::read_outbox(tx, sender, their_key, origin_id)? {
                        continue;
                    }
                    let outbox = |pts| -> enums::Update {
                        types::UpdateReadHistoryOutbox {
                            peer: peer_tl(their_key),
                            max_id: origin_id,
                            pts,
                            pts_count: 1,
                        }
                        .into()
                    };
                    let pts = store::updates::append(tx, sender, 1, ctx.now, keep, |pts| outbox(pts).to_bytes())?;
                    events.push((sender, outbox(pts), pts));
                }
                Ok(events)
            })
            .map_err(|e| failure::internal(&e))?;
        let mut affected = None;
        for (owner, update, pts) in events {
            if owner == me.id {
                affected = Some(pts);
            }
            self.push_to(pushes, owner, ctx.auth_key_id, &delivery::updates_of(vec![update], ctx.now, vec![], vec![]));
        }
        let (pts, pts_count) = match affected {
            Some(pts) => (pts, 1),
            None => (self.store.update_state(me.id).map_err(|e| failure::internal(&e))?.pts, 0),
        };
        Ok(enums::messages::AffectedMessages::from(types::messages::AffectedMessages { pts, pts_count }).to_bytes())
    }
}
