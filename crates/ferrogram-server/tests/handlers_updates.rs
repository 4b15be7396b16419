//! `updates.getState` and `updates.getDifference` over the per-account update log
//! (<https://core.telegram.org/api/updates>): exactly the missed updates, in slices when asked,
//! `differenceTooLong` past the log's bound or the client's `pts_total_limit`, and the same
//! sequence after reopening a data dir.

mod common;
mod messaging;

use common::*;
use ferrogram_server::Api;
use ferrogram_tl::{enums, functions, types};
use messaging::*;

#[test]
fn get_difference_returns_exactly_what_was_missed() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let before = state(&api, &bob.ctx);
    assert_eq!(before.pts, 1);
    let to_bob = peer_of(&api, ada, bob);
    for i in 1..=5 {
        send(&api, &ada.ctx, &to_bob, &format!("m{i}"), i);
    }
    let read = functions::messages::ReadHistory { peer: peer_of(&api, bob, ada), max_id: 3 };
    call(&api, &bob.ctx, &read).unwrap();
    let after = state(&api, &bob.ctx);
    assert_eq!((after.pts, after.unread_count), (7, 2));

    let diff = call(&api, &bob.ctx, &difference_request(before.pts)).unwrap();
    let enums::updates::Difference::Difference(diff) = diff else { panic!("{diff:?}") };
    let texts: Vec<&str> = diff.new_messages.iter().map(|m| plain(m).message.as_str()).collect();
    assert_eq!(texts, vec!["m1", "m2", "m3", "m4", "m5"]);
    let [enums::Update::ReadHistoryInbox(inbox)] = diff.other_updates.as_slice() else { panic!("{diff:?}") };
    assert_eq!((inbox.max_id, inbox.still_unread_count, inbox.pts), (3, 2, 7));
    assert!(diff.users.iter().any(|u| matches!(u, enums::User::User(u) if u.id == ada.user.id)));
    let enums::updates::State::State(state_now) = &diff.state;
    assert_eq!(state_now.pts, 7);

    // From the middle: only what came after.
    let diff = call(&api, &bob.ctx, &difference_request(4)).unwrap();
    let enums::updates::Difference::Difference(diff) = diff else { panic!("{diff:?}") };
    assert_eq!(diff.new_messages.iter().map(id_of).collect::<Vec<_>>(), vec![4, 5]);
    let up_to_date = call(&api, &bob.ctx, &difference_request(7)).unwrap();
    assert!(matches!(up_to_date, enums::updates::Difference::Empty(_)));

    // The sender's box has its own log: its messages and the outbox read.
    let diff = call(&api, &ada.ctx, &difference_request(1)).unwrap();
    let enums::updates::Difference::Difference(diff) = diff else { panic!("{diff:?}") };
    assert!(diff.new_messages.iter().all(|m| plain(m).out));
    let [enums::Update::ReadHistoryOutbox(outbox)] = diff.other_updates.as_slice() else { panic!("{diff:?}") };
    assert_eq!((outbox.max_id, outbox.pts), (3, 7));

    assert_error(call(&api, &bob.ctx, &difference_request(8)), 400, "PERSISTENT_TIMESTAMP_INVALID");
    assert_error(call(&api, &bob.ctx, &difference_request(0)), 400, "PERSISTENT_TIMESTAMP_EMPTY");
    let no_date = functions::updates::GetDifference { date: 0, ..difference_request(1) };
    assert_error(call(&api, &bob.ctx, &no_date), 400, "DATE_EMPTY");
}

#[test]
fn a_long_difference_comes_in_slices_and_a_too_long_one_is_refused() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let to_bob = peer_of(&api, ada, bob);
    for i in 1..=10 {
        send(&api, &ada.ctx, &to_bob, &format!("m{i}"), i);
    }
    let sliced = functions::updates::GetDifference { pts_limit: Some(4), ..difference_request(1) };
    let diff = call(&api, &bob.ctx, &sliced).unwrap();
    let enums::updates::Difference::Slice(slice) = diff else { panic!("{diff:?}") };
    assert_eq!(slice.new_messages.iter().map(id_of).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    let enums::updates::State::State(intermediate) = &slice.intermediate_state;
    assert_eq!(intermediate.pts, 5);
    let next = functions::updates::GetDifference { pts_limit: Some(4), ..difference_request(intermediate.pts) };
    let enums::updates::Difference::Slice(slice) = call(&api, &bob.ctx, &next).unwrap() else { panic!() };
    assert_eq!(slice.new_messages.iter().map(id_of).collect::<Vec<_>>(), vec![5, 6, 7, 8]);
    let last = functions::updates::GetDifference { pts_limit: Some(4), ..difference_request(9) };
    let enums::updates::Difference::Difference(rest) = call(&api, &bob.ctx, &last).unwrap() else { panic!() };
    assert_eq!(rest.new_messages.iter().map(id_of).collect::<Vec<_>>(), vec![9, 10]);

    let bounded = functions::updates::GetDifference { pts_total_limit: Some(5), ..difference_request(1) };
    let diff = call(&api, &bob.ctx, &bounded).unwrap();
    assert_eq!(diff, types::updates::DifferenceTooLong { pts: 11 }.into());
}

#[test]
fn a_client_older_than_the_log_gets_difference_too_long() {
    let api = Api::open(None, ferrogram_server::ApiConfig { update_log_limit: 8, ..config() }, test_random(7)).unwrap();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let to_bob = peer_of(&api, ada, bob);
    for i in 1..=40 {
        send(&api, &ada.ctx, &to_bob, &format!("m{i}"), i);
    }
    let diff = call(&api, &bob.ctx, &difference_request(1)).unwrap();
    assert_eq!(diff, types::updates::DifferenceTooLong { pts: 41 }.into());
    // The last `update_log_limit` pts are always kept.
    let diff = call(&api, &bob.ctx, &difference_request(33)).unwrap();
    let enums::updates::Difference::Difference(diff) = diff else { panic!("{diff:?}") };
    assert_eq!(diff.new_messages.len(), 8);
}

#[test]
fn the_sequence_continues_after_reopening_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let (ada, bob, to_bob) = {
        let api = api_on(dir.path(), 1);
        let people = accounts(&api, 2);
        let to_bob = peer_of(&api, &people[0], &people[1]);
        send(&api, &people[0].ctx, &to_bob, "before", 1);
        (people[0].clone(), people[1].clone(), to_bob)
    };
    let api = api_on(dir.path(), 2);
    let (answer, pushes) = send(&api, &ada.ctx, &to_bob, "after", 2);
    assert_eq!((short_sent(&answer).id, short_sent(&answer).pts), (2, 3));
    let bobs = only_push(&pushes, &bob.ctx);
    assert_eq!((short_message(&bobs).id, short_message(&bobs).pts), (2, 3));
    assert_error(call(&api, &ada.ctx, &send_request(&to_bob, "dup", 1)), 500, "RANDOM_ID_DUPLICATE");
    let diff = call(&api, &bob.ctx, &difference_request(1)).unwrap();
    let enums::updates::Difference::Difference(diff) = diff else { panic!("{diff:?}") };
    let texts: Vec<&str> = diff.new_messages.iter().map(|m| plain(m).message.as_str()).collect();
    assert_eq!(texts, vec!["before", "after"]);
}

#[test]
fn new_messages_of_a_difference_are_as_the_box_holds_them_now() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let to_bob = peer_of(&api, ada, bob);
    send(&api, &ada.ctx, &to_bob, "first", 1);
    send(&api, &ada.ctx, &to_bob, "second", 2);
    let edit = functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer: to_bob.clone(),
        id: 1,
        message: Some("first, edited".into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    };
    call(&api, &ada.ctx, &edit).unwrap();
    call(&api, &ada.ctx, &functions::messages::DeleteMessages { revoke: true, id: vec![2] }).unwrap();
    let diff = call(&api, &bob.ctx, &difference_request(1)).unwrap();
    let enums::updates::Difference::Difference(diff) = diff else { panic!("{diff:?}") };
    let texts: Vec<&str> = diff.new_messages.iter().map(|m| plain(m).message.as_str()).collect();
    assert_eq!(texts, vec!["first, edited"]);
    assert!(matches!(
        diff.other_updates.as_slice(),
        [enums::Update::EditMessage(_), enums::Update::DeleteMessages(d)] if d.messages == vec![2]
    ));
    let enums::updates::State::State(state) = &diff.state;
    assert_eq!(state.pts, 5);
}
