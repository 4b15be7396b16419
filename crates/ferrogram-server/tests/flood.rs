//! A flood of messages over real sockets: the messages are in both users' history, the
//! receiver's pushes arrive as `updateShortMessage`s in pts order with no gap, and a small
//! per-session update queue paces the flood instead of collapsing into `updatesTooLong`; the
//! admin channel runs the same flood.

mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::flood::{FloodError, MAX_FLOOD_MESSAGES};
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::store::HistoryQuery;
use ferrogram_server::Budgets;
use ferrogram_tl::{enums, Deserializable};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

async fn server_with(budgets: Budgets) -> LocalServer {
    let options = ServerOptions {
        rsa_key: Some(shared_rsa_key()),
        budgets,
        admin_listen: Some(([127, 0, 0, 1], 0).into()),
        ..ServerOptions::ephemeral()
    };
    LocalServer::start(options).await.expect("the server starts")
}

async fn signed_in(server: &LocalServer, phone: &str, name: &str) -> (RawClient, i64) {
    let mut client = RawClient::to_dc(server, 2, TransportKind::Intermediate).await.expect("connects");
    client.exchange_key(server.public_key()).await.expect("key exchange");
    let user = client.log_in_test_number(phone, name).await.expect("login");
    (client, user.id)
}

/// Reads `count` pushes and checks each is the next message of the flood: consecutive pts and
/// ids from the first, from `sender`, with the flood's text. Returns the pts of the last.
async fn receive_in_order(client: &mut RawClient, sender: i64, count: u32) -> (i32, i32) {
    let mut first = None;
    let mut last_pts = 0;
    for n in 0..count {
        let push = client.next_update().await.expect("the next push");
        let short = match enums::Updates::from_bytes_exact(&push).expect("an Updates") {
            enums::Updates::UpdateShortMessage(short) => short,
            other => panic!("push {n}: expected updateShortMessage, got {other:?}"),
        };
        let (first_id, first_pts) = *first.get_or_insert((short.id, short.pts));
        assert_eq!(short.pts, first_pts + n as i32, "push {n} follows the previous one's pts");
        assert_eq!(short.pts_count, 1);
        assert_eq!(short.id, first_id + n as i32, "push {n} is the next message");
        assert_eq!(short.user_id, sender);
        assert!(!short.out);
        assert_eq!(short.message, format!("message {} of {count}", n + 1));
        last_pts = short.pts;
    }
    (first.map_or(0, |(_, pts)| pts), last_pts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flooded_messages_are_in_both_histories_and_arrive_in_pts_order() {
    let server = server_with(Budgets::default()).await;
    let (_alice, alice) = signed_in(&server, "9996627001", "Alice").await;
    let (mut bob, bob_id) = signed_in(&server, "9996627002", "Bob").await;
    let before = server.api().store().update_state(bob_id).expect("state").pts;

    let count = 3_000;
    let (report, (first_pts, last_pts)) =
        tokio::join!(server.flood_messages(alice, bob_id, count), receive_in_order(&mut bob, alice, count));
    let report = report.expect("the flood runs");
    assert_eq!((report.messages, report.devices, report.pushed, report.too_long), (count, 1, u64::from(count), 0));
    assert_eq!((report.first_pts, report.last_pts), (first_pts, last_pts));
    assert_eq!(first_pts, before + 1, "the flood starts right after the box's pts");
    assert_eq!(server.api().store().update_state(bob_id).expect("state").pts, last_pts);

    let query = HistoryQuery { limit: 5, ..HistoryQuery::default() };
    let (newest, total) = server.api().store().history(bob_id, Some(alice), &query).expect("history");
    assert_eq!(total, i64::from(count), "every message is in the receiver's box");
    assert_eq!(newest[0].text, format!("message {count} of {count}"));
    assert_eq!(newest[0].id, report.first_id + count as i32 - 1);
    assert!(!newest[0].out);
    let (sent, total) = server.api().store().history(alice, Some(bob_id), &query).expect("history");
    assert_eq!(total, i64::from(count), "and in the sender's");
    assert!(sent[0].out);
    // What a getDifference would serve is the same messages, under the same pts.
    let logged = server.api().store().updates_after(bob_id, last_pts - 1, 10).expect("log");
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].pts, last_pts);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_update_queue_paces_the_flood_without_collapsing_into_updates_too_long() {
    // About 40 pushes fit in the queue; the flood is fifty times that.
    let budgets = Budgets { session_update_bytes: 4 * 1024, ..Budgets::default() };
    let server = server_with(budgets).await;
    let (_alice, alice) = signed_in(&server, "9996627011", "Alice").await;
    let (mut bob, bob_id) = signed_in(&server, "9996627012", "Bob").await;
    let count = 2_000;
    let (report, _) =
        tokio::join!(server.flood_messages(alice, bob_id, count), receive_in_order(&mut bob, alice, count));
    let report = report.expect("the flood runs");
    assert_eq!((report.pushed, report.too_long), (u64::from(count), 0), "no push found a full queue");
    assert!(report.paused > 0, "the flood waited for the client: {report:?}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnected_receiver_finds_the_flood_in_its_box_and_its_queue_stays_bounded() {
    let budgets = Budgets { session_update_bytes: 4 * 1024, ..Budgets::default() };
    let server = server_with(budgets).await;
    let (_alice, alice) = signed_in(&server, "9996627021", "Alice").await;
    let (mut bob, bob_id) = signed_in(&server, "9996627022", "Bob").await;
    // The server closes Bob's connection (its endpoint lets go of it before the socket closes).
    assert_eq!(server.drop_connections(bob_id).expect("the store answers"), 1);
    assert!(bob.server_closes().await);
    // Bob's session is kept (sessions outlive connections), but no connection takes its pushes:
    // they queue up to the bound and collapse into updatesTooLong, as any push would.
    let report = server.flood_messages(alice, bob_id, 500).await.expect("the flood runs");
    assert_eq!(report.messages, 500);
    assert!(report.too_long > 0, "{report:?}");
    let (_, total) = server.api().store().history(bob_id, Some(alice), &HistoryQuery::default()).expect("history");
    assert_eq!(total, 500);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_refused_for_unknown_users_and_beyond_its_bound() {
    let server = server_with(Budgets::default()).await;
    let (_alice, alice) = signed_in(&server, "9996627031", "Alice").await;
    assert!(matches!(server.flood_messages(alice, 424242, 1).await, Err(FloodError::UnknownUser(424242))));
    assert!(matches!(server.flood_messages(alice, alice, MAX_FLOOD_MESSAGES + 1).await, Err(FloodError::TooMany(_))));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_channel_floods_a_receiver_it_names_by_phone() {
    let server = server_with(Budgets::default()).await;
    let (_alice, alice) = signed_in(&server, "9996627041", "Alice").await;
    let (mut bob, _) = signed_in(&server, "9996627042", "Bob").await;
    let (addr, token) = server.admin().expect("the admin channel runs");
    let (read, mut write) = tokio::net::TcpStream::connect(addr).await.expect("connects").into_split();
    let request = serde_json::json!({
        "token": token, "command": "flood_messages", "from": "+9996627041", "to": "9996627042", "count": 200,
    });
    write.write_all(format!("{request}\n").as_bytes()).await.expect("writes");
    let mut lines = BufReader::new(read).lines();
    let (answer, _) = tokio::join!(lines.next_line(), receive_in_order(&mut bob, alice, 200));
    let answer: serde_json::Value =
        serde_json::from_str(&answer.expect("reads").expect("an answer line")).expect("JSON");
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!((answer["messages"].as_u64(), answer["pushed"].as_u64()), (Some(200), Some(200)), "{answer}");
    let bad = serde_json::json!({ "token": token, "command": "flood_messages", "from": "+9996627041", "to": "1" });
    write.write_all(format!("{bad}\n").as_bytes()).await.expect("writes");
    let refused: serde_json::Value =
        serde_json::from_str(&lines.next_line().await.expect("reads").expect("a line")).expect("JSON");
    assert_eq!(refused["ok"], false, "{refused}");
    server.shutdown().await;
}
