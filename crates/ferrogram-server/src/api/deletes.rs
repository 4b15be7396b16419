//! Deleting messages: `messages.deleteMessages` and `messages.deleteHistory`. `me`'s copies go
//! (one `updateDeleteMessages` in `me`'s box with `pts_count` = their number), and with `revoke`
//! every other copy of each message `me` may delete for everyone, each owner getting its own
//! `updateDeleteMessages` (<https://core.telegram.org/api/updates>).

use std::collections::{BTreeMap, BTreeSet};

use ferrogram_tl::functions::messages;
use ferrogram_tl::{enums, types, Serializable};
use rusqlite::Connection;

use super::delivery;
use super::failure;
use super::{Api, Push};
use crate::context::{CallContext, RpcError};
use crate::store::{self, chats, HistoryQuery, StoreError};

/// The most messages one call deletes (`messages.deleteHistory` answers an `offset` to go on).
const MAX_DELETE: usize = 1000;

/// An update logged in one box by a deletion: the owner, the update, its pts and pts_count.
type Logged = (i64, enums::Update, i32, i32);

/// Deletes the copies `ids` of `me` (and, with `revoke`, the other copies of those `me` may
/// revoke: any message in a private chat, in a group those `me` sent or all if `me` created it),
/// logging one `updateDeleteMessages` per box. Returns the ids of `me` that went and the logged
/// updates.
fn delete_copies(
    tx: &Connection,
    me: i64,
    ids: &BTreeSet<i32>,
    revoke: bool,
    now: i64,
    keep: u32,
) -> Result<(Vec<i32>, Vec<Logged>), StoreError> {
    let mut mine = Vec::new();
    let mut others: BTreeMap<i64, Vec<i32>> = BTreeMap::new();
    for id in ids {
        let Some(row) = store::messages::delete(tx, me, *id)? else { continue };
        mine.push(*id);
        if !revoke {
            continue;
        }
        let may_revoke = match row.peer {
            peer if peer > 0 => true,
            peer => row.out || chats::chat(tx, -peer)?.is_some_and(|c| c.creator == me),
        };
        if !may_revoke {
            continue;
        }
        for (owner, copy) in store::messages::copies(tx, row.origin_user, row.origin_id)? {
            if store::messages::delete(tx, owner, copy)?.is_some() {
                others.entry(owner).or_default().push(copy);
            }
        }
    }
    let mut logged = Vec::new();
    for (owner, ids) in std::iter::once((me, mine.clone())).chain(others) {
        if ids.is_empty() {
            continue;
        }
        let count = ids.len() as i32;
        let update = |pts| -> enums::Update {
            types::UpdateDeleteMessages { messages: ids.clone(), pts, pts_count: count }.into()
        };
        let pts = store::updates::append(tx, owner, count, now, keep, |pts| update(pts).to_bytes())?;
        logged.push((owner, update(pts), pts, count));
    }
    Ok((mine, logged))
}

impl Api {
    /// Runs a deletion and pushes its updates; returns `me`'s (pts, pts_count), pts_count 0 if
    /// nothing of `me`'s went.
    fn delete_and_push(
        &self,
        ctx: &CallContext,
        me: i64,
        ids: &BTreeSet<i32>,
        revoke: bool,
        pushes: &mut Vec<Push>,
    ) -> Result<(i32, i32), RpcError> {
        let keep = self.config.update_log_limit;
        let (mine, logged) = self
            .store
            .atomically("delete messages", |tx| delete_copies(tx, me, ids, revoke, ctx.now, keep))
            .map_err(|e| failure::internal(&e))?;
        let mut affected = None;
        for (owner, update, pts, count) in logged {
            if owner == me {
                affected = Some((pts, count));
            }
            self.push_to(pushes, owner, ctx.auth_key_id, &delivery::updates_of(vec![update], ctx.now, vec![], vec![]));
        }
        Ok(match affected {
            Some(done) if !mine.is_empty() => done,
            _ => (self.store.update_state(me).map_err(|e| failure::internal(&e))?.pts, 0),
        })
    }

    /// `messages.deleteMessages`: `me`'s copies of `id` (ids `me` does not have are skipped),
    /// and with `revoke` the other copies `me` may delete for everyone. Answers
    /// `messages.affectedMessages`.
    pub(crate) fn delete_messages(
        &self,
        ctx: &CallContext,
        req: messages::DeleteMessages,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let ids: BTreeSet<i32> = req.id.iter().copied().filter(|id| *id > 0).take(MAX_DELETE).collect();
        let (pts, pts_count) = self.delete_and_push(ctx, me.id, &ids, req.revoke, pushes)?;
        Ok(enums::messages::AffectedMessages::from(types::messages::AffectedMessages { pts, pts_count }).to_bytes())
    }

    /// `messages.deleteHistory`: `me`'s messages of a chat up to `max_id` (all with 0) between
    /// `min_date` and `max_date`, at most 1000 per call (a positive `offset` in the answer means
    /// "call again"); with `revoke` in a private chat, the other side's copies too. Answers
    /// `messages.affectedHistory`.
    pub(crate) fn delete_history(
        &self,
        ctx: &CallContext,
        req: messages::DeleteHistory,
        pushes: &mut Vec<Push>,
    ) -> Result<Vec<u8>, RpcError> {
        let errors = messages::DeleteHistory::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        let peer = self.readable(&me, &req.peer, errors)?;
        let query = HistoryQuery {
            max_id: if req.max_id > 0 { req.max_id.saturating_add(1) } else { 0 },
            min_date: i64::from(req.min_date.unwrap_or(0).max(0)),
            max_date: i64::from(req.max_date.unwrap_or(0).max(0)),
            limit: MAX_DELETE as u32,
            ..HistoryQuery::default()
        };
        let (rows, count) = self.store.history(me.id, Some(peer), &query).map_err(|e| failure::internal(&e))?;
        let ids: BTreeSet<i32> = rows.iter().map(|r| r.id).collect();
        // Revoking a whole history is for private chats; in a group only `me`'s copies go.
        let revoke = req.revoke && !req.just_clear && peer > 0;
        let (pts, pts_count) = self.delete_and_push(ctx, me.id, &ids, revoke, pushes)?;
        let left = (count - ids.len() as i64).clamp(0, i64::from(i32::MAX)) as i32;
        Ok(enums::messages::AffectedHistory::from(types::messages::AffectedHistory { pts, pts_count, offset: left })
            .to_bytes())
    }
}
