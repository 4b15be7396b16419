//! `iter_dialogs` across pages: 250 chats come once each, newest first, and each can then be
//! named by id (the pages fed the peer cache).

mod messaging_support;
mod updates_support;

use std::collections::HashSet;

use ferrogram::{MemorySession, Peer};
use ferrogram_server::net::acting::Recipient;
use messaging_support::*;
use updates_support::*;

const CHATS: usize = 250;

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_and_fifty_dialogs_page_by_page() {
    let server = server().await;
    let ann_id = create_named(&server, "+9996636001", "Ann", "ann_d");
    let mut senders = Vec::new();
    for n in 0..CHATS {
        let id = create(&server, &format!("+9996637{n:03}"), "Friend");
        server.send_message_as(id, &Recipient::User(ann_id), &format!("from friend {n}")).expect("send");
        senders.push(id);
    }
    let ann = signed_in(&server, "+9996636001", MemorySession::new()).await;

    let mut dialogs = ann.iter_dialogs();
    let mut seen = Vec::new();
    while let Some(dialog) = dialogs.next().await {
        let dialog = dialog.expect("a dialog");
        let top = dialog.top_message.expect("its top message");
        seen.push((dialog.peer, top.id, top.text));
    }
    assert_eq!(seen.len(), CHATS);
    let distinct: HashSet<Peer> = seen.iter().map(|(peer, _, _)| *peer).collect();
    assert_eq!(distinct.len(), CHATS);
    // Newest first: the last friend's chat leads.
    assert!(seen.windows(2).all(|w| w[0].1 > w[1].1));
    let expected: Vec<Peer> = senders.iter().rev().map(|id| Peer::User(*id)).collect();
    assert_eq!(seen.iter().map(|(peer, _, _)| *peer).collect::<Vec<_>>(), expected);
    assert_eq!(seen[0].2, format!("from friend {}", CHATS - 1));

    // Every friend can now be named by id.
    for id in [senders[0], senders[CHATS / 2], senders[CHATS - 1]] {
        ann.send_message(id, "thanks").await.expect("known from the dialogs");
    }
    let limited = {
        let mut iter = ann.iter_dialogs().limit(120);
        let mut n = 0;
        while let Some(d) = iter.next().await {
            d.expect("a dialog");
            n += 1;
        }
        n
    };
    assert_eq!(limited, 120);
    server.shutdown().await;
}
