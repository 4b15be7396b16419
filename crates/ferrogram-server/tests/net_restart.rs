//! A restart keeps signed-in clients signed in (issue 4, acceptance: "sign in, stop the server,
//! start it on the same data dir, the old session still works"), over real sockets.

mod support;

use ferrogram_mtproto::transport::TransportKind;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_key_survives_a_restart_on_the_same_data_dir() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let pem_path = dir.path().join("server-public.pem");

    let server = start_server_on(dir.path()).await;
    let pem_before = std::fs::read_to_string(&pem_path).expect("the server publishes its public key");
    assert_eq!(pem_before, server.public_key().to_pem());
    let mut client = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = client.exchange_key(server.public_key()).await.expect("key exchange");
    let user = client.log_in_test_number("9996624321", "Restart").await.expect("login");
    assert_eq!(client.get_self().await.expect("getUsers(self)").id, user.id);
    drop(client);
    server.shutdown().await;

    // A new process on the same dir (new ephemeral ports): same key, same accounts.
    let server = start_server_on(dir.path()).await;
    let pem_after = std::fs::read_to_string(&pem_path).expect("the public key is still published");
    assert_eq!(pem_after, pem_before, "the RSA key is kept across restarts");
    assert_eq!(server.public_key().to_pem(), pem_before);

    let mut client = RawClient::to_dc(&server, 2, TransportKind::Intermediate).await.expect("reconnects");
    // The key exchange's first salt is only accepted on the connection that made the key: here
    // the session learns the current one from bad_server_salt. An unknown key would get -404.
    client.resume(&saved);
    let me = client.get_self().await.expect("the old key is still signed in");
    assert_eq!(me.id, user.id);
    assert_eq!(me.first_name.as_deref(), Some("Restart"));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_an_in_memory_server_is_unknown_after_a_restart() {
    // The counterpart that proves the test above can fail: without a data dir nothing is kept,
    // and the old key gets the -404 transport status.
    let server = start_server().await;
    let mut client = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = client.exchange_key(server.public_key()).await.expect("key exchange");
    client.log_in_test_number("9996624322", "Gone").await.expect("login");
    server.shutdown().await;

    let server = start_server().await;
    let mut client = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    client.resume(&saved);
    match client.get_self().await {
        Err(ClientError::Transport(ferrogram_mtproto::transport::TransportError::Status(-404))) => {}
        other => panic!("expected the -404 transport status, got {other:?}"),
    }
    server.shutdown().await;
}
