//! RpcError parsing, Display with the docs data's descriptions, helpers, and the typed
//! per-method errors through InvocationError.

use std::time::Duration;

use ferrogram::{InvocationError, RpcError};
use ferrogram_tl::errors::auth::{SendCodeError, SignInError};
use ferrogram_tl::errors::MethodError;
use ferrogram_tl::functions::auth::{SendCode, SignIn};

#[test]
fn messages_split_into_name_and_value() {
    let cases: &[(&str, &str, Option<u32>)] = &[
        ("FLOOD_WAIT_42", "FLOOD_WAIT", Some(42)),
        ("PHONE_MIGRATE_2", "PHONE_MIGRATE", Some(2)),
        ("FILE_PART_3_MISSING", "FILE_PART_MISSING", Some(3)),
        ("PHONE_CODE_INVALID", "PHONE_CODE_INVALID", None),
        // Digits that belong to the name stay.
        ("SHA256_HASH_INVALID", "SHA256_HASH_INVALID", None),
        ("AUTH_TOKEN_INVALID2", "AUTH_TOKEN_INVALID2", None),
        ("FILE_PART_0_MISSING", "FILE_PART_0_MISSING", None),
        // A number too large for u32 is not a value.
        ("FLOOD_WAIT_99999999999", "FLOOD_WAIT_99999999999", None),
        ("", "", None),
    ];
    for &(message, name, value) in cases {
        let e = RpcError::new(400, message);
        assert_eq!((e.name.as_str(), e.value), (name, value), "{message}");
        assert_eq!(e.message(), message, "the message is rebuilt as sent");
    }
}

#[test]
fn display_adds_the_description() {
    let e = RpcError::new(400, "PHONE_CODE_INVALID");
    assert_eq!(e.to_string(), "PHONE_CODE_INVALID (400): The provided phone code is invalid.");
    let flood = RpcError::new(420, "FLOOD_WAIT_42");
    assert_eq!(flood.to_string(), "FLOOD_WAIT_42 (420): A wait of 42 seconds is required");
    assert_eq!(flood.info().map(|i| i.name), Some("FLOOD_WAIT_%d"));
    assert_eq!(RpcError::new(400, "NOT_DOCUMENTED_ANYWHERE").to_string(), "NOT_DOCUMENTED_ANYWHERE (400)");
    // AUTH_RESTART_%d is not in the docs data's error list, only in auth.sendCode's list of
    // possible errors: found through the method that caused it.
    let restart = RpcError::new(500, "AUTH_RESTART_5");
    assert_eq!(restart.info(), None);
    assert_eq!(restart.to_string(), "AUTH_RESTART_5 (500)");
    let restart = restart.caused_by("auth.sendCode");
    assert_eq!(restart.info().map(|i| i.name), Some("AUTH_RESTART_%d"));
    assert!(restart.to_string().starts_with("AUTH_RESTART_5 (500): "), "{restart}");
}

#[test]
fn helpers() {
    let e = RpcError::new(420, "FLOOD_WAIT_42");
    assert!(e.is("FLOOD_WAIT") && e.is("FLOOD_WAIT_42") && !e.is("FLOOD_WAIT_41") && !e.is("FLOOD"));
    assert_eq!(e.flood_wait(), Some(Duration::from_secs(42)));
    assert_eq!(RpcError::new(420, "FLOOD_PREMIUM_WAIT_3").flood_wait(), Some(Duration::from_secs(3)));
    assert_eq!(RpcError::new(420, "SLOWMODE_WAIT_5").flood_wait(), None);
    assert_eq!(RpcError::new(420, "FLOOD_WAIT").flood_wait(), None, "no number, nothing to wait");
    assert_eq!(e.migrate_dc(), None);

    for (message, dc) in [
        ("PHONE_MIGRATE_2", Some(2)),
        ("USER_MIGRATE_4", Some(4)),
        ("NETWORK_MIGRATE_1", Some(1)),
        ("FILE_MIGRATE_5", Some(5)),
    ] {
        assert_eq!(RpcError::new(303, message).migrate_dc(), dc, "{message}");
    }
    // A 303 without a DC number: nothing to migrate to (the client must not guess).
    assert_eq!(RpcError::new(303, "PHONE_MIGRATE").migrate_dc(), None);
    assert_eq!(RpcError::new(303, "PHONE_MIGRATE_X").migrate_dc(), None);

    let from_tl: RpcError =
        ferrogram_tl::mtproto::types::RpcError { error_code: 303, error_message: "USER_MIGRATE_3".into() }.into();
    assert_eq!(from_tl, RpcError { code: 303, name: "USER_MIGRATE".into(), value: Some(3), caused_by: None });
}

#[test]
fn the_seeds_errors_stay_distinct_as_typed_method_errors() {
    for (code, message, typed) in [
        (400, "PHONE_CODE_EMPTY", SignInError::PhoneCodeEmpty),
        (400, "PHONE_CODE_EXPIRED", SignInError::PhoneCodeExpired),
        (400, "PHONE_CODE_INVALID", SignInError::PhoneCodeInvalid),
        (406, "PHONE_NUMBER_INVALID", SignInError::PhoneNumberInvalid),
        (400, "PHONE_NUMBER_UNOCCUPIED", SignInError::PhoneNumberUnoccupied),
        (500, "SIGN_IN_FAILED", SignInError::SignInFailed),
    ] {
        let error = InvocationError::from(RpcError::new(code, message).caused_by("auth.signIn"));
        assert!(error.is(message));
        assert_eq!(error.rpc_for::<SignIn>(), Some(typed.clone()));
        assert_eq!(typed.code(), Some(code));
        assert_eq!(error.to_string(), RpcError::new(code, message).to_string());
    }
    let other = InvocationError::from(RpcError::new(420, "FLOOD_WAIT_7"));
    assert_eq!(other.rpc_for::<SignIn>(), Some(SignInError::Other("FLOOD_WAIT_7".into())));
    let numbered = RpcError::new(500, "AUTH_RESTART_9");
    assert_eq!(numbered.method_error::<SendCode>(), SendCodeError::AuthRestartX(9));
    assert_eq!(InvocationError::Timeout(Duration::from_secs(1)).rpc_for::<SignIn>(), None);
    assert!(!InvocationError::Dropped.is("PHONE_CODE_INVALID"));
}
