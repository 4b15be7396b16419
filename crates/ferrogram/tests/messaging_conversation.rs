//! Two clients converse through the local server with the high-level API only (no
//! hand-built `InputPeer`, no raw calls), and every event reaches the other side typed.

mod messaging_support;
mod updates_support;

use std::time::Duration;

use ferrogram::{InputMessage, Peer, Update};
use ferrogram_tl::{enums, functions, types, Serializable};
use messaging_support::*;
use updates_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_with_the_high_level_api() {
    let server = server().await;
    let (ann, ann_id) = named(&server, "+9996631001", "Ann", "ann_c").await;
    let (bob, bob_id) = named(&server, "+9996631002", "Bob", "bob_c").await;
    assert_eq!(next(&ann, Duration::from_millis(300)).await, None);
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);

    // Ann names Bob by phone; Bob gets the message.
    let hello = ann.send_message("+9996631002", "hello").await.unwrap();
    assert_eq!(
        (hello.peer, hello.sender_id, hello.out, hello.text.as_str()),
        (Peer::User(bob_id), Some(ann_id), true, "hello")
    );
    let (got, _) = wait_for(&bob, |u| match u {
        Update::NewMessage(m) if !m.out => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!((got.peer, got.sender_id, got.text.as_str()), (Peer::User(ann_id), Some(ann_id), "hello"));

    // Bob knows Ann from his dialogs, and answers by id, replying to her message.
    let mut dialogs = bob.iter_dialogs();
    let mut peers = Vec::new();
    while let Some(dialog) = dialogs.next().await {
        peers.push(dialog.unwrap().peer);
    }
    assert!(peers.contains(&Peer::User(ann_id)), "{peers:?}");
    let reply = bob.send_message(ann_id, InputMessage::from("hi Ann").reply_to(Some(got.id))).await.unwrap();
    assert_eq!(reply.reply_to, Some(got.id));
    let (answer, _) = wait_for(&ann, |u| match u {
        Update::NewMessage(m) if !m.out => Some(m.clone()),
        _ => None,
    })
    .await;
    assert_eq!((answer.text.as_str(), answer.reply_to), ("hi Ann", Some(hello.id)));

    // Typing.
    ann.send_typing(bob_id).await.unwrap();
    let (typing, _) = wait_for(&bob, |u| match u {
        Update::UserTyping { peer, user_id, .. } => Some((*peer, *user_id)),
        _ => None,
    })
    .await;
    assert_eq!(typing, (Peer::User(ann_id), ann_id));

    // An edit.
    let edited = ann.edit_message(bob_id, hello.id, "hello, edited").await.unwrap();
    assert_eq!((edited.id, edited.text.as_str()), (hello.id, "hello, edited"));
    assert!(edited.edit_date.is_some());
    let (seen, _) = wait_for(&bob, |u| match u {
        Update::MessageEdited(m) => Some((m.id, m.text.clone())),
        _ => None,
    })
    .await;
    assert_eq!(seen, (got.id, "hello, edited".to_string()));

    // Bob reads: Ann sees her outbox read.
    bob.mark_as_read(ann_id).await.unwrap();
    let (read, _) = wait_for(&ann, |u| match u {
        Update::ReadHistory { peer, max_id, outgoing: true } => Some((*peer, *max_id)),
        _ => None,
    })
    .await;
    assert_eq!(read, (Peer::User(bob_id), hello.id));

    // A search, a lookup by id, a forward to Saved Messages naming its origin.
    let mut found = ann.search_messages(bob_id, "EDITED");
    let first = found.next().await.expect("a match").unwrap();
    assert_eq!(first.id, hello.id);
    assert!(found.next().await.is_none());
    let by_id = ann.get_messages_by_id(bob_id, &[hello.id, answer.id, 999_999]).await.unwrap();
    let texts: Vec<Option<&str>> = by_id.iter().map(|m| m.as_ref().map(|m| m.text.as_str())).collect();
    assert_eq!(texts, [Some("hello, edited"), Some("hi Ann"), None]);
    let copies = ann.forward_messages("me", bob_id, &[answer.id]).await.unwrap();
    assert_eq!(copies.len(), 1);
    assert_eq!(
        (copies[0].peer, copies[0].forwarded_from, copies[0].text.as_str()),
        (Peer::User(ann_id), Some(Peer::User(bob_id)), "hi Ann")
    );

    // A delete for both.
    assert_eq!(ann.delete_messages(bob_id, &[hello.id], true).await.unwrap(), 1);
    let (deleted, _) = wait_for(&bob, |u| match u {
        Update::MessagesDeleted { ids, .. } => Some(ids.clone()),
        _ => None,
    })
    .await;
    assert_eq!(deleted, vec![got.id]);
    assert_eq!(bob.get_messages_by_id(ann_id, &[got.id]).await.unwrap(), vec![None]);

    // A status change, pushed as the server would.
    let status = types::UpdateUserStatus {
        user_id: ann_id,
        status: types::UserStatusOnline { expires: now() as i32 + 60 }.into(),
    };
    let pushed: enums::Updates = types::UpdateShort { update: status.into(), date: now() as i32 }.into();
    server.push_to_user(bob_id, &pushed.to_bytes()).unwrap();
    let (online, _) = wait_for(&bob, |u| match u {
        Update::UserStatus { user_id, status: enums::UserStatus::Online(_) } => Some(*user_id),
        _ => None,
    })
    .await;
    assert_eq!(online, ann_id);

    // Every call's own updates kept Ann's engine in step: once her events are taken, the state
    // she stands at is the server's.
    drain(&ann, Duration::from_millis(700)).await;
    let enums::updates::State::State(state) = ann.invoke(&functions::updates::GetState {}).await.unwrap();
    assert_eq!(ann.session_data().updates.map(|s| s.pts), Some(state.pts));
    server.shutdown().await;
}
