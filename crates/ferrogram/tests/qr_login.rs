//! Login by QR code end to end against the local server over TCP: a signed-in client accepts
//! the link a signed-out client shows, and the signed-out one ends signed in to the same
//! account; with a link that expires first and is renewed, an account on another DC, a 2FA
//! password, and the accepting side's errors.

use std::sync::OnceLock;
use std::time::Duration;

use ferrogram::net::OsRandom;
use ferrogram::{AcceptLoginError, Client, ClientConfig, MemorySession, ServerAddress, SignInError, SignInResult};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::{AdminUser, ApiConfig};
use ferrogram_tl::types;
use tokio::sync::mpsc;

/// How long any one test may take before it counts as hung.
const DEADLINE: Duration = Duration::from_secs(60);

fn rsa_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut OsRandom)).clone()
}

async fn server_with(api: Option<ApiConfig>) -> LocalServer {
    LocalServer::start(ServerOptions { rsa_key: Some(rsa_key()), api, ..ServerOptions::ephemeral() })
        .await
        .expect("server starts")
}

fn client(server: &LocalServer) -> Client {
    let main = server.main_dc();
    let addr = server.dc_addr(main).unwrap();
    let config = ClientConfig {
        server: Some(ServerAddress::new(addr.ip().to_string(), addr.port(), main, server.public_key().clone())),
        retry_delay: Duration::from_millis(50),
        ..ClientConfig::default()
    };
    Client::new(MemorySession::new(), 1, "0123456789abcdef", config)
}

/// A client signed in to a new account with the test number `phone` (`99966XYYYY`, code XXXXX).
async fn signed_up(server: &LocalServer, phone: &str, name: &str) -> (Client, types::User) {
    let client = client(server);
    client.connect().await.unwrap();
    let token = client.send_code(phone).await.unwrap();
    let code = phone.chars().nth(6).unwrap().to_string().repeat(5);
    let user = match client.sign_in(&token, &code).await.unwrap() {
        SignInResult::SignUpRequired { .. } => client.sign_up(&token, name, "").await.unwrap(),
        SignInResult::Authorized(user) => *user,
    };
    (client, user)
}

/// Starts a QR login on `client` and waits for it in a task; the links it renews come out of
/// the channel.
async fn qr_login_in_background(
    client: &Client,
) -> (String, mpsc::UnboundedReceiver<String>, tokio::task::JoinHandle<Result<types::User, SignInError>>) {
    let login = client.qr_login().await.unwrap();
    let first = login.url();
    assert!(first.starts_with("tg://login?token="), "{first}");
    assert!(login.expires() > std::time::SystemTime::now());
    let (renewed, links) = mpsc::unbounded_channel();
    let waiting = tokio::spawn(login.wait(move |next| {
        let _ = renewed.send(next.url());
    }));
    (first, links, waiting)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_in_client_signs_another_in_by_its_link() {
    tokio::time::timeout(DEADLINE, async {
        let server = server_with(None).await;
        let (phone, ada) = signed_up(&server, "+9996621234", "Ada").await;
        let (bob, _) = signed_up(&server, "+9996621235", "Bob").await;
        let waiting = client(&server);
        waiting.connect().await.unwrap();
        let (url, _links, finished) = qr_login_in_background(&waiting).await;

        let session = phone.accept_login_token(&url).await.unwrap();
        assert!(session.date_created > 0);
        let user = finished.await.unwrap().unwrap();
        assert_eq!(user.id, ada.id);
        assert_eq!(waiting.get_me().await.unwrap().id, ada.id);
        // Saved in the session like any sign-in.
        assert_eq!(waiting.session_data().user.map(|u| u.id), Some(ada.id));

        // The link is used up; a second acceptance and a malformed link say so.
        assert!(matches!(bob.accept_login_token(&url).await, Err(AcceptLoginError::Invalid)), "used link");
        assert!(matches!(bob.accept_login_token("https://example.com/login").await, Err(AcceptLoginError::Url(_))));
        server.shutdown().await;
    })
    .await
    .expect("the test finishes");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_accepted_link_cannot_be_accepted_again() {
    tokio::time::timeout(DEADLINE, async {
        let server = server_with(None).await;
        let (ada_phone, ada) = signed_up(&server, "+9996621234", "Ada").await;
        let (bob_phone, _) = signed_up(&server, "+9996621235", "Bob").await;
        let waiting = client(&server);
        waiting.connect().await.unwrap();
        let (url, _links, finished) = qr_login_in_background(&waiting).await;
        ada_phone.accept_login_token(&url).await.unwrap();
        let again = bob_phone.accept_login_token(&url).await;
        // Bob may be late enough to find the link used up by the waiting client already.
        assert!(matches!(again, Err(AcceptLoginError::AlreadyAccepted | AcceptLoginError::Invalid)), "{again:?}");
        assert_eq!(finished.await.unwrap().unwrap().id, ada.id);
        server.shutdown().await;
    })
    .await
    .expect("the test finishes");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_link_is_renewed_and_the_new_one_works() {
    tokio::time::timeout(DEADLINE, async {
        let api = ApiConfig { login_token_lifetime: 3, ..ApiConfig::new(Vec::new()) };
        let server = server_with(Some(api)).await;
        let (phone, ada) = signed_up(&server, "+9996621234", "Ada").await;
        let waiting = client(&server);
        waiting.connect().await.unwrap();
        let (first, mut links, finished) = qr_login_in_background(&waiting).await;

        // The waiting client renews the link when it expires.
        let mut latest = links.recv().await.expect("a renewed link");
        assert_ne!(latest, first);
        let expired = phone.accept_login_token(&first).await;
        assert!(matches!(expired, Err(AcceptLoginError::Expired)), "{expired:?}");
        // The renewed link works (on a slow machine it may have been renewed again meanwhile:
        // then the newest does).
        loop {
            match phone.accept_login_token(&latest).await {
                Ok(_) => break,
                Err(AcceptLoginError::Expired) => latest = links.recv().await.expect("a renewed link"),
                Err(other) => panic!("{other:?}"),
            }
        }
        assert_eq!(finished.await.unwrap().unwrap().id, ada.id);
        assert_eq!(waiting.get_me().await.unwrap().id, ada.id);
        server.shutdown().await;
    })
    .await
    .expect("the test finishes");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_account_on_another_dc_moves_the_client_there() {
    tokio::time::timeout(DEADLINE, async {
        let server = server_with(None).await;
        assert_eq!(server.main_dc(), 2);
        // 99966 3 YYYY lives on DC 3; the waiting client starts on DC 2.
        let (phone, ada) = signed_up(&server, "+9996631234", "Ada").await;
        assert_eq!(phone.home_dc(), 3);
        let waiting = client(&server);
        waiting.connect().await.unwrap();
        assert_eq!(waiting.home_dc(), 2);
        let (url, _links, finished) = qr_login_in_background(&waiting).await;
        phone.accept_login_token(&url).await.unwrap();
        assert_eq!(finished.await.unwrap().unwrap().id, ada.id);
        assert_eq!(waiting.home_dc(), 3);
        assert_eq!(waiting.session_data().home_dc, Some(3));
        assert_eq!(waiting.get_me().await.unwrap().id, ada.id);
        server.shutdown().await;
    })
    .await
    .expect("the test finishes");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_protected_account_asks_for_the_password() {
    tokio::time::timeout(DEADLINE, async {
        let server = server_with(None).await;
        let admin_user = AdminUser {
            phone: "+9996621236".into(),
            first_name: "Ada".into(),
            password: Some("correct horse".into()),
            ..Default::default()
        };
        server.api().create_user(&admin_user, 0).unwrap();
        let phone = client(&server);
        phone.connect().await.unwrap();
        let token = phone.send_code("+9996621236").await.unwrap();
        let password = match phone.sign_in(&token, "22222").await {
            Err(SignInError::PasswordRequired(password)) => *password,
            other => panic!("{other:?}"),
        };
        let ada = phone.check_password(password, "correct horse").await.unwrap();

        let waiting = client(&server);
        waiting.connect().await.unwrap();
        let (url, _links, finished) = qr_login_in_background(&waiting).await;
        phone.accept_login_token(&url).await.unwrap();
        let password = match finished.await.unwrap() {
            Err(SignInError::PasswordRequired(password)) => *password,
            other => panic!("expected the password step, got {other:?}"),
        };
        assert!(!waiting.is_authorized().await.unwrap());
        let user = waiting.check_password(password, "correct horse").await.unwrap();
        assert_eq!(user.id, ada.id);
        assert_eq!(waiting.get_me().await.unwrap().id, ada.id);
        server.shutdown().await;
    })
    .await
    .expect("the test finishes");
}
