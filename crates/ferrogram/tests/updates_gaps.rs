//! Gaps the server makes on purpose: withheld pushes, `updatesTooLong`, a dropped connection.
//! Each is noticed and filled by `updates.getDifference`, with nothing lost and nothing twice.

mod updates_support;

use std::time::Duration;

use ferrogram_mtproto::RpcError;
use ferrogram_tl::{enums, functions, types, Serializable};
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

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_difference_is_an_error_and_the_next_call_tries_again() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621015", "Ann").await;
    let (bob, bob_id) = account(&server, "+9996621016", "Bob").await;
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621016").await;

    server.faults().fail_method("updates.getDifference", RpcError::new(400, "TEST_REFUSED"), 1, Some(bob_id));
    server.withhold_updates(bob_id, 1).unwrap();
    send(&ann, &to_bob, "withheld").await;
    send(&ann, &to_bob, "pushed").await;
    let error = tokio::time::timeout(Duration::from_secs(10), bob.next_update()).await.expect("in time");
    assert!(matches!(&error, Err(ferrogram::InvocationError::Rpc(e)) if e.name == "TEST_REFUSED"), "{error:?}");
    assert_eq!(texts_of(&bob, 2).await, ["withheld", "pushed"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_accounts_own_calls_move_its_sequence_without_a_difference() {
    let server = server().await;
    let (ann, ann_id) = account(&server, "+9996621017", "Ann").await;
    let (bob, _) = account(&server, "+9996621018", "Bob").await;
    assert_eq!(next(&ann, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621018").await;
    let to_ann = peer(&bob, "+9996621017").await;
    // Ann's client may not fetch a difference from here on: a gap would make it fail.
    server.faults().fail_method("updates.getDifference", RpcError::new(400, "TEST_NO_DIFFERENCE"), 100, Some(ann_id));

    let incoming = send(&bob, &to_ann, "to ann").await;
    assert_eq!(texts_of(&ann, 1).await, ["to ann"]);
    // Ann's own calls: a send (updateShortSentMessage), a read and a deletion (affectedMessages).
    let mine = send(&ann, &to_bob, "from ann").await;
    ann.invoke(&functions::messages::ReadHistory { peer: to_bob.clone(), max_id: incoming + 10 }).await.unwrap();
    ann.invoke(&functions::messages::DeleteMessages { revoke: false, id: vec![mine] }).await.unwrap();
    // The next push continues Ann's sequence with no gap.
    send(&bob, &to_ann, "again").await;
    assert_eq!(texts_of(&ann, 1).await, ["again"]);
    assert_eq!(texts(&drain(&ann, Duration::from_millis(1000)).await), Vec::<String>::new());
    server.shutdown().await;
}
