//! How a message reaches the boxes it belongs in (<https://core.telegram.org/api/updates>): one
//! copy per account, each under an id of that account's own sequence, each logged as an
//! `updateNewMessage` with that account's next pts; and how the other parties' sessions hear of
//! it (`updateShortMessage`, `updateShortChatMessage`, or `updates`), one [`Push`] per signed-in
//! auth key.

use std::collections::BTreeSet;

use ferrogram_tl::{enums, types, Identifiable, Serializable};
use rusqlite::Connection;

use super::failure;
use super::{tl, Api, Push};
use crate::context::RpcError;
use crate::store::{self, chat_peer, user_peer, MessageRow, RandomIds, StoreError, UserRecord};

/// The chat a message is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// A private chat between the sender and this user (the sender itself: Saved Messages).
    Private(i64),
    /// A basic group.
    Group(i64),
}

impl Place {
    /// The peer key of this chat in the box of `owner`, for a message from `sender`.
    pub(crate) fn peer_for(self, owner: i64, sender: i64) -> i64 {
        match self {
            Place::Private(to) if owner == sender => user_peer(to),
            Place::Private(_) => user_peer(sender),
            Place::Group(chat) => chat_peer(chat),
        }
    }
}

/// The `Peer` of a peer key.
pub(crate) fn peer_tl(key: i64) -> enums::Peer {
    if key < 0 {
        types::PeerChat { chat_id: -key }.into()
    } else {
        types::PeerUser { user_id: key }.into()
    }
}

/// What is sent, the same for every copy.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) sender: i64,
    pub(crate) place: Place,
    pub(crate) date: i64,
    pub(crate) text: String,
    pub(crate) entities: Option<Vec<enums::MessageEntity>>,
    pub(crate) silent: bool,
    pub(crate) fwd_from: Option<enums::MessageFwdHeader>,
    /// For a service message: its action (the text is then empty).
    pub(crate) action: Option<enums::MessageAction>,
    /// The id, in the sender's box, of the message this one answers.
    pub(crate) reply_to: Option<i32>,
    /// The sender's `random_id` for it, kept on the sender's copy (see `store/random_ids.rs`).
    pub(crate) random_id: Option<i64>,
}

/// One account's copy, as stored and logged.
#[derive(Debug, Clone)]
pub(crate) struct Delivered {
    pub(crate) owner: i64,
    pub(crate) id: i32,
    pub(crate) pts: i32,
    pub(crate) message: enums::Message,
}

/// The message as the box of `owner` holds it.
pub(crate) fn message_for(out: &Outgoing, owner: i64, id: i32, reply_to: Option<i32>) -> enums::Message {
    let mine = owner == out.sender;
    let peer = peer_tl(out.place.peer_for(owner, out.sender));
    // Private chats carry the sender only on the sender's copy (the peer is the sender of the
    // others); groups always do.
    let from_id = match out.place {
        Place::Private(_) if !mine => None,
        _ => Some(peer_tl(user_peer(out.sender))),
    };
    let saved = matches!(out.place, Place::Private(to) if to == out.sender);
    let reply_to = reply_to.map(|id| {
        Box::new(enums::MessageReplyHeader::from(types::MessageReplyHeader {
            reply_to_msg_id: Some(id),
            ..Default::default()
        }))
    });
    if let Some(action) = &out.action {
        return types::MessageService {
            out: mine,
            mentioned: false,
            media_unread: false,
            reactions_are_possible: false,
            silent: out.silent,
            post: false,
            legacy: false,
            id,
            from_id,
            peer_id: peer,
            saved_peer_id: None,
            reply_to,
            date: tl::clamp_i32(out.date),
            action: action.clone(),
            reactions: None,
            ttl_period: None,
        }
        .into();
    }
    let mentioned = !mine && mentions(out.entities.as_deref(), owner);
    types::Message {
        out: mine,
        mentioned,
        media_unread: mentioned,
        silent: out.silent,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id,
        from_id,
        from_boosts_applied: None,
        from_rank: None,
        peer_id: peer,
        saved_peer_id: saved.then(|| peer_tl(user_peer(out.sender))),
        fwd_from: out.fwd_from.clone().map(Box::new),
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to,
        date: tl::clamp_i32(out.date),
        message: out.text.clone(),
        media: None,
        reply_markup: None,
        entities: out.entities.clone(),
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into()
}

fn mentions(entities: Option<&[enums::MessageEntity]>, user_id: i64) -> bool {
    entities
        .unwrap_or_default()
        .iter()
        .any(|e| matches!(e, enums::MessageEntity::MentionName(m) if m.user_id == user_id))
}

/// Stores `out` in the sender's box and in each box of `others`, each under its own next id and
/// logged as `updateNewMessage` with its own next pts. The sender's copy comes first in the
/// answer.
pub(crate) fn deliver(
    conn: &Connection,
    out: &Outgoing,
    others: &[i64],
    keep: u32,
) -> Result<Vec<Delivered>, StoreError> {
    let mut delivered = Vec::with_capacity(others.len() + 1);
    let mut origin_id = 0;
    for owner in std::iter::once(out.sender).chain(others.iter().copied().filter(|o| *o != out.sender)) {
        let reply_to = match out.reply_to {
            Some(to) if owner == out.sender => Some(to),
            Some(to) => copy_in(conn, out.sender, to, owner)?,
            None => None,
        };
        // The id comes with the pts: the message is built inside the log entry's making.
        let (id, pts, (message, body)) = store::updates::advance(conn, owner, 1, 1, out.date, keep, |id, pts| {
            let message = message_for(out, owner, id, reply_to);
            let body = message.to_bytes();
            (new_message_bytes(&body, pts), (message, body))
        })?;
        if owner == out.sender {
            origin_id = id;
        }
        let row = MessageRow {
            owner,
            id,
            peer: out.place.peer_for(owner, out.sender),
            from_id: out.sender,
            out: owner == out.sender,
            date: out.date,
            edit_date: None,
            origin_user: out.sender,
            origin_id,
            text: out.text.clone(),
            body,
        };
        store::messages::insert(conn, &row, out.random_id.filter(|_| owner == out.sender))?;
        delivered.push(Delivered { owner, id, pts, message });
    }
    Ok(delivered)
}

/// Why a handler's store transaction was abandoned (nothing of it is kept).
#[derive(Debug)]
pub(crate) enum Abort {
    /// The store failed.
    Store(StoreError),
    /// The call is refused with this error.
    Refused(RpcError),
}

impl From<StoreError> for Abort {
    fn from(error: StoreError) -> Abort {
        Abort::Store(error)
    }
}

impl From<Abort> for RpcError {
    fn from(abort: Abort) -> RpcError {
        match abort {
            Abort::Store(error) => failure::internal(&error),
            Abort::Refused(error) => error,
        }
    }
}

/// Each of `messages` delivered as [`deliver`] does, in the caller's transaction; a
/// `random_id` the sender used before (among its latest messages) refuses them all with
/// `RANDOM_ID_DUPLICATE`. Returns the copies of each message, the sender's first.
pub(crate) fn deliver_new(
    conn: &Connection,
    random_ids: &RandomIds,
    messages: &[Outgoing],
    others: &[i64],
    keep: u32,
) -> Result<Vec<Vec<Delivered>>, Abort> {
    let mut all = Vec::with_capacity(messages.len());
    for out in messages {
        let Some(random_id) = out.random_id else {
            all.push(deliver(conn, out, others, keep)?);
            continue;
        };
        if random_ids.find(conn, out.sender, random_id)?.is_some() {
            return Err(Abort::Refused(failure::fail(&[], "RANDOM_ID_DUPLICATE")));
        }
        let delivered = deliver(conn, out, others, keep)?;
        if let Some(mine) = delivered.first() {
            random_ids.record(conn, out.sender, random_id, mine.id)?;
        }
        all.push(delivered);
    }
    Ok(all)
}

/// The id in the box of `owner` of the copy of `sender`'s message `id` (the sender's own id).
fn copy_in(conn: &Connection, sender: i64, id: i32, owner: i64) -> Result<Option<i32>, StoreError> {
    let Some(row) = store::messages::message(conn, sender, id)? else { return Ok(None) };
    let copies = store::messages::copies(conn, row.origin_user, row.origin_id)?;
    Ok(copies.into_iter().find(|(o, _)| *o == owner).map(|(_, id)| id))
}

/// A delivered copy as the short update its owner's sessions get: `updateShortMessage` in a
/// private chat, `updateShortChatMessage` in a group, `updates` for a service message.
pub(crate) fn short_update(
    d: &Delivered,
    date: i64,
    users: Vec<enums::User>,
    chats: Vec<enums::Chat>,
) -> enums::Updates {
    match &d.message {
        enums::Message::Message(m) => match &m.peer_id {
            enums::Peer::User(p) => types::UpdateShortMessage {
                out: m.out,
                mentioned: m.mentioned,
                media_unread: m.media_unread,
                silent: m.silent,
                id: m.id,
                user_id: p.user_id,
                message: m.message.clone(),
                pts: d.pts,
                pts_count: 1,
                date: m.date,
                fwd_from: m.fwd_from.clone(),
                via_bot_id: None,
                reply_to: m.reply_to.clone(),
                entities: m.entities.clone(),
                ttl_period: None,
            }
            .into(),
            enums::Peer::Chat(c) => types::UpdateShortChatMessage {
                out: m.out,
                mentioned: m.mentioned,
                media_unread: m.media_unread,
                silent: m.silent,
                id: m.id,
                from_id: match &m.from_id {
                    Some(enums::Peer::User(u)) => u.user_id,
                    _ => d.owner,
                },
                chat_id: c.chat_id,
                message: m.message.clone(),
                pts: d.pts,
                pts_count: 1,
                date: m.date,
                fwd_from: m.fwd_from.clone(),
                via_bot_id: None,
                reply_to: m.reply_to.clone(),
                entities: m.entities.clone(),
                ttl_period: None,
            }
            .into(),
            enums::Peer::Channel(_) => updates_of(vec![new_message(d)], date, users, chats),
        },
        _ => updates_of(vec![new_message(d)], date, users, chats),
    }
}

/// The serialized `updateNewMessage` of a serialized message at `pts` (one pts): the message is
/// serialized once for its row and its log entry, not once each.
fn new_message_bytes(message: &[u8], pts: i32) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(4 + message.len() + 8);
    bytes.extend_from_slice(&types::UpdateNewMessage::CONSTRUCTOR_ID.to_le_bytes());
    bytes.extend_from_slice(message);
    bytes.extend_from_slice(&pts.to_le_bytes());
    bytes.extend_from_slice(&1i32.to_le_bytes());
    bytes
}

/// `updateNewMessage` of a delivered copy.
pub(crate) fn new_message(d: &Delivered) -> enums::Update {
    types::UpdateNewMessage { message: d.message.clone(), pts: d.pts, pts_count: 1 }.into()
}

/// `updates` with these updates, users and chats, at `date` (unnumbered: seq 0).
pub(crate) fn updates_of(
    updates: Vec<enums::Update>,
    date: i64,
    users: Vec<enums::User>,
    chats: Vec<enums::Chat>,
) -> enums::Updates {
    types::Updates { updates, users, chats, date: tl::clamp_i32(date), seq: 0 }.into()
}

/// The user and chat ids a message refers to (sender, chat, forwarded-from, mentions).
pub(crate) fn refs_of(message: &enums::Message, users: &mut BTreeSet<i64>, chats: &mut BTreeSet<i64>) {
    let mut peer = |p: &enums::Peer| match p {
        enums::Peer::User(u) => {
            users.insert(u.user_id);
        }
        enums::Peer::Chat(c) => {
            chats.insert(c.chat_id);
        }
        enums::Peer::Channel(_) => {}
    };
    match message {
        enums::Message::Message(m) => {
            peer(&m.peer_id);
            m.from_id.iter().for_each(&mut peer);
            if let Some(enums::MessageFwdHeader::MessageFwdHeader(f)) = m.fwd_from.as_deref() {
                f.from_id.iter().for_each(&mut peer);
            }
            for e in m.entities.iter().flatten() {
                if let enums::MessageEntity::MentionName(n) = e {
                    users.insert(n.user_id);
                }
            }
        }
        enums::Message::Service(m) => {
            peer(&m.peer_id);
            m.from_id.iter().for_each(&mut peer);
            match &m.action {
                enums::MessageAction::ChatCreate(a) => users.extend(a.users.iter().copied()),
                enums::MessageAction::ChatAddUser(a) => users.extend(a.users.iter().copied()),
                enums::MessageAction::ChatDeleteUser(a) => {
                    users.insert(a.user_id);
                }
                _ => {}
            }
        }
        enums::Message::Empty(_) => {}
    }
}

impl Api {
    /// The users and chats with these ids as `viewer` sees them (unknown ids are left out).
    pub(crate) fn peers_view(
        &self,
        viewer: &UserRecord,
        users: &BTreeSet<i64>,
        chats: &BTreeSet<i64>,
    ) -> Result<(Vec<enums::User>, Vec<enums::Chat>), RpcError> {
        let mut user_list = Vec::with_capacity(users.len());
        for id in users {
            let record = if *id == viewer.id {
                Some(viewer.clone())
            } else {
                self.store.user(*id).map_err(|e| failure::internal(&e))?
            };
            if let Some(record) = record {
                user_list.push(self.user_view(viewer, &record)?);
            }
        }
        let mut chat_list = Vec::with_capacity(chats.len());
        for id in chats {
            if let Some(chat) = self.chat_view(viewer.id, *id)? {
                chat_list.push(chat);
            }
        }
        Ok((user_list, chat_list))
    }

    /// Queues `updates` for every auth key signed in as `user_id` except `except_key` (the
    /// calling key, which gets the answer instead).
    pub(crate) fn push_to(&self, pushes: &mut Vec<Push>, user_id: i64, except_key: i64, updates: &enums::Updates) {
        let keys = match self.store.auth_keys_of(user_id) {
            Ok(keys) => keys,
            Err(error) => {
                tracing::warn!(%error, "cannot list the keys to push to");
                return;
            }
        };
        let mut bytes = None;
        for key in keys.into_iter().filter(|k| *k != except_key) {
            let updates = bytes.get_or_insert_with(|| updates.to_bytes()).clone();
            pushes.push(Push { auth_key_id: key, updates });
        }
    }

    /// Pushes every delivered copy to its owner's sessions as its short update (the caller's
    /// own copy to the caller's other keys).
    pub(crate) fn push_delivered(
        &self,
        pushes: &mut Vec<Push>,
        delivered: &[Delivered],
        caller_key: i64,
        date: i64,
    ) -> Result<(), RpcError> {
        for d in delivered {
            // Short updates name their peers by id only; `updates` carry them.
            let (users, chats) = if matches!(d.message, enums::Message::Message(_)) {
                (Vec::new(), Vec::new())
            } else {
                let Some(owner) = self.store.user(d.owner).map_err(|e| failure::internal(&e))? else { continue };
                let (mut u, mut c) = (BTreeSet::new(), BTreeSet::new());
                refs_of(&d.message, &mut u, &mut c);
                self.peers_view(&owner, &u, &c)?
            };
            self.push_to(pushes, d.owner, caller_key, &short_update(d, date, users, chats));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_message_is_logged_as_its_update_would_serialize() {
        let out = Outgoing {
            sender: 7,
            place: Place::Private(9),
            date: 1_700_000_000,
            text: "hi".into(),
            entities: Some(vec![types::MessageEntityBold { offset: 0, length: 2 }.into()]),
            silent: false,
            fwd_from: None,
            action: None,
            reply_to: Some(3),
            random_id: Some(11),
        };
        let message = message_for(&out, 9, 41, Some(5));
        let update = enums::Update::from(types::UpdateNewMessage { message: message.clone(), pts: 1234, pts_count: 1 });
        assert_eq!(new_message_bytes(&message.to_bytes(), 1234), update.to_bytes());
    }
}
