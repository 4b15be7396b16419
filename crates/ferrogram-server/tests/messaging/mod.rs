//! Shared helpers of the messaging tests: signed-in accounts (with more than one auth key when a
//! test needs one), peers as one account sees another (through `contacts.importContacts`, as a
//! client learns an access hash), calls through `Api::call_with_pushes`, and decoders for the
//! answers and pushes.
#![allow(dead_code)]

use ferrogram_server::api::Push;
use ferrogram_server::{Api, CallContext, RpcError};
use ferrogram_tl::{enums, functions, types, Deserializable, RemoteCall};

use crate::common::*;

/// A signed-in account and the key its first session uses.
#[derive(Debug, Clone)]
pub struct Account {
    pub ctx: CallContext,
    pub user: types::User,
    pub phone: String,
}

/// `n` accounts of test-DC numbers on DC 2, signed up in order (`Ada`, `Bob`, `Carol`, ...).
pub fn accounts(api: &Api, n: usize) -> Vec<Account> {
    const NAMES: [&str; 5] = ["Ada", "Bob", "Carol", "Dan", "Eve"];
    (0..n)
        .map(|i| {
            let phone = format!("999662{:04}", 1001 + i);
            let ctx = new_key(api, 2, 100 + i as u64);
            let user = sign_up(api, &ctx, &phone, NAMES[i % NAMES.len()]);
            Account { ctx, user, phone }
        })
        .collect()
}

/// Another auth key signed in as `account` (another device).
pub fn second_key(api: &Api, account: &Account, seed: u64) -> CallContext {
    let ctx = new_key(api, 2, seed);
    sign_in(api, &ctx, &account.phone);
    ctx
}

/// Invokes `request` through `Api::call_with_pushes`: the decoded answer and the pushes.
pub fn call_p<R: RemoteCall>(api: &Api, ctx: &CallContext, request: &R) -> (Result<R::Return, RpcError>, Vec<Push>) {
    let mut pushes = Vec::new();
    let answer = api.call_with_pushes(ctx, &ferrogram_tl::Serializable::to_bytes(request), &mut pushes);
    let answer = answer.map(|bytes| R::Return::from_bytes_exact(&bytes).expect("the answer decodes"));
    (answer, pushes)
}

/// The pushes for one auth key, decoded.
pub fn pushes_for(pushes: &[Push], ctx: &CallContext) -> Vec<enums::Updates> {
    pushes
        .iter()
        .filter(|p| p.auth_key_id == ctx.auth_key_id)
        .map(|p| enums::Updates::from_bytes_exact(&p.updates).expect("a push decodes as Updates"))
        .collect()
}

/// The one push for `ctx`.
#[track_caller]
pub fn only_push(pushes: &[Push], ctx: &CallContext) -> enums::Updates {
    let mut found = pushes_for(pushes, ctx);
    assert_eq!(found.len(), 1, "pushes for this key: {found:?}");
    found.remove(0)
}

/// `other` as `me` sees it (imported as a contact by phone), as an input peer.
pub fn peer_of(api: &Api, me: &Account, other: &Account) -> enums::InputPeer {
    let user = user_seen_by(api, me, other);
    types::InputPeerUser { user_id: user.id, access_hash: user.access_hash.unwrap() }.into()
}

/// `other` as `me` sees it, as an input user.
pub fn input_user_of(api: &Api, me: &Account, other: &Account) -> enums::InputUser {
    let user = user_seen_by(api, me, other);
    types::InputUser { user_id: user.id, access_hash: user.access_hash.unwrap() }.into()
}

fn user_seen_by(api: &Api, me: &Account, other: &Account) -> types::User {
    let contact = types::InputPhoneContact {
        client_id: other.user.id,
        phone: other.phone.clone(),
        first_name: other.user.first_name.clone().unwrap_or_default(),
        last_name: String::new(),
        note: None,
    };
    let request = functions::contacts::ImportContacts { contacts: vec![contact.into()] };
    let enums::contacts::ImportedContacts::ImportedContacts(imported) = call(api, &me.ctx, &request).unwrap();
    match imported.users.into_iter().next() {
        Some(enums::User::User(u)) => u,
        other => panic!("expected the imported user, got {other:?}"),
    }
}

pub fn self_peer() -> enums::InputPeer {
    types::InputPeerSelf {}.into()
}

pub fn chat_peer(chat_id: i64) -> enums::InputPeer {
    types::InputPeerChat { chat_id }.into()
}

pub fn send_request(peer: &enums::InputPeer, text: &str, random_id: i64) -> functions::messages::SendMessage {
    functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: peer.clone(),
        reply_to: None,
        message: text.into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}

/// `messages.sendMessage` of `text`, expecting success: the answer and the pushes.
pub fn send(
    api: &Api,
    ctx: &CallContext,
    peer: &enums::InputPeer,
    text: &str,
    random_id: i64,
) -> (enums::Updates, Vec<Push>) {
    let (answer, pushes) = call_p(api, ctx, &send_request(peer, text, random_id));
    (answer.expect("the message is sent"), pushes)
}

/// The `updateShortSentMessage` of a private message.
#[track_caller]
pub fn short_sent(updates: &enums::Updates) -> &types::UpdateShortSentMessage {
    match updates {
        enums::Updates::UpdateShortSentMessage(sent) => sent,
        other => panic!("expected updateShortSentMessage, got {other:?}"),
    }
}

#[track_caller]
pub fn short_message(updates: &enums::Updates) -> &types::UpdateShortMessage {
    match updates {
        enums::Updates::UpdateShortMessage(m) => m,
        other => panic!("expected updateShortMessage, got {other:?}"),
    }
}

#[track_caller]
pub fn short_chat_message(updates: &enums::Updates) -> &types::UpdateShortChatMessage {
    match updates {
        enums::Updates::UpdateShortChatMessage(m) => m,
        other => panic!("expected updateShortChatMessage, got {other:?}"),
    }
}

/// The updates of an `updates` constructor.
#[track_caller]
pub fn updates_list(updates: &enums::Updates) -> &types::Updates {
    match updates {
        enums::Updates::Updates(u) => u,
        other => panic!("expected updates, got {other:?}"),
    }
}

#[track_caller]
pub fn plain(message: &enums::Message) -> &types::Message {
    match message {
        enums::Message::Message(m) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

pub fn history_request(
    peer: &enums::InputPeer,
    offset_id: i32,
    add_offset: i32,
    limit: i32,
) -> functions::messages::GetHistory {
    functions::messages::GetHistory {
        peer: peer.clone(),
        offset_id,
        offset_date: 0,
        add_offset,
        limit,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

/// The messages and the total count of a `messages.Messages` answer.
pub fn messages_of(answer: enums::messages::Messages) -> (Vec<enums::Message>, i32, bool) {
    match answer {
        enums::messages::Messages::Messages(m) => {
            let n = m.messages.len() as i32;
            (m.messages, n, false)
        }
        enums::messages::Messages::Slice(s) => (s.messages, s.count, true),
        other => panic!("unexpected {other:?}"),
    }
}

/// The ids of a history request's messages, its count and whether it was a slice.
pub fn history_ids(api: &Api, ctx: &CallContext, request: &functions::messages::GetHistory) -> (Vec<i32>, i32, bool) {
    let (messages, count, slice) = messages_of(call(api, ctx, request).unwrap());
    (messages.iter().map(id_of).collect(), count, slice)
}

pub fn id_of(message: &enums::Message) -> i32 {
    match message {
        enums::Message::Message(m) => m.id,
        enums::Message::Service(m) => m.id,
        enums::Message::Empty(m) => m.id,
    }
}

pub fn state(api: &Api, ctx: &CallContext) -> types::updates::State {
    let enums::updates::State::State(state) = call(api, ctx, &functions::updates::GetState {}).unwrap();
    state
}

pub fn difference_request(pts: i32) -> functions::updates::GetDifference {
    functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date: T0 as i32,
        qts: 0,
        qts_limit: None,
    }
}

/// The same call context at another time.
pub trait CallContextExt {
    fn at(&self, now: i64) -> Self;
}

impl CallContextExt for ferrogram_server::CallContext {
    fn at(&self, now: i64) -> Self {
        ferrogram_server::CallContext { now, ..self.clone() }
    }
}

pub fn dialogs_request(offset_date: i32, offset_id: i32, limit: i32) -> functions::messages::GetDialogs {
    functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date,
        offset_id,
        offset_peer: types::InputPeerEmpty {}.into(),
        limit,
        hash: 0,
    }
}
