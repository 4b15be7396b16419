//! The admin channel over a real socket: a wrong token is refused, users are made, codes read,
//! faults injected (and they hit a real client), bad requests answered with an error, an
//! over-long line refused without the server holding it.

mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_tl::functions;
use serde_json::{json, Value};
use support::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

struct Admin {
    lines: tokio::io::Lines<BufReader<tokio::net::tcp::OwnedReadHalf>>,
    write: tokio::net::tcp::OwnedWriteHalf,
    token: String,
}

impl Admin {
    async fn connect(server: &LocalServer) -> Admin {
        let (addr, token) = server.admin().expect("the admin channel runs");
        let (read, write) = TcpStream::connect(addr).await.expect("connects").into_split();
        Admin { lines: BufReader::new(read).lines(), write, token: token.to_owned() }
    }

    async fn send_line(&mut self, line: &str) -> Value {
        self.write.write_all(format!("{line}\n").as_bytes()).await.expect("writes");
        let answer = self.lines.next_line().await.expect("reads").expect("an answer line");
        serde_json::from_str(&answer).expect("the answer is JSON")
    }

    async fn run(&mut self, mut request: Value) -> Value {
        request["token"] = json!(self.token);
        self.send_line(&request.to_string()).await
    }
}

async fn server_with_admin() -> LocalServer {
    let options = ServerOptions {
        rsa_key: Some(shared_rsa_key()),
        admin_listen: Some(([127, 0, 0, 1], 0).into()),
        ..ServerOptions::ephemeral()
    };
    LocalServer::start(options).await.expect("the server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_requests_make_users_and_inject_faults_a_client_meets() {
    let server = server_with_admin().await;
    let mut admin = Admin::connect(&server).await;

    let refused = admin.send_line(&json!({ "token": "guess", "command": "codes" }).to_string()).await;
    assert_eq!(refused["ok"], false, "{refused}");
    assert_eq!(admin.send_line("not json").await["ok"], false);
    assert_eq!(admin.run(json!({ "command": "launch" })).await["error"], "unknown command \"launch\"");
    let missing = admin.run(json!({ "command": "create_user", "phone": "+15550001" })).await;
    assert_eq!(missing["error"], "missing string field \"first_name\"");

    let made = admin.run(json!({ "command": "create_user", "phone": "+9996627001", "first_name": "Ann" })).await;
    assert_eq!(made["ok"], true, "{made}");
    let id: i64 = made["user"]["id"].as_str().expect("ids are strings").parse().expect("an id");
    let bot = admin.run(json!({ "command": "create_bot", "name": "Helper" })).await;
    assert!(bot["token"].as_str().is_some_and(|t| t.contains(':')), "{bot}");

    let mut client = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    client.exchange_key(server.public_key()).await.expect("key exchange");
    let user = client.log_in_test_number("9996627001", "Ann").await.expect("signs in to the made account");
    assert_eq!(user.id, id);
    let codes = admin.run(json!({ "command": "codes" })).await;
    assert_eq!(codes["codes"][0]["phone"], "9996627001", "{codes}");

    let bad = admin.run(json!({ "command": "fail_method", "method": "no.such", "error": "INTERNAL" })).await;
    assert_eq!(bad["ok"], false);
    let fault = json!({ "command": "fail_method", "method": "help.getNearestDc", "error": "FLOOD_WAIT_7", "phone": "+9996627001" });
    assert_eq!(admin.run(fault).await["ok"], true);
    let error = client.invoke(&functions::help::GetNearestDc {}).await.expect_err("the injected fault");
    assert_eq!(error.rpc(), Some((420, "FLOOD_WAIT_7".to_owned())), "the code follows from the name");

    // A message from a user made here to the signed-in one: it arrives as a real client's would.
    let made = admin.run(json!({ "command": "create_user", "phone": "+9996627002", "first_name": "Sam" })).await;
    assert_eq!(made["ok"], true, "{made}");
    let sent =
        admin.run(json!({ "command": "send_message", "from": "9996627002", "to": "+9996627001", "text": "hi" })).await;
    assert!(sent["message_id"].as_i64().is_some_and(|id| id > 0), "{sent}");
    let update = client.next_update().await.expect("the message arrives");
    let update =
        <ferrogram_tl::enums::Updates as ferrogram_tl::Deserializable>::from_bytes_exact(&update).expect("Updates");
    assert!(
        matches!(update, ferrogram_tl::enums::Updates::UpdateShortMessage(ref m) if m.message == "hi"),
        "{update:?}"
    );
    let nobody =
        admin.run(json!({ "command": "send_message", "from": "9996627002", "to": "@nobody", "text": "x" })).await;
    assert_eq!(nobody["error"], "no user @nobody");

    let withheld = admin.run(json!({ "command": "withhold_updates", "phone": "9996627001", "count": 3 })).await;
    assert_eq!(withheld["devices"], 1);
    let dropped = admin.run(json!({ "command": "drop_connections", "phone": "9996627001" })).await;
    assert_eq!(dropped["closed"], 1);
    assert!(client.server_closes().await);
    assert_eq!(admin.run(json!({ "command": "drop_connections", "phone": "1234" })).await["ok"], false);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_request_line_is_refused_and_the_connection_closed() {
    let server = server_with_admin().await;
    let mut admin = Admin::connect(&server).await;
    let huge = "x".repeat(ferrogram_server::net::admin::MAX_LINE_BYTES + 10);
    let answer = admin.send_line(&huge).await;
    assert_eq!(answer["ok"], false, "{answer}");
    assert!(admin.lines.next_line().await.map(|l| l.is_none()).unwrap_or(true), "closed after");
    // The channel still serves others.
    let mut again = Admin::connect(&server).await;
    assert_eq!(again.run(json!({ "command": "codes" })).await["ok"], true);
    server.shutdown().await;
}
