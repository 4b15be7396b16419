//! The client against the real local server (`ferrogram_server::net::LocalServer`) over TCP, for
//! every transport: sign in, sign up, 2FA, bot sign-in, log out, DC migration, and each seed
//! error as its typed value.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrogram::net::OsRandom;
use ferrogram::{
    Client, ClientConfig, MemorySession, ServerAddress, SessionStore, SignInError, SignInResult, StartCallbacks,
    TransportKind,
};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::AdminUser;
use ferrogram_tl::{enums, functions};

/// One RSA key for every server of this file (generating one takes a while).
fn rsa_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut OsRandom)).clone()
}

async fn server() -> LocalServer {
    LocalServer::start(ServerOptions { rsa_key: Some(rsa_key()), ..ServerOptions::ephemeral() })
        .await
        .expect("server starts")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn config(server: &LocalServer, transport: TransportKind) -> ClientConfig {
    let main = server.main_dc();
    let addr = server.dc_addr(main).unwrap();
    ClientConfig {
        transport,
        server: Some(ServerAddress::new(addr.ip().to_string(), addr.port(), main, server.public_key().clone())),
        retry_delay: Duration::from_millis(50),
        ..ClientConfig::default()
    }
}

fn client(server: &LocalServer, transport: TransportKind) -> Client {
    Client::new(MemorySession::new(), 1, "0123456789abcdef", config(server, transport))
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_then_sign_in_then_log_out() {
    for kind in TransportKind::ALL {
        let server = server().await;
        let client = client(&server, kind);
        client.connect().await.unwrap();
        assert!(!client.is_authorized().await.unwrap(), "{kind}");

        let token = client.send_code("+9996621234").await.unwrap();
        let result = client.sign_in(&token, "22222").await.unwrap();
        assert!(matches!(result, SignInResult::SignUpRequired { .. }), "{kind}: {result:?}");
        let user = client.sign_up(&token, "Ferro", "Gram").await.unwrap();
        assert_eq!(user.first_name.as_deref(), Some("Ferro"));
        assert!(client.is_authorized().await.unwrap(), "{kind}");
        assert_eq!(client.get_me().await.unwrap().id, user.id);

        client.log_out().await.unwrap();
        assert!(!client.is_authorized().await.unwrap(), "{kind}");

        // The account exists now: signing in again authorizes it.
        let token = client.send_code("+9996621234").await.unwrap();
        match client.sign_in(&token, "22222").await.unwrap() {
            SignInResult::Authorized(again) => assert_eq!(again.id, user.id, "{kind}"),
            other => panic!("{kind}: {other:?}"),
        }
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_step_verification() {
    for kind in TransportKind::ALL {
        let server = server().await;
        let admin = AdminUser {
            phone: "+9996625555".into(),
            first_name: "Two".into(),
            password: Some("correct horse".into()),
            password_hint: Some("horse".into()),
            ..AdminUser::default()
        };
        let created = server.api().create_user(&admin, now()).unwrap();
        let client = client(&server, kind);
        let token = client.send_code("+9996625555").await.unwrap();
        let error = client.sign_in(&token, "22222").await.unwrap_err();
        let SignInError::PasswordRequired(password) = error else { panic!("{kind}: {error:?}") };
        assert_eq!(password.hint(), Some("horse"));
        let wrong = client.check_password(*password, "wrong").await.unwrap_err();
        assert!(matches!(wrong, SignInError::PasswordHashInvalid), "{kind}: {wrong:?}");
        let password = client.password_token().await.unwrap();
        let user = client.check_password(password, "correct horse").await.unwrap();
        assert_eq!(user.id, created.id, "{kind}");
        assert!(client.is_authorized().await.unwrap());
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bot_sign_in() {
    for kind in TransportKind::ALL {
        let server = server().await;
        let token = server.api().create_bot("ferro", now()).unwrap();
        let client = client(&server, kind);
        let bot = client.bot_sign_in(&token).await.unwrap();
        assert!(bot.bot, "{kind}");
        assert_eq!(client.session_data().user.map(|u| u.bot), Some(true));
        let wrong = client.bot_sign_in("1:wrong").await.unwrap_err();
        assert!(matches!(wrong, SignInError::AccessTokenInvalid) || wrong.rpc().is_some(), "{kind}: {wrong:?}");
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn phone_migrate_moves_the_client_to_the_numbers_dc() {
    for kind in TransportKind::ALL {
        let server = server().await;
        assert_eq!(server.main_dc(), 2);
        let store = std::sync::Arc::new(MemorySession::new());
        let client = Client::new(store.clone(), 1, "0123456789abcdef", config(&server, kind));
        client.connect().await.unwrap();
        // 99966 3 YYYY lives on DC 3.
        let token = client.send_code("+9996631234").await.unwrap();
        assert_eq!(client.home_dc(), 3, "{kind}");
        let data = store.load().unwrap();
        assert_eq!(data.home_dc, Some(3));
        assert_eq!(data.dc(3).map(|dc| dc.port), server.dc_addr(3).map(|a| a.port()));
        assert!(data.dc(3).and_then(|dc| dc.auth_key.as_ref()).is_some());
        let result = client.sign_in(&token, "33333").await.unwrap();
        let user = match result {
            SignInResult::SignUpRequired { .. } => client.sign_up(&token, "Three", "").await.unwrap(),
            SignInResult::Authorized(user) => *user,
        };
        assert_eq!(client.get_me().await.unwrap().id, user.id);
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_errors_surface_typed() {
    for kind in TransportKind::ALL {
        let server = server().await;
        let client = client(&server, kind);

        let invalid = client.send_code("not a number").await.unwrap_err();
        assert!(matches!(invalid, SignInError::PhoneNumberInvalid), "{kind}: {invalid:?}");

        let first = client.send_code("+9996621234").await.unwrap();
        let empty = client.sign_in(&first, "").await.unwrap_err();
        assert!(matches!(empty, SignInError::PhoneCodeEmpty), "{kind}: {empty:?}");
        let wrong = client.sign_in(&first, "00000").await.unwrap_err();
        assert!(matches!(wrong, SignInError::PhoneCodeInvalid), "{kind}: {wrong:?}");

        // A newer code supersedes the first: its hash answers PHONE_CODE_EXPIRED.
        let second = client.send_code("+9996621234").await.unwrap();
        assert_ne!(first.phone_code_hash, second.phone_code_hash);
        let expired = client.sign_in(&first, "22222").await.unwrap_err();
        assert!(matches!(expired, SignInError::PhoneCodeExpired), "{kind}: {expired:?}");

        // The same errors through the raw seed call, as the method's typed error.
        let raw = client
            .invoke(&functions::auth::SignIn {
                phone_number: "+9996621234".into(),
                phone_code_hash: second.phone_code_hash.clone(),
                phone_code: Some("00000".into()),
                email_verification: None,
            })
            .await
            .unwrap_err();
        assert_eq!(
            raw.rpc_for::<functions::auth::SignIn>(),
            Some(ferrogram_tl::errors::auth::SignInError::PhoneCodeInvalid),
            "{kind}"
        );
        assert_eq!(raw.rpc().and_then(|e| e.caused_by), Some("auth.signIn"));

        // The store fails while signing in to an account: 500 SIGN_IN_FAILED. A client that
        // may try a call once sees it typed; the default client retries a 500 (as GramJS does)
        // and gets in, since the failed transaction left the code usable.
        let account =
            ferrogram_server::AdminUser { phone: "+9996621234".into(), first_name: "Ada".into(), ..Default::default() };
        server.api().create_user(&account, 0).unwrap();
        let once = Client::new(
            MemorySession::new(),
            1,
            "0123456789abcdef",
            ClientConfig { request_retries: 1, ..config(&server, kind) },
        );
        // The first call of a connection records the client's layer (a write): make it first.
        once.invoke(&functions::help::GetNearestDc {}).await.unwrap();
        server.api().store().fail_next_write();
        let failed = once.sign_in(&second, "22222").await.unwrap_err();
        assert!(matches!(failed, SignInError::SignInFailed), "{kind}: {failed:?}");
        server.api().store().fail_next_write();
        assert!(client.sign_in(&second, "22222").await.is_ok(), "{kind}: retried after SIGN_IN_FAILED");
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn start_signs_up_a_new_number() {
    let server = server().await;
    let client = client(&server, TransportKind::Abridged);
    let asked = Mutex::new(Vec::new());
    let mut callbacks = StartCallbacks::new(
        || "+9996627777".into(),
        |token| {
            asked.lock().unwrap().push(token.phone.clone());
            "22222".into()
        },
        |_| panic!("no password on a new account"),
    );
    callbacks.first_name = Box::new(|| ("New".into(), "Account".into()));
    let user = client.start(callbacks).await.unwrap();
    assert_eq!(user.first_name.as_deref(), Some("New"));
    assert_eq!(asked.lock().unwrap().as_slice(), ["+9996627777"]);
    // Config and the seed's invoke work once signed in.
    let enums::Config::Config(config) = client.invoke(&functions::help::GetConfig {}).await.unwrap();
    assert_eq!(config.this_dc, 2);
    server.shutdown().await;
}
