//! The generated rustdoc of `auth.signIn` carries what the seed's method page shows.

fn sign_in_docs() -> String {
    let code = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/api.rs")).expect("generated api.rs");
    // The doc comment lines directly above the `functions::auth::SignIn` struct.
    let start = code.find("auth.signIn#8d52a951 flags:#").expect("signIn definition in docs");
    let block_start = code[..start].rfind("\n\n").unwrap_or(0);
    let end = start + code[start..].find("pub struct SignIn").expect("SignIn struct");
    code[block_start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("///"))
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn sign_in_docs_show_the_seed_page() {
    let docs = sign_in_docs();
    assert!(docs.starts_with("Signs in a user with a validated phone number."), "{docs}");
    // The seed's six possible errors, with their codes and descriptions.
    for row in [
        "| 400 | PHONE_CODE_EMPTY | phone_code is missing. |",
        "| 400 | PHONE_CODE_EXPIRED | The phone code you provided has expired. |",
        "| 400 | PHONE_CODE_INVALID | The provided phone code is invalid. |",
        "| 406 | PHONE_NUMBER_INVALID | The phone number is invalid. |",
        "| 400 | PHONE_NUMBER_UNOCCUPIED | The phone number is not yet being used. |",
        "| 500 | SIGN_IN_FAILED | Failure while signing in. |",
    ] {
        assert!(docs.contains(row), "missing error row {row}\n{docs}");
    }
    // The seed's three parameters with their descriptions, and the newer seed's fourth.
    for row in [
        "| **phone_number** | `string` | Phone number in the international format |",
        "| **phone_code_hash** | `string` | SMS-message ID, obtained from `auth.sendCode` |",
        "| **phone_code** | `string` (optional: `flags.0`) | Valid numerical code from the SMS-message |",
        "| **email_verification** | `EmailVerification` (optional: `flags.1`) | Email verification code or token |",
    ] {
        assert!(docs.contains(row), "missing parameter row {row}\n{docs}");
    }
    assert!(docs.contains("# Result\n\nReturns [`auth.Authorization`](crate::enums::auth::Authorization)."), "{docs}");
    assert!(docs.contains("# Can bots use this method?\n\nNo"), "{docs}");
    assert!(docs.contains("client.invoke(&request).await?"), "{docs}");
}

#[test]
fn sign_in_docs_are_also_data() {
    use ferrogram_tl::functions::auth::SignIn;
    assert!(!SignIn::BOTS_CAN_USE);
    for name in [
        "PHONE_CODE_EMPTY",
        "PHONE_CODE_EXPIRED",
        "PHONE_CODE_INVALID",
        "PHONE_NUMBER_INVALID",
        "PHONE_NUMBER_UNOCCUPIED",
        "SIGN_IN_FAILED",
    ] {
        assert!(SignIn::POSSIBLE_ERRORS.iter().any(|e| e.name == name), "{name}");
    }
    // A method bots may call.
    assert!(ferrogram_tl::functions::help::GetConfig::BOTS_CAN_USE);
}
