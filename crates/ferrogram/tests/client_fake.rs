//! The client against a scripted MTProto server (real key exchange, real encryption, handlers
//! chosen by each test): connect and key storage, many calls in flight, initConnection, RPC
//! errors, flood waits, DC migration, reconnects with exactly-once answers, a forgotten key,
//! every transport, and the login flow answered with every odd constructor.

mod client_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use client_support::{test_random, Call, FakeServer, Reply};
use ferrogram::{
    Client, ClientConfig, InvocationError, MemorySession, SessionStore, SignInError, SignInResult, StartCallbacks,
    TransportKind,
};
use ferrogram_mtproto::crypto::dh::telegram_dh_prime;
use ferrogram_mtproto::crypto::rsa::RsaPrivateKey;
use ferrogram_mtproto::crypto::srp::{self, SrpAnswer, SrpParams};
use ferrogram_tl::{enums, functions, types, Deserializable, Serializable};

fn nearest(this_dc: i32) -> Vec<u8> {
    enums::NearestDc::from(types::NearestDc { country: "XX".into(), this_dc, nearest_dc: this_dc }).to_bytes()
}

fn user(id: i64, bot: bool) -> types::User {
    // A bot's flag shares flags.14 with bot_info_version, which must then be present.
    types::User { id, bot, bot_info_version: bot.then_some(1), first_name: Some("Test".into()), ..Default::default() }
}

fn authorization(id: i64, bot: bool) -> Vec<u8> {
    enums::auth::Authorization::from(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: user(id, bot).into(),
    })
    .to_bytes()
}

fn sent_code() -> Vec<u8> {
    enums::auth::SentCode::from(types::auth::SentCode {
        r#type: types::auth::SentCodeTypeApp { length: 5 }.into(),
        phone_code_hash: "hash".into(),
        next_type: None,
        timeout: None,
    })
    .to_bytes()
}

fn client_for(server: &FakeServer) -> Client {
    Client::new(MemorySession::new(), 1, "hash", server.config())
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_creates_and_stores_a_key_once() {
    let server = FakeServer::start(2, |_| Reply::Ok(nearest(2))).await;
    let store = Arc::new(MemorySession::new());
    let client = Client::new(store.clone(), 1, "hash", server.config());
    client.connect().await.unwrap();
    let data = store.load().unwrap();
    assert_eq!(data.home_dc, Some(2));
    let key = data.dc(2).and_then(|dc| dc.auth_key.clone()).expect("key stored");
    assert!(data.dc(2).unwrap().server_salt.is_some());
    assert_eq!(server.key_count(), 1);

    // A second client on the same session reuses the key.
    let again = Client::new(store.clone(), 1, "hash", server.config());
    again.connect().await.unwrap();
    let answer = again.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    assert_eq!(answer, types::NearestDc { country: "XX".into(), this_dc: 2, nearest_dc: 2 }.into());
    assert_eq!(server.key_count(), 1);
    assert_eq!(store.load().unwrap().dc(2).unwrap().auth_key, Some(key));
}

#[tokio::test(flavor = "multi_thread")]
async fn many_calls_in_flight_first_one_wrapped() {
    let server = FakeServer::start(2, |_| Reply::Ok(nearest(2))).await;
    let client = client_for(&server);
    client.connect().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..300 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { client.invoke(&functions::help::GetNearestDc {}).await }));
    }
    for task in tasks {
        assert!(task.await.unwrap().is_ok());
    }
    let calls = server.calls();
    assert_eq!(calls.len(), 300);
    assert_eq!(calls.iter().filter(|c| c.wrapped).count(), 1, "only the first call carries initConnection");
    assert!(calls[0].wrapped);
    assert_eq!(server.connections(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn rpc_errors_are_typed_with_the_method() {
    let server = FakeServer::start(2, |_| Reply::Err(400, "PHONE_CODE_INVALID")).await;
    let client = client_for(&server);
    let error = client
        .invoke(&functions::auth::SignIn {
            phone_number: "1".into(),
            phone_code_hash: "h".into(),
            phone_code: Some("1".into()),
            email_verification: None,
        })
        .await
        .unwrap_err();
    let rpc = error.rpc().expect("an RPC error");
    assert_eq!((rpc.code, rpc.name.as_str(), rpc.caused_by), (400, "PHONE_CODE_INVALID", Some("auth.signIn")));
    assert_eq!(error.to_string(), "PHONE_CODE_INVALID (400): The provided phone code is invalid.");
    assert_eq!(
        error.rpc_for::<functions::auth::SignIn>(),
        Some(ferrogram_tl::errors::auth::SignInError::PhoneCodeInvalid)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flood_waits_under_the_threshold_are_slept_through() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = FakeServer::start(2, move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Err(420, "FLOOD_WAIT_1")
        } else {
            Reply::Ok(nearest(2))
        }
    })
    .await;
    let client = client_for(&server);
    client.connect().await.unwrap();
    let started = Instant::now();
    client.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Over the threshold: returned at once.
    let server = FakeServer::start(2, |_| Reply::Err(420, "FLOOD_WAIT_100")).await;
    let client = client_for(&server);
    let started = Instant::now();
    let error = client.invoke(&functions::help::GetNearestDc {}).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(error.rpc().and_then(|e| e.flood_wait()), Some(Duration::from_secs(100)));
}

/// Two fake DCs sharing one RSA key; DC 1 sends phone numbers to DC 2.
#[tokio::test(flavor = "multi_thread")]
async fn phone_migrate_switches_the_home_dc() {
    let rsa = RsaPrivateKey::generate(&mut test_random());
    let dc2 = FakeServer::start_with_key(2, rsa.clone(), |call: &Call| match call.name {
        "auth.sendCode" => Reply::Ok(sent_code()),
        "auth.signIn" => Reply::Ok(authorization(77, false)),
        _ => Reply::Err(400, "METHOD_INVALID"),
    })
    .await;
    let dc2_port = dc2.addr.port();
    let dc1 = FakeServer::start_with_key(1, rsa, move |call: &Call| match call.name {
        "auth.sendCode" => Reply::Err(303, "PHONE_MIGRATE_2"),
        "help.getConfig" => {
            let option = |id, ip: &str, port| {
                enums::DcOption::from(types::DcOption { id, ip_address: ip.into(), port, ..Default::default() })
            };
            Reply::Ok(
                enums::Config::from(types::Config {
                    this_dc: 1,
                    dc_options: vec![option(1, "127.0.0.1", 1), option(2, "10.255.255.1", i32::from(dc2_port))],
                    ..Default::default()
                })
                .to_bytes(),
            )
        }
        _ => Reply::Err(400, "METHOD_INVALID"),
    })
    .await;
    let store = Arc::new(MemorySession::new());
    let client = Client::new(store.clone(), 1, "hash", dc1.config());
    client.connect().await.unwrap();
    let token = client.send_code("+999662").await.unwrap();
    assert_eq!(token.phone_code_hash, "hash");
    assert_eq!(client.home_dc(), 2);
    let data = store.load().unwrap();
    assert_eq!(data.home_dc, Some(2));
    // Behind an override the override's host is kept, with the DC's port.
    assert_eq!((data.dc(2).unwrap().host.as_str(), data.dc(2).unwrap().port), ("127.0.0.1", dc2_port));
    let result = client.sign_in(&token, "12345").await.unwrap();
    assert!(matches!(result, SignInResult::Authorized(u) if u.id == 77));
    assert_eq!(store.load().unwrap().user.map(|u| u.id), Some(77));
    assert_eq!(dc2.count("auth.sendCode"), 1);
    assert_eq!(dc1.count("auth.sendCode"), 1);
}

/// USER_MIGRATE for a signed-in account carries the authorization over.
#[tokio::test(flavor = "multi_thread")]
async fn user_migrate_exports_and_imports_the_authorization() {
    let rsa = RsaPrivateKey::generate(&mut test_random());
    let dc2 = FakeServer::start_with_key(2, rsa.clone(), |call: &Call| match call.name {
        "auth.importAuthorization" => {
            let request = functions::auth::ImportAuthorization::from_bytes_exact(&call.body).unwrap();
            assert_eq!((request.id, request.bytes.as_slice()), (5, &b"token"[..]));
            Reply::Ok(authorization(5, false))
        }
        "help.getNearestDc" => Reply::Ok(nearest(2)),
        _ => Reply::Err(401, "AUTH_KEY_UNREGISTERED"),
    })
    .await;
    let port = dc2.addr.port();
    let dc1 = FakeServer::start_with_key(1, rsa, move |call: &Call| match call.name {
        "auth.signIn" => Reply::Ok(authorization(5, false)),
        "help.getNearestDc" => Reply::Err(303, "USER_MIGRATE_2"),
        "auth.exportAuthorization" => Reply::Ok(
            enums::auth::ExportedAuthorization::from(types::auth::ExportedAuthorization {
                id: 5,
                bytes: b"token".to_vec(),
            })
            .to_bytes(),
        ),
        "help.getConfig" => Reply::Ok(
            enums::Config::from(types::Config {
                dc_options: vec![types::DcOption {
                    id: 2,
                    ip_address: "127.0.0.1".into(),
                    port: i32::from(port),
                    ..Default::default()
                }
                .into()],
                ..Default::default()
            })
            .to_bytes(),
        ),
        _ => Reply::Err(400, "METHOD_INVALID"),
    })
    .await;
    let client = Client::new(MemorySession::new(), 1, "hash", dc1.config());
    let token = ferrogram::LoginToken {
        phone: "1".into(),
        phone_code_hash: "h".into(),
        code_type: types::auth::SentCodeTypeApp { length: 5 }.into(),
        next_type: None,
        timeout: None,
    };
    client.sign_in(&token, "1").await.unwrap();
    let answer = client.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    assert_eq!(answer, types::NearestDc { country: "XX".into(), this_dc: 2, nearest_dc: 2 }.into());
    assert_eq!(client.home_dc(), 2);
    assert_eq!(dc1.count("auth.exportAuthorization"), 1);
    assert_eq!(dc2.count("auth.importAuthorization"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_migrate_error_without_a_dc_is_returned_not_followed() {
    let server = FakeServer::start(2, |_| Reply::Err(303, "PHONE_MIGRATE")).await;
    let client = client_for(&server);
    let error = client.send_code("+1").await.unwrap_err();
    let rpc = error.rpc().expect("RPC error kept");
    assert_eq!((rpc.code, rpc.name.as_str(), rpc.migrate_dc()), (303, "PHONE_MIGRATE", None));
    assert_eq!(client.home_dc(), 2);
    assert_eq!(server.count("auth.sendCode"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_connection_resends_and_the_call_runs_once() {
    let first = Arc::new(Mutex::new(true));
    let flag = first.clone();
    let server = FakeServer::start(2, move |_| {
        let mut first = flag.lock().unwrap();
        if std::mem::take(&mut *first) {
            Reply::OkThenDrop(nearest(2))
        } else {
            Reply::Ok(nearest(3))
        }
    })
    .await;
    let client = client_for(&server);
    client.connect().await.unwrap();
    let answer = client.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    // The answer recorded before the drop, from the server's cache: not a second execution.
    assert_eq!(answer, types::NearestDc { country: "XX".into(), this_dc: 2, nearest_dc: 2 }.into());
    assert_eq!(server.count("help.getNearestDc"), 1);
    assert_eq!(server.connections(), 2);
    // The connection goes on working.
    let answer = client.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    assert_eq!(answer, types::NearestDc { country: "XX".into(), this_dc: 3, nearest_dc: 3 }.into());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forgotten_key_is_replaced() {
    let server = FakeServer::start(2, |_| Reply::Ok(nearest(2))).await;
    let store = Arc::new(MemorySession::new());
    let client = Client::new(store.clone(), 1, "hash", server.config());
    client.connect().await.unwrap();
    let old_key = store.load().unwrap().dc(2).unwrap().auth_key.clone();
    server.forget_keys();
    client.disconnect().await.unwrap();
    client.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    assert_eq!(server.key_count(), 1);
    let new_key = store.load().unwrap().dc(2).unwrap().auth_key.clone();
    assert!(new_key.is_some() && new_key != old_key);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_transport_works() {
    let server = FakeServer::start(2, |_| Reply::Ok(nearest(2))).await;
    for kind in TransportKind::ALL {
        let client = Client::new(MemorySession::new(), 1, "hash", ClientConfig { transport: kind, ..server.config() });
        client.connect().await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        for _ in 0..3 {
            client.invoke(&functions::help::GetNearestDc {}).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_seed_phone_code_errors_stay_distinct() {
    for (message, expected) in [
        ("PHONE_CODE_EMPTY", "PhoneCodeEmpty"),
        ("PHONE_CODE_EXPIRED", "PhoneCodeExpired"),
        ("PHONE_CODE_INVALID", "PhoneCodeInvalid"),
        ("PHONE_NUMBER_INVALID", "PhoneNumberInvalid"),
        ("PHONE_NUMBER_UNOCCUPIED", "PhoneNumberUnoccupied"),
    ] {
        let server = FakeServer::start(2, move |call: &Call| match call.name {
            "auth.sendCode" => Reply::Ok(sent_code()),
            _ => Reply::Err(400, message),
        })
        .await;
        let client = client_for(&server);
        let token = client.send_code("+1").await.unwrap();
        let error = client.sign_in(&token, "1").await.unwrap_err();
        let name = format!("{error:?}");
        assert_eq!(name, expected, "{message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn odd_send_code_answers_are_typed() {
    let server = FakeServer::start(2, |_| {
        Reply::Ok(
            enums::auth::SentCode::from(types::auth::SentCodePaymentRequired {
                store_product: "p".into(),
                phone_code_hash: "h".into(),
                support_email_address: String::new(),
                premium_days: 30,
                support_email_subject: String::new(),
                currency: "EUR".into(),
                amount: 100,
            })
            .to_bytes(),
        )
    })
    .await;
    let error = client_for(&server).send_code("+1").await.unwrap_err();
    assert!(matches!(error, SignInError::PaymentRequired { amount: 100, .. }), "{error:?}");

    let server = FakeServer::start(2, |_| {
        Reply::Ok(
            enums::auth::SentCode::from(types::auth::SentCodeSuccess {
                authorization: types::auth::AuthorizationSignUpRequired { terms_of_service: None }.into(),
            })
            .to_bytes(),
        )
    })
    .await;
    let error = client_for(&server).send_code("+1").await.unwrap_err();
    assert!(matches!(error, SignInError::Unexpected(_)), "{error:?}");

    // sentCodeSuccess with a user: the session is signed in, and the caller is told.
    let server = FakeServer::start(2, |_| {
        Reply::Ok(
            enums::auth::SentCode::from(types::auth::SentCodeSuccess {
                authorization: enums::auth::Authorization::from_bytes(&authorization(9, false)).unwrap(),
            })
            .to_bytes(),
        )
    })
    .await;
    let client = client_for(&server);
    let error = client.send_code("+1").await.unwrap_err();
    assert!(matches!(error, SignInError::Unexpected(_)), "{error:?}");
    assert_eq!(client.session_data().user.map(|u| u.id), Some(9));

    // A constructor of another type altogether is a decode error, not a panic.
    let server = FakeServer::start(2, |_| Reply::Ok(nearest(2))).await;
    let error = client_for(&server).send_code("+1").await.unwrap_err();
    assert!(matches!(error, SignInError::Invocation(InvocationError::Deserialize(_))), "{error:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn odd_sign_in_answers_are_typed() {
    // signIn answered with authorizationSignUpRequired: a result, not an error.
    let server = FakeServer::start(2, |call: &Call| match call.name {
        "auth.sendCode" => Reply::Ok(sent_code()),
        _ => Reply::Ok(
            enums::auth::Authorization::from(types::auth::AuthorizationSignUpRequired { terms_of_service: None })
                .to_bytes(),
        ),
    })
    .await;
    let client = client_for(&server);
    let token = client.send_code("+1").await.unwrap();
    assert!(matches!(client.sign_in(&token, "1").await.unwrap(), SignInResult::SignUpRequired { .. }));
    // The same to a bot sign-in or a sign-up: typed errors.
    assert!(matches!(client.bot_sign_in("1:abc").await.unwrap_err(), SignInError::Unexpected(_)));
    assert!(matches!(client.sign_up(&token, "A", "B").await.unwrap_err(), SignInError::Unexpected(_)));

    // An authorization carrying userEmpty.
    let server = FakeServer::start(2, |_| {
        Reply::Ok(
            enums::auth::Authorization::from(types::auth::Authorization {
                setup_password_required: false,
                otherwise_relogin_days: None,
                tmp_sessions: None,
                future_auth_token: None,
                user: types::UserEmpty { id: 1 }.into(),
            })
            .to_bytes(),
        )
    })
    .await;
    assert!(matches!(client_for(&server).bot_sign_in("1:abc").await.unwrap_err(), SignInError::Unexpected(_)));
}

fn password_without_algo() -> types::account::Password {
    types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        // has_password shares flags.2 with current_algo, srp_B and srp_id.
        has_password: false,
        current_algo: None,
        srp_b: None,
        srp_id: None,
        hint: Some("hint".into()),
        email_unconfirmed_pattern: None,
        new_algo: types::PasswordKdfAlgoUnknown {}.into(),
        new_secure_algo: types::SecurePasswordKdfAlgoUnknown {}.into(),
        secure_random: vec![],
        pending_reset_date: None,
        login_email_pattern: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_without_current_algo_is_a_typed_error() {
    let server = FakeServer::start(2, |call: &Call| match call.name {
        "auth.sendCode" => Reply::Ok(sent_code()),
        "auth.signIn" => Reply::Err(401, "SESSION_PASSWORD_NEEDED"),
        "account.getPassword" => Reply::Ok(enums::account::Password::from(password_without_algo()).to_bytes()),
        _ => Reply::Err(400, "METHOD_INVALID"),
    })
    .await;
    let client = client_for(&server);
    let token = client.send_code("+1").await.unwrap();
    let error = client.sign_in(&token, "1").await.unwrap_err();
    let SignInError::PasswordRequired(password) = error else { panic!("a password is required, got {error:?}") };
    assert_eq!(password.hint(), Some("hint"));
    assert!(matches!(client.check_password(*password, "pw").await.unwrap_err(), SignInError::NoPassword));

    // An unknown algorithm.
    let mut unknown = password_without_algo();
    unknown.current_algo = Some(Box::new(types::PasswordKdfAlgoUnknown {}.into()));
    unknown.srp_b = Some(vec![1; 256]);
    unknown.srp_id = Some(1);
    let error = client.check_password(ferrogram::PasswordToken::new(unknown), "pw").await.unwrap_err();
    assert!(matches!(error, SignInError::UnknownPasswordAlgorithm));

    // Bad SRP parameters (g out of range) are refused before anything is sent.
    let mut bad = password_without_algo();
    bad.current_algo = Some(Box::new(
        types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
            salt1: vec![1],
            salt2: vec![2],
            g: 9,
            p: telegram_dh_prime(),
        }
        .into(),
    ));
    bad.srp_b = Some(vec![1; 256]);
    bad.srp_id = Some(1);
    let error = client.check_password(ferrogram::PasswordToken::new(bad), "pw").await.unwrap_err();
    assert!(matches!(error, SignInError::Srp(_)), "{error:?}");
    assert_eq!(server.count("auth.checkPassword"), 0);
}

/// The whole `start` flow: phone, a wrong code, the right code, a wrong password, the right one.
#[tokio::test(flavor = "multi_thread")]
async fn start_drives_the_whole_flow_with_2fa() {
    let params = SrpParams { salt1: vec![1; 8], salt2: vec![2; 8], g: 3, p: telegram_dh_prime() };
    let verifier = srp::verifier(b"correct horse", &params);
    let challenge = Arc::new(Mutex::new(None));
    let signed_in = Arc::new(Mutex::new(false));
    let (p, c, s) = (params.clone(), challenge.clone(), signed_in.clone());
    let server = FakeServer::start(2, move |call: &Call| match call.name {
        "users.getUsers" if *s.lock().unwrap() => Reply::Ok(vec![enums::User::from(user(1, false))].to_bytes()),
        "users.getUsers" => Reply::Err(401, "AUTH_KEY_UNREGISTERED"),
        "auth.sendCode" => Reply::Ok(sent_code()),
        "auth.signIn" => {
            let request = functions::auth::SignIn::from_bytes_exact(&call.body).unwrap();
            if request.phone_code.as_deref() == Some("22222") {
                Reply::Err(401, "SESSION_PASSWORD_NEEDED")
            } else {
                Reply::Err(400, "PHONE_CODE_INVALID")
            }
        }
        "account.getPassword" => {
            let new = srp::server_challenge(&p, &verifier, &mut test_random()).unwrap();
            let mut password = password_without_algo();
            password.current_algo = Some(Box::new(
                types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                    salt1: p.salt1.clone(),
                    salt2: p.salt2.clone(),
                    g: p.g,
                    p: p.p.clone(),
                }
                .into(),
            ));
            password.srp_b = Some(new.srp_b.clone());
            password.srp_id = Some(7);
            *c.lock().unwrap() = Some(new);
            Reply::Ok(enums::account::Password::from(password).to_bytes())
        }
        "auth.checkPassword" => {
            let functions::auth::CheckPassword { password } =
                functions::auth::CheckPassword::from_bytes_exact(&call.body).unwrap();
            let enums::InputCheckPasswordSrp::InputCheckPasswordSrp(answer) = password else {
                return Reply::Err(400, "SRP_ID_INVALID");
            };
            let challenge = c.lock().unwrap().take().unwrap();
            match srp::server_check(&p, &verifier, &challenge, &SrpAnswer { a: answer.a, m1: answer.m1 }) {
                Ok(()) => {
                    *s.lock().unwrap() = true;
                    Reply::Ok(authorization(1, false))
                }
                Err(_) => Reply::Err(400, "PASSWORD_HASH_INVALID"),
            }
        }
        _ => Reply::Err(400, "METHOD_INVALID"),
    })
    .await;
    let client = client_for(&server);
    let codes = Mutex::new(vec!["22222", "11111"]);
    let passwords = Mutex::new(vec!["correct horse", "wrong"]);
    let callbacks = StartCallbacks::new(
        || "+9996621234".into(),
        |_| codes.lock().unwrap().pop().unwrap().into(),
        |hint| {
            assert_eq!(hint, Some("hint"));
            passwords.lock().unwrap().pop().unwrap().into()
        },
    );
    let me = client.start(callbacks).await.unwrap();
    assert_eq!(me.id, 1);
    assert_eq!(server.count("auth.signIn"), 2);
    assert_eq!(server.count("auth.checkPassword"), 2);
    assert_eq!(server.count("account.getPassword"), 2);
    assert_eq!(client.session_data().user.map(|u| u.id), Some(1));
    assert!(client.is_authorized().await.unwrap());

    // Signed in already: start asks nothing.
    let callbacks = StartCallbacks::new(|| panic!("no phone"), |_| panic!("no code"), |_| panic!("no password"));
    assert_eq!(client.start(callbacks).await.unwrap().id, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn log_out_forgets_the_account_and_keys() {
    let server = FakeServer::start(2, |call: &Call| match call.name {
        "auth.importBotAuthorization" => Reply::Ok(authorization(3, true)),
        "auth.logOut" => {
            Reply::Ok(enums::auth::LoggedOut::from(types::auth::LoggedOut { future_auth_token: None }).to_bytes())
        }
        _ => Reply::Err(401, "AUTH_KEY_UNREGISTERED"),
    })
    .await;
    let store = Arc::new(MemorySession::new());
    let client = Client::new(store.clone(), 1, "hash", server.config());
    let bot = client.bot_sign_in("1:abc").await.unwrap();
    assert!(bot.bot);
    assert_eq!(store.load().unwrap().user.map(|u| (u.id, u.bot)), Some((3, true)));
    client.log_out().await.unwrap();
    let data = store.load().unwrap();
    assert_eq!(data.user, None);
    assert!(data.dcs.values().all(|dc| dc.auth_key.is_none()));
    assert!(!client.is_authorized().await.unwrap());
    // A new key was made for the call after logging out.
    assert_eq!(server.key_count(), 2);
}

/// Idle connections send `ping_delay_disconnect` and stay up; the pings' answers go to nobody.
#[tokio::test(flavor = "multi_thread")]
async fn pings_keep_an_idle_connection() {
    let server = FakeServer::start(2, |_| Reply::Ok(nearest(2))).await;
    let client = Client::new(
        MemorySession::new(),
        1,
        "hash",
        ClientConfig { ping_interval: Duration::from_millis(50), ..server.config() },
    );
    client.connect().await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    // About 8 pings went out (a few may share a packet with an ack).
    assert!(server.packets() >= 4, "only {} packets while idle", server.packets());
    client.invoke(&functions::help::GetNearestDc {}).await.unwrap();
    assert_eq!(server.connections(), 1);
    // Pings are answered by the session layer itself, never as calls.
    assert_eq!(server.calls().len(), 1);
}
