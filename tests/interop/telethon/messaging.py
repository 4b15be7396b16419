"""Interop check: messaging with the real Telethon client's own helpers against a local ferrogram
server. Two test-DC accounts (created with auth.signUp, which Telethon's helpers no longer do,
then signed in with TelegramClient.start as a Telethon user would), Telethon's default settings:
- Ada: send_message('me'), then iter_messages('me') shows it;
- Ada imports Bob by phone (get_profile_photos: none) and sends to him by phone number; Bob's events.NewMessage handler gets
  it (text, sender, chat) within 20 s; Bob replies to '@' + Ada's username (account.updateUsername)
  and Ada's handler gets that;
- iter_messages on both sides: the conversation newest first (and reverse=True oldest first), with
  text, sender and out flags; get_dialogs: Bob's chat first, then Saved Messages, unread counts
  before and after send_read_acknowledge;
- edit_message: the answer, Bob's events.MessageEdited handler, and Bob's get_messages show the new
  text;
- delete_messages(revoke=True): gone from get_messages on both sides, Bob's events.MessageDeleted;
- every event came as a pushed update that applied in sequence: Telethon's update loop never had
  to call updates.getDifference after signing in (the output also shows each event's delay);
- a gap: with one update to Bob withheld (`ferrogram admin withhold-updates`), Ada sends two
  messages; Bob's Telethon sees the gap, calls getDifference, and its handler gets each once.
- pin_message: the service message, Bob's events.ChatAction (new_pin), his copy pinned, and
  unpinned again after unpin_message.
Env: PORT, DC_ID (2), RSA_PEM; FERROGRAM_BIN and SERVER_DIR (the server's data dir) for the gap
step (skipped without them). Prints one JSON line (on failure: the step, what was expected and
what came); exit 0 on the expected outcome."""
import asyncio, os
from telethon import events, functions, types
from common import Inbox, admin, check, differences, run_check, sign_up, started, summary, trust

ADA, BOB = "9996623101", "9996623102"


async def main(out, where):
    ada = bob = None
    try:
        where[0] = "sign up and start"
        trust(os.environ["RSA_PEM"])
        await sign_up(ADA, "Ada"); await sign_up(BOB, "Bob")
        ada = await started(ADA); bob = await started(BOB)
        ada_me, bob_me = await ada.get_me(), await bob.get_me()
        check(ada_me.phone == ADA and ada_me.first_name == "Ada", "ada get_me", (ADA, "Ada"), (ada_me.phone, ada_me.first_name))
        check(bob_me.phone == BOB and bob_me.first_name == "Bob", "bob get_me", (BOB, "Bob"), (bob_me.phone, bob_me.first_name))

        # Handlers first, so nothing pushed is missed.
        bob_new, bob_edited, bob_deleted = Inbox("NewMessage"), Inbox("MessageEdited"), Inbox("MessageDeleted")
        ada_new = Inbox("NewMessage")
        bob.add_event_handler(bob_new.handler, events.NewMessage(incoming=True))
        bob.add_event_handler(bob_edited.handler, events.MessageEdited())
        bob.add_event_handler(bob_deleted.handler, events.MessageDeleted())
        ada.add_event_handler(ada_new.handler, events.NewMessage(incoming=True))

        where[0] = "send_message('me')"
        note = await ada.send_message("me", "note to self")
        check(note.message == "note to self" and note.out, "send_message('me') answer", ("note to self", True), (note.message, note.out))
        # (Its sender is unknown here: Telethon builds it from updateShortSentMessage, as on Telegram.)
        check(note.chat_id == ada_me.id, "saved message's chat", ada_me.id, note.chat_id)
        where[0] = "iter_messages('me')"
        saved = [(m.id, m.message, m.sender_id, m.out) async for m in ada.iter_messages("me", limit=10)]
        want = [(note.id, "note to self", ada_me.id, True)]
        check(saved == want, "Saved Messages (id, text, sender, out)", want, saved)

        where[0] = "importContacts and send_message by phone"
        imported = await ada(functions.contacts.ImportContactsRequest([
            types.InputPhoneContact(client_id=1, phone="+" + BOB, first_name="Bob", last_name="B")]))
        check([u.id for u in imported.users] == [bob_me.id], "imported Bob", [bob_me.id], [u.id for u in imported.users])
        sent_at = asyncio.get_running_loop().time()
        hello = await ada.send_message("+" + BOB, "Hello Bob, from Ada")
        check(hello.message == "Hello Bob, from Ada" and hello.out and hello.chat_id == bob_me.id,
              "send_message(Bob) answer", ("Hello Bob, from Ada", True, bob_me.id), (hello.message, hello.out, hello.chat_id))

        where[0] = "get_profile_photos"
        photos = await ada.get_profile_photos("+" + BOB)
        check(list(photos) == [] and photos.total == 0, "Bob's profile photos (none are kept)", (0, []), (photos.total, list(photos)))

        where[0] = "Bob's events.NewMessage"
        got = await bob_new.wait_for(lambda e: e.message.message == "Hello Bob, from Ada", "Bob's NewMessage handler", sent_at, out)
        check(got.sender_id == ada_me.id and got.chat_id == ada_me.id and got.is_private and not got.out,
              "the event's sender, chat, private, out", (ada_me.id, ada_me.id, True, False),
              (got.sender_id, got.chat_id, got.is_private, got.out))
        sender = await got.get_sender()
        check(sender is not None and sender.first_name == "Ada", "event.get_sender()", "Ada", getattr(sender, "first_name", sender))
        bob_hello_id = got.message.id

        where[0] = "updateUsername and send_message by username"
        await ada(functions.account.UpdateUsernameRequest("ada_msg_interop"))
        sent_at = asyncio.get_running_loop().time()
        reply = await bob.send_message("@ada_msg_interop", "Hi Ada, Bob here")
        check(reply.message == "Hi Ada, Bob here" and reply.chat_id == ada_me.id, "send_message(@ada) answer",
              ("Hi Ada, Bob here", ada_me.id), (reply.message, reply.chat_id))
        where[0] = "Ada's events.NewMessage"
        got = await ada_new.wait_for(lambda e: e.message.message == "Hi Ada, Bob here", "Ada's NewMessage handler", sent_at, out)
        check(got.sender_id == bob_me.id and got.chat_id == bob_me.id, "the event's sender and chat", bob_me.id, (got.sender_id, got.chat_id))
        ada_reply_id = got.message.id

        where[0] = "iter_messages(Bob)"
        history = [m async for m in ada.iter_messages(bob_me.id, limit=20)]
        want = [("Hi Ada, Bob here", bob_me.id, False), ("Hello Bob, from Ada", ada_me.id, True)]
        check(summary(history) == want, "Ada's history with Bob, newest first", want, summary(history))
        check([m.id for m in history] == [ada_reply_id, hello.id], "Ada's message ids", [ada_reply_id, hello.id], [m.id for m in history])
        oldest_first = [m async for m in ada.iter_messages(bob_me.id, reverse=True)]
        check(summary(oldest_first) == want[::-1], "reverse=True", want[::-1], summary(oldest_first))
        bob_history = [m async for m in bob.iter_messages(ada_me.id)]
        want_bob = [("Hi Ada, Bob here", bob_me.id, True), ("Hello Bob, from Ada", ada_me.id, False)]
        check(summary(bob_history) == want_bob, "Bob's history with Ada", want_bob, summary(bob_history))
        check(bob_history[1].id == bob_hello_id, "Bob's id for the hello", bob_hello_id, bob_history[1].id)

        where[0] = "get_dialogs"
        dialogs = await ada.get_dialogs()
        got_d = [(d.entity.id, d.message.message if d.message else None, d.unread_count) for d in dialogs]
        want_d = [(bob_me.id, "Hi Ada, Bob here", 1), (ada_me.id, "note to self", 0)]
        check(got_d == want_d, "Ada's dialogs (peer, last message, unread)", want_d, got_d)
        check(dialogs[0].name == "Bob B" and dialogs[0].is_user, "the dialog's name as saved", "Bob B", dialogs[0].name)
        check(await ada.send_read_acknowledge(bob_me.id), "send_read_acknowledge")
        dialogs = await ada.get_dialogs()
        check([d.unread_count for d in dialogs] == [0, 0], "unread after reading", [0, 0], [d.unread_count for d in dialogs])
        bob_dialogs = await bob.get_dialogs()
        got_b = [(d.entity.id, d.message.message) for d in bob_dialogs]
        check(got_b == [(ada_me.id, "Hi Ada, Bob here")], "Bob's dialogs", [(ada_me.id, "Hi Ada, Bob here")], got_b)

        where[0] = "edit_message"
        sent_at = asyncio.get_running_loop().time()
        edited = await ada.edit_message(bob_me.id, hello.id, "Hello Bob, from Ada (edited)")
        check(edited.message == "Hello Bob, from Ada (edited)" and edited.edit_date is not None and edited.id == hello.id,
              "edit_message answer", ("Hello Bob, from Ada (edited)", hello.id), (edited.message, edited.id, edited.edit_date))
        where[0] = "Bob's events.MessageEdited"
        got = await bob_edited.wait_for(lambda e: e.message.id == bob_hello_id, "Bob's MessageEdited handler", sent_at, out)
        check(got.message.message == "Hello Bob, from Ada (edited)" and got.sender_id == ada_me.id,
              "the edit event", ("Hello Bob, from Ada (edited)", ada_me.id), (got.message.message, got.sender_id))
        seen = await bob.get_messages(ada_me.id, ids=bob_hello_id)
        check(seen is not None and seen.message == "Hello Bob, from Ada (edited)", "Bob's get_messages after the edit",
              "Hello Bob, from Ada (edited)", getattr(seen, "message", seen))

        where[0] = "delete_messages(revoke=True)"
        sent_at = asyncio.get_running_loop().time()
        affected = await ada.delete_messages(bob_me.id, [hello.id], revoke=True)
        check(sum(a.pts_count for a in affected) == 1, "affected messages", 1, [a.pts_count for a in affected])
        mine = await ada.get_messages(bob_me.id, ids=hello.id)
        check(mine is None, "Ada's get_messages of the deleted message", None, getattr(mine, "message", mine))
        where[0] = "Bob's events.MessageDeleted"
        await bob_deleted.wait_for(lambda e: bob_hello_id in e.deleted_ids, "Bob's MessageDeleted handler", sent_at, out)
        theirs = await bob.get_messages(ada_me.id, ids=bob_hello_id)
        check(theirs is None, "Bob's get_messages of the revoked message", None, getattr(theirs, "message", theirs))
        left = [m.message async for m in bob.iter_messages(ada_me.id)]
        check(left == ["Hi Ada, Bob here"], "Bob's history after the delete", ["Hi Ada, Bob here"], left)
        where[0] = "no getDifference after sign-in"
        check(differences.count == 0, "pushed updates applied in sequence: the update loop's getDifference calls", 0, differences.count)

        where[0] = "a withheld update: Bob's Telethon fills the gap with getDifference"
        if os.environ.get("FERROGRAM_BIN") and os.environ.get("SERVER_DIR"):
            await admin("withhold-updates", "--phone", BOB, "--count", "1")
            sent_at = asyncio.get_running_loop().time()
            await ada.send_message(bob_me.id, "gap 1 (withheld)")
            await ada.send_message(bob_me.id, "gap 2")
            for text in ("gap 1 (withheld)", "gap 2"):
                await bob_new.wait_for(lambda e: e.message.message == text, "Bob's handler: " + text, sent_at, out)
            await asyncio.sleep(1)  # time for a duplicate to show
            seen = [e.message.message for e, _ in bob_new.items if e.message.message.startswith("gap")]
            check(sorted(seen) == ["gap 1 (withheld)", "gap 2"], "each gap message once", ["gap 1 (withheld)", "gap 2"], seen)
            check(differences.count >= 1, "Telethon's getDifference calls for the gap", ">= 1", differences.count)
            left = [m.message async for m in bob.iter_messages(ada_me.id, limit=3)]
            check(left == ["gap 2", "gap 1 (withheld)", "Hi Ada, Bob here"], "Bob's history after the gap",
                  ["gap 2", "gap 1 (withheld)", "Hi Ada, Bob here"], left)
        else:
            out["gap"] = "skipped (FERROGRAM_BIN and SERVER_DIR not set)"

        where[0] = "pin_message / unpin_message"
        bob_action = Inbox("ChatAction")
        bob.add_event_handler(bob_action.handler, events.ChatAction())
        sent_at = asyncio.get_running_loop().time()
        service = await ada.pin_message(bob_me.id, ada_reply_id)
        check(service is not None and isinstance(service.action, types.MessageActionPinMessage)
              and service.reply_to_msg_id == ada_reply_id, "pin_message answer (the service message)",
              ("MessageActionPinMessage", ada_reply_id), (service and type(service.action).__name__, service and service.reply_to_msg_id))
        pin = await bob_action.wait_for(lambda e: e.new_pin, "Bob's ChatAction handler (pin)", sent_at, out)
        act = pin.action_message
        check(act.sender_id == ada_me.id and act.reply_to_msg_id == reply.id, "the pin event: who, which message",
              (ada_me.id, reply.id), (act.sender_id, act.reply_to_msg_id))
        pinned = await bob.get_messages(ada_me.id, ids=reply.id)
        check(pinned is not None and pinned.pinned, "Bob's copy pinned", True, getattr(pinned, "pinned", pinned))
        await ada.unpin_message(bob_me.id, ada_reply_id)
        unpinned = await bob.get_messages(ada_me.id, ids=reply.id)
        check(unpinned is not None and not unpinned.pinned, "Bob's copy after unpin_message", False, getattr(unpinned, "pinned", unpinned))
        out.update(ok=True)
    finally:
        for c in (ada, bob):
            if c:
                try:
                    await asyncio.wait_for(c.disconnect(), 5)
                except Exception:
                    pass


run_check("messaging", main)
