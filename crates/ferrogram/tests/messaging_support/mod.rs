//! What the messaging tests share beyond the update tests' helpers: accounts with usernames.
#![allow(dead_code)]

use ferrogram::{Client, MemorySession, SessionStore};
use ferrogram_server::net::LocalServer;
use ferrogram_server::AdminUser;

use crate::updates_support::{config, now, sign_in};

/// Creates the account `phone` with `username` and returns its id.
pub fn create_named(server: &LocalServer, phone: &str, name: &str, username: &str) -> i64 {
    let user = AdminUser {
        phone: phone.into(),
        first_name: name.into(),
        username: Some(username.into()),
        ..AdminUser::default()
    };
    server.api().create_user(&user, now()).expect("create user").id
}

/// A new account with a username, signed in on a client over `session`.
pub async fn named_with(
    server: &LocalServer,
    phone: &str,
    name: &str,
    username: &str,
    session: impl SessionStore + 'static,
) -> (Client, i64) {
    let id = create_named(server, phone, name, username);
    (signed_in(server, phone, session).await, id)
}

/// A new account with a username, signed in on a client in memory.
pub async fn named(server: &LocalServer, phone: &str, name: &str, username: &str) -> (Client, i64) {
    named_with(server, phone, name, username, MemorySession::new()).await
}

/// A client over `session` signed in to the existing account `phone`.
pub async fn signed_in(server: &LocalServer, phone: &str, session: impl SessionStore + 'static) -> Client {
    let client = Client::new(session, 1, "0123456789abcdef", config(server));
    client.connect().await.expect("connect");
    sign_in(&client, phone).await;
    client
}
