//! `updates.getState` and `updates.getDifference` over every account's box
//! (<https://core.telegram.org/api/updates>): the state is the box's pts (qts and seq stay 0: no
//! secret chats, and `updates` are sent unnumbered), and the difference is what the box logged
//! after the client's pts: new messages in `new_messages` (as the box holds them now: edited
//! text, and none that were deleted since), every other event in `other_updates`, with the users
//! and chats they mention.
//!
//! A difference of more than [`DIFFERENCE_SLICE`] pts (or the client's `pts_limit`) comes as
//! `updates.differenceSlice`, to be fetched on from its `intermediate_state`; one longer than the
//! client's `pts_total_limit`, or from before what the log keeps
//! ([`ApiConfig::update_log_limit`](super::ApiConfig::update_log_limit)), is
//! `updates.differenceTooLong`: the client then reloads its dialogs.

use std::collections::BTreeSet;

use ferrogram_tl::functions::updates;
use ferrogram_tl::{enums, types, Deserializable, Serializable};

use super::delivery::{self};
use super::failure::{self, fail};
use super::{tl, Api};
use crate::context::{CallContext, RpcError};
use crate::store::UpdateState;

/// The most pts one `updates.getDifference` answer covers.
pub const DIFFERENCE_SLICE: i32 = 1000;
/// `pts_total_limit` at most (and its default once a box's pts is past
/// [`LARGE_PTS`]), as Telegram documents it.
const MAX_TOTAL_LIMIT: i32 = 1_000_000;
/// The pts from which `pts_total_limit` defaults to [`MAX_TOTAL_LIMIT`].
const LARGE_PTS: i32 = 4_000_000;

impl Api {
    /// `message` of `owner`'s box as it is now; `None` once deleted.
    fn current(&self, owner: i64, message: &enums::Message) -> Result<Option<enums::Message>, RpcError> {
        let id = match message {
            enums::Message::Message(m) => m.id,
            enums::Message::Service(m) => m.id,
            enums::Message::Empty(_) => return Ok(None),
        };
        let row = self.store.message(owner, id).map_err(|e| failure::internal(&e))?;
        Ok(row.map(|row| super::history::decode_row(&row)))
    }

    fn state_tl(
        &self,
        user_id: i64,
        state: &UpdateState,
        pts: i32,
        date: i64,
    ) -> Result<enums::updates::State, RpcError> {
        let unread = self.store.unread_total(user_id).map_err(|e| failure::internal(&e))?;
        Ok(types::updates::State {
            pts,
            qts: state.qts,
            date: tl::clamp_i32(date),
            seq: state.seq,
            unread_count: tl::clamp_i32(unread),
        }
        .into())
    }

    /// `updates.getState`: the account's box as it is now, at the call's time.
    pub(crate) fn get_state(&self, ctx: &CallContext, _req: updates::GetState) -> Result<Vec<u8>, RpcError> {
        let me = self.me(ctx)?;
        let state = self.store.update_state(me.id).map_err(|e| failure::internal(&e))?;
        Ok(self.state_tl(me.id, &state, state.pts, ctx.now)?.to_bytes())
    }

    /// `updates.getDifference`: what the account's box logged after the client's `pts`.
    pub(crate) fn get_difference(&self, ctx: &CallContext, req: updates::GetDifference) -> Result<Vec<u8>, RpcError> {
        let errors = updates::GetDifference::POSSIBLE_ERRORS;
        let me = self.me(ctx)?;
        if req.pts <= 0 {
            return Err(fail(errors, "PERSISTENT_TIMESTAMP_EMPTY"));
        }
        let state = self.store.update_state(me.id).map_err(|e| failure::internal(&e))?;
        if req.pts > state.pts || req.qts < 0 || req.qts > state.qts {
            return Err(fail(errors, "PERSISTENT_TIMESTAMP_INVALID"));
        }
        if req.date <= 0 {
            return Err(fail(errors, "DATE_EMPTY"));
        }
        if req.pts == state.pts {
            let empty = types::updates::DifferenceEmpty { date: tl::clamp_i32(ctx.now), seq: state.seq };
            return Ok(enums::updates::Difference::from(empty).to_bytes());
        }
        let total_limit = match req.pts_total_limit {
            Some(limit) => Some(limit.clamp(1, MAX_TOTAL_LIMIT)),
            None => (state.pts > LARGE_PTS).then_some(MAX_TOTAL_LIMIT),
        };
        let behind = i64::from(state.pts) - i64::from(req.pts);
        if req.pts < state.pruned_to || total_limit.is_some_and(|limit| behind > i64::from(limit)) {
            return Ok(
                enums::updates::Difference::from(types::updates::DifferenceTooLong { pts: state.pts }).to_bytes()
            );
        }
        let slice = req.pts_limit.map_or(DIFFERENCE_SLICE, |limit| limit.clamp(1, DIFFERENCE_SLICE));
        let rows = self.store.updates_after(me.id, req.pts, slice as usize).map_err(|e| failure::internal(&e))?;
        let mut new_messages = Vec::new();
        let mut other_updates = Vec::new();
        let (mut users, mut chats) = (BTreeSet::new(), BTreeSet::new());
        let mut reached = (req.pts, state.date);
        for (index, row) in rows.iter().enumerate() {
            if index > 0 && i64::from(row.pts) - i64::from(req.pts) > i64::from(slice) {
                break;
            }
            reached = (row.pts, row.date);
            let Ok(update) = enums::Update::from_bytes_exact(&row.body) else {
                tracing::warn!(user = me.id, pts = row.pts, "an update log entry does not decode");
                continue;
            };
            match update {
                enums::Update::NewMessage(new) => {
                    // As the box holds it now (edited, or gone), as Telegram's difference does.
                    let Some(current) = self.current(me.id, &new.message)? else { continue };
                    delivery::refs_of(&current, &mut users, &mut chats);
                    new_messages.push(current);
                }
                other => {
                    refs_of_update(&other, &mut users, &mut chats);
                    other_updates.push(other);
                }
            }
        }
        let (users, chats) = self.peers_view(&me, &users, &chats)?;
        let answer: enums::updates::Difference = if reached.0 < state.pts {
            types::updates::DifferenceSlice {
                new_messages,
                new_encrypted_messages: Vec::new(),
                other_updates,
                chats,
                users,
                intermediate_state: self.state_tl(me.id, &state, reached.0, reached.1)?,
            }
            .into()
        } else {
            types::updates::Difference {
                new_messages,
                new_encrypted_messages: Vec::new(),
                other_updates,
                chats,
                users,
                // Events logged since `state` was read may be in too: the state covers them.
                state: self.state_tl(me.id, &state, state.pts.max(reached.0), state.date.max(reached.1))?,
            }
            .into()
        };
        Ok(answer.to_bytes())
    }
}

/// The users and chats an update other than a new message refers to.
fn refs_of_update(update: &enums::Update, users: &mut BTreeSet<i64>, chats: &mut BTreeSet<i64>) {
    let mut peer = |p: &enums::Peer| match p {
        enums::Peer::User(u) => {
            users.insert(u.user_id);
        }
        enums::Peer::Chat(c) => {
            chats.insert(c.chat_id);
        }
        enums::Peer::Channel(_) => {}
    };
    match update {
        enums::Update::EditMessage(e) => delivery::refs_of(&e.message, users, chats),
        enums::Update::ReadHistoryInbox(r) => peer(&r.peer),
        enums::Update::ReadHistoryOutbox(r) => peer(&r.peer),
        enums::Update::PinnedMessages(p) => peer(&p.peer),
        enums::Update::ChatParticipants(p) => {
            if let enums::ChatParticipants::ChatParticipants(p) = &p.participants {
                chats.insert(p.chat_id);
            }
        }
        _ => {}
    }
}
