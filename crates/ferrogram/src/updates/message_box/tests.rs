//! The box driven by hand with a simulated clock: no network, no sleeps.

use std::time::Duration;

use ferrogram_tl::{enums, types};

use super::*;

const T0: Duration = Duration::from_secs(1_000_000);

fn ms(n: u64) -> Duration {
    T0 + Duration::from_millis(n)
}

fn state(pts: i32) -> UpdateState {
    UpdateState { pts, qts: 0, date: 1, seq: 0, channels: Default::default() }
}

fn tl_state(pts: i32, seq: i32) -> enums::updates::State {
    types::updates::State { pts, qts: 0, date: 2, seq, unread_count: 0 }.into()
}

/// A private message with id `id` at `pts` (one event).
fn short(id: i32, pts: i32) -> enums::Updates {
    types::UpdateShortMessage {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        id,
        user_id: 7,
        message: format!("m{id}"),
        pts,
        pts_count: 1,
        date: 5,
        fwd_from: None,
        via_bot_id: None,
        reply_to: None,
        entities: None,
        ttl_period: None,
    }
    .into()
}

fn delete(ids: Vec<i32>, pts: i32) -> enums::Update {
    let count = ids.len() as i32;
    types::UpdateDeleteMessages { messages: ids, pts, pts_count: count }.into()
}

fn typing() -> enums::Update {
    types::UpdateUserTyping { user_id: 7, top_msg_id: None, action: types::SendMessageTypingAction {}.into() }.into()
}

fn container(updates: Vec<enums::Update>, seq_start: i32, seq: i32) -> enums::Updates {
    types::UpdatesCombined { updates, users: vec![], chats: vec![], date: 9, seq_start, seq }.into()
}

/// The message ids of what came out (0 for other updates).
fn ids(applied: &[Applied]) -> Vec<i32> {
    applied
        .iter()
        .map(|a| match a {
            Applied::ShortMessage(m) => m.id,
            Applied::Update(update) => match &**update {
                enums::Update::NewMessage(u) => match &u.message {
                    enums::Message::Message(m) => m.id,
                    _ => -1,
                },
                _ => 0,
            },
            _ => 0,
        })
        .collect()
}

fn message(id: i32) -> enums::Message {
    let enums::Updates::UpdateShortMessage(s) = short(id, 0) else { unreachable!() };
    types::Message {
        out: false,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: s.id,
        from_id: None,
        from_boosts_applied: None,
        from_rank: None,
        peer_id: types::PeerUser { user_id: s.user_id }.into(),
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to: None,
        date: s.date,
        message: s.message,
        media: None,
        reply_markup: None,
        entities: None,
        views: None,
        forwards: None,
        replies: None,
        edit_date: None,
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into()
}

fn difference(messages: Vec<i32>, pts: i32) -> enums::updates::Difference {
    types::updates::Difference {
        new_messages: messages.into_iter().map(message).collect(),
        new_encrypted_messages: vec![],
        other_updates: vec![],
        chats: vec![],
        users: vec![],
        state: tl_state(pts, 0),
    }
    .into()
}

#[test]
fn in_order_updates_apply_and_duplicates_are_dropped() {
    let mut b = MessageBox::with_state(state(10), T0);
    assert_eq!(ids(&b.process(short(1, 11), ms(0))), [1]);
    assert_eq!(ids(&b.process(short(2, 12), ms(1))), [2]);
    // The same update again (resent after a reconnect): already applied.
    assert!(b.process(short(2, 12), ms(2)).is_empty());
    assert!(b.process(short(1, 11), ms(3)).is_empty());
    assert_eq!(b.state().map(|s| s.pts), Some(12));
    // pts_count > 1: a deletion of three messages is three events.
    assert_eq!(b.process(types::UpdateShort { update: delete(vec![1, 2, 3], 15), date: 1 }.into(), ms(4)).len(), 1);
    assert_eq!(b.state().map(|s| s.pts), Some(15));
    assert_eq!(b.poll_timeout(), Some(ms(4) + IDLE_DIFFERENCE));
}

#[test]
fn a_gap_filled_within_the_wait_needs_no_difference() {
    let mut b = MessageBox::with_state(state(10), T0);
    assert!(b.process(short(3, 13), ms(0)).is_empty(), "held behind the gap");
    assert!(b.process(short(2, 12), ms(100)).is_empty());
    assert_eq!(b.held(), 2);
    assert_eq!(b.poll_timeout(), Some(ms(0) + GAP_WAIT));
    // The missing one comes: everything applies, in pts order.
    assert_eq!(ids(&b.process(short(1, 11), ms(200))), [1, 2, 3]);
    assert_eq!(b.held(), 0);
    b.handle_timeout(ms(600));
    assert!(b.difference_request(None).is_none());
}

#[test]
fn a_gap_still_open_after_the_wait_asks_for_a_difference() {
    let mut b = MessageBox::with_state(state(10), T0);
    assert!(b.process(short(3, 13), ms(0)).is_empty());
    b.handle_timeout(ms(499));
    assert!(b.difference_request(None).is_none(), "not before half a second");
    b.handle_timeout(ms(500));
    let request = b.difference_request(Some(100)).expect("a difference is due");
    assert_eq!((request.pts, request.pts_limit, request.qts), (10, Some(100), 0));
    // While it is due, new updates wait (the difference may bring them too).
    assert!(b.process(short(4, 14), ms(600)).is_empty());
    // The difference brings 11..=13; the held 13 is dropped as covered, the held 14 applies.
    let applied = b.apply_difference(difference(vec![1, 2, 3], 13), ms(700));
    assert_eq!(ids(&applied), [1, 2, 3, 4]);
    assert_eq!(b.state().map(|s| s.pts), Some(14));
    assert!(b.difference_request(None).is_none());
    assert_eq!(b.held(), 0);
}

#[test]
fn slices_are_fetched_until_the_difference_is_whole() {
    let mut b = MessageBox::with_state(state(10), T0);
    b.request_difference();
    let slice: enums::updates::Difference = types::updates::DifferenceSlice {
        new_messages: vec![message(1), message(2)],
        new_encrypted_messages: vec![],
        other_updates: vec![delete(vec![1], 13)],
        chats: vec![],
        users: vec![],
        intermediate_state: tl_state(13, 0),
    }
    .into();
    assert_eq!(ids(&b.apply_difference(slice, ms(0))), [1, 2, 0]);
    let next = b.difference_request(None).expect("the rest is due");
    assert_eq!(next.pts, 13);
    assert_eq!(ids(&b.apply_difference(difference(vec![3], 14), ms(1))), [3]);
    assert!(b.difference_request(None).is_none());
    let empty = types::updates::DifferenceEmpty { date: 50, seq: 0 }.into();
    b.request_difference();
    assert!(b.apply_difference(empty, ms(2)).is_empty());
    assert_eq!(b.state().map(|s| (s.pts, s.date)), Some((14, 50)));
    assert!(b.difference_request(None).is_none());
}

#[test]
fn too_long_moves_to_the_servers_pts_and_says_so() {
    let mut b = MessageBox::with_state(state(10), T0);
    b.process(types::UpdatesTooLong {}.into(), ms(0));
    assert!(b.difference_request(None).is_some(), "updatesTooLong asks for the difference");
    let too_long = types::updates::DifferenceTooLong { pts: 5000 }.into();
    assert_eq!(b.apply_difference(too_long, ms(1)), vec![Applied::TooLong]);
    assert_eq!(b.state().map(|s| s.pts), Some(5000));
    assert_eq!(ids(&b.process(short(9, 5001), ms(2))), [9]);
}

#[test]
fn seq_orders_containers() {
    let mut b = MessageBox::with_state(state(10), T0);
    assert_eq!(b.process(container(vec![typing()], 1, 1), ms(0)).len(), 1);
    // seq 3 before 2: held.
    assert!(b.process(container(vec![typing()], 3, 3), ms(1)).is_empty());
    assert_eq!(b.process(container(vec![typing(), typing()], 2, 2), ms(2)).len(), 3);
    assert_eq!(b.state().map(|s| (s.seq, s.date)), Some((3, 9)));
    // Applied already.
    assert!(b.process(container(vec![typing()], 2, 2), ms(3)).is_empty());
    // Unnumbered (seq 0): applied at once, pts still checked inside.
    let applied = b.process(container(vec![delete(vec![1], 11), delete(vec![1], 11), typing()], 0, 0), ms(4));
    assert_eq!(applied.len(), 2);
    // A seq gap that stays open asks for a difference.
    assert!(b.process(container(vec![typing()], 9, 9), ms(5)).is_empty());
    b.handle_timeout(ms(505));
    assert!(b.difference_request(None).is_some());
}

#[test]
fn no_state_means_get_state_first_and_pass_through() {
    let mut b = MessageBox::new();
    assert!(b.needs_state());
    assert!(b.difference_request(None).is_none());
    // Without a state nothing can be checked: updates pass.
    assert_eq!(ids(&b.process(short(1, 40), ms(0))), [1]);
    b.set_state(&tl_state(40, 0), ms(1));
    assert!(!b.needs_state());
    assert!(b.process(short(1, 40), ms(2)).is_empty());
    assert_eq!(ids(&b.process(short(2, 41), ms(3))), [2]);
    b.forget_state();
    assert!(b.needs_state());
}

#[test]
fn channels_have_their_own_sequence() {
    let mut b = MessageBox::with_state(state(10), T0);
    let channel_delete = |pts| -> enums::Updates {
        let update = types::UpdateDeleteChannelMessages { channel_id: 5, messages: vec![1], pts, pts_count: 1 };
        types::UpdateShort { update: update.into(), date: 1 }.into()
    };
    assert_eq!(b.process(channel_delete(100), ms(0)).len(), 1, "a new channel starts its sequence");
    assert_eq!(b.process(channel_delete(101), ms(1)).len(), 1);
    assert!(b.process(channel_delete(101), ms(2)).is_empty());
    assert!(b.process(channel_delete(103), ms(3)).is_empty(), "a channel gap");
    assert_eq!(b.state().map(|s| s.pts), Some(10), "the common box is untouched");
    // After the wait, that channel's difference is due (the common one is not).
    b.handle_timeout(ms(503));
    assert!(b.difference_request(None).is_none());
    assert_eq!(b.channel_difference_due(), Some(5));
    // Without a way to ask (no access hash), the gap is closed with what was held.
    assert_eq!(b.close_channel_gap(5).len(), 1);
    assert_eq!(b.state().and_then(|s| s.channels.get(&5).copied()), Some(103));
    assert_eq!(b.channel_difference_due(), None);
}

fn channel_message(id: i32) -> enums::Message {
    let enums::Message::Message(mut m) = message(id) else { unreachable!() };
    m.peer_id = types::PeerChannel { channel_id: 5 }.into();
    m.message = format!("m{id}");
    m.into()
}

fn channel_new(id: i32, pts: i32) -> enums::Updates {
    let update = types::UpdateNewChannelMessage { message: channel_message(id), pts, pts_count: 1 };
    types::UpdateShort { update: update.into(), date: 1 }.into()
}

fn texts(applied: &[Applied]) -> Vec<String> {
    applied
        .iter()
        .filter_map(|a| match a {
            Applied::Update(u) => match u.as_ref() {
                enums::Update::NewChannelMessage(m) => match &m.message {
                    enums::Message::Message(m) => Some(m.message.clone()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn a_channel_gap_is_filled_by_the_channel_difference_in_slices() {
    let mut b = MessageBox::with_state(state(10), T0);
    assert_eq!(texts(&b.process(channel_new(1, 100), ms(0))), ["m1"]);
    // 101..=103 were missed; 104 waits behind the gap.
    assert!(b.process(channel_new(5, 104), ms(1)).is_empty());
    assert!(b.channel_difference_request(5, 77, 100).is_none(), "not due before the wait");
    b.handle_timeout(ms(501));
    assert_eq!(b.channel_difference_due(), Some(5));
    let request = b.channel_difference_request(5, 77, 100).expect("due");
    assert_eq!(request.pts, 100);
    assert_eq!(request.channel, types::InputChannel { channel_id: 5, access_hash: 77 }.into());
    // A first slice (not final) brings 101 and 102 and leaves the difference due.
    let slice = types::updates::ChannelDifference {
        r#final: false,
        pts: 102,
        timeout: None,
        new_messages: vec![channel_message(2), channel_message(3)],
        other_updates: Vec::new(),
        chats: Vec::new(),
        users: Vec::new(),
    };
    assert_eq!(texts(&b.apply_channel_difference(5, slice.into(), ms(600))), ["m2", "m3"]);
    assert_eq!(b.channel_difference_due(), Some(5));
    assert_eq!(b.channel_difference_request(5, 77, 100).map(|r| r.pts), Some(102));
    // The final one brings 103; the held 104 follows, once; nothing is due any more.
    let last = types::updates::ChannelDifference {
        r#final: true,
        pts: 103,
        timeout: None,
        new_messages: vec![channel_message(4)],
        other_updates: Vec::new(),
        chats: Vec::new(),
        users: Vec::new(),
    };
    assert_eq!(texts(&b.apply_channel_difference(5, last.into(), ms(700))), ["m4", "m5"]);
    assert_eq!(b.channel_difference_due(), None);
    assert_eq!(b.state().and_then(|s| s.channels.get(&5).copied()), Some(104));
    assert_eq!(b.held(), 0);
    assert!(b.process(channel_new(5, 104), ms(800)).is_empty(), "a duplicate is dropped");
}

#[test]
fn an_empty_or_too_long_channel_difference_moves_the_channel_on() {
    let mut b = MessageBox::with_state(state(10), T0);
    b.process(channel_new(1, 100), ms(0));
    b.process(channel_new(9, 110), ms(1));
    b.handle_timeout(ms(501));
    let too_long = types::updates::ChannelDifferenceTooLong {
        r#final: true,
        timeout: None,
        dialog: types::Dialog {
            pinned: false,
            unread_mark: false,
            view_forum_as_messages: false,
            peer: types::PeerChannel { channel_id: 5 }.into(),
            top_message: 20,
            read_inbox_max_id: 0,
            read_outbox_max_id: 0,
            unread_count: 0,
            unread_mentions_count: 0,
            unread_reactions_count: 0,
            unread_poll_votes_count: 0,
            notify_settings: types::PeerNotifySettings::default().into(),
            pts: Some(120),
            draft: None,
            folder_id: None,
            ttl_period: None,
        }
        .into(),
        messages: vec![channel_message(20)],
        chats: Vec::new(),
        users: Vec::new(),
    };
    let applied = b.apply_channel_difference(5, too_long.into(), ms(600));
    assert_eq!(texts(&applied), ["m20"]);
    assert!(applied.iter().any(|a| matches!(a, Applied::TooLong)), "the channel must be reloaded");
    assert_eq!(b.state().and_then(|s| s.channels.get(&5).copied()), Some(120));
    assert_eq!(b.held(), 0, "what was held is covered");
    assert_eq!(b.channel_difference_due(), None);
    // An empty difference only moves the pts.
    b.process(channel_new(30, 125), ms(700));
    b.handle_timeout(ms(1200));
    let empty = types::updates::ChannelDifferenceEmpty { r#final: true, pts: 124, timeout: None };
    assert_eq!(texts(&b.apply_channel_difference(5, empty.into(), ms(1300))), ["m30"]);
    assert_eq!(b.state().and_then(|s| s.channels.get(&5).copied()), Some(125));
}

#[test]
fn holding_too_much_drops_it_for_a_difference() {
    let mut b = MessageBox::with_state(state(10), T0);
    for i in 0..=MAX_HELD as i32 {
        b.process(short(i, 20 + i), ms(0));
    }
    assert_eq!(b.held(), 0, "dropped: the difference brings them again");
    assert!(b.difference_request(None).is_some());
}

#[test]
fn a_long_silence_asks_for_a_difference() {
    let mut b = MessageBox::with_state(state(10), T0);
    b.handle_timeout(T0 + IDLE_DIFFERENCE - Duration::from_secs(1));
    assert!(b.difference_request(None).is_none());
    b.handle_timeout(T0 + IDLE_DIFFERENCE);
    assert!(b.difference_request(None).is_some());
}

#[test]
fn what_arrived_while_the_state_was_fetched_is_not_dropped() {
    let mut b = MessageBox::new();
    b.set_state(&tl_state(41, 0), ms(0));
    // Pushed before the state was made (pts 40, 41), and after it (42).
    assert_eq!(ids(&b.process_undelivered(short(1, 40), ms(1))), [1]);
    assert_eq!(ids(&b.process_undelivered(short(2, 41), ms(1))), [2]);
    assert_eq!(ids(&b.process_undelivered(short(3, 42), ms(1))), [3]);
    assert_eq!(b.state().map(|s| s.pts), Some(42));
    // Afterwards the usual rules hold again.
    assert!(b.process(short(3, 42), ms(2)).is_empty());
}

#[test]
fn a_sent_message_moves_the_sequence_without_an_event() {
    let mut b = MessageBox::with_state(state(10), T0);
    let sent: enums::Updates = types::UpdateShortSentMessage {
        out: true,
        id: 1,
        pts: 12,
        pts_count: 2,
        date: 5,
        media: None,
        entities: None,
        ttl_period: None,
    }
    .into();
    assert!(b.process(sent.clone(), ms(0)).is_empty());
    assert_eq!(b.state().map(|s| s.pts), Some(12));
    assert!(b.process(sent, ms(1)).is_empty());
    assert_eq!(ids(&b.process(short(2, 13), ms(2))), [2]);
    assert_eq!(b.held(), 0);
}
