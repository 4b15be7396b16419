//! Shared helpers of the handler tests: an [`Api`] with a deterministic random source, auth
//! keys registered the way the network shell registers them, and typed calls through
//! [`Api::call`] with serialized requests, as a client sends them.
#![allow(dead_code)]

use std::path::Path;

use ferrogram_mtproto::authkey::AuthKey;
use ferrogram_mtproto::RandomSource;
use ferrogram_server::{Api, ApiConfig, CallContext, RpcError};
use ferrogram_tl::{enums, functions, types, Deserializable, RemoteCall};

/// Start time of every test (any fixed Unix time).
pub const T0: i64 = 1_700_000_000;

/// A number of the test-DC form on DC 2 (code 22222).
pub const TEST_PHONE_DC2: &str = "9996621234";
/// An ordinary number whose home is DC 2 (15550001236 mod 3 = 1 → the second DC).
pub const PHONE_DC2: &str = "+15550001236";
/// Another ordinary number on DC 2.
pub const OTHER_PHONE_DC2: &str = "+15550001239";
/// An ordinary number whose home is DC 3.
pub const PHONE_DC3: &str = "+15550001234";

/// xorshift64*: deterministic bytes for tests (not for keys anyone relies on).
pub fn test_random(seed: u64) -> Box<dyn RandomSource + Send> {
    let mut state = seed | 1;
    Box::new(move |buf: &mut [u8]| {
        for chunk in buf.chunks_mut(8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let v = state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    })
}

pub fn config() -> ApiConfig {
    ApiConfig::local(4430)
}

/// An in-memory server with three DCs.
pub fn api() -> Api {
    Api::open(None, config(), test_random(7)).unwrap()
}

/// A server on `dir`; `seed` differs between runs on the same dir, as the OS generator's
/// output would.
pub fn api_on(dir: &Path, seed: u64) -> Api {
    Api::open(Some(dir), config(), test_random(seed)).unwrap()
}

/// Registers a fresh auth key on `dc` (as the shell does when a key exchange completes) and
/// returns the context of calls made with it, in our layer.
pub fn new_key(api: &Api, dc: i32, seed: u64) -> CallContext {
    let mut bytes = [0u8; 256];
    test_random(seed.wrapping_mul(31).wrapping_add(dc as u64)).fill(&mut bytes);
    let key = AuthKey::from_bytes(bytes);
    api.register_auth_key(&key, dc, None, T0).unwrap();
    CallContext {
        dc_id: dc,
        auth_key_id: key.id(),
        session_id: 1,
        layer: ferrogram_tl::LAYER,
        api_id: None,
        user_id: None,
        now: T0,
    }
}

/// Invokes `request` through `Api::call` and decodes the answer as the method's result type.
pub fn call<R: RemoteCall>(api: &Api, ctx: &CallContext, request: &R) -> Result<R::Return, RpcError> {
    let answer = api.call(ctx, &request.to_bytes())?;
    Ok(R::Return::from_bytes_exact(&answer).expect("the answer decodes as the method's result type"))
}

/// Asserts that a call failed with `code` and `message`.
#[track_caller]
pub fn assert_error<T: std::fmt::Debug>(result: Result<T, RpcError>, code: i32, message: &str) {
    match result {
        Err(e) => assert_eq!((e.code, e.message().as_str()), (code, message), "wrong error"),
        Ok(v) => panic!("expected {code} {message}, got {v:?}"),
    }
}

pub fn send_code_request(phone: &str) -> functions::auth::SendCode {
    functions::auth::SendCode {
        phone_number: phone.into(),
        api_id: 12345,
        api_hash: "0123456789abcdef0123456789abcdef".into(),
        settings: types::CodeSettings::default().into(),
    }
}

/// `auth.sendCode`, expecting `auth.sentCode`.
pub fn send_code(api: &Api, ctx: &CallContext, phone: &str) -> types::auth::SentCode {
    match call(api, ctx, &send_code_request(phone)).unwrap() {
        enums::auth::SentCode::SentCode(sent) => sent,
        other => panic!("expected auth.sentCode, got {other:?}"),
    }
}

/// The code issued with `phone_code_hash`, read the way a developer does (admin function).
pub fn code_for(api: &Api, phone_code_hash: &str) -> String {
    api.recent_codes(1000)
        .unwrap()
        .into_iter()
        .find(|c| c.phone_code_hash == phone_code_hash)
        .expect("the code was recorded")
        .code
}

pub fn sign_in_request(phone: &str, hash: &str, code: Option<&str>) -> functions::auth::SignIn {
    functions::auth::SignIn {
        phone_number: phone.into(),
        phone_code_hash: hash.into(),
        phone_code: code.map(Into::into),
        email_verification: None,
    }
}

/// The user of an `auth.authorization`.
pub fn authorized_user(auth: enums::auth::Authorization) -> types::User {
    match auth {
        enums::auth::Authorization::Authorization(a) => match a.user {
            enums::User::User(u) => u,
            other => panic!("expected a user, got {other:?}"),
        },
        other => panic!("expected auth.authorization, got {other:?}"),
    }
}

/// `users.getUsers([inputUserSelf])`.
pub fn get_self(api: &Api, ctx: &CallContext) -> Result<types::User, RpcError> {
    let users = call(api, ctx, &functions::users::GetUsers { id: vec![types::InputUserSelf {}.into()] })?;
    match users.into_iter().next() {
        Some(enums::User::User(u)) => Ok(u),
        other => panic!("expected the signed-in user, got {other:?}"),
    }
}

/// Creates an account through the whole client flow (sendCode, signIn, signUp) on `ctx`.
pub fn sign_up(api: &Api, ctx: &CallContext, phone: &str, first_name: &str) -> types::User {
    let sent = send_code(api, ctx, phone);
    let code = code_for(api, &sent.phone_code_hash);
    let answer = call(api, ctx, &sign_in_request(phone, &sent.phone_code_hash, Some(&code))).unwrap();
    assert!(matches!(answer, enums::auth::Authorization::SignUpRequired(_)), "{answer:?}");
    let auth = call(
        api,
        ctx,
        &functions::auth::SignUp {
            no_joined_notifications: false,
            phone_number: phone.into(),
            phone_code_hash: sent.phone_code_hash,
            first_name: first_name.into(),
            last_name: String::new(),
        },
    )
    .unwrap();
    authorized_user(auth)
}

/// Signs an existing account in on `ctx` (sendCode, signIn).
pub fn sign_in(api: &Api, ctx: &CallContext, phone: &str) -> types::User {
    let sent = send_code(api, ctx, phone);
    let code = code_for(api, &sent.phone_code_hash);
    authorized_user(call(api, ctx, &sign_in_request(phone, &sent.phone_code_hash, Some(&code))).unwrap())
}
