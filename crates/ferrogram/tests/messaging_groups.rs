//! A basic group made and changed with the high-level API: created with members named by
//! username and phone, messages in it reach every member, members added and removed.

mod messaging_support;
mod updates_support;

use std::time::Duration;

use ferrogram::{ApiError, Peer, Update};
use ferrogram_tl::{enums, functions};
use messaging_support::*;
use updates_support::*;

/// Waits for the next incoming message in `chat` and returns its text (empty for a service
/// message).
async fn message_in(client: &ferrogram::Client, chat: Peer) -> String {
    wait_for(client, |u| match u {
        Update::NewMessage(m) if m.peer == chat && !m.out => Some(m.text.clone()),
        _ => None,
    })
    .await
    .0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_is_created_changed_and_talked_in() {
    let server = server().await;
    let (ann, ann_id) = named(&server, "+9996632001", "Ann", "ann_g").await;
    let (bob, bob_id) = named(&server, "+9996632002", "Bob", "bob_g").await;
    let (carl, carl_id) = named(&server, "+9996632003", "Carl", "carl_g").await;
    for client in [&ann, &bob, &carl] {
        assert_eq!(next(client, Duration::from_millis(300)).await, None);
    }

    let group = ann.create_group("Weekend", ["@bob_g"]).await.unwrap();
    assert!(matches!(group, Peer::Chat(_)), "{group:?}");
    // Bob gets the creation (a service message).
    assert_eq!(message_in(&bob, group).await, "");

    let sent = ann.send_message(group, "hello, group").await.unwrap();
    assert_eq!((sent.peer, sent.sender_id), (group, Some(ann_id)));
    assert_eq!(message_in(&bob, group).await, "hello, group");

    // Carl, named by phone, joins and talks; both others hear him.
    ann.add_member(group, "+9996632003").await.unwrap();
    assert_eq!(message_in(&carl, group).await, "");
    carl.send_message(group, "hi all").await.unwrap();
    assert_eq!(message_in(&bob, group).await, "", "the addition first");
    assert_eq!(message_in(&bob, group).await, "hi all");
    let (from_carl, _) = wait_for(&ann, |u| match u {
        Update::NewMessage(m) if m.peer == group && m.text == "hi all" => Some(m.sender_id),
        _ => None,
    })
    .await;
    assert_eq!(from_carl, Some(carl_id));

    // Bob is removed: he sees that, then nothing more from the group.
    ann.remove_member(group, bob_id).await.unwrap();
    assert_eq!(message_in(&bob, group).await, "");
    ann.send_message(group, "without Bob").await.unwrap();
    assert_eq!(message_in(&carl, group).await, "", "the removal first");
    assert_eq!(message_in(&carl, group).await, "without Bob");
    let late = drain(&bob, Duration::from_millis(500)).await;
    assert!(!late.iter().any(|u| matches!(u, Update::NewMessage(m) if m.text == "without Bob")), "{late:?}");

    // The group's history, as Ann has it, oldest first.
    let mut history = ann.iter_messages(group).reverse(true);
    let mut texts = Vec::new();
    while let Some(message) = history.next().await {
        texts.push(message.unwrap().text);
    }
    assert_eq!(texts, ["", "hello, group", "", "hi all", "", "without Bob"]);

    // The group calls' own updates (wrapped in `messages.invitedUsers` for the creation and
    // the additions) kept Ann's engine in step with the server.
    drain(&ann, Duration::from_millis(700)).await;
    let enums::updates::State::State(state) = ann.invoke(&functions::updates::GetState {}).await.unwrap();
    assert_eq!(ann.session_data().updates.map(|s| s.pts), Some(state.pts));

    // A user is not a group.
    let wrong = ann.add_member(bob_id, carl_id).await.unwrap_err();
    assert!(matches!(wrong, ApiError::WrongKind { expected: "a basic group", .. }), "{wrong:?}");
    server.shutdown().await;
}
