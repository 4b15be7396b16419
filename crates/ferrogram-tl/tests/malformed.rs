//! Reading malformed input: errors that say what and where, never a panic, never an allocation
//! larger than the input.

use ferrogram_tl::{enums, functions, types, Deserializable, DeserializeError, Serializable};

fn sample_authorization() -> enums::auth::Authorization {
    types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: Some(3),
        future_auth_token: None,
        user: types::User { id: 7, first_name: Some("Ada".into()), username: Some("ada".into()), ..Default::default() }
            .into(),
    }
    .into()
}

#[test]
fn every_truncation_is_an_error() {
    let encodings: Vec<Vec<u8>> = vec![
        sample_authorization().to_bytes(),
        functions::auth::SignIn {
            phone_number: "+15550001234".into(),
            phone_code_hash: "hash".into(),
            phone_code: Some("12345".into()),
            email_verification: Some(types::EmailVerificationCode { code: "1".into() }.into()),
        }
        .to_bytes(),
        vec![types::UserEmpty { id: 1 }.into(), types::UserEmpty { id: 2 }.into()]
            .into_iter()
            .collect::<Vec<enums::User>>()
            .to_bytes(),
    ];
    for full in &encodings {
        for cut in 0..full.len() {
            let prefix = &full[..cut];
            let a = enums::auth::Authorization::from_bytes(prefix);
            let b = functions::auth::SignIn::from_bytes(prefix);
            let c = Vec::<enums::User>::from_bytes(prefix);
            assert!(a.is_err() && b.is_err() && c.is_err(), "prefix of {cut} bytes decoded");
        }
    }
}

#[test]
fn wrong_constructor_names_id_and_offset() {
    let mut bytes = sample_authorization().to_bytes();
    // Corrupt the user's constructor id (offset 8: after auth.authorization's id and flags... and
    // tmp_sessions at offset 8, so the user starts at 12).
    bytes[12..16].copy_from_slice(&0xdeadbeefu32.to_le_bytes());
    let err = enums::auth::Authorization::from_bytes(&bytes).unwrap_err();
    assert_eq!(err, DeserializeError::UnexpectedConstructor { offset: 12, id: 0xdeadbeef, expected: "User" });
    assert!(err.to_string().contains("0xdeadbeef") && err.to_string().contains("offset 12"));
}

#[test]
fn huge_lengths_error_without_allocating() {
    // A vector claiming 2^31-1 elements in 8 bytes of input.
    let mut v = 0x1cb5c415u32.to_le_bytes().to_vec();
    v.extend_from_slice(&i32::MAX.to_le_bytes());
    assert!(matches!(Vec::<i64>::from_bytes(&v), Err(DeserializeError::LengthTooLarge { offset: 4, .. })));
    // Negative count.
    let mut v = 0x1cb5c415u32.to_le_bytes().to_vec();
    v.extend_from_slice(&(-1i32).to_le_bytes());
    assert!(matches!(Vec::<i64>::from_bytes(&v), Err(DeserializeError::NegativeLength { .. })));
    // A 16 MiB string in 4 bytes.
    let s = [0xfe, 0xff, 0xff, 0xff];
    assert!(matches!(String::from_bytes(&s), Err(DeserializeError::LengthTooLarge { offset: 0, len: 0xffffff })));
    // A container with a huge message count.
    let mut c = ferrogram_tl::mtproto::MsgContainer::CONSTRUCTOR_ID.to_le_bytes().to_vec();
    c.extend_from_slice(&1_000_000i32.to_le_bytes());
    assert!(ferrogram_tl::mtproto::MsgContainer::from_bytes(&c).is_err());
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let bytes = [3, b'a', 0xff, b'b'];
    assert_eq!(String::from_bytes_exact(&bytes).unwrap(), "a\u{fffd}b");
}

#[test]
fn trailing_bytes_are_reported_by_exact_decoding() {
    let mut bytes = true.to_bytes();
    bytes.push(0);
    assert!(bool::from_bytes(&bytes).unwrap());
    assert_eq!(bool::from_bytes_exact(&bytes).unwrap_err(), DeserializeError::TrailingBytes { offset: 4, count: 1 });
}

#[test]
fn pseudo_random_garbage_never_panics() {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let ids: Vec<u32> = [0x2ea2c0d4u32, 0x31774388, 0x1cb5c415, 0x8d52a951, 0x5e002502].to_vec();
    for _ in 0..20_000 {
        let len = (next() % 200) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if len >= 4 && next() % 2 == 0 {
            let id = ids[(next() % ids.len() as u64) as usize];
            bytes[..4].copy_from_slice(&id.to_le_bytes());
        }
        let _ = enums::auth::Authorization::from_bytes(&bytes);
        let _ = enums::User::from_bytes(&bytes);
        let _ = enums::auth::SentCode::from_bytes(&bytes);
        let _ = functions::auth::SignIn::from_bytes(&bytes);
        let _ = enums::messages::Messages::from_bytes(&bytes);
    }
}

#[test]
fn names_and_error_docs_are_looked_up() {
    assert_eq!(ferrogram_tl::name_for_id(0x8d52a951), Some("auth.signIn"));
    assert_eq!(ferrogram_tl::name_for_id(0xbe7e8ef1), Some("req_pq_multi"));
    assert_eq!(ferrogram_tl::name_for_id(0x0000_0001), None);
    let e = ferrogram_tl::describe_error("PHONE_CODE_INVALID").unwrap();
    assert_eq!((e.code, e.description), (400, "The provided phone code is invalid."));
}

/// The fuzz target's function (`fuzz/fuzz_targets/tl_deserialize.rs`) over every boxed type with
/// valid encodings of other types and random bytes: no panic.
#[test]
fn fuzz_entry_point_survives_every_type() {
    let count = ferrogram_tl::fuzzing::boxed_type_count();
    assert!(count > 500, "{count}");
    let seeds: Vec<Vec<u8>> = vec![
        sample_authorization().to_bytes(),
        vec![types::UserEmpty { id: 1 }.into()].into_iter().collect::<Vec<enums::User>>().to_bytes(),
        (0..64u8).collect(),
        vec![0xff; 64],
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for index in 0..count {
        for seed in &seeds {
            let mut input = (index as u16).to_le_bytes().to_vec();
            input.extend_from_slice(seed);
            ferrogram_tl::fuzzing::deserialize_any(&input);
            // And a mutated copy.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let pos = 2 + (state as usize % seed.len().max(1));
            if pos < input.len() {
                input[pos] ^= (state >> 32) as u8 | 1;
            }
            ferrogram_tl::fuzzing::deserialize_any(&input);
        }
    }
}
