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
