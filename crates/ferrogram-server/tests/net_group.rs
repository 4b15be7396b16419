//! Three accounts in a basic group over real sockets: creation, a message, an edit, a read, a
//! forward to a private chat and a revoked delete. Every party's pushed updates arrive in order
//! with consecutive pts in its own box (no hole, no repeat), and each carries what happened.

mod common;
mod messaging;
mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::LocalServer;
use ferrogram_tl::{enums, functions, types, Deserializable};
use messaging::send_request;
use support::*;

/// A signed-in client and the pts its box is known to be at.
struct Party {
    client: RawClient,
    pts: i32,
}

impl Party {
    async fn join(server: &LocalServer, phone: &str, name: &str) -> Party {
        let mut client = RawClient::to_dc(server, 2, TransportKind::Abridged).await.expect("connects");
        client.exchange_key(server.public_key()).await.expect("key exchange");
        client.log_in_test_number(phone, name).await.expect("login");
        let enums::updates::State::State(state) = client.invoke(&functions::updates::GetState {}).await.expect("state");
        Party { client, pts: state.pts }
    }

    /// Applies the pts of an answer the party got itself.
    fn applied(&mut self, pts: i32, pts_count: i32) {
        assert_eq!(pts - pts_count, self.pts, "an answer's pts follows the last one");
        self.pts = pts;
    }

    /// The next pushed update, its pts checked against the box's: consecutive, no hole.
    async fn next(&mut self) -> Vec<Got> {
        let bytes = self.client.next_update().await.expect("an update arrives");
        let (got, pts) = match enums::Updates::from_bytes_exact(&bytes).expect("Updates") {
            enums::Updates::UpdateShortChatMessage(m) => (vec![Got::New(m.id, m.message)], Some((m.pts, m.pts_count))),
            enums::Updates::UpdateShortMessage(m) => (vec![Got::New(m.id, m.message)], Some((m.pts, m.pts_count))),
            enums::Updates::Updates(u) => {
                let pts = u.updates.iter().filter_map(pts_of).fold(None, |first: Option<(i32, i32)>, (pts, count)| {
                    Some(first.map_or((pts, count), |(_, c)| (pts, c + count)))
                });
                (u.updates.iter().map(got_of).collect(), pts)
            }
            other => panic!("unexpected push {other:?}"),
        };
        if let Some((pts, count)) = pts {
            assert_eq!(pts - count, self.pts, "pushes arrive in pts order with no hole: {got:?}");
            self.pts = pts;
        }
        got
    }
}

/// What a pushed update said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    New(i32, String),
    Edit(i32, String),
    Deleted(Vec<i32>),
    ReadOutbox(i32),
    Other,
}

fn got_of(update: &enums::Update) -> Got {
    let text = |message: &enums::Message| match message {
        enums::Message::Message(m) => (m.id, m.message.clone()),
        enums::Message::Service(m) => (m.id, String::new()),
        enums::Message::Empty(m) => (m.id, String::new()),
    };
    match update {
        enums::Update::NewMessage(u) => {
            let (id, t) = text(&u.message);
            Got::New(id, t)
        }
        enums::Update::EditMessage(u) => {
            let (id, t) = text(&u.message);
            Got::Edit(id, t)
        }
        enums::Update::DeleteMessages(u) => Got::Deleted(u.messages.clone()),
        enums::Update::ReadHistoryOutbox(u) => Got::ReadOutbox(u.max_id),
        _ => Got::Other,
    }
}

fn pts_of(update: &enums::Update) -> Option<(i32, i32)> {
    match update {
        enums::Update::NewMessage(u) => Some((u.pts, u.pts_count)),
        enums::Update::EditMessage(u) => Some((u.pts, u.pts_count)),
        enums::Update::DeleteMessages(u) => Some((u.pts, u.pts_count)),
        enums::Update::ReadHistoryInbox(u) => Some((u.pts, u.pts_count)),
        enums::Update::ReadHistoryOutbox(u) => Some((u.pts, u.pts_count)),
        _ => None,
    }
}

fn as_input(user: &types::User) -> enums::InputUser {
    types::InputUser { user_id: user.id, access_hash: user.access_hash.expect("a hash") }.into()
}

fn affected(answer: enums::messages::AffectedMessages) -> (i32, i32) {
    let enums::messages::AffectedMessages::AffectedMessages(a) = answer;
    (a.pts, a.pts_count)
}

fn last_pts(updates: &enums::Updates) -> (i32, i32) {
    let enums::Updates::Updates(u) = updates else { panic!("expected updates, got {updates:?}") };
    let mut first = None;
    let mut last = None;
    for (pts, count) in u.updates.iter().filter_map(pts_of) {
        first.get_or_insert(pts - count);
        last = Some(pts);
    }
    let (first, last) = (first.expect("a pts update"), last.expect("a pts update"));
    (last, last - first)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_conversation_reaches_every_member_in_order() {
    let server = start_server().await;
    let mut ada = Party::join(&server, "9996621101", "Ada").await;
    let mut bob = Party::join(&server, "9996621102", "Bob").await;
    let mut carol = Party::join(&server, "9996621103", "Carol").await;
    let bob_user = ada.client.import_contact("9996621102").await.expect("import");
    let carol_user = ada.client.import_contact("9996621103").await.expect("import");

    // Ada makes the group: each member gets the creation in its own box.
    let create = functions::messages::CreateChat {
        users: vec![as_input(&bob_user), as_input(&carol_user)],
        title: "Trio".into(),
        ttl_period: None,
    };
    let enums::messages::InvitedUsers::InvitedUsers(invited) = ada.client.invoke(&create).await.expect("createChat");
    let (pts, count) = last_pts(&invited.updates);
    ada.applied(pts, count);
    let enums::Updates::Updates(created) = &invited.updates else { panic!() };
    let Some(enums::Chat::Chat(chat)) = created.chats.first() else { panic!("{created:?}") };
    let group: enums::InputPeer = types::InputPeerChat { chat_id: chat.id }.into();
    for member in [&mut bob, &mut carol] {
        let got = member.next().await;
        assert!(got.iter().any(|g| matches!(g, Got::New(_, text) if text.is_empty())), "the creation: {got:?}");
    }

    // Ada writes: both others get it, from Ada, in the group.
    let answer = ada.client.invoke(&send_request(&group, "hi all", 1)).await.expect("sent");
    let (pts, count) = last_pts(&answer);
    ada.applied(pts, count);
    let mut ids = Vec::new();
    for member in [&mut bob, &mut carol] {
        let got = member.next().await;
        let [Got::New(id, text)] = got.as_slice() else { panic!("{got:?}") };
        assert_eq!(text, "hi all");
        ids.push(*id);
    }

    // Ada edits: each member sees the edit of its own copy.
    let answer = ada.client.invoke_raw(ferrogram_tl::Serializable::to_bytes(&edit(group.clone(), 2, "hi all!"))).await;
    let answer = enums::Updates::from_bytes_exact(&answer.expect("edited")).expect("Updates");
    let (pts, count) = last_pts(&answer);
    ada.applied(pts, count);
    for (member, id) in [(&mut bob, ids[0]), (&mut carol, ids[1])] {
        let got = member.next().await;
        assert_eq!(got, vec![Got::Edit(id, "hi all!".into())]);
    }

    // Carol reads: Ada's outbox follows, Bob hears nothing of it.
    let read = functions::messages::ReadHistory { peer: group.clone(), max_id: 0 };
    let (pts, count) = affected(carol.client.invoke(&read).await.expect("read"));
    carol.applied(pts, count);
    let got = ada.next().await;
    assert_eq!(got, vec![Got::ReadOutbox(2)]);

    // Carol forwards the message to Bob privately: Bob gets a new message in their chat.
    let to_bob = carol.client.import_contact("9996621102").await.expect("import");
    let forward = functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: false,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: group.clone(),
        id: vec![ids[1]],
        random_id: vec![5],
        to_peer: types::InputPeerUser { user_id: to_bob.id, access_hash: to_bob.access_hash.expect("hash") }.into(),
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    let answer = carol.client.invoke(&forward).await.expect("forwarded");
    let (pts, count) = last_pts(&answer);
    carol.applied(pts, count);
    let got = bob.next().await;
    assert!(got.iter().any(|g| matches!(g, Got::New(_, text) if text == "hi all!")), "{got:?}");

    // Ada revokes her message: it goes from every member's box.
    let delete = functions::messages::DeleteMessages { revoke: true, id: vec![2] };
    let (pts, count) = affected(ada.client.invoke(&delete).await.expect("deleted"));
    ada.applied(pts, count);
    for (member, id) in [(&mut bob, ids[0]), (&mut carol, ids[1])] {
        let got = member.next().await;
        assert_eq!(got, vec![Got::Deleted(vec![id])]);
    }
    assert_eq!(ada.client.pending_updates() + bob.client.pending_updates() + carol.client.pending_updates(), 0);
    server.shutdown().await;
}

fn edit(peer: enums::InputPeer, id: i32, text: &str) -> functions::messages::EditMessage {
    functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer,
        id,
        message: Some(text.into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    }
}
