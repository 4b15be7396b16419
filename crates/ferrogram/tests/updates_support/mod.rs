//! What the update tests share: a local server, signed-in accounts, sending, and reading
//! events with a deadline.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrogram::net::OsRandom;
use ferrogram::{Client, ClientConfig, MemorySession, ServerAddress, SessionStore, SignInResult, Update};
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_server::net::{LocalServer, ServerOptions};
use ferrogram_server::AdminUser;
use ferrogram_tl::{enums, functions, types};

/// One RSA key for every server of a test binary (generating one takes a while).
fn rsa_key() -> RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::generate(&mut OsRandom)).clone()
}

pub async fn server() -> LocalServer {
    LocalServer::start(ServerOptions { rsa_key: Some(rsa_key()), ..ServerOptions::ephemeral() })
        .await
        .expect("server starts")
}

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

pub fn config(server: &LocalServer) -> ClientConfig {
    let main = server.main_dc();
    let addr = server.dc_addr(main).unwrap();
    ClientConfig {
        server: Some(ServerAddress::new(addr.ip().to_string(), addr.port(), main, server.public_key().clone())),
        retry_delay: Duration::from_millis(50),
        ..ClientConfig::default()
    }
}

/// Creates the account `phone` (a test number `99966XYYYY`, code `XXXXX`) and returns its id.
pub fn create(server: &LocalServer, phone: &str, name: &str) -> i64 {
    let user = AdminUser { phone: phone.into(), first_name: name.into(), ..AdminUser::default() };
    server.api().create_user(&user, now()).expect("create user").id
}

/// Signs `client` in to the existing account `phone`.
pub async fn sign_in(client: &Client, phone: &str) {
    let token = client.send_code(phone).await.expect("send code");
    let dc = phone.chars().nth(6).expect("a test number");
    let code: String = std::iter::repeat_n(dc, 5).collect();
    match client.sign_in(&token, &code).await.expect("sign in") {
        SignInResult::Authorized(_) => {}
        other => panic!("not signed in: {other:?}"),
    }
}

/// A new account `phone` signed in on a client with `config` over `session`.
pub async fn account_with(
    server: &LocalServer,
    phone: &str,
    name: &str,
    session: impl SessionStore + 'static,
    config: ClientConfig,
) -> (Client, i64) {
    let id = create(server, phone, name);
    let client = Client::new(session, 1, "0123456789abcdef", config);
    client.connect().await.expect("connect");
    sign_in(&client, phone).await;
    (client, id)
}

/// A new account `phone` signed in on a client in memory.
pub async fn account(server: &LocalServer, phone: &str, name: &str) -> (Client, i64) {
    account_with(server, phone, name, MemorySession::new(), config(server)).await
}

/// `phone` as `me` learns it: imported as a contact.
pub async fn peer(me: &Client, phone: &str) -> enums::InputPeer {
    let contact = types::InputPhoneContact {
        client_id: 1,
        phone: phone.into(),
        first_name: "Friend".into(),
        last_name: String::new(),
        note: None,
    };
    let enums::contacts::ImportedContacts::ImportedContacts(imported) =
        me.invoke(&functions::contacts::ImportContacts { contacts: vec![contact.into()] }).await.expect("import");
    match imported.users.into_iter().next() {
        Some(enums::User::User(user)) => {
            types::InputPeerUser { user_id: user.id, access_hash: user.access_hash.expect("a hash") }.into()
        }
        other => panic!("expected the user, got {other:?}"),
    }
}

fn random_id() -> i64 {
    static NEXT: AtomicI64 = AtomicI64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst) ^ now() << 20
}

/// Sends `text` to `peer` and returns the message's id in the sender's box.
pub async fn send(client: &Client, peer: &enums::InputPeer, text: &str) -> i32 {
    let request = functions::messages::SendMessage {
        peer: peer.clone(),
        message: text.into(),
        random_id: random_id(),
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        reply_to: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    };
    match client.invoke(&request).await.expect("sendMessage") {
        enums::Updates::UpdateShortSentMessage(sent) => sent.id,
        other => panic!("unexpected answer to sendMessage: {other:?}"),
    }
}

/// The next event within `within`, if any.
pub async fn next(client: &Client, within: Duration) -> Option<Update> {
    match tokio::time::timeout(within, client.next_update()).await {
        Ok(result) => Some(result.expect("next_update")),
        Err(_) => None,
    }
}

/// Every event that comes within `within` (stops at the first quiet `within`).
pub async fn drain(client: &Client, within: Duration) -> Vec<Update> {
    let mut all = Vec::new();
    while let Some(update) = next(client, within).await {
        all.push(update);
    }
    all
}

/// Waits (up to 10 s) for the first event `pick` accepts, returning what it made of it and the
/// events skipped before it.
pub async fn wait_for<T>(client: &Client, mut pick: impl FnMut(&Update) -> Option<T>) -> (T, Vec<Update>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(update) = next(client, left).await else { panic!("no matching event; got {skipped:#?}") };
        match pick(&update) {
            Some(found) => return (found, skipped),
            None => skipped.push(update),
        }
    }
}

/// The texts of incoming new messages among `updates`.
pub fn texts(updates: &[Update]) -> Vec<String> {
    updates
        .iter()
        .filter_map(|u| match u {
            Update::NewMessage(m) if !m.out => Some(m.text.clone()),
            _ => None,
        })
        .collect()
}

/// Reads events until `count` incoming message texts came (10 s at most for each), and
/// returns them in order; every other event is dropped.
pub async fn texts_of(client: &Client, count: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < count {
        match next(client, Duration::from_secs(10)).await {
            Some(update) => got.extend(texts(std::slice::from_ref(&update))),
            None => panic!("only {} of {count} messages came: {got:?}", got.len()),
        }
    }
    got
}

/// A fresh path for a session file.
pub fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("ferrogram-updates");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{name}-{}.sqlite", std::process::id()));
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}
