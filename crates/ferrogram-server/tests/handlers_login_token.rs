//! Login by QR code through `Api::call_with_pushes`: a signed-out key exports a token, a
//! signed-in account accepts it (and the waiting key gets `updateLoginToken`), the waiting key
//! exports again and is signed in; expiry with the test clock, wrong tokens, a token accepted
//! twice, 2FA, bots, the migration to the account's home DC, and the bounds of the table.

mod common;

use common::*;
use ferrogram_mtproto::crypto::srp;
use ferrogram_server::{AdminUser, Api, ApiConfig, CallContext, Push, RpcError};
use ferrogram_tl::{enums, functions, types, Deserializable, RemoteCall};

fn export(except_ids: Vec<i64>) -> functions::auth::ExportLoginToken {
    functions::auth::ExportLoginToken { api_id: 12345, api_hash: "0123456789abcdef0123456789abcdef".into(), except_ids }
}

fn at(ctx: &CallContext, now: i64) -> CallContext {
    CallContext { now, ..ctx.clone() }
}

/// Invokes `request` through `Api::call_with_pushes`: the decoded answer and the pushes.
fn call_p<R: RemoteCall>(api: &Api, ctx: &CallContext, request: &R) -> (Result<R::Return, RpcError>, Vec<Push>) {
    let mut pushes = Vec::new();
    let answer = api.call_with_pushes(ctx, &request.to_bytes(), &mut pushes);
    (answer.map(|bytes| R::Return::from_bytes_exact(&bytes).expect("the answer decodes")), pushes)
}

/// `auth.exportLoginToken` expecting a fresh `auth.loginToken`.
#[track_caller]
fn new_token(api: &Api, ctx: &CallContext) -> types::auth::LoginToken {
    match call(api, ctx, &export(vec![])).unwrap() {
        enums::auth::LoginToken::LoginToken(token) => token,
        other => panic!("expected auth.loginToken, got {other:?}"),
    }
}

fn accept(api: &Api, ctx: &CallContext, token: &[u8]) -> (Result<enums::Authorization, RpcError>, Vec<Push>) {
    call_p(api, ctx, &functions::auth::AcceptLoginToken { token: token.to_vec() })
}

#[track_caller]
fn success_user(answer: enums::auth::LoginToken) -> types::User {
    match answer {
        enums::auth::LoginToken::Success(success) => authorized_user(success.authorization),
        other => panic!("expected auth.loginTokenSuccess, got {other:?}"),
    }
}

/// A signed-in account on a fresh key of `dc`.
fn signed_in(api: &Api, dc: i32, seed: u64, phone: &str, name: &str) -> (CallContext, types::User) {
    let ctx = new_key(api, dc, seed);
    let user = sign_up(api, &ctx, phone, name);
    (ctx, user)
}

#[test]
fn accepted_token_signs_the_waiting_key_in_and_pushes_to_it() {
    let api = api();
    let (ada, ada_user) = signed_in(&api, 2, 1, PHONE_DC2, "Ada");
    let waiting = new_key(&api, 2, 2);
    let token = new_token(&api, &waiting);
    assert_eq!(token.expires as i64, T0 + 30);
    assert_eq!(token.token.len(), 32);
    // Not accepted yet: exporting again gives another token, and the key is still signed out.
    let second = new_token(&api, &waiting);
    assert_ne!(second.token, token.token);
    assert_error(get_self(&api, &waiting), 401, "AUTH_KEY_UNREGISTERED");

    let (answer, pushes) = accept(&api, &ada, &second.token);
    let enums::Authorization::Authorization(session) = answer.unwrap();
    assert!(session.date_created > 0);
    assert_eq!(pushes.len(), 1, "{pushes:?}");
    assert_eq!(pushes[0].auth_key_id, waiting.auth_key_id);
    match enums::Updates::from_bytes_exact(&pushes[0].updates).unwrap() {
        enums::Updates::UpdateShort(short) => assert!(matches!(short.update, enums::Update::LoginToken(_))),
        other => panic!("expected updateShort(updateLoginToken), got {other:?}"),
    }

    let user = success_user(call(&api, &at(&waiting, T0 + 1), &export(vec![])).unwrap());
    assert_eq!(user.id, ada_user.id);
    assert_eq!(get_self(&api, &waiting).unwrap().id, ada_user.id);
    // The token is used up.
    assert_error(accept(&api, &ada, &second.token).0, 400, "AUTH_TOKEN_INVALIDX");
}

#[test]
fn a_token_expires_and_a_new_export_replaces_it() {
    let api = api();
    let (ada, ada_user) = signed_in(&api, 2, 1, PHONE_DC2, "Ada");
    let waiting = new_key(&api, 2, 2);
    let old = new_token(&api, &waiting);
    // Valid up to the second before `expires`, not at it.
    assert_error(accept(&api, &at(&ada, T0 + 30), &old.token).0, 400, "AUTH_TOKEN_EXPIRED");
    let fresh = new_token(&api, &at(&waiting, T0 + 30));
    assert_eq!(fresh.expires as i64, T0 + 60);
    assert_ne!(fresh.token, old.token);
    assert!(accept(&api, &at(&ada, T0 + 59), &fresh.token).0.is_ok());
    assert_eq!(success_user(call(&api, &at(&waiting, T0 + 61), &export(vec![])).unwrap()).id, ada_user.id);
    // An accepted token waits a lifetime for the exporting key to collect it, then expires.
    let late = new_key(&api, 2, 3);
    let unclaimed = new_token(&api, &at(&late, T0 + 59));
    accept(&api, &at(&ada, T0 + 60), &unclaimed.token).0.unwrap();
    assert!(matches!(
        call(&api, &at(&late, T0 + 90), &export(vec![])).unwrap(),
        enums::auth::LoginToken::LoginToken(_)
    ));
    assert_error(get_self(&api, &late), 401, "AUTH_KEY_UNREGISTERED");
}

#[test]
fn wrong_tokens_are_refused() {
    let api = api();
    let (ada, _) = signed_in(&api, 2, 1, PHONE_DC2, "Ada");
    let waiting = new_key(&api, 2, 2);
    let token = new_token(&api, &waiting);
    let mut wrong = token.token.clone();
    wrong[0] ^= 1;
    assert_error(accept(&api, &ada, &wrong).0, 400, "AUTH_TOKEN_INVALIDX");
    assert_error(accept(&api, &ada, &[]).0, 400, "AUTH_TOKEN_INVALIDX");
    // An export token is not an import token, and a garbage one is neither.
    let import = |token: &[u8]| functions::auth::ImportLoginToken { token: token.to_vec() };
    assert_error(call(&api, &waiting, &import(&token.token)), 400, "AUTH_TOKEN_INVALID");
    assert_error(call(&api, &waiting, &import(&wrong)), 400, "AUTH_TOKEN_INVALID");
    // A signed-out key cannot accept anything.
    assert_error(accept(&api, &new_key(&api, 2, 3), &token.token).0, 401, "AUTH_KEY_UNREGISTERED");
    assert_error(
        call(&api, &waiting, &functions::auth::ExportLoginToken { api_id: 0, ..export(vec![]) }),
        400,
        "API_ID_INVALID",
    );
    assert_error(call(&api, &waiting, &export(vec![7; 101])), 400, "INPUT_REQUEST_TOO_LONG");
}

#[test]
fn a_token_is_accepted_once() {
    let api = api();
    let (ada, ada_user) = signed_in(&api, 2, 1, PHONE_DC2, "Ada");
    let (bob, _) = signed_in(&api, 2, 2, OTHER_PHONE_DC2, "Bob");
    let waiting = new_key(&api, 2, 3);
    let token = new_token(&api, &waiting);
    accept(&api, &ada, &token.token).0.unwrap();
    let (again, pushes) = accept(&api, &bob, &token.token);
    assert_error(again, 400, "AUTH_TOKEN_ALREADY_ACCEPTED");
    assert!(pushes.is_empty());
    assert_error(accept(&api, &ada, &token.token).0, 400, "AUTH_TOKEN_ALREADY_ACCEPTED");
    assert_eq!(success_user(call(&api, &waiting, &export(vec![])).unwrap()).id, ada_user.id);
}

#[test]
fn an_account_the_app_has_already_cannot_accept() {
    let api = api();
    let (ada, ada_user) = signed_in(&api, 2, 1, PHONE_DC2, "Ada");
    let waiting = new_key(&api, 2, 2);
    let enums::auth::LoginToken::LoginToken(token) = call(&api, &waiting, &export(vec![ada_user.id])).unwrap() else {
        panic!("expected a token");
    };
    assert_error(accept(&api, &ada, &token.token).0, 400, "AUTH_TOKEN_EXCEPTION");
    let (bob, _) = signed_in(&api, 2, 3, OTHER_PHONE_DC2, "Bob");
    assert!(accept(&api, &bob, &token.token).0.is_ok());
}

#[test]
fn a_password_protected_account_needs_check_password_after_the_token() {
    let api = api();
    api.create_user(
        &AdminUser {
            phone: PHONE_DC2.into(),
            first_name: "Ada".into(),
            password: Some("correct horse".into()),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    let ada = new_key(&api, 2, 1);
    let sent = send_code(&api, &ada, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    assert_error(
        call(&api, &ada, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        401,
        "SESSION_PASSWORD_NEEDED",
    );
    let enums::account::Password::Password(info) = call(&api, &ada, &functions::account::GetPassword {}).unwrap();
    let ada_user = authorized_user(call(&api, &ada, &check_password_request("correct horse", &info)).unwrap());

    let waiting = new_key(&api, 2, 2);
    let token = new_token(&api, &waiting);
    accept(&api, &ada, &token.token).0.unwrap();
    assert_error(call(&api, &waiting, &export(vec![])), 401, "SESSION_PASSWORD_NEEDED");
    assert_error(get_self(&api, &waiting), 401, "AUTH_KEY_UNREGISTERED");
    // The token is used: the key now waits for the password, as after auth.signIn.
    assert!(matches!(call(&api, &waiting, &export(vec![])).unwrap(), enums::auth::LoginToken::LoginToken(_)));
    let enums::account::Password::Password(info) = call(&api, &waiting, &functions::account::GetPassword {}).unwrap();
    assert!(info.has_password);
    let user = authorized_user(call(&api, &waiting, &check_password_request("correct horse", &info)).unwrap());
    assert_eq!(user.id, ada_user.id);
    assert_eq!(get_self(&api, &waiting).unwrap().id, ada_user.id);
}

/// What a client computes for `auth.checkPassword` from `account.password`.
fn check_password_request(password: &str, info: &types::account::Password) -> functions::auth::CheckPassword {
    let Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)) =
        info.current_algo.as_deref()
    else {
        panic!("no current algorithm: {info:?}");
    };
    let params = srp::SrpParams { salt1: algo.salt1.clone(), salt2: algo.salt2.clone(), g: algo.g, p: algo.p.clone() };
    let answer =
        srp::client_answer(password.as_bytes(), &params, info.srp_b.as_deref().unwrap(), &mut *test_random(99))
            .unwrap();
    functions::auth::CheckPassword {
        password: types::InputCheckPasswordSrp { srp_id: info.srp_id.unwrap(), a: answer.a, m1: answer.m1 }.into(),
    }
}

#[test]
fn bots_cannot_use_qr_login() {
    let api = api();
    let bot_token = api.create_bot("Echo", T0).unwrap();
    let bot = new_key(&api, 2, 1);
    let import_bot = functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 12345,
        api_hash: "0123456789abcdef0123456789abcdef".into(),
        bot_auth_token: bot_token,
    };
    call(&api, &bot, &import_bot).unwrap();
    let waiting = new_key(&api, 2, 2);
    let token = new_token(&api, &waiting);
    assert_error(accept(&api, &bot, &token.token).0, 400, "BOT_METHOD_INVALID");
    assert_error(call(&api, &bot, &export(vec![])), 400, "BOT_METHOD_INVALID");
    assert_error(
        call(&api, &bot, &functions::auth::ImportLoginToken { token: token.token }),
        400,
        "BOT_METHOD_INVALID",
    );
}

#[test]
fn an_account_on_another_dc_migrates_with_an_import_token() {
    let api = api();
    let (ada, ada_user) = signed_in(&api, 3, 1, PHONE_DC3, "Ada");
    let waiting = new_key(&api, 2, 2);
    let token = new_token(&api, &waiting);
    // The phone's account lives on DC 3 and accepts there; the waiting key is on DC 2.
    let (answer, pushes) = accept(&api, &ada, &token.token);
    answer.unwrap();
    assert_eq!(pushes.len(), 1);
    let migrate = match call(&api, &waiting, &export(vec![])).unwrap() {
        enums::auth::LoginToken::MigrateTo(migrate) => migrate,
        other => panic!("expected auth.loginTokenMigrateTo, got {other:?}"),
    };
    assert_eq!(migrate.dc_id, 3);
    assert_ne!(migrate.token, token.token);
    assert_error(get_self(&api, &waiting), 401, "AUTH_KEY_UNREGISTERED");

    let import = functions::auth::ImportLoginToken { token: migrate.token.clone() };
    // Only on DC 3, only once.
    assert_error(call(&api, &waiting, &import), 400, "AUTH_TOKEN_INVALID");
    let on_dc3 = new_key(&api, 3, 3);
    assert_eq!(success_user(call(&api, &on_dc3, &import).unwrap()).id, ada_user.id);
    assert_eq!(get_self(&api, &on_dc3).unwrap().id, ada_user.id);
    assert_error(call(&api, &new_key(&api, 3, 4), &import), 400, "AUTH_TOKEN_INVALID");

    // An import token expires like the others.
    let waiting = new_key(&api, 2, 5);
    let token = new_token(&api, &waiting);
    accept(&api, &ada, &token.token).0.unwrap();
    let enums::auth::LoginToken::MigrateTo(migrate) = call(&api, &waiting, &export(vec![])).unwrap() else {
        panic!("expected a migration");
    };
    let import = functions::auth::ImportLoginToken { token: migrate.token };
    assert_error(call(&api, &at(&new_key(&api, 3, 6), T0 + 30), &import), 400, "AUTH_TOKEN_EXPIRED");
}

#[test]
fn tokens_are_bounded_per_key_and_in_total_and_pruned() {
    let config = ApiConfig { max_login_tokens_per_key: 2, max_login_tokens: 3, ..config() };
    let api = Api::open(None, config, test_random(7)).unwrap();
    let (ada, _) = signed_in(&api, 2, 1, PHONE_DC2, "Ada");
    let waiting = new_key(&api, 2, 2);
    let first = new_token(&api, &waiting);
    let second = new_token(&api, &at(&waiting, T0 + 1));
    let third = new_token(&api, &at(&waiting, T0 + 2));
    // The key keeps its newest two.
    assert_eq!(api.store().login_token_count().unwrap(), 2);
    assert_error(accept(&api, &ada, &first.token).0, 400, "AUTH_TOKEN_INVALIDX");

    let other = new_key(&api, 2, 3);
    new_token(&api, &at(&other, T0 + 3));
    // Three tokens in all: a fourth key waits until the oldest (`second`, expired at T0 + 31)
    // has been kept a lifetime past its expiry.
    let fourth = new_key(&api, 2, 4);
    assert_error(call(&api, &at(&fourth, T0 + 4), &export(vec![])), 420, "FLOOD_WAIT_57");
    assert_error(accept(&api, &at(&ada, T0 + 60), &second.token).0, 400, "AUTH_TOKEN_EXPIRED");
    let fresh = new_token(&api, &at(&fourth, T0 + 61));
    assert_ne!(fresh.token, second.token);
    assert_error(accept(&api, &at(&ada, T0 + 61), &second.token).0, 400, "AUTH_TOKEN_INVALIDX");
    assert_error(accept(&api, &at(&ada, T0 + 61), &third.token).0, 400, "AUTH_TOKEN_EXPIRED");

    let pruned = api.prune(T0 + 1000, &ferrogram_server::Budgets::default()).unwrap();
    assert_eq!(pruned.login_tokens, 3);
    assert_eq!(api.store().login_token_count().unwrap(), 0);
}
