//! Private chats and Saved Messages through `Api::call_with_pushes`: every party's answers and
//! pushes with the pts of its own box (<https://core.telegram.org/api/updates>), replies, edits,
//! reads, deletes with revoke, forwards, and the errors of malformed or hostile calls.

mod common;
mod messaging;

use common::*;
use ferrogram_tl::{enums, functions, types};
use messaging::*;

#[test]
fn a_private_conversation_reaches_every_session_with_each_box_numbering() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let ada_phone = second_key(&api, ada, 50);
    let to_bob = peer_of(&api, ada, bob);
    let to_ada = peer_of(&api, bob, ada);
    assert_eq!(state(&api, &ada.ctx).pts, 1, "a new account starts at pts 1");

    // Ada -> Bob: Ada's answer, Ada's other key and Bob's key.
    let (answer, pushes) = send(&api, &ada.ctx, &to_bob, "hello Bob", 11);
    let sent = short_sent(&answer);
    assert_eq!((sent.id, sent.pts, sent.pts_count, i64::from(sent.date)), (1, 2, 1, T0));
    assert!(pushes_for(&pushes, &ada.ctx).is_empty(), "the calling key gets the answer, not a push");
    assert_eq!(pushes.len(), 2);
    let mine = only_push(&pushes, &ada_phone);
    let mine = short_message(&mine);
    assert!(mine.out);
    assert_eq!((mine.id, mine.user_id, mine.pts, mine.message.as_str()), (1, bob.user.id, 2, "hello Bob"));
    let theirs = only_push(&pushes, &bob.ctx);
    let theirs = short_message(&theirs);
    assert!(!theirs.out);
    assert_eq!((theirs.id, theirs.user_id, theirs.pts, theirs.pts_count), (1, ada.user.id, 2, 1));

    // Bob answers with a reply: in Ada's box the reply points at Ada's own id of the original.
    let mut reply = send_request(&to_ada, "hi Ada", 21);
    reply.reply_to = Some(Box::new(types::InputReplyToMessage { reply_to_msg_id: 1, ..Default::default() }.into()));
    let (answer, pushes) = call_p(&api, &bob.ctx, &reply);
    let answer = answer.unwrap();
    assert_eq!((short_sent(&answer).id, short_sent(&answer).pts), (2, 3));
    let to_ada_push = only_push(&pushes, &ada.ctx);
    let incoming = short_message(&to_ada_push);
    assert_eq!((incoming.id, incoming.pts), (2, 3));
    let Some(enums::MessageReplyHeader::MessageReplyHeader(header)) = incoming.reply_to.as_deref() else {
        panic!("no reply header: {incoming:?}")
    };
    assert_eq!(header.reply_to_msg_id, Some(1));
    assert_eq!(pushes_for(&pushes, &ada_phone).len(), 1, "every key of the receiver gets it");

    // Both histories, newest first; the sender's copy is `out` with `from_id`, the other not.
    let (ids, count, slice) = history_ids(&api, &ada.ctx, &history_request(&to_bob, 0, 0, 20));
    assert_eq!((ids, count, slice), (vec![2, 1], 2, false));
    let (messages, _, _) = messages_of(call(&api, &bob.ctx, &history_request(&to_ada, 0, 0, 20)).unwrap());
    let (newest, oldest) = (plain(&messages[0]), plain(&messages[1]));
    assert!(newest.out && newest.from_id.is_some());
    assert!(!oldest.out && oldest.from_id.is_none());
    assert_eq!(oldest.peer_id, enums::Peer::User(types::PeerUser { user_id: ada.user.id }));

    // Ada edits her message: each box logs its own updateEditMessage.
    let edit = functions::messages::EditMessage {
        no_webpage: false,
        invert_media: false,
        peer: to_bob.clone(),
        id: 1,
        message: Some("hello Bob!".into()),
        media: None,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        quick_reply_shortcut_id: None,
        rich_message: None,
    };
    let (answer, pushes) = call_p(&api, &ada.ctx, &edit);
    let answer = answer.unwrap();
    let [enums::Update::EditMessage(edited)] = updates_list(&answer).updates.as_slice() else { panic!("{answer:?}") };
    assert_eq!((edited.pts, edited.pts_count, plain(&edited.message).message.as_str()), (4, 1, "hello Bob!"));
    assert_eq!(plain(&edited.message).edit_date.map(i64::from), Some(T0));
    let bobs = only_push(&pushes, &bob.ctx);
    let [enums::Update::EditMessage(bobs)] = updates_list(&bobs).updates.as_slice() else { panic!("{bobs:?}") };
    assert_eq!((plain(&bobs.message).id, bobs.pts), (1, 4));
    assert_error(call(&api, &ada.ctx, &edit), 400, "MESSAGE_NOT_MODIFIED");
    assert_error(
        call(&api, &ada.ctx, &functions::messages::EditMessage { id: 2, ..edit.clone() }),
        403,
        "MESSAGE_AUTHOR_REQUIRED",
    );
    assert_error(
        call(&api, &ada.ctx, &functions::messages::EditMessage { id: 99, ..edit.clone() }),
        400,
        "MESSAGE_ID_INVALID",
    );

    // Bob reads: his inbox moves, Ada's outbox follows with her own id.
    let dialogs = call(&api, &bob.ctx, &dialogs_request(0, 0, 20)).unwrap();
    let enums::messages::Dialogs::Dialogs(dialogs) = dialogs else { panic!("{dialogs:?}") };
    let enums::Dialog::Dialog(dialog) = &dialogs.dialogs[0] else { panic!() };
    assert_eq!((dialog.unread_count, dialog.read_inbox_max_id, dialog.top_message), (1, 0, 2));
    let read = functions::messages::ReadHistory { peer: to_ada.clone(), max_id: 0 };
    let (answer, pushes) = call_p(&api, &bob.ctx, &read);
    let enums::messages::AffectedMessages::AffectedMessages(affected) = answer.unwrap();
    assert_eq!((affected.pts, affected.pts_count), (5, 1));
    let adas = only_push(&pushes, &ada.ctx);
    let [enums::Update::ReadHistoryOutbox(outbox)] = updates_list(&adas).updates.as_slice() else { panic!("{adas:?}") };
    assert_eq!((outbox.max_id, outbox.pts), (1, 5));
    assert_eq!(outbox.peer, enums::Peer::User(types::PeerUser { user_id: bob.user.id }));
    let (again, pushes) = call_p(&api, &bob.ctx, &read);
    let enums::messages::AffectedMessages::AffectedMessages(again) = again.unwrap();
    assert_eq!((again.pts, again.pts_count, pushes.len()), (5, 0, 0), "nothing left to read");

    // Ada deletes her message for both: each box loses its own copy.
    let delete = functions::messages::DeleteMessages { revoke: true, id: vec![1, 777] };
    let (answer, pushes) = call_p(&api, &ada.ctx, &delete);
    let enums::messages::AffectedMessages::AffectedMessages(affected) = answer.unwrap();
    assert_eq!((affected.pts, affected.pts_count), (6, 1));
    let bobs = only_push(&pushes, &bob.ctx);
    let [enums::Update::DeleteMessages(deleted)] = updates_list(&bobs).updates.as_slice() else { panic!("{bobs:?}") };
    assert_eq!((deleted.messages.clone(), deleted.pts, deleted.pts_count), (vec![1], 6, 1));
    assert_eq!(history_ids(&api, &bob.ctx, &history_request(&to_ada, 0, 0, 20)).0, vec![2]);
    assert_eq!(pushes_for(&pushes, &ada_phone).len(), 1);
}

#[test]
fn saved_messages_and_forwards() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let ada_phone = second_key(&api, ada, 50);
    let (answer, pushes) = send(&api, &ada.ctx, &self_peer(), "note to self", 1);
    assert_eq!((short_sent(&answer).id, short_sent(&answer).pts), (1, 2));
    assert_eq!(pushes.len(), 1, "only Ada's other key: {pushes:?}");
    assert!(short_message(&only_push(&pushes, &ada_phone)).out);
    let (messages, _, _) = messages_of(call(&api, &ada.ctx, &history_request(&self_peer(), 0, 0, 10)).unwrap());
    let saved = plain(&messages[0]);
    assert!(saved.out);
    assert_eq!(saved.peer_id, enums::Peer::User(types::PeerUser { user_id: ada.user.id }));

    // Bob's message forwarded from Ada's box to Saved Messages, then to Bob.
    send(&api, &bob.ctx, &peer_of(&api, bob, ada), "forward me", 2);
    let forward = |to: enums::InputPeer, random_id: i64| functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: false,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: peer_of(&api, ada, bob),
        id: vec![2],
        random_id: vec![random_id],
        to_peer: to,
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    let (answer, pushes) = call_p(&api, &ada.ctx, &forward(self_peer(), 3));
    let answer = answer.unwrap();
    let updates = &updates_list(&answer).updates;
    let [enums::Update::MessageId(assigned), enums::Update::NewMessage(new)] = updates.as_slice() else {
        panic!("{updates:?}")
    };
    assert_eq!((assigned.id, assigned.random_id, new.pts), (3, 3, 4));
    let Some(enums::MessageFwdHeader::MessageFwdHeader(header)) = plain(&new.message).fwd_from.as_deref() else {
        panic!("no forward header")
    };
    assert_eq!(header.from_id, Some(enums::Peer::User(types::PeerUser { user_id: bob.user.id })));
    assert!(updates_list(&answer).users.iter().any(|u| matches!(u, enums::User::User(u) if u.id == bob.user.id)));
    assert_eq!(pushes.len(), 1);
    let (_, pushes) = call_p(&api, &ada.ctx, &forward(peer_of(&api, ada, bob), 4));
    let bobs = only_push(&pushes, &bob.ctx);
    assert!(short_message(&bobs).fwd_from.is_some());
    assert_error(call(&api, &ada.ctx, &forward(self_peer(), 4)), 500, "RANDOM_ID_DUPLICATE");
    assert_error(
        call(&api, &ada.ctx, &functions::messages::ForwardMessages { id: vec![999], ..forward(self_peer(), 9) }),
        400,
        "MESSAGE_ID_INVALID",
    );
}

#[test]
fn malformed_and_hostile_sends_get_telegrams_errors() {
    let api = api();
    let people = accounts(&api, 3);
    let (ada, bob, carol) = (&people[0], &people[1], &people[2]);
    let to_bob = peer_of(&api, ada, bob);
    let errors = |request: &functions::messages::SendMessage| call(&api, &ada.ctx, request);
    assert_error(errors(&send_request(&to_bob, "", 1)), 400, "MESSAGE_EMPTY");
    assert_error(errors(&send_request(&to_bob, "  \n ", 1)), 400, "MESSAGE_EMPTY");
    assert_error(errors(&send_request(&to_bob, &"a".repeat(4097), 1)), 400, "MESSAGE_TOO_LONG");
    // 4096 UTF-16 units is the limit: 2048 emoji of two units each fit, one more does not.
    assert!(errors(&send_request(&to_bob, &"😀".repeat(2048), 1)).is_ok());
    assert_error(errors(&send_request(&to_bob, &"😀".repeat(2049), 2)), 400, "MESSAGE_TOO_LONG");
    assert_error(errors(&send_request(&to_bob, "again", 1)), 500, "RANDOM_ID_DUPLICATE");

    // Bob as Carol sees him: that hash names nobody for Ada.
    assert_error(errors(&send_request(&peer_of(&api, carol, bob), "hi", 3)), 400, "PEER_ID_INVALID");
    let unknown = types::InputPeerUser { user_id: 42, access_hash: 0 }.into();
    assert_error(errors(&send_request(&unknown, "hi", 3)), 400, "PEER_ID_INVALID");
    assert_error(errors(&send_request(&chat_peer(12345), "hi", 3)), 400, "PEER_ID_INVALID");

    let with_entities = |entities: Vec<enums::MessageEntity>| functions::messages::SendMessage {
        entities: Some(entities),
        ..send_request(&to_bob, "bold text", 5)
    };
    let bold = |offset, length| types::MessageEntityBold { offset, length }.into();
    assert_error(errors(&with_entities(vec![bold(0, 10)])), 400, "ENTITY_BOUNDS_INVALID");
    assert_error(errors(&with_entities(vec![bold(-1, 2)])), 400, "ENTITY_BOUNDS_INVALID");
    assert_error(errors(&with_entities(vec![bold(2, 0)])), 400, "ENTITY_BOUNDS_INVALID");
    let mention = types::InputMessageEntityMentionName {
        offset: 0,
        length: 4,
        user_id: types::InputUser { user_id: bob.user.id, access_hash: 1 }.into(),
    };
    assert_error(errors(&with_entities(vec![mention.into()])), 400, "ENTITY_MENTION_USER_INVALID");

    // A valid mention becomes messageEntityMentionName, in the answer and in the receiver's copy.
    let mention = types::InputMessageEntityMentionName { offset: 0, length: 4, user_id: input_user_of(&api, ada, bob) };
    let (answer, pushes) = call_p(&api, &ada.ctx, &with_entities(vec![bold(5, 4), mention.into()]));
    let answer = answer.unwrap();
    let expected = vec![
        enums::MessageEntity::from(types::MessageEntityBold { offset: 5, length: 4 }),
        types::MessageEntityMentionName { offset: 0, length: 4, user_id: bob.user.id }.into(),
    ];
    assert_eq!(short_sent(&answer).entities.as_ref(), Some(&expected));
    let bobs = only_push(&pushes, &bob.ctx);
    assert!(short_message(&bobs).mentioned);
    assert_eq!(short_message(&bobs).entities.as_ref(), Some(&expected));

    // A reply to a message of another chat.
    send(&api, &ada.ctx, &self_peer(), "saved", 6);
    let mut reply = send_request(&to_bob, "re", 7);
    reply.reply_to = Some(Box::new(types::InputReplyToMessage { reply_to_msg_id: 3, ..Default::default() }.into()));
    assert_error(errors(&reply), 400, "REPLY_MESSAGE_ID_INVALID");

    // Nobody signed in.
    let anonymous = new_key(&api, 2, 999);
    assert_error(call(&api, &anonymous, &send_request(&to_bob, "hi", 8)), 401, "AUTH_KEY_UNREGISTERED");
}

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
fn typing_reaches_the_other_side_only() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let ada_phone = second_key(&api, ada, 50);
    let typing = functions::messages::SetTyping {
        peer: peer_of(&api, ada, bob),
        top_msg_id: None,
        action: types::SendMessageTypingAction {}.into(),
    };
    let (answer, pushes) = call_p(&api, &ada.ctx, &typing);
    assert!(answer.unwrap());
    assert!(pushes_for(&pushes, &ada_phone).is_empty());
    let enums::Updates::UpdateShort(short) = only_push(&pushes, &bob.ctx) else { panic!() };
    let enums::Update::UserTyping(typing) = short.update else { panic!("{short:?}") };
    assert_eq!(typing.user_id, ada.user.id);
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

/// The same call context at another time.
trait CallContextExt {
    fn at(&self, now: i64) -> Self;
}

impl CallContextExt for ferrogram_server::CallContext {
    fn at(&self, now: i64) -> Self {
        ferrogram_server::CallContext { now, ..self.clone() }
    }
}

fn dialogs_request(offset_date: i32, offset_id: i32, limit: i32) -> functions::messages::GetDialogs {
    functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date,
        offset_id,
        offset_peer: types::InputPeerEmpty {}.into(),
        limit,
        hash: 0,
    }
}

#[test]
fn pushes_go_to_signed_in_keys_through_the_invoke_wrappers() {
    use ferrogram_tl::{RawQuery, Serializable};
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let bob_tablet = second_key(&api, bob, 60);
    let to_bob = peer_of(&api, ada, bob);
    let wrapped = functions::InvokeWithLayer {
        layer: ferrogram_tl::LAYER,
        query: functions::InitConnection {
            api_id: 12345,
            device_model: "test".into(),
            system_version: "1".into(),
            app_version: "1".into(),
            system_lang_code: "en".into(),
            lang_pack: String::new(),
            lang_code: "en".into(),
            proxy: None,
            params: None,
            query: RawQuery(send_request(&to_bob, "wrapped", 1).to_bytes()),
        },
    };
    let mut pushes = Vec::new();
    let answer = api.call_with_pushes(&ada.ctx, &wrapped.to_bytes(), &mut pushes).unwrap();
    let answer = <enums::Updates as ferrogram_tl::Deserializable>::from_bytes_exact(&answer).unwrap();
    assert_eq!(short_sent(&answer).id, 1);
    assert_eq!(pushes.len(), 2, "both of Bob's keys");
    assert_eq!(short_message(&only_push(&pushes, &bob_tablet)).message, "wrapped");

    // A key that logged out gets nothing any more; `Api::call` drops the pushes.
    call(&api, &bob_tablet, &functions::auth::LogOut {}).unwrap();
    let (_, pushes) = send(&api, &ada.ctx, &to_bob, "after log-out", 2);
    assert_eq!(pushes.len(), 1);
    assert!(pushes_for(&pushes, &bob_tablet).is_empty());

    // A forward with one used random_id forwards nothing.
    let forward = functions::messages::ForwardMessages {
        silent: false,
        background: false,
        with_my_score: false,
        drop_author: true,
        drop_media_captions: false,
        noforwards: false,
        allow_paid_floodskip: false,
        from_ephemeral: false,
        from_peer: to_bob.clone(),
        id: vec![1, 2],
        random_id: vec![10, 2],
        to_peer: self_peer(),
        top_msg_id: None,
        reply_to: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        video_timestamp: None,
        allow_paid_stars: None,
        suggested_post: None,
    };
    assert_error(call(&api, &ada.ctx, &forward), 500, "RANDOM_ID_DUPLICATE");
    assert!(history_ids(&api, &ada.ctx, &history_request(&self_peer(), 0, 0, 10)).0.is_empty());
    let mismatched = functions::messages::ForwardMessages { random_id: vec![10], ..forward.clone() };
    assert_error(call(&api, &ada.ctx, &mismatched), 400, "RANDOM_ID_INVALID");
    let fine = functions::messages::ForwardMessages { random_id: vec![10, 11], ..forward };
    let (answer, _) = call_p(&api, &ada.ctx, &fine);
    let answer = answer.unwrap();
    let updates = &updates_list(&answer).updates;
    assert_eq!(updates.len(), 4);
    let enums::Update::NewMessage(first) = &updates[1] else { panic!("{updates:?}") };
    assert!(plain(&first.message).fwd_from.is_none(), "drop_author");
    assert_eq!(history_ids(&api, &ada.ctx, &history_request(&self_peer(), 0, 0, 10)).0, vec![4, 3]);
}

#[test]
fn delete_history_clears_a_chat_for_both_with_revoke() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let (to_bob, to_ada) = (peer_of(&api, ada, bob), peer_of(&api, bob, ada));
    send(&api, &ada.ctx, &self_peer(), "kept", 1);
    send(&api, &ada.ctx, &to_bob, "one", 2);
    send(&api, &bob.ctx, &to_ada, "two", 3);
    send(&api, &ada.ctx, &to_bob, "three", 4);
    let clear = |max_id: i32, revoke: bool| functions::messages::DeleteHistory {
        just_clear: false,
        revoke,
        peer: to_ada.clone(),
        max_id,
        min_date: None,
        max_date: None,
    };
    // Bob's copy of "one" only (his id 1), for himself.
    let (answer, pushes) = call_p(&api, &bob.ctx, &clear(1, false));
    let enums::messages::AffectedHistory::AffectedHistory(affected) = answer.unwrap();
    assert_eq!((affected.pts_count, affected.offset, pushes.len()), (1, 0, 0));
    assert_eq!(history_ids(&api, &ada.ctx, &history_request(&to_bob, 0, 0, 10)).0, vec![4, 3, 2]);
    // The rest, for both.
    let (answer, pushes) = call_p(&api, &bob.ctx, &clear(0, true));
    let enums::messages::AffectedHistory::AffectedHistory(affected) = answer.unwrap();
    assert_eq!((affected.pts_count, affected.offset), (2, 0));
    let adas = only_push(&pushes, &ada.ctx);
    let [enums::Update::DeleteMessages(gone)] = updates_list(&adas).updates.as_slice() else { panic!("{adas:?}") };
    assert_eq!((gone.messages.clone(), gone.pts_count), (vec![3, 4], 2));
    assert_eq!(history_ids(&api, &ada.ctx, &history_request(&to_bob, 0, 0, 10)).0, vec![2]);
    assert!(history_ids(&api, &bob.ctx, &history_request(&to_ada, 0, 0, 10)).0.is_empty());
    let enums::messages::PeerDialogs::PeerDialogs(found) = call(
        &api,
        &bob.ctx,
        &functions::messages::GetPeerDialogs { peers: vec![types::InputDialogPeer { peer: to_ada.clone() }.into()] },
    )
    .unwrap();
    let enums::Dialog::Dialog(dialog) = &found.dialogs[0] else { panic!() };
    assert_eq!(dialog.top_message, 0, "an empty dialog");
    assert_eq!(history_ids(&api, &ada.ctx, &history_request(&self_peer(), 0, 0, 10)).0, vec![1]);
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
