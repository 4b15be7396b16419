//! Faults injected into a running server, over real sockets: a method answered with an error N
//! times (for everyone, or one user only) without running, and a user's connections dropped
//! while their sessions stay.

mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::RpcError;
use ferrogram_tl::functions;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_method_fault_answers_its_error_the_given_number_of_times_then_the_method_runs() {
    let server = start_server().await;
    let mut client = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.expect("connects");
    client.exchange_key(server.public_key()).await.expect("key exchange");
    client.invoke(&functions::help::GetNearestDc {}).await.expect("runs before any fault");
    let runs_before = server.api().executions("help.getNearestDc");

    server.faults().fail_method("help.getNearestDc", RpcError::new(420, "FLOOD_WAIT_3"), 2, None);
    for _ in 0..2 {
        let error = client.invoke(&functions::help::GetNearestDc {}).await.expect_err("the fault");
        assert_eq!(error.rpc(), Some((420, "FLOOD_WAIT_3".to_owned())));
    }
    client.invoke(&functions::help::GetNearestDc {}).await.expect("runs once the fault is used up");
    assert_eq!(server.api().executions("help.getNearestDc"), runs_before + 1, "the faulted calls never ran");

    // A migration error reads as one.
    server.faults().fail_method("help.getNearestDc", RpcError::new(303, "USER_MIGRATE_3"), 1, None);
    let error = client.invoke(&functions::help::GetNearestDc {}).await.expect_err("the fault");
    assert_eq!(error.rpc(), Some((303, "USER_MIGRATE_3".to_owned())));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_fault_hits_only_that_users_calls() {
    let server = start_server().await;
    let mut alice = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    alice.exchange_key(server.public_key()).await.expect("key exchange");
    let alice_user = alice.log_in_test_number("9996621111", "Alice").await.expect("login");
    let mut bob = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    bob.exchange_key(server.public_key()).await.expect("key exchange");
    bob.log_in_test_number("9996622222", "Bob").await.expect("login");

    server.faults().fail_method("users.getUsers", RpcError::new(500, "INTERNAL"), 1, Some(alice_user.id));
    bob.get_self().await.expect("bob is not hit");
    let error = alice.get_self().await.expect_err("alice is");
    assert_eq!(error.rpc(), Some((500, "INTERNAL".to_owned())));
    alice.get_self().await.expect("once only");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_users_connections_closes_them_and_the_session_carries_on() {
    let server = start_server().await;
    let mut alice = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = alice.exchange_key(server.public_key()).await.expect("key exchange");
    let user = alice.log_in_test_number("9996623333", "Alice").await.expect("login");
    let mut bob = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    bob.exchange_key(server.public_key()).await.expect("key exchange");
    bob.log_in_test_number("9996624444", "Bob").await.expect("login");

    assert_eq!(server.drop_connections(user.id).expect("the store answers"), 1);
    assert!(alice.server_closes().await, "alice's connection is closed");
    bob.get_self().await.expect("bob's is not");

    let mut back = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("reconnects");
    back.resume(&saved);
    assert_eq!(back.get_self().await.expect("signed in still").id, user.id);
    server.shutdown().await;
}

fn typing_update(date: i32) -> Vec<u8> {
    use ferrogram_tl::{enums, types, Serializable};
    enums::Updates::UpdateShort(types::UpdateShort {
        update: enums::Update::UserTyping(types::UpdateUserTyping {
            user_id: 42,
            top_msg_id: None,
            action: enums::SendMessageAction::SendMessageTypingAction(Default::default()),
        }),
        date,
    })
    .to_bytes()
}

fn date_of(update: &[u8]) -> i32 {
    use ferrogram_tl::{enums, Deserializable};
    match enums::Updates::from_bytes_exact(update).expect("an Updates") {
        enums::Updates::UpdateShort(short) => short.date,
        other => panic!("expected updateShort, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushed_updates_reach_the_users_sessions_except_those_withheld() {
    let server = start_server().await;
    let mut alice = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let alice_key = alice.exchange_key(server.public_key()).await.expect("key exchange").key.id();
    let user = alice.log_in_test_number("9996625555", "Alice").await.expect("login");
    // Alice on a second device: another key, whose client then speaks layer 158 (Pyrogram's).
    let mut phone = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.expect("connects");
    phone.exchange_key(server.public_key()).await.expect("key exchange");
    phone.log_in_test_number("9996625555", "Alice").await.expect("the same account");
    let in_158 = functions::InvokeWithLayer { layer: 158, query: functions::help::GetNearestDc {} };
    phone.invoke_raw(ferrogram_tl::Serializable::to_bytes(&in_158)).await.expect("a call in layer 158");

    server.push_to_user(user.id, &typing_update(1)).expect("pushed");
    assert_eq!(date_of(&alice.next_update().await.expect("alice gets it")), 1);
    let lowered = phone.next_update().await.expect("so does her phone");
    let schema = server.layers().schema(158).expect("layer 158 is built in");
    let ty = schema.type_ref("Updates").expect("a type of 158");
    let value = ferrogram_tl_layers::decode_exact(schema, &ty, &lowered).expect("the update reads in layer 158");
    let json = ferrogram_tl_layers::value_to_json(&value);
    assert_eq!(json["_"], "updateShort", "{json}");
    assert_eq!(json["date"], 1, "{json}");

    // The next two are withheld from both devices, the third arrives.
    assert_eq!(server.withhold_updates(user.id, 2).expect("the store answers"), 2);
    server.push_to_user(user.id, &typing_update(2)).expect("pushed");
    server.push_to_user(user.id, &typing_update(3)).expect("pushed");
    assert_eq!(server.faults().withheld_updates(alice_key), 0);
    server.push_to_user(user.id, &typing_update(4)).expect("pushed");
    assert_eq!(date_of(&alice.next_update().await.expect("the fourth")), 4);
    assert!(phone.next_update().await.is_ok(), "the fourth reaches the phone too");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_only_calls_without_updates_gets_none() {
    use ferrogram_tl::{functions, RawQuery, Serializable};
    let server = start_server().await;
    let mut alice = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = alice.exchange_key(server.public_key()).await.expect("key exchange");
    let user = alice.log_in_test_number("9996626666", "Alice").await.expect("login");
    // A second session of the same key (a file-transfer connection) that calls only inside
    // invokeWithoutUpdates: the updates stay with the main session, the older one.
    let mut files = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    files.resume(&saved);
    let wrapped = functions::InvokeWithoutUpdates { query: RawQuery(functions::help::GetNearestDc {}.to_bytes()) };
    files.invoke_raw(wrapped.to_bytes()).await.expect("a call without updates");
    server.push_to_user(user.id, &typing_update(9)).expect("pushed");
    assert_eq!(date_of(&alice.next_update().await.expect("the main session gets it")), 9);
    files.invoke_raw(wrapped.to_bytes()).await.expect("another call");
    assert_eq!(files.pending_updates(), 0, "the files session got no update");
    server.shutdown().await;
}
