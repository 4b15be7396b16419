//! Sign-in over real sockets, the way a client meets it: a key exchange and the login calls with
//! every transport, and each `auth.signIn` error of the seed's table triggered by what a client
//! does, over a real socket.

mod support;

use ferrogram_mtproto::transport::TransportKind;
use ferrogram_server::net::LocalServer;
use ferrogram_server::AdminUser;
use ferrogram_tl::{enums, functions};
use ferrogram_tl_layers::{answer_to_json, json_to_request};
use support::*;

/// A test-DC number on DC 2 (code 22222).
const TEST_PHONE: &str = "9996621234";

/// A client on the main DC (2) with a fresh key.
async fn client(server: &LocalServer, kind: TransportKind) -> RawClient {
    let mut client = RawClient::to_dc(server, 2, kind).await.expect("connects");
    client.exchange_key(server.public_key()).await.expect("key exchange");
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_signs_up_and_signs_in() {
    let server = start_server().await;
    for (i, kind) in TransportKind::ALL.into_iter().enumerate() {
        let phone = format!("999662{:04}", 1000 + i);
        let mut c = client(&server, kind).await;
        let sent = c.send_code(&phone).await.unwrap_or_else(|e| panic!("{kind}: sendCode: {e}"));
        let answer = c.sign_in(&phone, &sent.phone_code_hash, Some("22222")).await.expect("signIn");
        assert!(matches!(answer, enums::auth::Authorization::SignUpRequired(_)), "{kind}: {answer:?}");
        let user = authorized_user(c.sign_up(&phone, &sent.phone_code_hash, kind.name()).await.expect("signUp"));
        assert!(user.is_self);
        assert_eq!(user.phone.as_deref(), Some(phone.as_str()));
        assert_eq!(c.get_self().await.expect("getUsers(self)").id, user.id, "{kind}");

        // The same number on a new key and connection: the seed's path, straight to the account.
        let mut again = client(&server, kind).await;
        let sent = again.send_code(&phone).await.expect("sendCode");
        let auth = again.sign_in(&phone, &sent.phone_code_hash, Some("22222")).await.expect("signIn");
        assert_eq!(authorized_user(auth).id, user.id, "{kind}");
        assert_eq!(again.get_self().await.expect("getUsers(self)").id, user.id);
    }
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sign_in_error_as_a_client_meets_it() {
    let server = start_server().await;
    let kind = TransportKind::Intermediate;
    let mut c = client(&server, kind).await;

    // PHONE_CODE_EMPTY: no code, and an empty one.
    let sent = c.send_code(TEST_PHONE).await.expect("sendCode");
    assert_rpc_error(c.sign_in(TEST_PHONE, &sent.phone_code_hash, None).await, 400, "PHONE_CODE_EMPTY");
    assert_rpc_error(c.sign_in(TEST_PHONE, &sent.phone_code_hash, Some("")).await, 400, "PHONE_CODE_EMPTY");
    // PHONE_CODE_INVALID: a wrong code.
    assert_rpc_error(c.sign_in(TEST_PHONE, &sent.phone_code_hash, Some("11111")).await, 400, "PHONE_CODE_INVALID");
    // PHONE_CODE_HASH_INVALID: a hash the server never issued.
    assert_rpc_error(c.sign_in(TEST_PHONE, "0123456789abcdef", Some("22222")).await, 400, "PHONE_CODE_HASH_INVALID");
    // PHONE_NUMBER_INVALID (406): not an international number.
    assert_rpc_error(c.sign_in("12ab34", &sent.phone_code_hash, Some("22222")).await, 406, "PHONE_NUMBER_INVALID");
    // PHONE_CODE_EXPIRED: the client cancelled the code.
    let cancel =
        functions::auth::CancelCode { phone_number: TEST_PHONE.into(), phone_code_hash: sent.phone_code_hash.clone() };
    assert!(c.invoke(&cancel).await.expect("cancelCode"));
    assert_rpc_error(c.sign_in(TEST_PHONE, &sent.phone_code_hash, Some("22222")).await, 400, "PHONE_CODE_EXPIRED");

    // SIGN_IN_FAILED: the store fails while signing in; the code stays usable.
    let sent = c.send_code(TEST_PHONE).await.expect("sendCode");
    server.api().store().fail_next_write();
    assert_rpc_error(c.sign_in(TEST_PHONE, &sent.phone_code_hash, Some("22222")).await, 500, "SIGN_IN_FAILED");
    let answer = c.sign_in(TEST_PHONE, &sent.phone_code_hash, Some("22222")).await.expect("signIn after the fault");
    assert!(matches!(answer, enums::auth::Authorization::SignUpRequired(_)), "{answer:?}");

    // SESSION_PASSWORD_NEEDED: an account with 2FA.
    let admin = AdminUser {
        phone: "9996625555".into(),
        first_name: "Two".into(),
        password: Some("correct horse".into()),
        ..AdminUser::default()
    };
    server.api().create_user(&admin, unix_now().as_secs() as i64).expect("admin creates the user");
    let mut p = client(&server, kind).await;
    let sent = p.send_code("9996625555").await.expect("sendCode");
    assert_rpc_error(
        p.sign_in("9996625555", &sent.phone_code_hash, Some("22222")).await,
        401,
        "SESSION_PASSWORD_NEEDED",
    );
    assert_rpc_error(p.get_self().await, 401, "AUTH_KEY_UNREGISTERED");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_older_than_every_known_one_is_refused_not_guessed() {
    let server = start_server().await;
    let mut c = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    c.exchange_key(server.public_key()).await.expect("key exchange");
    // Layer 103 is older than every schema the server has (the oldest is 158).
    assert_eq!(server.layers().layer_for(103), None);
    c.announce_layer(103);
    assert_rpc_error(c.send_code("9996627777").await, 400, "CONNECTION_LAYER_INVALID");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_158_client_signs_up_with_its_own_sign_up() {
    let server = start_server().await;
    let mut c = RawClient::to_dc(&server, 2, TransportKind::Abridged).await.expect("connects");
    c.exchange_key(server.public_key()).await.expect("key exchange");
    // Pyrogram 2.0.106 speaks layer 158, whose auth.signUp#80eee427 has no flags field.
    c.announce_layer(158);
    let sent = c.send_code("9996627777").await.expect("sendCode");
    let answer = c.sign_in("9996627777", &sent.phone_code_hash, Some("22222")).await.expect("signIn");
    assert!(matches!(answer, enums::auth::Authorization::SignUpRequired(_)), "{answer:?}");
    let l158 = server.layers().schema(158).expect("layer 158 ships");
    let sign_up = serde_json::json!({
        "_": "auth.signUp", "phone_number": "9996627777", "phone_code_hash": sent.phone_code_hash,
        "first_name": "Old", "last_name": "Timer",
    });
    let request = json_to_request(l158, &sign_up).expect("a layer-158 signUp");
    assert_eq!(request[..4], 0x80ee_e427u32.to_le_bytes());
    let answer = c.invoke_raw(request).await.expect("signUp");
    // The answer is written in layer 158: its own `user` constructor.
    let json = answer_to_json(l158, "auth.signUp", &answer).expect("the answer is valid in layer 158");
    assert_eq!(json["_"], "auth.authorization", "{json}");
    assert_eq!((json["user"]["first_name"].as_str(), json["user"]["last_name"].as_str()), (Some("Old"), Some("Timer")));
    let user_158 = l158.definition("user").expect("user").id.to_le_bytes();
    assert!(answer.windows(4).any(|w| w == user_158), "{json}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserved_methods_unauthorized_calls_and_other_dcs() {
    let server = start_server().await;
    let mut c = client(&server, TransportKind::PaddedIntermediate).await;
    // Before sign-in, calls that need a user are refused.
    assert_rpc_error(c.get_self().await, 401, "AUTH_KEY_UNREGISTERED");
    // A method the server does not serve: an error, not a hang or a dropped connection.
    // Drafts are not kept here (yet): a method the server does not serve.
    let unserved = functions::messages::GetAllDrafts {};
    assert_rpc_error(c.invoke(&unserved).await, 400, "INPUT_METHOD_INVALID");
    // A test number of DC 3 asked on DC 2: go to DC 3.
    assert_rpc_error(c.send_code("9996631234").await, 303, "PHONE_MIGRATE_3");
    // ... where it signs in.
    let mut on3 = RawClient::to_dc(&server, 3, TransportKind::ObfuscatedIntermediate).await.expect("connects to DC 3");
    on3.exchange_key(server.public_key()).await.expect("key exchange on DC 3");
    let user = on3.log_in_test_number("9996631234", "Three").await.expect("login on DC 3");
    assert_eq!(on3.get_self().await.expect("getUsers(self)").id, user.id);
    // The connection on DC 2 still serves.
    assert!(c.invoke(&functions::help::GetNearestDc {}).await.is_ok());
    server.shutdown().await;
}
