//! The server's sessions within its budgets over sockets: answer caches stay under their total
//! in bytes. (Eviction and the caps themselves are the endpoint's, tested in
//! `ferrogram-mtproto`'s `tests/endpoint.rs`.)

mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::Budgets;
use ferrogram_tl::functions;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_sockets_the_servers_answer_bytes_stay_under_its_total() {
    let budgets = Budgets { session_answer_bytes: 2048, total_answer_bytes: 8 * 1024, ..Budgets::default() };
    let options =
        ServerOptions { rsa_key: Some(shared_rsa_key()), budgets: budgets.clone(), ..ServerOptions::ephemeral() };
    let server = LocalServer::start(options).await.expect("the server starts");
    let mut client = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    let saved = client.exchange_key(server.public_key()).await.expect("key exchange");
    for _ in 0..20 {
        client.resume(&saved);
        for _ in 0..40 {
            client.invoke(&functions::help::GetNearestDc {}).await.expect("a call");
        }
        let stats = server.session_stats();
        assert!(stats.answer_bytes <= budgets.total_answer_bytes, "{stats:?}");
    }
    let stats = server.session_stats();
    assert_eq!(stats.sessions, 20);
    assert!(stats.answer_bytes > 0);
    // Reads are not recorded in the store (only the first call, which recorded initConnection).
    assert_eq!(server.api().store().recorded_answers().expect("records"), 1);
    server.shutdown().await;
}
