//! Attempt limits hold under concurrency: however many wrong login codes or wrong 2FA passwords
//! arrive at once, exactly the limit of them are evaluated and every other one gets the limit's
//! error, on a file-backed store (as in production) and in memory.

mod common;

use std::sync::Barrier;

use common::*;
use ferrogram_server::{AdminUser, Api, RpcError};
use ferrogram_tl::{functions, types};

/// Requests racing in each round.
const THREADS: usize = 100;
/// Rounds of wrong codes per store (the race window is narrow: many rounds make it show).
const CODE_ROUNDS: usize = 60;
/// Rounds of wrong passwords per store (each needs `THREADS` sign-ins first).
const PASSWORD_ROUNDS: usize = 5;

/// Runs `f(i)` for `i` in `0..THREADS` on as many threads, released together.
fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (start, f) = (&start, &f);
                scope.spawn(move || {
                    start.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a racing call panicked")).collect()
    })
}

fn is_limit_error(e: &RpcError) -> bool {
    (e.code == 420 && e.message().starts_with("FLOOD_WAIT_")) || (e.code == 400 && e.message() == "PHONE_CODE_EXPIRED")
}

/// One round of wrong codes for a fresh test-DC number on DC 2.
fn wrong_codes_race(api: &Api, round: usize) {
    let phone = format!("999662{:04}", 1000 + round);
    let ctx = new_key(api, 2, 1000 + round as u64);
    let sent = send_code(api, &ctx, &phone);
    let wrong = if code_for(api, &sent.phone_code_hash) == "11111" { "33333" } else { "11111" };
    let request = sign_in_request(&phone, &sent.phone_code_hash, Some(wrong));

    let errors: Vec<RpcError> = race(|_| call(api, &ctx, &request).expect_err("a wrong code never signs in"));

    let limit = api.config().max_code_attempts;
    let invalid = errors.iter().filter(|e| e.message() == "PHONE_CODE_INVALID").count();
    // The last evaluated attempt answers FLOOD_WAIT like the ones refused without evaluation.
    assert_eq!(invalid, limit as usize - 1, "round {round}: wrong codes answered PHONE_CODE_INVALID");
    let unexpected: Vec<_> =
        errors.iter().filter(|e| e.message() != "PHONE_CODE_INVALID" && !is_limit_error(e)).collect();
    assert!(unexpected.is_empty(), "round {round}: {unexpected:?}");
    let record = api
        .recent_codes(1000)
        .unwrap()
        .into_iter()
        .find(|c| c.phone_code_hash == sent.phone_code_hash)
        .expect("the code is recorded");
    assert_eq!(record.attempts, limit, "round {round}: attempts evaluated");
}

/// One round of wrong 2FA passwords: an account with a password and `THREADS` keys whose
/// sign-in waits for it, each checking a wrong password at once.
fn wrong_passwords_race(api: &Api, round: usize) {
    let phone = format!("999662{:04}", 5000 + round);
    let user = api
        .create_user(
            &AdminUser {
                phone: phone.clone(),
                first_name: "Ada".into(),
                password: Some("pw".into()),
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    let waiting: Vec<_> = (0..THREADS)
        .map(|i| {
            let ctx = new_key(api, 2, (round * THREADS + i) as u64 + 100_000);
            let sent = send_code(api, &ctx, &phone);
            let code = code_for(api, &sent.phone_code_hash);
            assert_error(
                call(api, &ctx, &sign_in_request(&phone, &sent.phone_code_hash, Some(&code))),
                401,
                "SESSION_PASSWORD_NEEDED",
            );
            let ferrogram_tl::enums::account::Password::Password(info) =
                call(api, &ctx, &functions::account::GetPassword {}).unwrap();
            (ctx, info.srp_id.expect("the account has a password"))
        })
        .collect();

    let errors: Vec<RpcError> = race(|i| {
        let (ctx, srp_id) = &waiting[i];
        // Not what any password gives: the check fails after the full SRP computation.
        let password = types::InputCheckPasswordSrp { srp_id: *srp_id, a: vec![0x5a; 256], m1: vec![0; 32] };
        call(api, ctx, &functions::auth::CheckPassword { password: password.into() }).expect_err("a wrong password")
    });

    let limit = api.config().password_attempt_limit;
    let invalid = errors.iter().filter(|e| e.message() == "PASSWORD_HASH_INVALID").count();
    assert_eq!(invalid as i64, limit - 1, "round {round}: wrong passwords answered PASSWORD_HASH_INVALID");
    let unexpected: Vec<_> =
        errors.iter().filter(|e| e.message() != "PASSWORD_HASH_INVALID" && !is_limit_error(e)).collect();
    assert!(unexpected.is_empty(), "round {round}: {unexpected:?}");
    let (evaluated, _) =
        api.store().flood_window(&format!("password:{}", user.id), T0).unwrap().expect("attempts were counted");
    assert_eq!(evaluated, limit, "round {round}: passwords evaluated");
}

#[test]
fn concurrent_wrong_codes_evaluate_exactly_the_limit_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let api = api_on(dir.path(), 1);
    for round in 0..CODE_ROUNDS {
        wrong_codes_race(&api, round);
    }
}

#[test]
fn concurrent_wrong_codes_evaluate_exactly_the_limit_in_memory() {
    let api = api();
    for round in 0..CODE_ROUNDS {
        wrong_codes_race(&api, round);
    }
}

#[test]
fn concurrent_wrong_passwords_evaluate_exactly_the_limit_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let api = api_on(dir.path(), 2);
    for round in 0..PASSWORD_ROUNDS {
        wrong_passwords_race(&api, round);
    }
}

#[test]
fn concurrent_wrong_passwords_evaluate_exactly_the_limit_in_memory() {
    let api = api();
    for round in 0..PASSWORD_ROUNDS {
        wrong_passwords_race(&api, round);
    }
}
