//! A client on a SQLite session file stops while messages keep arriving, and a new one on the
//! same file catches up from where the first stopped: every message once, none twice.

mod updates_support;

use std::time::Duration;

use std::sync::Arc;

use ferrogram::{Client, ClientConfig, SqliteSession, StringSession};
use updates_support::*;

fn reopen(path: &std::path::Path, config: ClientConfig) -> Client {
    Client::new(SqliteSession::open(path).expect("session file"), 1, "0123456789abcdef", config)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restarted_client_catches_up_exactly_once() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621021", "Ann").await;
    let path = temp_path("restart");
    let session = SqliteSession::open(&path).unwrap();
    let (bob, _) = account_with(&server, "+9996621022", "Bob", session, config(&server)).await;
    assert_eq!(next(&bob, Duration::from_millis(300)).await, None);
    let to_bob = peer(&ann, "+9996621022").await;

    send(&ann, &to_bob, "before").await;
    assert_eq!(texts_of(&bob, 1).await, ["before"]);
    bob.disconnect().await.unwrap();
    drop(bob);

    // Bob is offline for these.
    for text in ["offline 1", "offline 2", "offline 3"] {
        send(&ann, &to_bob, text).await;
    }
    let bob = reopen(&path, config(&server));
    bob.connect().await.unwrap();
    assert_eq!(texts_of(&bob, 3).await, ["offline 1", "offline 2", "offline 3"]);
    send(&ann, &to_bob, "live").await;
    assert_eq!(texts_of(&bob, 1).await, ["live"]);
    // Dropped without a disconnect: the state taken so far is stored all the same.
    drop(bob);

    send(&ann, &to_bob, "after a drop").await;
    let bob = reopen(&path, config(&server));
    bob.connect().await.unwrap();
    assert_eq!(texts_of(&bob, 1).await, ["after a drop"]);
    assert_eq!(texts(&drain(&bob, Duration::from_millis(1500)).await), Vec::<String>::new());
    bob.disconnect().await.unwrap();
    drop(bob);

    // Without catch_up, what happened while offline is skipped.
    send(&ann, &to_bob, "skipped").await;
    let bob = reopen(&path, ClientConfig { catch_up: false, ..config(&server) });
    bob.connect().await.unwrap();
    assert_eq!(next(&bob, Duration::from_millis(800)).await, None);
    send(&ann, &to_bob, "new").await;
    assert_eq!(texts_of(&bob, 1).await, ["new"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_string_session_carries_the_state_to_the_next_run() {
    let server = server().await;
    let (ann, _) = account(&server, "+9996621023", "Ann").await;
    let session = Arc::new(StringSession::new("").unwrap());
    let (bob, _) = account_with(&server, "+9996621024", "Bob", session.clone(), config(&server)).await;
    let to_bob = peer(&ann, "+9996621024").await;
    send(&ann, &to_bob, "first").await;
    assert_eq!(texts_of(&bob, 1).await, ["first"]);
    bob.disconnect().await.unwrap();
    drop(bob);
    let saved = session.save();

    send(&ann, &to_bob, "while away").await;
    let bob = Client::new(StringSession::new(&saved).unwrap(), 1, "0123456789abcdef", config(&server));
    bob.connect().await.unwrap();
    assert_eq!(texts_of(&bob, 1).await, ["while away"]);
    assert_eq!(texts(&drain(&bob, Duration::from_millis(1000)).await), Vec::<String>::new());
    server.shutdown().await;
}
