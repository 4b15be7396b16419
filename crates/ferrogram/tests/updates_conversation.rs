//! Two clients converse through the local server, and every kind of event arrives as its typed
//! `ferrogram::Update`: new message, edit, typing, read, delete, user status, and a raw update.

mod updates_support;

use std::pin::Pin;
use std::time::Duration;

use ferrogram::{Peer, Update};
use ferrogram_tl::{enums, functions, types, Serializable};
use updates_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_event_type_arrives_typed() {
    let server = server().await;
    let (ann, ann_id) = account(&server, "+9996621001", "Ann").await;
    let (bob, bob_id) = account(&server, "+9996621002", "Bob").await;
    // The first call fetches each one's state; nothing is pending.
    assert_eq!(next(&ann, Duration::from_millis(300)).await, None);
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621002").await;
    let to_ann = peer(&bob, "+9996621001").await;

    // A new message.
    let sent = send(&ann, &to_bob, "hello").await;
    let (message, skipped) = wait_for(&bob, |u| match u {
        Update::NewMessage(m) => Some(m.clone()),
        _ => None,
    })
    .await;
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!((message.text.as_str(), message.peer, message.sender_id), ("hello", Peer::User(ann_id), Some(ann_id)));
    assert!(!message.out);

    // Typing.
    let typing = functions::messages::SetTyping {
        peer: to_bob.clone(),
        top_msg_id: None,
        action: types::SendMessageTypingAction {}.into(),
    };
    ann.invoke(&typing).await.unwrap();
    let (who, _) = wait_for(&bob, |u| match u {
        Update::UserTyping { peer, user_id, action: enums::SendMessageAction::SendMessageTypingAction(_) } => {
            Some((*peer, *user_id))
        }
        _ => None,
    })
    .await;
    assert_eq!(who, (Peer::User(ann_id), ann_id));

    // An edit: Bob sees it, and so does Ann (it came back as the call's answer).
    let edit = functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer: to_bob.clone(),
        id: sent,
        message: Some("hello, edited".into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    };
    ann.invoke(&edit).await.unwrap();
    let edited_text = |u: &Update| match u {
        Update::MessageEdited(m) => Some((m.id, m.text.clone(), m.edit_date.is_some())),
        _ => None,
    };
    let (edited, _) = wait_for(&bob, edited_text).await;
    assert_eq!(edited, (message.id, "hello, edited".to_string(), true));
    let (own, _) = wait_for(&ann, edited_text).await;
    assert_eq!(own, (sent, "hello, edited".to_string(), true));

    // Bob reads: Ann sees her outbox read.
    bob.invoke(&functions::messages::ReadHistory { peer: to_ann.clone(), max_id: message.id }).await.unwrap();
    let (read, _) = wait_for(&ann, |u| match u {
        Update::ReadHistory { peer, max_id, outgoing: true } => Some((*peer, *max_id)),
        _ => None,
    })
    .await;
    assert_eq!(read, (Peer::User(bob_id), sent));

    // Ann deletes for both: Bob's copy goes.
    ann.invoke(&functions::messages::DeleteMessages { revoke: true, id: vec![sent] }).await.unwrap();
    let (deleted, _) = wait_for(&bob, |u| match u {
        Update::MessagesDeleted { ids, channel_id: None } => Some(ids.clone()),
        _ => None,
    })
    .await;
    assert_eq!(deleted, vec![message.id]);

    // A status and an update without a typed event, pushed as the server would.
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
    let raw: enums::Updates = types::UpdateShort { update: types::UpdateConfig {}.into(), date: 1 }.into();
    server.push_to_user(bob_id, &raw.to_bytes()).unwrap();
    let (config, _) =
        wait_for(&bob, |u| matches!(u, Update::Raw(raw) if matches!(**raw, enums::Update::Config(_))).then_some(()))
            .await;
    assert_eq!(config, ());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_updates_stream_yields_the_same_events() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621003", "Ann").await;
    let (bob, _) = account(&server, "+9996621004", "Bob").await;
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621004").await;
    let mut stream = bob.updates();
    for text in ["one", "two"] {
        send(&ann, &to_bob, text).await;
    }
    let mut got = Vec::new();
    while got.len() < 2 {
        let item = std::future::poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut stream), cx));
        let item = tokio::time::timeout(Duration::from_secs(10), item).await.expect("an event in time");
        got.extend(texts(&[item.expect("never ends").expect("no error")]));
    }
    assert_eq!(got, ["one", "two"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_pushed_before_the_first_call_still_come() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621005", "Ann").await;
    let (bob, _) = account(&server, "+9996621006", "Bob").await;
    let to_bob = peer(&ann, "+9996621006").await;
    // Bob has never asked for an update (no state yet) when these reach him.
    for text in ["early 1", "early 2"] {
        send(&ann, &to_bob, text).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    send(&ann, &to_bob, "early 3").await;
    assert_eq!(texts_of(&bob, 3).await, ["early 1", "early 2", "early 3"]);
    send(&ann, &to_bob, "later").await;
    assert_eq!(texts_of(&bob, 1).await, ["later"]);
    assert_eq!(texts(&drain(&bob, Duration::from_millis(1000)).await), Vec::<String>::new());
    server.shutdown().await;
}
