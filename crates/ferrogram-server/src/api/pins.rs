//! Pinning: dialogs (`messages.toggleDialogPin`, `messages.reorderPinnedDialogs`; the caller's
//! other sessions get `updateDialogPinned` / `updatePinnedDialogs`, updates without pts) and
//! messages (`messages.updatePinnedMessage`: `updatePinnedMessages` in every box that has the
//! message, and a `messageActionPinMessage` service message when pinning for everyone)
//! (<https://core.telegram.org/api/pin>).

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, Deserializable, ErrorInfo, Serializable};

use super::delivery::{self, peer_tl, Outgoing};
use super::failure::{self, fail};
use super::{tl, Api, Push};
use crate::context::{CallContext, RpcError};
use crate::store::{self, StoreError, UserRecord};

/// The most dialogs an account pins (`dialogs_pinned_limit_default` of Telegram's app config).
const MAX_PINNED: i64 = 5;

impl Api {
    fn dialog_peer_key(
        &self,
        me: &UserRecord,
        peer: &enums::InputDialogPeer,
        errors: &[ErrorInfo],
    ) -> Result<i64, RpcError> {
        match peer {
            enums::InputDialogPeer::InputDialogPeer(p) => self.readable(me, &p.peer, errors),
            _ => Err(fail(errors, "PEER_ID_INVALID")),
        }
    }

    fn push_short(&self, ctx: &CallContext, me: &UserRecord, update: enums::Update, pushes: &mut Vec<Push>) {
        let short: enums::Updates = types::UpdateShort { update, date: tl::clamp_i32(ctx.now) }.into();
        self.push_to(pushes, me.id, ctx.auth_key_id, &short);
    }

    /// `messages.toggleDialogPin`: pins a dialog on top of the pinned ones, or unpins it. A
    /// dialog without messages is `PEER_HISTORY_EMPTY`; more than five pinned,
    /// `PINNED_DIALOGS_TOO_MUCH`.
    pub(crate) fn toggle_dialog_pin(
        &self,
        ctx: &CallContext,
        req: messages::ToggleDialogPin,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::ToggleDialogPin::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let key = self.dialog_peer_key(&me, &req.peer, errors)?;
        let dialog = self.store.dialog(me.id, key).map_err(|e| failure::internal(&e))?;
        let Some(dialog) = dialog else { return Err(fail(errors, "PEER_HISTORY_EMPTY")) };
        if (dialog.pinned > 0) == req.pinned {
            return Ok(true.to_bytes());
        }
        let pinned = self
            .store
            .atomically("pin dialog", |tx| {
                if req.pinned && store::dialogs::pinned_count(tx, me.id)? >= MAX_PINNED {
                    return Ok(false);
                }
                store::dialogs::set_pinned(tx, me.id, key, req.pinned)
            })
            .map_err(|e: StoreError| failure::internal(&e))?;
        if !pinned {
            return Err(fail(errors, "PINNED_DIALOGS_TOO_MUCH"));
        }
        let update = types::UpdateDialogPinned {
            pinned: req.pinned,
            folder_id: None,
            peer: types::DialogPeer { peer: peer_tl(key) }.into(),
        };
        self.push_short(ctx, &me, update.into(), pushes);
        Ok(true.to_bytes())
    }

    /// `messages.reorderPinnedDialogs`: the pinned dialogs in this order (with `force`, only
    /// these are pinned).
    pub(crate) fn reorder_pinned_dialogs(
        &self,
        ctx: &CallContext,
        req: messages::ReorderPinnedDialogs,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::ReorderPinnedDialogs::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        if req.folder_id != 0 {
            return Ok(true.to_bytes());
        }
        let mut order = Vec::with_capacity(req.order.len());
        for peer in req.order.iter().take(MAX_PINNED as usize * 2) {
            let key = self.dialog_peer_key(&me, peer, errors)?;
            if !order.contains(&key) {
                order.push(key);
            }
        }
        self.store
            .atomically("reorder pinned dialogs", |tx| store::dialogs::reorder_pinned(tx, me.id, &order, req.force))
            .map_err(|e: StoreError| failure::internal(&e))?;
        let order =
            order.iter().map(|key| enums::DialogPeer::from(types::DialogPeer { peer: peer_tl(*key) })).collect();
        let update = types::UpdatePinnedDialogs { folder_id: None, order: Some(order) };
        self.push_short(ctx, &me, update.into(), pushes);
        Ok(true.to_bytes())
    }

    /// `messages.updatePinnedMessage`: pins (or with `unpin` unpins) a message of a chat `me`
    /// is in, in every copy (only `me`'s with `pm_oneside` in a private chat), each box logging
    /// `updatePinnedMessages`; pinning for everyone adds a `messageActionPinMessage` service
    /// message answering the pinned one. Answers `updates`.
    pub(crate) fn update_pinned_message(
        &self,
        ctx: &CallContext,
        req: messages::UpdatePinnedMessage,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::UpdatePinnedMessage::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let target = self.target(&me, &req.peer, errors)?;
        let key = target.place.peer_for(me.id, me.id);
        let row = self.store.message(me.id, req.id).map_err(|e| failure::internal(&e))?;
        let row = row.filter(|r| r.peer == key).ok_or_else(|| fail(errors, "MESSAGE_ID_INVALID"))?;
        let Ok(enums::Message::Message(message)) = enums::Message::from_bytes_exact(&row.body) else {
            return Err(fail(errors, "MESSAGE_ID_INVALID"));
        };
        let pin = !req.unpin;
        if message.pinned == pin {
            return Ok(delivery::updates_of(Vec::new(), ctx.now, Vec::new(), Vec::new()).to_bytes());
        }
        let oneside = req.pm_oneside && matches!(target.place, delivery::Place::Private(_));
        let keep = self.config.update_log_limit;
        let service = (pin && !oneside).then(|| Outgoing {
            sender: me.id,
            place: target.place,
            date: ctx.now,
            text: String::new(),
            entities: None,
            silent: req.silent,
            fwd_from: None,
            action: Some(types::MessageActionPinMessage {}.into()),
            reply_to: Some(req.id),
            random_id: None,
        });
        let (logged, delivered) = self
            .store
            .atomically("pin message", |tx| {
                let copies = if oneside {
                    vec![(me.id, req.id)]
                } else {
                    store::messages::copies(tx, row.origin_user, row.origin_id)?
                };
                let mut logged = Vec::new();
                for (owner, id) in copies {
                    let Some(copy) = store::messages::message(tx, owner, id)? else { continue };
                    let Ok(enums::Message::Message(mut m)) = enums::Message::from_bytes_exact(&copy.body) else {
                        continue;
                    };
                    m.pinned = pin;
                    let body = enums::Message::from(m).to_bytes();
                    store::messages::replace(tx, owner, id, &copy.text, &body, copy.edit_date)?;
                    let update = |pts| -> enums::Update {
                        types::UpdatePinnedMessages {
                            pinned: pin,
                            peer: peer_tl(copy.peer),
                            messages: vec![id],
                            pts,
                            pts_count: 1,
                        }
                        .into()
                    };
                    let pts = store::updates::append(tx, owner, 1, ctx.now, keep, |pts| update(pts).to_bytes())?;
                    logged.push((owner, update(pts)));
                }
                let delivered = match &service {
                    Some(out) => delivery::deliver(tx, out, &target.others, keep)?,
                    None => Vec::new(),
                };
                Ok::<_, StoreError>((logged, delivered))
            })
            .map_err(|e| failure::internal(&e))?;
        let mut answer = Vec::new();
        for (owner, update) in logged {
            if owner == me.id {
                answer.push(update.clone());
            }
            self.push_to(pushes, owner, ctx.auth_key_id, &delivery::updates_of(vec![update], ctx.now, vec![], vec![]));
        }
        self.push_delivered(pushes, &delivered, ctx.auth_key_id, ctx.now)?;
        let mine: Vec<&enums::Message> = delivered.first().map(|d| &d.message).into_iter().collect();
        if let Some(d) = delivered.first() {
            answer.push(delivery::new_message(d));
        }
        Ok(self.updates_with_refs(&me, answer, &mine, ctx.now)?.to_bytes())
    }
}
