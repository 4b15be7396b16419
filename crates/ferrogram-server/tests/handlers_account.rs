//! Accounts beyond the plain code login, through `Api::call`: 2FA with SRP, login email, bots,
//! log-out, DC migration with export/import of the authorization, and a restart on the same
//! data dir.

mod common;

use common::*;
use ferrogram_mtproto::crypto::srp;
use ferrogram_server::AdminUser;
use ferrogram_tl::{enums, functions, types};

fn get_password(api: &ferrogram_server::Api, ctx: &ferrogram_server::CallContext) -> types::account::Password {
    match call(api, ctx, &functions::account::GetPassword {}).unwrap() {
        enums::account::Password::Password(p) => p,
    }
}

/// What a client computes for `auth.checkPassword` from `account.password`.
fn check_password_request(password: &str, info: &types::account::Password) -> functions::auth::CheckPassword {
    let Some(enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)) =
        info.current_algo.as_deref()
    else {
        panic!("no current algorithm: {info:?}");
    };
    let params = srp::SrpParams { salt1: algo.salt1.clone(), salt2: algo.salt2.clone(), g: algo.g, p: algo.p.clone() };
    let mut random = test_random(99);
    let answer =
        srp::client_answer(password.as_bytes(), &params, info.srp_b.as_deref().unwrap(), &mut *random).unwrap();
    functions::auth::CheckPassword {
        password: types::InputCheckPasswordSrp { srp_id: info.srp_id.unwrap(), a: answer.a, m1: answer.m1 }.into(),
    }
}

#[test]
fn two_factor_account_needs_the_password_after_the_code() {
    let api = api();
    let user = api
        .create_user(
            &AdminUser {
                phone: PHONE_DC2.into(),
                first_name: "Ada".into(),
                password: Some("correct horse".into()),
                password_hint: Some("horse".into()),
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    let ctx = new_key(&api, 2, 1);
    // Nothing to ask for before a sign-in started.
    assert_error(call(&api, &ctx, &functions::account::GetPassword {}), 401, "AUTH_KEY_UNREGISTERED");

    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        401,
        "SESSION_PASSWORD_NEEDED",
    );
    assert_error(get_self(&api, &ctx), 401, "AUTH_KEY_UNREGISTERED");

    let info = get_password(&api, &ctx);
    assert!(info.has_password);
    assert_eq!(info.hint.as_deref(), Some("horse"));
    // A wrong password, then the same srp_id again (each srp_B answers one check).
    let wrong = check_password_request("wrong horse", &info);
    assert_error(call(&api, &ctx, &wrong), 400, "PASSWORD_HASH_INVALID");
    assert_error(call(&api, &ctx, &check_password_request("correct horse", &info)), 400, "SRP_ID_INVALID");
    let empty = functions::auth::CheckPassword { password: types::InputCheckPasswordEmpty {}.into() };
    assert_error(call(&api, &ctx, &empty), 400, "PASSWORD_HASH_INVALID");

    let info = get_password(&api, &ctx);
    let signed = authorized_user(call(&api, &ctx, &check_password_request("correct horse", &info)).unwrap());
    assert_eq!(signed.id, user.id);
    assert_eq!(get_self(&api, &ctx).unwrap().id, user.id);
}

#[test]
fn wrong_passwords_are_flood_limited() {
    let api = api();
    api.create_user(
        &AdminUser {
            phone: PHONE_DC2.into(),
            first_name: "Ada".into(),
            password: Some("pw".into()),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        401,
        "SESSION_PASSWORD_NEEDED",
    );
    let limit = api.config().password_attempt_limit;
    for _ in 1..limit {
        let info = get_password(&api, &ctx);
        assert_error(call(&api, &ctx, &check_password_request("nope", &info)), 400, "PASSWORD_HASH_INVALID");
    }
    let info = get_password(&api, &ctx);
    let window = api.config().password_window;
    assert_error(call(&api, &ctx, &check_password_request("nope", &info)), 420, &format!("FLOOD_WAIT_{window}"));
    let info = get_password(&api, &ctx);
    assert_error(call(&api, &ctx, &check_password_request("pw", &info)), 420, &format!("FLOOD_WAIT_{window}"));
    let mut later = ctx.clone();
    later.now += window;
    let info = get_password(&api, &later);
    assert!(call(&api, &later, &check_password_request("pw", &info)).is_ok());
}

#[test]
fn login_email_account_gets_an_email_code_and_must_send_email_verification() {
    let api = api();
    api.create_user(
        &AdminUser {
            phone: PHONE_DC2.into(),
            first_name: "Ada".into(),
            login_email: Some("ada@example.com".into()),
            ..Default::default()
        },
        T0,
    )
    .unwrap();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let enums::auth::SentCodeType::EmailCode(email) = &sent.r#type else {
        panic!("expected an email code, got {:?}", sent.r#type);
    };
    assert_eq!(email.email_pattern, "a***@example.com");
    assert_eq!(email.length, 5);
    let code = code_for(&api, &sent.phone_code_hash);

    // The code typed as a phone code is not the email verification the login needs.
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        400,
        "PHONE_CODE_EMPTY",
    );
    let with_email = |code: &str| functions::auth::SignIn {
        phone_number: PHONE_DC2.into(),
        phone_code_hash: sent.phone_code_hash.clone(),
        phone_code: None,
        email_verification: Some(types::EmailVerificationCode { code: code.into() }.into()),
    };
    let wrong = if code == "12345" { "54321" } else { "12345" };
    assert_error(call(&api, &ctx, &with_email(wrong)), 400, "CODE_INVALID");
    assert!(matches!(call(&api, &ctx, &with_email(&code)).unwrap(), enums::auth::Authorization::Authorization(_)));
}

#[test]
fn bot_signs_in_with_its_token() {
    let api = api();
    let token = api.create_bot("Echo", T0).unwrap();
    let (id, secret) = token.split_once(':').unwrap();
    let ctx = new_key(&api, 2, 1);
    let import = |token: &str| functions::auth::ImportBotAuthorization {
        flags: 0,
        api_id: 12345,
        api_hash: "0123456789abcdef0123456789abcdef".into(),
        bot_auth_token: token.into(),
    };
    let mut bad_secret = secret.to_owned();
    bad_secret.replace_range(..1, if secret.starts_with('0') { "1" } else { "0" });
    for bad in [
        format!("{id}:{bad_secret}"),
        id.to_string(),
        format!("x:{secret}"),
        format!("{}:{secret}", id.parse::<i64>().unwrap() + 1),
        String::new(),
    ] {
        assert_error(call(&api, &ctx, &import(&bad)), 400, "ACCESS_TOKEN_INVALID");
    }
    let bot = authorized_user(call(&api, &ctx, &import(&token)).unwrap());
    assert!(bot.bot);
    assert_eq!(bot.id.to_string(), id);
    assert_eq!(bot.username.as_deref(), Some("Echo_bot"));
    assert_eq!(get_self(&api, &ctx).unwrap().id, bot.id);
}

#[test]
fn log_out_then_calls_needing_a_user_answer_401() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    assert_error(call(&api, &ctx, &functions::updates::GetState {}), 401, "AUTH_KEY_UNREGISTERED");
    assert_error(call(&api, &ctx, &functions::auth::LogOut {}), 401, "AUTH_KEY_UNREGISTERED");
    sign_up(&api, &ctx, PHONE_DC2, "Ada");
    let enums::updates::State::State(state) = call(&api, &ctx, &functions::updates::GetState {}).unwrap();
    assert_eq!(i64::from(state.date), T0);
    let logged_out = call(&api, &ctx, &functions::auth::LogOut {}).unwrap();
    assert!(matches!(logged_out, enums::auth::LoggedOut::LoggedOut(_)));
    assert_error(get_self(&api, &ctx), 401, "AUTH_KEY_UNREGISTERED");
    assert_error(call(&api, &ctx, &functions::updates::GetState {}), 401, "AUTH_KEY_UNREGISTERED");
    assert_error(
        call(&api, &ctx, &functions::users::GetFullUser { id: types::InputUserSelf {}.into() }),
        401,
        "AUTH_KEY_UNREGISTERED",
    );
}

#[test]
fn number_of_another_dc_migrates_and_the_authorization_moves_between_dcs() {
    let api = api();
    let on_dc2 = new_key(&api, 2, 1);
    // A test-DC number lives on its DC from the start.
    assert_error(call(&api, &on_dc2, &send_code_request("9996611234")), 303, "PHONE_MIGRATE_1");

    // A new number registers where it asks (DC 3); from then on DC 3 is its home.
    let on_dc3 = new_key(&api, 3, 1);
    let user = sign_up(&api, &on_dc3, PHONE_DC3, "Ada");
    assert_error(call(&api, &on_dc2, &send_code_request(PHONE_DC3)), 303, "PHONE_MIGRATE_3");

    // Then it needs DC 1 (say, for a file): export on DC 3, import with a key of DC 1.
    assert_error(call(&api, &on_dc3, &functions::auth::ExportAuthorization { dc_id: 9 }), 400, "DC_ID_INVALID");
    let enums::auth::ExportedAuthorization::ExportedAuthorization(exported) =
        call(&api, &on_dc3, &functions::auth::ExportAuthorization { dc_id: 1 }).unwrap();
    assert_eq!(exported.id, user.id);
    let on_dc1 = new_key(&api, 1, 1);
    let import = |bytes: Vec<u8>, id: i64| functions::auth::ImportAuthorization { id, bytes };
    // Imported on the wrong DC, with other bytes, or for another user: refused.
    let elsewhere = new_key(&api, 2, 7);
    assert_error(call(&api, &elsewhere, &import(exported.bytes.clone(), exported.id)), 400, "AUTH_BYTES_INVALID");
    let mut forged = exported.bytes.clone();
    forged[0] ^= 1;
    assert_error(call(&api, &on_dc1, &import(forged, exported.id)), 400, "AUTH_BYTES_INVALID");
    assert_error(call(&api, &on_dc1, &import(exported.bytes.clone(), 4242)), 400, "USER_ID_INVALID");

    let imported = authorized_user(call(&api, &on_dc1, &import(exported.bytes.clone(), exported.id)).unwrap());
    assert_eq!(imported.id, user.id);
    assert_eq!(get_self(&api, &on_dc1).unwrap().id, user.id);
    // Single use.
    let another = new_key(&api, 1, 2);
    assert_error(call(&api, &another, &import(exported.bytes, exported.id)), 400, "AUTH_BYTES_INVALID");

    // An export expires.
    let enums::auth::ExportedAuthorization::ExportedAuthorization(exported) =
        call(&api, &on_dc3, &functions::auth::ExportAuthorization { dc_id: 1 }).unwrap();
    let mut late = another.clone();
    late.now += api.config().export_lifetime;
    assert_error(call(&api, &late, &import(exported.bytes, exported.id)), 400, "AUTH_BYTES_INVALID");
}

#[test]
fn restart_on_the_same_data_dir_keeps_users_and_signed_in_keys() {
    let dir = tempfile::tempdir().unwrap();
    let (ctx, user, layer) = {
        let api = api_on(dir.path(), 1);
        let ctx = new_key(&api, 2, 1);
        let user = sign_up(&api, &ctx, PHONE_DC2, "Ada");
        let wrapped = functions::InvokeWithLayer { layer: 198, query: functions::help::GetNearestDc {} };
        call(&api, &ctx, &wrapped).unwrap();
        (ctx, user, 198)
    };
    let api = api_on(dir.path(), 2);
    let key = api.auth_key(ctx.auth_key_id).unwrap().expect("the key survived the restart");
    assert_eq!(key.user_id, Some(user.id));
    assert_eq!(key.layer, Some(layer));
    assert_eq!(key.dc, 2);
    assert_eq!(get_self(&api, &ctx).unwrap().id, user.id);
    // The account is still there for a new login too.
    let other = new_key(&api, 2, 3);
    assert_eq!(sign_in(&api, &other, PHONE_DC2).id, user.id);
}

#[test]
fn get_difference_from_the_state_get_state_gave_is_empty() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let diff = |pts: i32, date: i32| functions::updates::GetDifference {
        pts,
        pts_limit: None,
        pts_total_limit: None,
        date,
        qts: 0,
        qts_limit: None,
    };
    assert_error(call(&api, &ctx, &diff(1, 1)), 401, "AUTH_KEY_UNREGISTERED");
    sign_up(&api, &ctx, PHONE_DC2, "Ada");
    let enums::updates::State::State(state) = call(&api, &ctx, &functions::updates::GetState {}).unwrap();
    let empty = call(&api, &ctx, &diff(state.pts, state.date)).unwrap();
    let enums::updates::Difference::Empty(empty) = empty else { panic!("{empty:?}") };
    assert_eq!((i64::from(empty.date), empty.seq), (T0, state.seq));
    // A state the server never gave out.
    assert_error(call(&api, &ctx, &diff(0, state.date)), 400, "PERSISTENT_TIMESTAMP_EMPTY");
    assert_error(call(&api, &ctx, &diff(state.pts + 5, state.date)), 400, "PERSISTENT_TIMESTAMP_INVALID");
    assert_error(call(&api, &ctx, &diff(state.pts, 0)), 400, "DATE_EMPTY");
}
