//! Login through `Api::call` with serialized requests, the way a client meets each answer:
//! sign-up and sign-in flows and every `auth.signIn` error of the seed's table.

mod common;

use common::*;
use ferrogram_tl::{enums, functions, types, RawQuery, Serializable};

#[test]
fn new_number_signs_up_then_signs_in_again_on_another_key() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    assert!(matches!(sent.r#type, enums::auth::SentCodeType::Sms(types::auth::SentCodeTypeSms { length: 5 })));
    let code = code_for(&api, &sent.phone_code_hash);
    assert_eq!(code.len(), 5);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));

    let answer = call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))).unwrap();
    assert!(matches!(answer, enums::auth::Authorization::SignUpRequired(_)));
    // Not signed in yet.
    assert_error(get_self(&api, &ctx), 401, "AUTH_KEY_UNREGISTERED");

    let signup = functions::auth::SignUp {
        no_joined_notifications: false,
        phone_number: PHONE_DC2.into(),
        phone_code_hash: sent.phone_code_hash.clone(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
    };
    let user = authorized_user(call(&api, &ctx, &signup).unwrap());
    assert!(user.is_self);
    assert_eq!(user.first_name.as_deref(), Some("Ada"));
    assert_eq!(user.phone.as_deref(), Some("15550001236"));
    assert_eq!(get_self(&api, &ctx).unwrap().id, user.id);
    // The code is used up, and the number is now taken.
    assert_error(call(&api, &ctx, &signup), 400, "PHONE_CODE_EXPIRED");

    // The seed's path: an existing account signs in and gets auth.authorization with the user.
    let other = new_key(&api, 2, 2);
    let again = sign_in(&api, &other, PHONE_DC2);
    assert_eq!(again.id, user.id);
    assert_eq!(get_self(&api, &other).unwrap().id, user.id);
    let sent = send_code(&api, &other, PHONE_DC2);
    assert!(matches!(sent.r#type, enums::auth::SentCodeType::App(_)), "existing accounts get the code in the app");
}

#[test]
fn sign_up_needs_a_code_accepted_by_sign_in_and_a_free_number() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let signup = |phone: &str, hash: &str, first: &str| functions::auth::SignUp {
        no_joined_notifications: false,
        phone_number: phone.into(),
        phone_code_hash: hash.into(),
        first_name: first.into(),
        last_name: String::new(),
    };
    assert_error(call(&api, &ctx, &signup(PHONE_DC2, &sent.phone_code_hash, "Ada")), 400, "PHONE_CODE_INVALID");
    assert_error(call(&api, &ctx, &signup(PHONE_DC2, &sent.phone_code_hash, "  ")), 400, "FIRSTNAME_INVALID");
    assert_error(call(&api, &ctx, &signup(PHONE_DC2, "nope", "Ada")), 400, "PHONE_CODE_HASH_INVALID");

    sign_up(&api, &new_key(&api, 2, 9), OTHER_PHONE_DC2, "Bob");
    let sent = send_code(&api, &ctx, OTHER_PHONE_DC2);
    assert_error(
        call(&api, &ctx, &signup(OTHER_PHONE_DC2, &sent.phone_code_hash, "Bob")),
        400,
        "PHONE_NUMBER_OCCUPIED",
    );
}

#[test]
fn empty_code_is_phone_code_empty() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    assert_error(call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, None)), 400, "PHONE_CODE_EMPTY");
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(""))),
        400,
        "PHONE_CODE_EMPTY",
    );
}

#[test]
fn wrong_code_is_phone_code_invalid_and_the_right_one_still_works() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    sign_up(&api, &new_key(&api, 2, 5), PHONE_DC2, "Ada");
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    let wrong = if code == "00000" { "11111" } else { "00000" };
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(wrong))),
        400,
        "PHONE_CODE_INVALID",
    );
    // A code of another length is just as wrong.
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some("1"))),
        400,
        "PHONE_CODE_INVALID",
    );
    let user =
        authorized_user(call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))).unwrap());
    assert_eq!(get_self(&api, &ctx).unwrap().id, user.id);
}

#[test]
fn code_past_its_expiry_is_phone_code_expired() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    let mut later = ctx.clone();
    later.now = T0 + api.config().code_lifetime;
    assert_error(
        call(&api, &later, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        400,
        "PHONE_CODE_EXPIRED",
    );
    // One second earlier it was still good.
    later.now -= 1;
    assert!(call(&api, &later, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))).is_ok());
}

#[test]
fn cancelled_code_is_phone_code_expired() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    let cancel =
        functions::auth::CancelCode { phone_number: PHONE_DC2.into(), phone_code_hash: sent.phone_code_hash.clone() };
    assert!(call(&api, &ctx, &cancel).unwrap());
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        400,
        "PHONE_CODE_EXPIRED",
    );
    assert_error(call(&api, &ctx, &cancel), 400, "PHONE_CODE_EXPIRED");
}

#[test]
fn code_superseded_by_resend_is_phone_code_expired_and_the_new_one_works() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    sign_up(&api, &new_key(&api, 2, 5), PHONE_DC2, "Ada");
    let first = send_code(&api, &ctx, PHONE_DC2);
    assert!(first.next_type.is_some(), "an app code offers an SMS next");
    let old_code = code_for(&api, &first.phone_code_hash);
    let resend = functions::auth::ResendCode {
        phone_number: PHONE_DC2.into(),
        phone_code_hash: first.phone_code_hash.clone(),
        reason: None,
    };
    let second = match call(&api, &ctx, &resend).unwrap() {
        enums::auth::SentCode::SentCode(s) => s,
        other => panic!("{other:?}"),
    };
    assert!(matches!(second.r#type, enums::auth::SentCodeType::Sms(_)));
    assert_ne!(second.phone_code_hash, first.phone_code_hash);
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &first.phone_code_hash, Some(&old_code))),
        400,
        "PHONE_CODE_EXPIRED",
    );
    assert_error(call(&api, &ctx, &resend), 400, "PHONE_CODE_EXPIRED");
    let new_code = code_for(&api, &second.phone_code_hash);
    assert!(call(&api, &ctx, &sign_in_request(PHONE_DC2, &second.phone_code_hash, Some(&new_code))).is_ok());
}

#[test]
fn malformed_numbers_are_phone_number_invalid_with_the_documented_code() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    for bad in ["", "abc", "+0123456", "1234", "+1 555 000 1235", "1234567890123456"] {
        assert_error(call(&api, &ctx, &send_code_request(bad)), 406, "PHONE_NUMBER_INVALID");
        assert_error(call(&api, &ctx, &sign_in_request(bad, "abc", Some("12345"))), 406, "PHONE_NUMBER_INVALID");
    }
}

#[test]
fn unregistered_number_is_phone_number_unoccupied_before_layer_104() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sign_in_in_layer = |layer: i32| {
        let sent = send_code(&api, &ctx, PHONE_DC2);
        let code = code_for(&api, &sent.phone_code_hash);
        let wrapped = functions::InvokeWithLayer {
            layer,
            query: RawQuery(sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code)).to_bytes()),
        };
        api.call(&ctx, &wrapped.to_bytes())
    };
    assert_error(sign_in_in_layer(103), 400, "PHONE_NUMBER_UNOCCUPIED");
    let answer = sign_in_in_layer(104).unwrap();
    assert_eq!(
        answer,
        enums::auth::Authorization::from(types::auth::AuthorizationSignUpRequired::default()).to_bytes()
    );
    // The layer the client announced is kept on its key.
    assert_eq!(api.auth_key(ctx.auth_key_id).unwrap().unwrap().layer, Some(104));
}

#[test]
fn unknown_hash_is_phone_code_hash_invalid() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    assert_error(call(&api, &ctx, &sign_in_request(PHONE_DC2, "0000", Some(&code))), 400, "PHONE_CODE_HASH_INVALID");
    // A hash issued for another number does not work for this one.
    assert_error(
        call(&api, &ctx, &sign_in_request(OTHER_PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        400,
        "PHONE_CODE_HASH_INVALID",
    );
    assert_error(call(&api, &ctx, &sign_in_request(PHONE_DC2, "", Some(&code))), 400, "PHONE_CODE_HASH_EMPTY");
}

#[test]
fn store_failure_is_sign_in_failed_and_nothing_is_half_done() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let user = sign_up(&api, &new_key(&api, 2, 5), PHONE_DC2, "Ada");
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    api.store().fail_next_write();
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        500,
        "SIGN_IN_FAILED",
    );
    assert_error(get_self(&api, &ctx), 401, "AUTH_KEY_UNREGISTERED");
    // The failed transaction left the code usable.
    let again =
        authorized_user(call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))).unwrap());
    assert_eq!(again.id, user.id);
}

#[test]
fn test_dc_numbers_get_their_dc_digit_five_times_and_codes_reach_codes_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let api = api_on(dir.path(), 1);
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, TEST_PHONE_DC2);
    assert_eq!(code_for(&api, &sent.phone_code_hash), "22222");
    let answer = call(&api, &ctx, &sign_in_request(TEST_PHONE_DC2, &sent.phone_code_hash, Some("22222"))).unwrap();
    assert!(matches!(answer, enums::auth::Authorization::SignUpRequired(_)));

    let sent = send_code(&api, &ctx, PHONE_DC2);
    let text = std::fs::read_to_string(dir.path().join("codes.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["phone"], TEST_PHONE_DC2);
    assert_eq!(lines[0]["code"], "22222");
    assert_eq!(lines[0]["dc"], 2);
    assert_eq!(lines[1]["phone"], PHONE_DC2);
    assert_eq!(lines[1]["phone_code_hash"], sent.phone_code_hash.as_str());
    assert_eq!(lines[1]["code"], code_for(&api, &sent.phone_code_hash).as_str());
    assert_eq!(lines[1]["time"], T0);
}

#[test]
fn repeated_wrong_codes_invalidate_the_code_with_flood_wait() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let sent = send_code(&api, &ctx, PHONE_DC2);
    let code = code_for(&api, &sent.phone_code_hash);
    let wrong = if code == "99999" { "88888" } else { "99999" };
    let max = api.config().max_code_attempts;
    for _ in 1..max {
        assert_error(
            call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(wrong))),
            400,
            "PHONE_CODE_INVALID",
        );
    }
    let wait = api.config().wrong_code_wait;
    assert_error(
        call(&api, &ctx, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(wrong))),
        420,
        &format!("FLOOD_WAIT_{wait}"),
    );
    // Even the right code is refused while the wait runs, and so is a new code.
    let mut later = ctx.clone();
    later.now += 10;
    let left = wait - 10;
    assert_error(
        call(&api, &later, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        420,
        &format!("FLOOD_WAIT_{left}"),
    );
    assert_error(call(&api, &later, &send_code_request(PHONE_DC2)), 420, &format!("FLOOD_WAIT_{left}"));
    // After it the invalidated code stays dead, and a new one works.
    later.now = T0 + wait;
    assert_error(
        call(&api, &later, &sign_in_request(PHONE_DC2, &sent.phone_code_hash, Some(&code))),
        400,
        "PHONE_CODE_EXPIRED",
    );
    let fresh = send_code(&api, &later, PHONE_DC2);
    let fresh_code = code_for(&api, &fresh.phone_code_hash);
    assert!(call(&api, &later, &sign_in_request(PHONE_DC2, &fresh.phone_code_hash, Some(&fresh_code))).is_ok());
}

#[test]
fn too_many_codes_for_one_number_is_flood_wait() {
    let api = api();
    let ctx = new_key(&api, 2, 1);
    let limit = api.config().send_code_limit;
    for _ in 0..limit {
        send_code(&api, &ctx, PHONE_DC2);
    }
    let window = api.config().send_code_window;
    let mut later = ctx.clone();
    later.now += 100;
    assert_error(call(&api, &later, &send_code_request(PHONE_DC2)), 420, &format!("FLOOD_WAIT_{}", window - 100));
    // Other numbers are not affected; the window ends.
    send_code(&api, &later, OTHER_PHONE_DC2);
    later.now = T0 + window;
    send_code(&api, &later, PHONE_DC2);
    // Test-DC numbers are exempt (scripted clients).
    for _ in 0..limit + 2 {
        send_code(&api, &ctx, TEST_PHONE_DC2);
    }
}
