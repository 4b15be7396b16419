//! A 10,000-message history read with `iter_messages` in both directions: every id once, in
//! order, across a hundred pages; and the builder's bounds (limit, offset_id, min_id, max_id).

mod messaging_support;
mod updates_support;

use std::time::Instant;

use ferrogram::{Client, Message, MessageIter};
use ferrogram_server::net::acting::Recipient;
use messaging_support::*;
use updates_support::*;

const MESSAGES: usize = 10_000;

async fn collect(mut iter: MessageIter) -> Vec<Message> {
    let mut all = Vec::new();
    while let Some(message) = iter.next().await {
        all.push(message.expect("a message"));
    }
    all
}

async fn ids(iter: MessageIter) -> Vec<i32> {
    collect(iter).await.iter().map(|m| m.id).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ten_thousand_messages_in_order_both_ways() {
    let server = server().await;
    let ann_id = create_named(&server, "+9996635001", "Ann", "ann_h");
    let bob_id = create_named(&server, "+9996635002", "Bob", "bob_h");
    let started = Instant::now();
    for n in 0..MESSAGES {
        server.send_message_as(bob_id, &Recipient::User(ann_id), &format!("m{n}")).expect("send as Bob");
    }
    eprintln!("{MESSAGES} messages made in {:?}", started.elapsed());
    let ann: Client = signed_in(&server, "+9996635001", ferrogram::MemorySession::new()).await;

    // Newest first: every message once, ids strictly falling, texts in the order sent.
    let started = Instant::now();
    let newest_first = collect(ann.iter_messages("@bob_h")).await;
    eprintln!("read {} newest first in {:?}", newest_first.len(), started.elapsed());
    assert_eq!(newest_first.len(), MESSAGES);
    assert!(newest_first.windows(2).all(|w| w[0].id > w[1].id));
    for (n, message) in newest_first.iter().rev().enumerate() {
        assert_eq!(message.text, format!("m{n}"));
        assert_eq!(message.sender_id, Some(bob_id));
    }

    // Oldest first: the same ids reversed.
    let oldest_first = ids(ann.iter_messages(bob_id).reverse(true)).await;
    let mut expected: Vec<i32> = newest_first.iter().map(|m| m.id).collect();
    expected.reverse();
    assert_eq!(oldest_first, expected);

    // The bounds, against what the full list says they should give.
    let all = &expected; // oldest first
    let pick = |from: usize, to: usize| all[from..to].to_vec();
    // The newest 250.
    let newest: Vec<i32> = ids(ann.iter_messages(bob_id).limit(250)).await;
    assert_eq!(newest, pick(MESSAGES - 250, MESSAGES).into_iter().rev().collect::<Vec<_>>());
    // Below an offset, newest first; above it, oldest first (the offset itself excluded).
    let pivot = all[5_000];
    let below = ids(ann.iter_messages(bob_id).offset_id(pivot).limit(150)).await;
    assert_eq!(below, pick(4_850, 5_000).into_iter().rev().collect::<Vec<_>>());
    let above = ids(ann.iter_messages(bob_id).offset_id(pivot).reverse(true).limit(150)).await;
    assert_eq!(above, pick(5_001, 5_151));
    // Between min_id and max_id (both excluded), both ways.
    let (low, high) = (all[1_000], all[1_321]);
    let between = ids(ann.iter_messages(bob_id).min_id(low).max_id(high)).await;
    assert_eq!(between, pick(1_001, 1_321).into_iter().rev().collect::<Vec<_>>());
    let between_up = ids(ann.iter_messages(bob_id).min_id(low).max_id(high).reverse(true)).await;
    assert_eq!(between_up, pick(1_001, 1_321));
    // The total the server counts.
    let mut counted = ann.iter_messages(bob_id).limit(1);
    assert!(counted.next().await.is_some());
    assert_eq!(counted.total(), Some(MESSAGES as i32));
    // A search across pages.
    let found = ids(ann.search_messages(bob_id, "m99")).await;
    let expected_found: Vec<i32> = newest_first.iter().filter(|m| m.text.contains("m99")).map(|m| m.id).collect();
    assert_eq!(found, expected_found);
    assert_eq!(found.len(), 111);
    server.shutdown().await;
}
