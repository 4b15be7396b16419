"""Interop check: two real Telethon clients talk through a local ferrogram server: Ada sends Bob
messages (markdown entities, a reply), edits, reads his history and dialogs; Bob catches up with
updates.getDifference, reads, replies; both delete with revoke; a basic group of the two.
Env: PORT, DC_ID (2), RSA_PEM. Prints one JSON line; exit 0 when every step saw what Telegram
would show."""
import asyncio, json, os, sys
import rsa as pyrsa
from telethon import TelegramClient, functions, types
from telethon.crypto import rsa as trsa
from telethon.sessions import StringSession

PORT = int(os.environ.get("PORT", "0")); DC = int(os.environ.get("DC_ID", "2"))

def trust(pem_path):
    pem = open(pem_path, "rb").read()
    try:
        key = pyrsa.PublicKey.load_pkcs1(pem)
    except ValueError:
        key = pyrsa.PublicKey.load_pkcs1_openssl_pem(pem)
    trsa.add_key(key.save_pkcs1().decode(), old=False)

async def account(phone, name):
    client = TelegramClient(StringSession(), 12345, "0123456789abcdef0123456789abcdef",
                            connection_retries=1, retry_delay=0, timeout=10)
    client.session.set_dc(DC, "127.0.0.1", PORT)
    await asyncio.wait_for(client.connect(), 20)
    sent = await client.send_code_request(phone)
    code = phone[5] * 5
    try:
        await client.sign_in(phone, code, phone_code_hash=sent.phone_code_hash)
    except Exception:
        await client(functions.auth.SignUpRequest(phone, sent.phone_code_hash, name, ""))
    return client

def check(condition, what):
    if not condition: raise RuntimeError(what)

async def main():
    out = {"client": "telethon", "check": "messages"}
    clients = []
    try:
        trust(os.environ["RSA_PEM"])
        ada = await account("9996625001", "Ada"); clients.append(ada)
        bob = await account("9996625002", "Bob"); clients.append(bob)
        ada_me, bob_me = await ada.get_me(), await bob.get_me()
        state = await bob(functions.updates.GetStateRequest())
        # Ada learns Bob's access hash as a contact.
        imported = await ada(functions.contacts.ImportContactsRequest([types.InputPhoneContact(1, "9996625002", "Bob", "")]))
        bob_for_ada = imported.users[0]
        first = await ada.send_message(bob_for_ada, "hello **Bob**")
        check(first.id == 1 and first.out, f"first message {first.id}")
        check(any(isinstance(e, types.MessageEntityBold) for e in (first.entities or [])), "bold entity")
        second = await ada.send_message(bob_for_ada, "are you there?", reply_to=first.id)
        await ada.edit_message(bob_for_ada, first.id, "hello **Bob**!")
        history = await ada.get_messages(bob_for_ada, limit=10)
        check([m.id for m in history] == [2, 1], f"history {[m.id for m in history]}")
        check(history[1].text == "hello **Bob**!", f"edited {history[1].text!r}")
        # Bob was not pushed anything: he catches up from his state.
        diff = await bob(functions.updates.GetDifferenceRequest(pts=state.pts, date=state.date, qts=0))
        texts = [m.message for m in diff.new_messages]
        check(texts == ["hello Bob!", "are you there?"], f"difference {texts}")
        check(any(isinstance(u, types.UpdateEditMessage) for u in diff.other_updates), "edit in the difference")
        dialogs = await bob.get_dialogs()
        check(len(dialogs) == 1 and dialogs[0].entity.id == ada_me.id and dialogs[0].unread_count == 2,
              f"bob's dialogs {[(d.id, d.unread_count) for d in dialogs]}")
        await bob.send_read_acknowledge(dialogs[0].entity)
        reply = await bob.send_message(dialogs[0].entity, "yes!", reply_to=2)
        check(reply.id == 3 and reply.reply_to.reply_to_msg_id == 2, "bob's reply")
        ada_dialogs = await ada.get_dialogs()
        check(ada_dialogs[0].dialog.read_outbox_max_id == 2, f"read outbox {ada_dialogs[0].dialog}")
        await ada.delete_messages(bob_for_ada, [first.id], revoke=True)
        left = await bob.get_messages(ada_me.id, limit=10)
        check([m.id for m in left] == [3, 2], f"after revoke {[m.id for m in left]}")
        # A basic group.
        created = await ada(functions.messages.CreateChatRequest(users=[bob_for_ada], title="Pair"))
        chat = created.updates.chats[0]
        sent = await ada.send_message(types.PeerChat(chat.id), "hi group")
        check(sent.id > 0, "group message")
        full = await ada(functions.messages.GetFullChatRequest(chat.id))
        check(len(full.full_chat.participants.participants) == 2, "two members")
        saved = await ada.send_message("me", "a note")
        check(saved.out, "saved message")
        out.update(ok=True, messages=len(history), group=chat.id)
    except Exception as e:
        out.update(ok=False, error=type(e).__name__ + ": " + str(e)[:300])
    finally:
        for c in clients:
            try:
                await c.disconnect()
            except Exception:
                pass
    return out

result = asyncio.run(main())
print(json.dumps(result))
sys.exit(0 if result.get("ok") else 1)
