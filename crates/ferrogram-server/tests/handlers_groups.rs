//! Basic groups through `Api::call_with_pushes`: creation, messages, reads, edits, deletes,
//! members added and removed, renames, pinned messages; every member's copy with its own ids and
//! pts.

mod common;
mod messaging;

use common::*;
use ferrogram_server::Api;
use ferrogram_tl::{enums, functions, types};
use messaging::*;

/// Creates a group of Ada (the creator), Bob and Carol; returns its id.
fn create_group(api: &Api, people: &[Account]) -> (i64, Vec<ferrogram_server::api::Push>) {
    let (ada, bob, carol) = (&people[0], &people[1], &people[2]);
    let create = functions::messages::CreateChat {
        users: vec![input_user_of(api, ada, bob), input_user_of(api, ada, carol)],
        title: "  Friends  ".into(),
        ttl_period: None,
    };
    let (answer, pushes) = call_p(api, &ada.ctx, &create);
    let enums::messages::InvitedUsers::InvitedUsers(invited) = answer.unwrap();
    assert!(invited.missing_invitees.is_empty());
    let updates = updates_list(&invited.updates);
    let [enums::Update::NewMessage(new)] = updates.updates.as_slice() else { panic!("{updates:?}") };
    let enums::Message::Service(service) = &new.message else { panic!("{new:?}") };
    let enums::MessageAction::ChatCreate(action) = &service.action else { panic!("{service:?}") };
    assert_eq!(action.title, "Friends");
    assert_eq!(action.users, vec![ada.user.id, bob.user.id, carol.user.id]);
    let [enums::Chat::Chat(chat)] = updates.chats.as_slice() else { panic!("{updates:?}") };
    assert!(chat.creator);
    assert_eq!((chat.participants_count, chat.title.as_str()), (3, "Friends"));
    (chat.id, pushes)
}

#[test]
fn a_group_conversation_reaches_every_member_in_its_own_box() {
    let api = api();
    let people = accounts(&api, 3);
    let (ada, bob, carol) = (&people[0], &people[1], &people[2]);
    // Give Bob's and Carol's boxes a head start so that the ids differ per box.
    send(&api, &bob.ctx, &self_peer(), "bob's note", 1);
    send(&api, &carol.ctx, &self_peer(), "carol's note", 1);
    send(&api, &carol.ctx, &self_peer(), "carol's note 2", 2);
    let (chat_id, pushes) = create_group(&api, &people);
    for (member, id) in [(bob, 2), (carol, 3)] {
        let push = only_push(&pushes, &member.ctx);
        let [enums::Update::NewMessage(new)] = updates_list(&push).updates.as_slice() else { panic!("{push:?}") };
        assert_eq!((id_of(&new.message), new.pts), (id, id + 1));
        assert!(updates_list(&push).chats.iter().any(|c| matches!(c, enums::Chat::Chat(c) if c.id == chat_id)));
    }

    // Ada writes in the group: `updates` for her, updateShortChatMessage for the others.
    let group = chat_peer(chat_id);
    let (answer, pushes) = send(&api, &ada.ctx, &group, "hi all", 10);
    let answer = updates_list(&answer);
    let [enums::Update::MessageId(assigned), enums::Update::NewMessage(new)] = answer.updates.as_slice() else {
        panic!("{answer:?}")
    };
    assert_eq!((assigned.id, assigned.random_id, new.pts), (2, 10, 3));
    assert!(plain(&new.message).out);
    assert_eq!(plain(&new.message).peer_id, enums::Peer::Chat(types::PeerChat { chat_id }));
    for (member, id) in [(bob, 3), (carol, 4)] {
        let push = only_push(&pushes, &member.ctx);
        let short = short_chat_message(&push);
        assert!(!short.out);
        assert_eq!((short.id, short.pts, short.from_id, short.chat_id), (id, id + 1, ada.user.id, chat_id));
    }

    // Carol reads: Ada's outbox follows (with Ada's id), Bob hears nothing.
    let (read, pushes) = call_p(&api, &carol.ctx, &functions::messages::ReadHistory { peer: group.clone(), max_id: 0 });
    let enums::messages::AffectedMessages::AffectedMessages(read) = read.unwrap();
    assert_eq!((read.pts, read.pts_count), (6, 1));
    let adas = only_push(&pushes, &ada.ctx);
    let [enums::Update::ReadHistoryOutbox(outbox)] = updates_list(&adas).updates.as_slice() else { panic!() };
    assert_eq!(
        (outbox.max_id, outbox.pts, outbox.peer.clone()),
        (2, 4, enums::Peer::Chat(types::PeerChat { chat_id }))
    );
    assert!(pushes_for(&pushes, &bob.ctx).is_empty());

    // Bob may not revoke Ada's message; Ada may, in every box.
    let (deleted, pushes) = call_p(&api, &bob.ctx, &functions::messages::DeleteMessages { revoke: true, id: vec![3] });
    let enums::messages::AffectedMessages::AffectedMessages(deleted) = deleted.unwrap();
    assert_eq!((deleted.pts, deleted.pts_count, pushes.len()), (5, 1, 0), "only Bob's copy");
    assert_eq!(history_ids(&api, &carol.ctx, &history_request(&group, 0, 0, 10)).0, vec![4, 3]);
    let (_, pushes) = call_p(&api, &ada.ctx, &functions::messages::DeleteMessages { revoke: true, id: vec![2] });
    let carols = only_push(&pushes, &carol.ctx);
    let [enums::Update::DeleteMessages(gone)] = updates_list(&carols).updates.as_slice() else { panic!() };
    assert_eq!((gone.messages.clone(), gone.pts), (vec![4], 7));
    assert!(pushes_for(&pushes, &bob.ctx).is_empty(), "Bob's copy was gone already");
    assert_eq!(history_ids(&api, &carol.ctx, &history_request(&group, 0, 0, 10)).0, vec![3]);
}

#[test]
fn members_come_and_go_with_service_messages() {
    let api = api();
    let people = accounts(&api, 4);
    let (ada, bob, carol, dan) = (&people[0], &people[1], &people[2], &people[3]);
    let (chat_id, _) = create_group(&api, &people);
    let group = chat_peer(chat_id);

    // Bob adds Dan (any member may); Dan gets the service message and the chat.
    let add = functions::messages::AddChatUser { chat_id, user_id: input_user_of(&api, bob, dan), fwd_limit: 0 };
    let (answer, pushes) = call_p(&api, &bob.ctx, &add);
    let enums::messages::InvitedUsers::InvitedUsers(added) = answer.unwrap();
    let [enums::Update::NewMessage(new)] = updates_list(&added.updates).updates.as_slice() else { panic!() };
    let enums::Message::Service(service) = &new.message else { panic!() };
    assert_eq!(service.action, types::MessageActionChatAddUser { users: vec![dan.user.id] }.into());
    assert_eq!(pushes.len(), 3, "Ada, Carol and Dan");
    assert_error(call(&api, &bob.ctx, &add), 400, "USER_ALREADY_PARTICIPANT");

    // Full chat: four members, the creator marked.
    let enums::messages::ChatFull::ChatFull(full) =
        call(&api, &dan.ctx, &functions::messages::GetFullChat { chat_id }).unwrap();
    let enums::ChatFull::ChatFull(info) = &full.full_chat else { panic!() };
    let enums::ChatParticipants::ChatParticipants(members) = &info.participants else { panic!() };
    assert_eq!(members.participants.len(), 4);
    assert!(matches!(&members.participants[0], enums::ChatParticipant::Creator(c) if c.user_id == ada.user.id));
    assert_eq!(members.version, 5, "created with three members, then one more");
    assert_eq!(full.users.len(), 4);

    // Carol may not remove Bob; Ada (the creator) may remove Carol.
    let remove = |by: &Account, who: &Account| functions::messages::DeleteChatUser {
        revoke_history: false,
        chat_id,
        user_id: input_user_of(&api, by, who),
    };
    assert_error(call(&api, &carol.ctx, &remove(carol, bob)), 400, "CHAT_ADMIN_REQUIRED");
    let (answer, pushes) = call_p(&api, &ada.ctx, &remove(ada, carol));
    let answer = answer.unwrap();
    let [enums::Update::NewMessage(new)] = updates_list(&answer).updates.as_slice() else { panic!() };
    let enums::Message::Service(service) = &new.message else { panic!() };
    assert_eq!(service.action, types::MessageActionChatDeleteUser { user_id: carol.user.id }.into());
    let carols = only_push(&pushes, &carol.ctx);
    assert!(updates_list(&carols).chats.iter().any(|c| matches!(c, enums::Chat::Forbidden(f) if f.id == chat_id)));
    assert_error(call(&api, &carol.ctx, &send_request(&group, "still here?", 1)), 403, "CHAT_WRITE_FORBIDDEN");
    assert_error(call(&api, &ada.ctx, &remove(ada, carol)), 400, "USER_NOT_PARTICIPANT");
    let (_, pushes) = send(&api, &ada.ctx, &group, "without Carol", 2);
    assert!(pushes_for(&pushes, &carol.ctx).is_empty());
    assert_eq!(pushes.len(), 2);

    // Renames.
    let rename = |title: &str| functions::messages::EditChatTitle { chat_id, title: title.into() };
    let (answer, _) = call_p(&api, &dan.ctx, &rename("Best friends"));
    let answer = answer.unwrap();
    let [enums::Chat::Chat(chat)] = updates_list(&answer).chats.as_slice() else { panic!() };
    assert_eq!(chat.title, "Best friends");
    assert_error(call(&api, &dan.ctx, &rename("Best friends")), 400, "CHAT_NOT_MODIFIED");
    assert_error(call(&api, &dan.ctx, &rename("   ")), 400, "CHAT_TITLE_EMPTY");
    let enums::messages::Chats::Chats(chats) =
        call(&api, &carol.ctx, &functions::messages::GetChats { id: vec![chat_id, 999] }).unwrap()
    else {
        panic!()
    };
    assert!(matches!(chats.chats.as_slice(), [enums::Chat::Forbidden(_)]));
    assert_error(call(&api, &carol.ctx, &functions::messages::GetFullChat { chat_id }), 400, "CHAT_ID_INVALID");

    // Every member's dialog list has the group, newest first.
    let dialogs = call(
        &api,
        &bob.ctx,
        &functions::messages::GetDialogs {
            exclude_pinned: false,
            folder_id: None,
            offset_date: 0,
            offset_id: 0,
            offset_peer: types::InputPeerEmpty {}.into(),
            limit: 10,
            hash: 0,
        },
    )
    .unwrap();
    let enums::messages::Dialogs::Dialogs(dialogs) = dialogs else { panic!("{dialogs:?}") };
    let enums::Dialog::Dialog(first) = &dialogs.dialogs[0] else { panic!() };
    assert_eq!(first.peer, enums::Peer::Chat(types::PeerChat { chat_id }));
    assert!(dialogs.chats.iter().any(|c| matches!(c, enums::Chat::Chat(c) if c.title == "Best friends")));
}

#[test]
fn pinning_a_message_marks_every_copy_and_announces_it() {
    let api = api();
    let people = accounts(&api, 2);
    let (ada, bob) = (&people[0], &people[1]);
    let (to_bob, to_ada) = (peer_of(&api, ada, bob), peer_of(&api, bob, ada));
    send(&api, &ada.ctx, &to_bob, "hi", 1);
    send(&api, &bob.ctx, &to_ada, "pin me", 2);
    let pin = |peer: &enums::InputPeer, id: i32, unpin: bool, pm_oneside: bool| {
        functions::messages::UpdatePinnedMessage { silent: false, unpin, pm_oneside, peer: peer.clone(), id }
    };
    let (answer, pushes) = call_p(&api, &ada.ctx, &pin(&to_bob, 2, false, false));
    let answer = answer.unwrap();
    let [enums::Update::PinnedMessages(pinned), enums::Update::NewMessage(service)] =
        updates_list(&answer).updates.as_slice()
    else {
        panic!("{answer:?}")
    };
    assert_eq!((pinned.messages.clone(), pinned.pts, service.pts), (vec![2], 4, 5));
    let enums::Message::Service(service) = &service.message else { panic!() };
    assert_eq!(service.action, types::MessageActionPinMessage {}.into());
    let bobs = pushes_for(&pushes, &bob.ctx);
    assert_eq!(bobs.len(), 2, "the pin and the service message: {bobs:?}");
    let [enums::Update::PinnedMessages(theirs)] = updates_list(&bobs[0]).updates.as_slice() else { panic!() };
    assert_eq!((theirs.messages.clone(), theirs.pts), (vec![2], 4));
    let get = |ctx, id| {
        let request = functions::messages::GetMessages { id: vec![types::InputMessageId { id }.into()] };
        let (found, _, _) = messages_of(call(&api, ctx, &request).unwrap());
        plain(&found[0]).pinned
    };
    assert!(get(&ada.ctx, 2) && get(&bob.ctx, 2));
    // Bob unpins it for himself only.
    let (answer, pushes) = call_p(&api, &bob.ctx, &pin(&to_ada, 2, true, true));
    assert_eq!(updates_list(&answer.unwrap()).updates.len(), 1);
    assert!(pushes.is_empty());
    assert!(get(&ada.ctx, 2) && !get(&bob.ctx, 2));
    assert_error(call(&api, &bob.ctx, &pin(&to_ada, 99, false, false)), 400, "MESSAGE_ID_INVALID");
}
