//! Naming peers: by username, phone, "me", id, a user value, an input peer; errors for a
//! username nobody has and for an id this account never saw; the peer table of a SQLite
//! session outliving the client.

mod messaging_support;
mod updates_support;

use ferrogram::peers::PeerRef;
use ferrogram::{ApiError, Peer, SqliteSession, Update};
use ferrogram_tl::{enums, functions};
use messaging_support::*;
use updates_support::*;

#[tokio::test(flavor = "multi_thread")]
async fn every_way_of_naming_a_peer() {
    let server = server().await;
    let (ann, ann_id) = named(&server, "+9996633001", "Ann", "ann_p").await;
    let (bob, bob_id) = named(&server, "+9996633002", "Bob", "Bob_P").await;
    let carl_id = create_named(&server, "+9996633003", "Carl", "carl_p");

    // An id never seen is an error value, not a panic, and no call is made for it.
    let unknown = ann.resolve_peer(bob_id).await.unwrap_err();
    assert!(matches!(unknown, ApiError::UnknownPeer(PeerRef::Peer(Peer::User(id))) if id == bob_id), "{unknown:?}");
    assert!(ann.send_message(bob_id, "lost").await.is_err());

    // A username (any case, with or without @) resolves, and from then on the id works.
    assert_eq!(ann.resolve_username("@bob_p").await.unwrap(), Peer::User(bob_id));
    let by_name = ann.resolve_peer("BOB_P").await.unwrap();
    let by_id = ann.resolve_peer(bob_id).await.unwrap();
    assert_eq!(by_name, by_id);
    assert!(matches!(&by_id, enums::InputPeer::User(u) if u.user_id == bob_id));

    // "me" and "self", and the account's own id, are the self peer.
    for me in [PeerRef::from("me"), PeerRef::from("self"), PeerRef::from(ann_id)] {
        assert!(matches!(ann.resolve_peer(me).await.unwrap(), enums::InputPeer::InputPeerSelf(_)));
    }
    let note = ann.send_message("me", "note to self").await.unwrap();
    assert_eq!(note.peer, Peer::User(ann_id));

    // A phone.
    assert_eq!(ann.resolve_phone("+9996633003").await.unwrap(), Peer::User(carl_id));
    assert!(matches!(ann.resolve_peer(carl_id).await.unwrap(), enums::InputPeer::User(u) if u.user_id == carl_id));
    // A user value (as a raw call returned it) and an input peer.
    let resolved = ann.invoke(&functions::contacts::ResolvePhone { phone: "9996633003".into() }).await.unwrap();
    let enums::contacts::ResolvedPeer::ResolvedPeer(resolved) = resolved;
    let Some(enums::User::User(carl)) = resolved.users.into_iter().next() else { panic!("a user") };
    ann.send_message(&carl, "hi Carl").await.unwrap();
    ann.send_message(by_id.clone(), "hi Bob").await.unwrap();
    let (text, _) = wait_for(&bob, |u| match u {
        Update::NewMessage(m) if !m.out => Some(m.text.clone()),
        _ => None,
    })
    .await;
    assert_eq!(text, "hi Bob");

    // Names nobody has.
    assert!(
        matches!(ann.resolve_peer("@nobody_here").await.unwrap_err(), ApiError::UsernameNotFound(n) if n == "nobody_here")
    );
    assert!(matches!(ann.resolve_peer("+9996639999").await.unwrap_err(), ApiError::PhoneNotFound(_)));
    // Another account's peers are not this one's: a fresh account knows none of them.
    let (dan, _) = named(&server, "+9996633004", "Dan", "dan_p").await;
    assert!(matches!(dan.resolve_peer(ann_id).await.unwrap_err(), ApiError::UnknownPeer(_)));
    assert!(matches!(dan.resolve_peer(Peer::Channel(5)).await.unwrap_err(), ApiError::UnknownPeer(_)));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_session_keeps_its_peers() {
    let server = server().await;
    let path = temp_path("messaging-peers");
    let (ann, _) = named_with(&server, "+9996634001", "Ann", "ann_s", SqliteSession::open(&path).unwrap()).await;
    let bob_id = create_named(&server, "+9996634002", "Bob", "bob_s");
    ann.resolve_username("bob_s").await.unwrap();
    ann.disconnect().await.unwrap();
    drop(ann);

    // A new client on the same file knows Bob before it makes any call.
    let again = ferrogram::Client::new(SqliteSession::open(&path).unwrap(), 1, "0123456789abcdef", config(&server));
    assert_eq!(again.peer_cache_usage().0, 0, "nothing in memory yet");
    let entry = again.cached_peer(Peer::User(bob_id)).unwrap().expect("from the file");
    assert_eq!(entry.username.as_deref(), Some("bob_s"));
    again.connect().await.unwrap();
    let input = again.resolve_peer("@BOB_S").await.unwrap();
    assert!(matches!(input, enums::InputPeer::User(u) if u.user_id == bob_id));
    again.send_message(bob_id, "still known").await.unwrap();

    // Signing out empties the table: the hashes were that account's.
    again.log_out().await.unwrap();
    drop(again);
    let after = SqliteSession::open(&path).unwrap();
    use ferrogram::SessionStore;
    assert_eq!(after.lookup_peer(ferrogram::session::PeerLookup::Peer(Peer::User(bob_id))).unwrap(), None);
    server.shutdown().await;
}

#[test]
fn a_version_2_session_file_gains_the_peer_table() {
    use ferrogram::peers::CachedPeer;
    use ferrogram::session::PeerLookup;
    use ferrogram::SessionStore;
    let path = temp_path("messaging-peers-v2");
    {
        // A file as schema 2 wrote it, signed in as account 42.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE session (id INTEGER PRIMARY KEY CHECK (id = 1), home_dc INTEGER, user_id INTEGER,
                                   user_is_bot INTEGER NOT NULL DEFAULT 0 CHECK (user_is_bot IN (0, 1)));
             CREATE TABLE dc (id INTEGER PRIMARY KEY, host TEXT NOT NULL,
                              port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
                              auth_key BLOB CHECK (auth_key IS NULL OR length(auth_key) = 256),
                              server_salt INTEGER, time_offset INTEGER);
             CREATE TABLE update_state (id INTEGER PRIMARY KEY CHECK (id = 1), pts INTEGER NOT NULL,
                                        qts INTEGER NOT NULL, date INTEGER NOT NULL, seq INTEGER NOT NULL);
             CREATE TABLE channel_pts (channel_id INTEGER PRIMARY KEY, pts INTEGER NOT NULL);
             INSERT INTO session VALUES (1, 2, 42, 0);
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let session = SqliteSession::open(&path).unwrap();
    let version: i64 =
        rusqlite::Connection::open(&path).unwrap().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
    assert_eq!(version, 3);
    assert_eq!(session.load().unwrap().user.map(|u| u.id), Some(42));
    let entry = CachedPeer {
        peer: Peer::User(7),
        access_hash: Some(77),
        min: false,
        bot: false,
        username: Some("Seven".into()),
        phone: Some("15550007".into()),
    };
    session.store_peers(std::slice::from_ref(&entry)).unwrap();
    assert_eq!(session.lookup_peer(PeerLookup::Peer(Peer::User(7))).unwrap(), Some(entry.clone()));
    assert_eq!(session.lookup_peer(PeerLookup::Username("SEVEN")).unwrap(), Some(entry.clone()));
    assert_eq!(session.lookup_peer(PeerLookup::Phone("+15550007")).unwrap(), Some(entry));
    assert_eq!(session.lookup_peer(PeerLookup::Peer(Peer::Channel(7))).unwrap(), None);
    // Another account signing in on the file does not inherit them.
    let mut other = session.load().unwrap();
    other.user = Some(ferrogram::session::SignedInUser { id: 43, bot: false });
    session.store(&other).unwrap();
    assert_eq!(session.lookup_peer(PeerLookup::Peer(Peer::User(7))).unwrap(), None);
}
