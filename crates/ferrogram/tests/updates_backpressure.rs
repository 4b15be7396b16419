//! A consumer that stops reading: the client holds at most `update_queue_capacity` events
//! however many arrive, and once it reads again every message comes, once and in order.

mod updates_support;

use std::time::Duration;

use ferrogram::ClientConfig;
use ferrogram::MemorySession;
use ferrogram_server::net::acting::Recipient;
use updates_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_consumer_keeps_memory_bounded_and_loses_nothing() {
    const CAPACITY: usize = 40;
    const SENT: usize = 300;
    let server = server().await;
    let ann_id = create(&server, "+9996621031", "Ann");
    let config = ClientConfig { update_queue_capacity: CAPACITY, ..config(&server) };
    let (bob, bob_id) = account_with(&server, "+9996621032", "Bob", MemorySession::new(), config).await;
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);

    // Bob does not read while all of these are pushed to him.
    let mut most = 0;
    for i in 0..SENT {
        server.send_message_as(ann_id, &Recipient::User(bob_id), &format!("m{i}")).unwrap();
        most = most.max(bob.queued_updates());
        if i % 50 == 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    most = most.max(bob.queued_updates());
    assert!(most <= CAPACITY, "{most} events queued, capacity {CAPACITY}");
    // Full: the rest was refused, for the difference to bring.
    assert_eq!(bob.queued_updates(), CAPACITY, "the queue filled up");

    // Reading again: everything, once, in order, never more than the capacity waiting.
    let mut got = Vec::new();
    while got.len() < SENT {
        let Some(update) = next(&bob, Duration::from_secs(10)).await else {
            panic!("only {} of {SENT} messages came", got.len());
        };
        got.extend(texts(std::slice::from_ref(&update)));
        most = most.max(bob.queued_updates());
    }
    assert!(most <= CAPACITY, "{most} events queued, capacity {CAPACITY}");
    let expected: Vec<String> = (0..SENT).map(|i| format!("m{i}")).collect();
    assert_eq!(got, expected);
    assert_eq!(texts(&drain(&bob, Duration::from_millis(1000)).await), Vec::<String>::new());
    assert_eq!(bob.queued_updates(), 0);
    server.shutdown().await;
}
