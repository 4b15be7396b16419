"""Interop check: a basic group with the real Telethon client's own helpers against a local
ferrogram server. Three test-DC accounts (made as in messaging.py, signed in with start()):
- Ada imports Bob and Cy by phone and creates a group with them (messages.createChat); Bob's
  events.ChatAction handler sees the group created;
- Ada's send_message to the group reaches Bob's and Cy's events.NewMessage handlers (text, sender,
  the group as chat); Bob answers with event.reply and Ada and Cy get it as a reply to their own
  copies of Ada's message;
- get_participants (names, who is self), iter_messages newest first (with the creation's service
  message), get_dialogs (the group with its title and last message), forward_messages to
  Saved Messages (with the original sender);
- a new title (messages.editChatTitle) and kick_participant: the members' ChatAction handlers see
  both; Cy, removed, can no longer write there;
- every event came as a pushed update that applied in sequence (no getDifference after sign-in).
Env: PORT, DC_ID (2), RSA_PEM. Prints one JSON line (on failure: the step, what was expected and
what came); exit 0 on the expected outcome."""
import asyncio, os
from telethon import errors, events, functions, types
from common import Inbox, check, differences, run_check, sign_up, started, trust

ADA, BOB, CY = "9996623201", "9996623202", "9996623203"


async def main(out, where):
    clients = []
    try:
        where[0] = "sign up and start"
        trust(os.environ["RSA_PEM"])
        for phone, name in ((ADA, "Ada"), (BOB, "Bob"), (CY, "Cy")):
            await sign_up(phone, name)
        for phone in (ADA, BOB, CY):
            clients.append(await started(phone))
        ada, bob, cy = clients
        ada_me, bob_me, cy_me = [await c.get_me() for c in clients]
        new = {n: Inbox("NewMessage") for n in ("ada", "bob", "cy")}
        action = {n: Inbox("ChatAction") for n in ("bob", "cy")}
        for n, c in (("ada", ada), ("bob", bob), ("cy", cy)):
            c.add_event_handler(new[n].handler, events.NewMessage(incoming=True))
        for n, c in (("bob", bob), ("cy", cy)):
            c.add_event_handler(action[n].handler, events.ChatAction())

        where[0] = "importContacts and createChat"
        await ada(functions.contacts.ImportContactsRequest([
            types.InputPhoneContact(client_id=i, phone="+" + p, first_name=n, last_name="")
            for i, (p, n) in enumerate(((BOB, "Bob"), (CY, "Cy")))]))
        loop = asyncio.get_running_loop(); sent_at = loop.time()
        invited = await ada(functions.messages.CreateChatRequest(users=["+" + BOB, "+" + CY], title="Interop group"))
        updates = getattr(invited, "updates", invited)
        chats = [c for c in updates.chats if isinstance(c, types.Chat)]
        check(len(chats) == 1 and chats[0].title == "Interop group" and chats[0].participants_count == 3,
              "the created chat", ("Interop group", 3), [(c.title, c.participants_count) for c in chats])
        chat_id = -chats[0].id  # Telethon's "marked" id of a basic group
        created = await action["bob"].wait_for(lambda e: e.created and e.chat_id == chat_id, "Bob's ChatAction (created)", sent_at, out)
        check(created.action_message.sender_id == ada_me.id, "who created it", ada_me.id, created.action_message.sender_id)

        where[0] = "send_message to the group"
        sent_at = loop.time()
        hello = await ada.send_message(chat_id, "hello group")
        check(hello.message == "hello group" and hello.chat_id == chat_id and hello.out, "the answer",
              ("hello group", chat_id, True), (hello.message, hello.chat_id, hello.out))
        got = {}
        for n in ("bob", "cy"):
            e = await new[n].wait_for(lambda e: e.message.message == "hello group", n + "'s NewMessage handler", sent_at, out)
            check(e.chat_id == chat_id and e.sender_id == ada_me.id and e.is_group and not e.is_private,
                  n + "'s event: chat, sender, group", (chat_id, ada_me.id, True), (e.chat_id, e.sender_id, e.is_group))
            got[n] = e

        where[0] = "event.reply in the group"
        sent_at = loop.time()
        reply = await got["bob"].reply("hi all, Bob here")
        check(reply.reply_to_msg_id == got["bob"].message.id, "Bob's reply answer", got["bob"].message.id, reply.reply_to_msg_id)
        for n, own_id in (("ada", hello.id), ("cy", got["cy"].message.id)):
            e = await new[n].wait_for(lambda e: e.message.message == "hi all, Bob here", n + "'s NewMessage handler (reply)", sent_at, out)
            check(e.sender_id == bob_me.id and e.chat_id == chat_id and e.message.reply_to_msg_id == own_id,
                  n + "'s reply event: sender, chat, replied-to id", (bob_me.id, chat_id, own_id),
                  (e.sender_id, e.chat_id, e.message.reply_to_msg_id))

        where[0] = "get_participants"
        people = await bob.get_participants(chat_id)
        got_p = sorted((u.id, u.first_name, u.is_self) for u in people)
        want_p = sorted([(ada_me.id, "Ada", False), (bob_me.id, "Bob", True), (cy_me.id, "Cy", False)])
        check(got_p == want_p, "Bob's get_participants", want_p, got_p)

        where[0] = "iter_messages(group)"
        history = [m async for m in cy.iter_messages(chat_id, limit=10)]
        texts = [(m.message if not m.action else type(m.action).__name__, m.sender_id) for m in history]
        want_h = [("hi all, Bob here", bob_me.id), ("hello group", ada_me.id), ("MessageActionChatCreate", ada_me.id)]
        check(texts == want_h, "Cy's history of the group, newest first", want_h, texts)

        where[0] = "get_dialogs"
        dialogs = await bob.get_dialogs()
        got_d = [(d.id, d.name, d.is_group, d.message.message) for d in dialogs]
        check(got_d[:1] == [(chat_id, "Interop group", True, "hi all, Bob here")], "Bob's dialogs, the group first",
              [(chat_id, "Interop group", True, "hi all, Bob here")], got_d)

        where[0] = "forward_messages to Saved Messages"
        fwd = await bob.forward_messages("me", got["bob"].message)
        check(fwd.message == "hello group" and fwd.fwd_from is not None
              and getattr(fwd.fwd_from.from_id, "user_id", None) == ada_me.id, "the forward (text, original sender)",
              ("hello group", ada_me.id), (fwd.message, fwd.fwd_from and fwd.fwd_from.from_id))
        saved = [m.message async for m in bob.iter_messages("me")]
        check(saved == ["hello group"], "Bob's Saved Messages", ["hello group"], saved)

        where[0] = "editChatTitle"
        sent_at = loop.time()
        await ada(functions.messages.EditChatTitleRequest(chats[0].id, "Renamed group"))
        e = await action["bob"].wait_for(lambda e: e.new_title == "Renamed group", "Bob's ChatAction (title)", sent_at, out)
        check(e.chat_id == chat_id, "the title event's chat", chat_id, e.chat_id)
        title = (await cy.get_entity(chat_id)).title
        check(title == "Renamed group", "the title Cy sees", "Renamed group", title)

        where[0] = "kick_participant"
        sent_at = loop.time()
        await ada.kick_participant(chat_id, "+" + CY)
        e = await action["bob"].wait_for(lambda e: e.user_kicked, "Bob's ChatAction (kicked)", sent_at, out)
        check(e.user_id == cy_me.id and e.chat_id == chat_id, "who was removed, where", (cy_me.id, chat_id), (e.user_id, e.chat_id))
        await action["cy"].wait_for(lambda e: e.user_kicked and e.user_id == cy_me.id, "Cy's ChatAction (kicked)", sent_at, out)
        people = sorted(u.first_name for u in await ada.get_participants(chat_id))
        check(people == ["Ada", "Bob"], "members after the kick", ["Ada", "Bob"], people)
        try:
            await cy.send_message(chat_id, "still here?")
            raise AssertionError("Cy wrote to a group she was removed from")
        except errors.RPCError as err:
            check(isinstance(err, errors.ChatWriteForbiddenError), "Cy's send after removal",
                  "ChatWriteForbiddenError", "%s (%s)" % (type(err).__name__, err))

        where[0] = "no getDifference after sign-in"
        check(differences.count == 0, "pushed updates applied in sequence: the update loop's getDifference calls", 0, differences.count)
        out.update(ok=True)
    finally:
        for c in clients:
            try:
                await asyncio.wait_for(c.disconnect(), 5)
            except Exception:
                pass


run_check("groups", main)
