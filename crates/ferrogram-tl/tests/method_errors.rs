//! The per-method error enums generated from the docs data (`ferrogram_tl::errors`).

use ferrogram_tl::errors::{self, auth::SignInError, MethodError, MethodErrors};
use ferrogram_tl::functions;

/// The error enum of a function, through the trait every function implements.
fn error_of<R: MethodErrors>(message: &str) -> R::Error {
    R::Error::from_name(message)
}

#[test]
fn the_seeds_sign_in_errors_map_to_their_variants_and_codes() {
    // The table of the seed's auth.signIn page: code, name, variant.
    let seed = [
        (400, "PHONE_CODE_EMPTY", SignInError::PhoneCodeEmpty),
        (400, "PHONE_CODE_EXPIRED", SignInError::PhoneCodeExpired),
        (400, "PHONE_CODE_INVALID", SignInError::PhoneCodeInvalid),
        (406, "PHONE_NUMBER_INVALID", SignInError::PhoneNumberInvalid),
        (400, "PHONE_NUMBER_UNOCCUPIED", SignInError::PhoneNumberUnoccupied),
        (500, "SIGN_IN_FAILED", SignInError::SignInFailed),
    ];
    for (code, name, variant) in seed {
        let parsed = error_of::<functions::auth::SignIn>(name);
        assert_eq!(parsed, variant, "{name}");
        assert_eq!(parsed.code(), Some(code), "{name}");
        assert_eq!(parsed.name(), name);
        assert_eq!(parsed.value(), None);
        assert_eq!(parsed.other(), None);
    }
    assert_eq!(
        SignInError::PhoneCodeInvalid.to_string(),
        "PHONE_CODE_INVALID (400): The provided phone code is invalid."
    );
}

#[test]
fn unknown_errors_are_other_with_the_message_as_sent() {
    for message in ["FLOOD_WAIT_42", "SOMETHING_NEW", "", "phone_code_invalid", "PHONE_CODE_INVALID "] {
        let parsed = SignInError::from_name(message);
        assert_eq!(parsed, SignInError::Other(message.into()));
        assert_eq!(parsed.code(), None);
        assert_eq!(parsed.name(), message);
        assert_eq!(parsed.other(), Some(message));
        assert_eq!(parsed.to_string(), message);
    }
}

#[test]
fn numbered_errors_carry_their_value() {
    use errors::messages::SendMessageError;
    let parsed = SendMessageError::from_name("SLOWMODE_WAIT_17");
    assert_eq!(parsed, SendMessageError::SlowmodeWait(17));
    assert_eq!(parsed.value(), Some(17));
    assert_eq!(parsed.code(), Some(420));
    assert_eq!(parsed.name(), "SLOWMODE_WAIT_%d");
    assert_eq!(
        parsed.to_string(),
        "SLOWMODE_WAIT_17 (420): Slowmode is enabled in this chat: wait 17 seconds before sending another message to this chat."
    );
    // Not digits, no digits, or a number too large for u32: not the numbered error.
    for message in ["SLOWMODE_WAIT_", "SLOWMODE_WAIT_x", "SLOWMODE_WAIT_-1", "SLOWMODE_WAIT_99999999999"] {
        assert_eq!(SendMessageError::from_name(message), SendMessageError::Other(message.into()));
    }
}

#[test]
fn a_plain_and_a_numbered_error_of_one_name_stay_apart() {
    use errors::auth::SendCodeError;
    assert_eq!(SendCodeError::from_name("AUTH_RESTART"), SendCodeError::AuthRestart);
    assert_eq!(SendCodeError::from_name("AUTH_RESTART_3"), SendCodeError::AuthRestartX(3));
}

#[test]
fn methods_without_documented_errors_get_undocumented() {
    let parsed = error_of::<functions::help::GetNearestDc>("ANYTHING_5");
    assert_eq!(parsed, errors::Undocumented::Other("ANYTHING_5".into()));
    assert_eq!(parsed.code(), None);
}

#[test]
fn messages_split_into_name_and_value() {
    assert_eq!(errors::split_message("FLOOD_WAIT_42"), ("FLOOD_WAIT", Some(42)));
    assert_eq!(errors::split_message("PHONE_MIGRATE_2"), ("PHONE_MIGRATE", Some(2)));
    assert_eq!(errors::split_message("FILE_PART_7_MISSING"), ("FILE_PART_MISSING", Some(7)));
    assert_eq!(errors::split_message("2FA_CONFIRM_WAIT_3600"), ("2FA_CONFIRM_WAIT", Some(3600)));
    // An undocumented numbered error still loses its trailing number.
    assert_eq!(errors::split_message("SOME_NEW_WAIT_9"), ("SOME_NEW_WAIT", Some(9)));
    // Digits that are part of the name stay.
    for whole in [
        "SHA256_HASH_INVALID",
        "MD5_CHECKSUM_INVALID",
        "AUTH_TOKEN_INVALID2",
        "FILE_PART_0_MISSING",
        "PHONE_CODE_INVALID",
        "_5",
    ] {
        assert_eq!(errors::split_message(whole), (whole, None));
    }
    assert_eq!(errors::join_message("FILE_PART_MISSING", Some(7)), "FILE_PART_7_MISSING");
    assert_eq!(errors::join_message("FLOOD_WAIT", Some(42)), "FLOOD_WAIT_42");
    assert_eq!(errors::join_message("SOME_NEW_WAIT", Some(9)), "SOME_NEW_WAIT_9");
}

#[test]
fn descriptions_are_found_by_the_documented_key() {
    let flood = errors::describe("FLOOD_WAIT", Some(42), None).expect("FLOOD_WAIT_%d is documented");
    assert_eq!((flood.name, flood.code), ("FLOOD_WAIT_%d", 420));
    let invalid = errors::describe("PHONE_CODE_INVALID", None, None).unwrap();
    assert_eq!(invalid.description, "The provided phone code is invalid.");
    assert!(errors::describe("NOT_AN_ERROR", None, Some("auth.signIn")).is_none());
    assert_eq!(errors::possible_errors("auth.signIn"), functions::auth::SignIn::POSSIBLE_ERRORS);
    assert!(errors::possible_errors("no.suchMethod").is_empty());
}
