//! The generated rustdoc: `auth.signIn` carries what the seed's method page shows, and so does every method.

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
// The generated constants are what this test checks, so its assertions are on constants.
#[allow(clippy::assertions_on_constants)]
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

/// Every method of our schema (layer 230) is documented as a method page is: a description (from
/// the docs data, layer 227; for methods the data lacks, a note saying so), its TL line, the
/// result, and whether bots may use it; the possible errors wherever the docs data lists them.
#[test]
fn every_method_carries_its_page() {
    let code = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/api.rs")).expect("generated api.rs");
    let schema = include_str!("../../../data/tl/api.tl");
    let docs: serde_json::Value =
        serde_json::from_str(include_str!("../../../data/tl/api-schema-227.json")).expect("docs JSON");
    let described: std::collections::HashMap<&str, &serde_json::Value> = docs["e"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["comment"].as_str().is_some_and(|c| !c.is_empty()))
        .filter_map(|e| Some((e["name"].as_str()?, e)))
        .collect();
    let methods: Vec<&str> = schema
        .split("---functions---")
        .skip(1)
        .flat_map(|section| section.split("---types---").next().unwrap_or("").lines())
        .filter(|l| !l.starts_with("//") && l.contains('#'))
        .collect();
    assert!(methods.len() > 800, "{} methods", methods.len());
    let (mut with_description, mut with_errors) = (0, 0);
    for line in &methods {
        let name = line.split('#').next().unwrap_or_default();
        // The doc block that shows this definition's TL line (its id written with 8 digits).
        let tl_line = format!("/// {name}#");
        let at = code.find(&tl_line).unwrap_or_else(|| panic!("no rustdoc shows `{line}`"));
        let start = code[..at].rfind("\n\n").unwrap_or(0);
        let end = at + code[at..].find("pub struct").unwrap_or_else(|| panic!("{name}: no struct"));
        let block = &code[start..end];
        assert!(block.contains("/// # Result"), "{name}: no result section");
        assert!(block.contains("/// # Can bots use this method?"), "{name}: no bot usage");
        match described.get(name) {
            Some(entry) => {
                with_description += 1;
                assert!(!block.contains("no description in the docs data"), "{name}: description lost");
                if entry["throws"].as_array().is_some_and(|t| !t.is_empty()) {
                    with_errors += 1;
                    assert!(block.contains("/// # Possible errors"), "{name}: errors lost");
                }
            }
            None => assert!(block.contains(&format!("`{name}` (no description in the docs data)")), "{name}"),
        }
    }
    // Most of layer 230 is described by the docs data of layer 227.
    assert!(with_description * 10 > methods.len() * 8, "{with_description} of {} described", methods.len());
    assert!(with_errors > 500, "{with_errors} methods list their errors");
}
