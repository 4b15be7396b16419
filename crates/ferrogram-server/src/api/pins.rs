//! Pinned dialogs: `messages.toggleDialogPin` and `messages.reorderPinnedDialogs`
//! (<https://core.telegram.org/api/pin#pinned-dialogs>). The caller's other sessions get
//! `updateDialogPinned` / `updatePinnedDialogs` (updates without pts).

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, ErrorInfo, Serializable};

use super::delivery::peer_tl;
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
        let (_, me) = self.user_of(ctx)?;
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
        let (_, me) = self.user_of(ctx)?;
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
}
