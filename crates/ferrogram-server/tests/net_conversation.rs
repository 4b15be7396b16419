//! A conversation over real sockets: what one account sends reaches the other's session as a
//! pushed `updateShortMessage`, with the receiver's own pts; a gap the server withholds is
//! recovered exactly by `updates.getDifference`; and after a restart the sequence continues and
//! a difference still returns exactly what was missed.

mod common;
mod messaging;
mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::LocalServer;
use ferrogram_tl::{enums, functions, types, Deserializable};
use messaging::send_request as send;
use support::*;

/// The (pts, text) of a pushed private message.
fn short_message(update: &[u8]) -> (i32, String) {
    match enums::Updates::from_bytes_exact(update).expect("an Updates") {
        enums::Updates::UpdateShortMessage(m) => (m.pts, m.message),
        other => panic!("expected updateShortMessage, got {other:?}"),
    }
}

async fn state(client: &mut RawClient) -> types::updates::State {
    let enums::updates::State::State(state) = client.invoke(&functions::updates::GetState {}).await.expect("getState");
    state
}

/// The texts of the new messages in the difference from `pts`.
/// `phone`'s user as `me` learns it, as an input peer.
async fn peer(me: &mut RawClient, phone: &str) -> enums::InputPeer {
    let user = me.import_contact(phone).await.expect("importContacts");
    types::InputPeerUser { user_id: user.id, access_hash: user.access_hash.expect("a hash") }.into()
}

async fn missed_texts(client: &mut RawClient, pts: i32, date: i32) -> (Vec<String>, i32) {
    let request = functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date,
        qts: 0,
        qts_limit: None,
    };
    let texts = |messages: Vec<enums::Message>| {
        messages
            .into_iter()
            .filter_map(|m| if let enums::Message::Message(m) = m { Some(m.message) } else { None })
            .collect::<Vec<_>>()
    };
    match client.invoke(&request).await.expect("getDifference") {
        enums::updates::Difference::Difference(d) => {
            let enums::updates::State::State(s) = d.state;
            (texts(d.new_messages), s.pts)
        }
        enums::updates::Difference::Empty(_) => (Vec::new(), pts),
        other => panic!("expected a difference, got {other:?}"),
    }
}

async fn signed_in(server: &LocalServer, phone: &str, name: &str) -> RawClient {
    let mut client = RawClient::to_dc(server, 2, TransportKind::Abridged).await.expect("connects");
    client.exchange_key(server.public_key()).await.expect("key exchange");
    client.log_in_test_number(phone, name).await.expect("login");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_arrive_as_pushes_and_a_withheld_gap_is_recovered_by_get_difference() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let server = start_server_on(dir.path()).await;
    let mut ada = signed_in(&server, "9996621001", "Ada").await;
    let mut bob = signed_in(&server, "9996621002", "Bob").await;
    let to_bob = peer(&mut ada, "9996621002").await;
    let start = state(&mut bob).await;

    let sent = ada.invoke(&send(&to_bob, "hello Bob", 1)).await.expect("sent");
    assert!(matches!(sent, enums::Updates::UpdateShortSentMessage(_)), "{sent:?}");
    let (pts, text) = short_message(&bob.next_update().await.expect("bob gets it"));
    assert_eq!((pts, text.as_str()), (start.pts + 1, "hello Bob"));

    // Two messages withheld from Bob: the third arrives with a pts that shows the gap.
    let bob_id = server.api().store().user_by_phone("9996621002").expect("store").expect("bob").id;
    server.withhold_updates(bob_id, 2).expect("withheld");
    for (i, text) in ["two", "three", "four"].iter().enumerate() {
        ada.invoke(&send(&to_bob, text, 10 + i as i64)).await.expect("sent");
    }
    let (pts, text) = short_message(&bob.next_update().await.expect("the fourth"));
    assert_eq!((pts, text.as_str()), (start.pts + 4, "four"), "the gap is visible in pts");
    let (missed, caught_up) = missed_texts(&mut bob, start.pts + 1, start.date).await;
    assert_eq!(missed, vec!["two", "three", "four"], "exactly what came after the last pts applied");
    assert_eq!(caught_up, start.pts + 4);

    // A restart: the sequence goes on, and a difference from before it is still exact.
    server.shutdown().await;
    let server = start_server_on(dir.path()).await;
    let mut ada = signed_in(&server, "9996621001", "Ada").await;
    let to_bob = peer(&mut ada, "9996621002").await;
    ada.invoke(&send(&to_bob, "after the restart", 20)).await.expect("sent");
    let mut bob = signed_in(&server, "9996621002", "Bob").await;
    let now = state(&mut bob).await;
    assert_eq!(now.pts, start.pts + 5, "the sequence continued across the restart");
    let (missed, _) = missed_texts(&mut bob, start.pts + 4, start.date).await;
    assert_eq!(missed, vec!["after the restart"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_sends_as_any_user_and_the_recipient_gets_the_real_update() {
    use ferrogram_server::net::acting::Recipient;
    let server = start_server().await;
    let mut bob = signed_in(&server, "9996621012", "Bob").await;
    let ada = server
        .api()
        .create_user(
            &ferrogram_server::AdminUser {
                phone: "+9996621011".into(),
                first_name: "Ada".into(),
                ..Default::default()
            },
            0,
        )
        .expect("ada is made");
    let bob_id = server.api().store().user_by_phone("9996621012").expect("store").expect("bob").id;
    let start = state(&mut bob).await;
    let id = server.send_message_as(ada.id, &Recipient::User(bob_id), "from a script").expect("sent");
    assert!(id > 0);
    match enums::Updates::from_bytes_exact(&bob.next_update().await.expect("bob gets it")).expect("Updates") {
        enums::Updates::UpdateShortMessage(m) => {
            assert_eq!((m.user_id, m.message.as_str(), m.pts), (ada.id, "from a script", start.pts + 1));
            assert!(!m.out);
        }
        other => panic!("expected updateShortMessage, got {other:?}"),
    }
    let unknown = server.send_message_as(ada.id, &Recipient::User(424242), "to nobody");
    assert!(
        matches!(unknown, Err(ferrogram_server::net::acting::SendAsError::Rpc(ref e)) if e.name == "PEER_ID_INVALID"),
        "{unknown:?}"
    );
    server.shutdown().await;
}
