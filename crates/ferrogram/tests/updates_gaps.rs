//! Gaps the server makes on purpose: withheld pushes, `updatesTooLong`, a dropped connection.
//! Each is noticed and filled by `updates.getDifference`, with nothing lost and nothing twice.

mod updates_support;

use std::time::Duration;

use ferrogram_tl::{enums, types, Serializable};
use updates_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn a_withheld_gap_is_recovered_by_get_difference_exactly_once() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621011", "Ann").await;
    let (bob, bob_id) = account(&server, "+9996621012", "Bob").await;
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621012").await;

    send(&ann, &to_bob, "m0").await;
    assert_eq!(texts_of(&bob, 1).await, ["m0"]);
    // The next two pushes never reach Bob: a real gap, seen when the third comes.
    assert_eq!(server.withhold_updates(bob_id, 2).unwrap(), 1);
    for i in 1..=5 {
        send(&ann, &to_bob, &format!("m{i}")).await;
    }
    assert_eq!(texts_of(&bob, 5).await, ["m1", "m2", "m3", "m4", "m5"]);
    // And nothing comes twice.
    assert_eq!(texts(&drain(&bob, Duration::from_millis(1500)).await), Vec::<String>::new());
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_too_long_and_a_dropped_connection_are_caught_up() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621013", "Ann").await;
    let (bob, bob_id) = account(&server, "+9996621014", "Bob").await;
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621014").await;

    // A withheld last push leaves no later one to show the gap; updatesTooLong says it.
    server.withhold_updates(bob_id, 1).unwrap();
    send(&ann, &to_bob, "lost push").await;
    assert_eq!(next(&bob, Duration::from_millis(700)).await, None);
    let too_long: enums::Updates = types::UpdatesTooLong {}.into();
    server.push_to_user(bob_id, &too_long.to_bytes()).unwrap();
    assert_eq!(texts_of(&bob, 1).await, ["lost push"]);

    // A push lost with a connection: the client reconnects and fetches the difference.
    server.withhold_updates(bob_id, 1).unwrap();
    send(&ann, &to_bob, "lost connection").await;
    assert!(server.drop_connections(bob_id).unwrap() >= 1);
    assert_eq!(texts_of(&bob, 1).await, ["lost connection"]);
    assert_eq!(texts(&drain(&bob, Duration::from_millis(1500)).await), Vec::<String>::new());
    server.shutdown().await;
}
