//! Reading boxes through `Api::call`: `messages.getHistory` and `messages.search` with Telegram's
//! offsets (<https://core.telegram.org/api/offsets>), `messages.getMessages`, dialogs (order,
//! pages, pinned ones), the start-up calls with empty answers, and strange peers and ids refused
//! by every method.

mod common;
mod messaging;

use common::*;
use ferrogram_tl::{enums, functions, types};
use messaging::*;

#[test]
fn history_offsets_follow_telegrams_rules() {
    let api = api();
    let people = accounts(&api, 1);
    let ada = &people[0];
    for i in 1..=30 {
        let ctx = CallContextExt::at(&ada.ctx, T0 + i64::from(i));
        send(&api, &ctx, &self_peer(), &format!("note {i}"), i64::from(i));
    }
    let get = |request: functions::messages::GetHistory| history_ids(&api, &ada.ctx, &request);
    let range = |from: i32, to: i32| -> Vec<i32> { (to..=from).rev().collect() };
    assert_eq!(get(history_request(&self_peer(), 0, 0, 10)), (range(30, 21), 30, true));
    assert_eq!(get(history_request(&self_peer(), 21, 0, 10)), (range(20, 11), 30, true));
    assert_eq!(get(history_request(&self_peer(), 21, 5, 10)), (range(15, 6), 30, true));
    // A negative add_offset reaches newer messages: around offset_id.
    assert_eq!(get(history_request(&self_peer(), 21, -5, 10)), (range(25, 16), 30, true));
    assert_eq!(get(history_request(&self_peer(), 21, -10, 10)), (range(30, 21), 30, true));
    assert_eq!(get(history_request(&self_peer(), 21, -20, 10)).0, Vec::<i32>::new(), "nothing that new");
    assert_eq!(get(history_request(&self_peer(), 3, 0, 10)).0, vec![2, 1]);
    let bounded = functions::messages::GetHistory { max_id: 10, min_id: 5, ..history_request(&self_peer(), 0, 0, 10) };
    assert_eq!(get(bounded).0, range(9, 6));
    // Message i was sent at T0 + i: offset_date takes those strictly older.
    let dated =
        functions::messages::GetHistory { offset_date: (T0 + 10) as i32, ..history_request(&self_peer(), 0, 0, 3) };
    assert_eq!(get(dated).0, vec![9, 8, 7]);
    // Limits are clamped; negative offsets are harmless.
    assert_eq!(get(history_request(&self_peer(), 0, 0, 1_000_000)), (range(30, 1), 30, false));
    assert_eq!(get(history_request(&self_peer(), -5, i32::MIN, -7)).0, Vec::<i32>::new());
    assert_eq!(get(history_request(&self_peer(), i32::MAX, i32::MAX, 100)).0, Vec::<i32>::new());

    // Search with the same offsets.
    let search = functions::messages::Search {
        peer: self_peer(),
        q: "NOTE 2".into(),
        from_id: None,
        saved_peer_id: None,
        saved_reaction: None,
        top_msg_id: None,
        filter: types::InputMessagesFilterEmpty {}.into(),
        min_date: 0,
        max_date: 0,
        offset_id: 0,
        add_offset: 0,
        limit: 5,
        max_id: 0,
        min_id: 0,
        hash: 0,
    };
    let (found, count, _) = messages_of(call(&api, &ada.ctx, &search).unwrap());
    assert_eq!(count, 11, "note 2 and note 20..29");
    assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), vec![29, 28, 27, 26, 25]);

    let get_messages = functions::messages::GetMessages {
        id: vec![types::InputMessageId { id: 7 }.into(), types::InputMessageId { id: 70 }.into()],
    };
    let (found, _, _) = messages_of(call(&api, &ada.ctx, &get_messages).unwrap());
    assert_eq!(plain(&found[0]).message, "note 7");
    assert!(matches!(found[1], enums::Message::Empty(_)));
}

#[test]
fn dialogs_are_ordered_by_their_newest_message_and_sliced() {
    let api = api();
    let people = accounts(&api, 3);
    let (ada, bob, carol) = (&people[0], &people[1], &people[2]);
    let at = |s: i64| CallContextExt::at(&ada.ctx, T0 + s);
    send(&api, &at(1), &peer_of(&api, ada, bob), "to bob", 1);
    send(&api, &at(2), &peer_of(&api, ada, carol), "to carol", 2);
    send(&api, &at(3), &self_peer(), "to me", 3);
    send(&api, &CallContextExt::at(&bob.ctx, T0 + 4), &peer_of(&api, bob, ada), "from bob", 4);
    let peer_ids = |dialogs: &[enums::Dialog]| -> Vec<i64> {
        dialogs
            .iter()
            .map(|d| match d {
                enums::Dialog::Dialog(d) => match &d.peer {
                    enums::Peer::User(u) => u.user_id,
                    other => panic!("{other:?}"),
                },
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let all = call(&api, &ada.ctx, &dialogs_request(0, 0, 100)).unwrap();
    let enums::messages::Dialogs::Dialogs(all) = all else { panic!("all fit: {all:?}") };
    assert_eq!(peer_ids(&all.dialogs), vec![bob.user.id, ada.user.id, carol.user.id]);
    assert_eq!(all.messages.len(), 3);
    let first = call(&api, &ada.ctx, &dialogs_request(0, 0, 2)).unwrap();
    let enums::messages::Dialogs::Slice(first) = first else { panic!("{first:?}") };
    assert_eq!((first.count, peer_ids(&first.dialogs)), (3, vec![bob.user.id, ada.user.id]));
    // The next page starts below the last dialog's top message.
    let last = plain(first.messages.last().unwrap());
    let next = call(&api, &ada.ctx, &dialogs_request(last.date, last.id, 2)).unwrap();
    let enums::messages::Dialogs::Slice(next) = next else { panic!("{next:?}") };
    assert_eq!(peer_ids(&next.dialogs), vec![carol.user.id]);

    let peer_dialogs = functions::messages::GetPeerDialogs {
        peers: vec![types::InputDialogPeer { peer: peer_of(&api, ada, carol) }.into()],
    };
    let enums::messages::PeerDialogs::PeerDialogs(found) = call(&api, &ada.ctx, &peer_dialogs).unwrap();
    assert_eq!(peer_ids(&found.dialogs), vec![carol.user.id]);
    let enums::updates::State::State(state) = found.state;
    assert_eq!((state.pts, state.unread_count), (5, 1));
    let empty = functions::messages::GetPeerDialogs { peers: vec![] };
    assert_error(call(&api, &ada.ctx, &empty), 400, "INPUT_PEERS_EMPTY");
}

#[test]
fn start_up_calls_answer_their_empty_values() {
    let api = api();
    let people = accounts(&api, 1);
    let ctx = &people[0].ctx;
    let enums::messages::DialogFilters::DialogFilters(filters) =
        call(&api, ctx, &functions::messages::GetDialogFilters {}).unwrap();
    assert_eq!(filters.filters, vec![enums::DialogFilter::Default(types::DialogFilterDefault {})]);
    let reactions = call(&api, ctx, &functions::messages::GetAvailableReactions { hash: 0 }).unwrap();
    assert!(matches!(reactions, enums::messages::AvailableReactions::AvailableReactions(r) if r.reactions.is_empty()));
    let stickers = call(&api, ctx, &functions::messages::GetAllStickers { hash: 0 }).unwrap();
    assert!(matches!(stickers, enums::messages::AllStickers::AllStickers(s) if s.sets.is_empty()));
    let enums::messages::PeerDialogs::PeerDialogs(pinned) =
        call(&api, ctx, &functions::messages::GetPinnedDialogs { folder_id: 0 }).unwrap();
    assert!(pinned.dialogs.is_empty());
}

#[test]
fn pinned_dialogs_come_first_in_their_order() {
    let api = api();
    let people = accounts(&api, 3);
    let (ada, bob, carol) = (&people[0], &people[1], &people[2]);
    let ada_phone = second_key(&api, ada, 50);
    let (to_bob, to_carol) = (peer_of(&api, ada, bob), peer_of(&api, ada, carol));
    send(&api, &ada.ctx, &to_bob, "b", 1);
    send(&api, &ada.ctx, &to_carol, "c", 2);
    send(&api, &ada.ctx, &self_peer(), "me", 3);
    let pin = |peer: &enums::InputPeer, pinned: bool| functions::messages::ToggleDialogPin {
        pinned,
        peer: types::InputDialogPeer { peer: peer.clone() }.into(),
    };
    let order = |ctx| -> Vec<i64> {
        let dialogs = call(&api, ctx, &dialogs_request(0, 0, 10)).unwrap();
        let enums::messages::Dialogs::Dialogs(dialogs) = dialogs else { panic!("{dialogs:?}") };
        dialogs
            .dialogs
            .iter()
            .map(|d| match d {
                enums::Dialog::Dialog(types::Dialog { peer: enums::Peer::User(u), .. }) => u.user_id,
                other => panic!("{other:?}"),
            })
            .collect()
    };
    assert_eq!(order(&ada.ctx), vec![ada.user.id, carol.user.id, bob.user.id]);
    let (answer, pushes) = call_p(&api, &ada.ctx, &pin(&to_bob, true));
    assert!(answer.unwrap());
    let enums::Updates::UpdateShort(short) = only_push(&pushes, &ada_phone) else { panic!() };
    assert!(matches!(short.update, enums::Update::DialogPinned(ref p) if p.pinned));
    call(&api, &ada.ctx, &pin(&to_carol, true)).unwrap();
    assert_eq!(order(&ada.ctx), vec![carol.user.id, bob.user.id, ada.user.id], "the newest pin on top");
    let reorder = functions::messages::ReorderPinnedDialogs {
        force: false,
        folder_id: 0,
        order: vec![types::InputDialogPeer { peer: to_bob.clone() }.into()],
    };
    call(&api, &ada.ctx, &reorder).unwrap();
    assert_eq!(order(&ada.ctx), vec![bob.user.id, carol.user.id, ada.user.id]);
    let enums::messages::PeerDialogs::PeerDialogs(pinned) =
        call(&api, &ada.ctx, &functions::messages::GetPinnedDialogs { folder_id: 0 }).unwrap();
    assert_eq!(pinned.dialogs.len(), 2);
    call(&api, &ada.ctx, &pin(&to_bob, false)).unwrap();
    assert_eq!(order(&ada.ctx), vec![carol.user.id, ada.user.id, bob.user.id]);
    // A second page never repeats the pinned ones.
    let enums::messages::Dialogs::Slice(page) = call(&api, &ada.ctx, &dialogs_request(T0 as i32 + 1, 0, 10)).unwrap()
    else {
        panic!()
    };
    assert_eq!(page.dialogs.len(), 2);
    let nobody = peer_of(&api, bob, carol);
    assert_error(call(&api, &bob.ctx, &pin(&nobody, true)), 400, "PEER_HISTORY_EMPTY");
}

#[test]
fn strange_peers_and_ids_are_refused_everywhere() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    send(&api, &ada.ctx, &peer_of(&api, ada, bob), "hi", 1);
    let strange: Vec<enums::InputPeer> = vec![
        types::InputPeerEmpty {}.into(),
        types::InputPeerChannel { channel_id: 5, access_hash: 5 }.into(),
        types::InputPeerChat { chat_id: -3 }.into(),
        types::InputPeerChat { chat_id: i64::MAX }.into(),
        types::InputPeerUser { user_id: -1, access_hash: 0 }.into(),
        types::InputPeerUser { user_id: bob.user.id, access_hash: 0 }.into(),
        types::InputPeerUserFromMessage { peer: Box::new(self_peer()), msg_id: 1, user_id: bob.user.id }.into(),
    ];
    let ctx = &ada.ctx;
    for peer in &strange {
        let refused = |result: Result<Vec<u8>, ferrogram_server::RpcError>| {
            let error = result.expect_err("refused");
            assert!(error.code == 400 || error.code == 403, "{peer:?}: {error:?}");
        };
        let raw = |request: &dyn Fn() -> Vec<u8>| api.call(ctx, &request());
        use ferrogram_tl::Serializable;
        refused(raw(&|| send_request(peer, "x", 99).to_bytes()));
        refused(raw(&|| history_request(peer, 0, 0, 10).to_bytes()));
        refused(raw(&|| functions::messages::ReadHistory { peer: peer.clone(), max_id: 0 }.to_bytes()));
        refused(raw(&|| {
            functions::messages::SetTyping {
                peer: peer.clone(),
                top_msg_id: None,
                action: types::SendMessageTypingAction {}.into(),
            }
            .to_bytes()
        }));
        refused(raw(&|| {
            functions::messages::DeleteHistory {
                just_clear: false,
                revoke: true,
                peer: peer.clone(),
                max_id: 0,
                min_date: None,
                max_date: None,
            }
            .to_bytes()
        }));
        refused(raw(&|| {
            functions::messages::GetPeerDialogs { peers: vec![types::InputDialogPeer { peer: peer.clone() }.into()] }
                .to_bytes()
        }));
    }
    // Ids that name nothing: skipped, empty, or refused, never a panic.
    let deleted =
        call(&api, ctx, &functions::messages::DeleteMessages { revoke: true, id: vec![0, -1, i32::MAX, i32::MIN] });
    let enums::messages::AffectedMessages::AffectedMessages(deleted) = deleted.unwrap();
    assert_eq!(deleted.pts_count, 0);
    let many =
        functions::messages::GetMessages { id: (0..5000).map(|id| types::InputMessageId { id }.into()).collect() };
    let (found, _, _) = messages_of(call(&api, ctx, &many).unwrap());
    assert_eq!(found.len(), 200, "at most 200 per call");
    let chats = functions::messages::GetChats { id: vec![-1, 0, i64::MIN, i64::MAX] };
    let enums::messages::Chats::Chats(chats) = call(&api, ctx, &chats).unwrap() else { panic!() };
    assert!(chats.chats.is_empty());
    assert_error(call(&api, ctx, &functions::messages::GetFullChat { chat_id: -5 }), 400, "CHAT_ID_INVALID");
    let too_far = functions::updates::GetDifference { pts: i32::MAX, ..difference_request(1) };
    assert_error(call(&api, ctx, &too_far), 400, "PERSISTENT_TIMESTAMP_INVALID");
    let negative = functions::updates::GetDifference { pts: -7, pts_limit: Some(-1), ..difference_request(1) };
    assert_error(call(&api, ctx, &negative), 400, "PERSISTENT_TIMESTAMP_EMPTY");
    let odd_limits = functions::updates::GetDifference {
        pts_limit: Some(i32::MIN),
        pts_total_limit: Some(i32::MIN),
        ..difference_request(1)
    };
    assert!(call(&api, ctx, &odd_limits).is_ok());
}
