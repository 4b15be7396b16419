"""Interop check: peers with the real Telethon client against a local ferrogram server.
Two test-DC accounts sign in; Ada sets a username and a profile, imports Bob by phone and lists
her contacts; Bob resolves Ada by username (in another case) and names her with the access hash
he got; a hash Ada got is refused for Bob. Env: PORT, DC_ID (2), RSA_PEM.
Prints one JSON line; exit 0 on the expected outcome."""
import asyncio, json, os, sys
import rsa as pyrsa
from telethon import TelegramClient, errors, functions, types
from telethon.crypto import rsa as trsa
from telethon.sessions import StringSession

PORT = int(os.environ.get("PORT", "0")); DC = int(os.environ.get("DC_ID", "2"))
ADA, BOB = "9996627001", "9996627002"

def trust(pem_path):
    pem = open(pem_path, "rb").read()
    try:
        key = pyrsa.PublicKey.load_pkcs1(pem)
    except ValueError:
        key = pyrsa.PublicKey.load_pkcs1_openssl_pem(pem)
    trsa.add_key(key.save_pkcs1().decode(), old=False)

async def signed_in(phone, name):
    client = TelegramClient(StringSession(), 12345, "0123456789abcdef0123456789abcdef",
                            connection_retries=1, retry_delay=0, timeout=10)
    client.session.set_dc(DC, "127.0.0.1", PORT)
    await asyncio.wait_for(client.connect(), 20)
    sent = await client.send_code_request(phone)
    code = phone[5] * 5  # test-DC numbers 99966XYYYY have the code XXXXX
    try:
        await client.sign_in(phone, code, phone_code_hash=sent.phone_code_hash)
    except errors.PhoneNumberUnoccupiedError:
        await client(functions.auth.SignUpRequest(phone, sent.phone_code_hash, name, ""))
    return client

def check(cond, what):
    if not cond: raise RuntimeError(what)

async def main():
    out = {"client": "telethon", "check": "peers"}
    ada = bob = None
    try:
        trust(os.environ["RSA_PEM"])
        ada = await signed_in(ADA, "Ada")
        bob = await signed_in(BOB, "Bob")
        me = await ada(functions.account.UpdateUsernameRequest("Ada_Interop"))
        check(me.username == "Ada_Interop", "updateUsername")
        me = await ada(functions.account.UpdateProfileRequest(last_name="Lovelace", about="Analyst"))
        check(me.last_name == "Lovelace", "updateProfile")
        imported = await ada(functions.contacts.ImportContactsRequest([
            types.InputPhoneContact(client_id=7, phone="+" + BOB, first_name="Robert", last_name="")]))
        check([(c.client_id, c.user_id) for c in imported.imported] == [(7, imported.users[0].id)], "imported")
        check(imported.users[0].contact and imported.users[0].first_name == "Robert", "contact as saved")
        contacts = await ada(functions.contacts.GetContactsRequest(hash=0))
        check([c.user_id for c in contacts.contacts] == [imported.users[0].id], "getContacts")
        again = await ada(functions.contacts.GetContactsRequest(hash=contacts_hash(contacts)))
        check(isinstance(again, types.contacts.ContactsNotModified), "getContacts hash")
        # Bob finds Ada by username and names her with the hash he got.
        ada_for_bob = await bob.get_entity("ada_interop")
        check(ada_for_bob.username == "Ada_Interop" and not ada_for_bob.is_self, "resolveUsername")
        full = await bob(functions.users.GetFullUserRequest(ada_for_bob))
        check(full.full_user.about == "Analyst", "getFullUser about")
        found = await bob(functions.contacts.SearchRequest(q="ada", limit=10))
        check([p.user_id for p in found.results] == [ada_for_bob.id], "contacts.search")
        # The hash Ada's own session got for herself names nobody for Bob; his own one does.
        try:
            await bob(functions.users.GetFullUserRequest(types.InputUser(me.id, me.access_hash)))
            raise RuntimeError("another account's hash was accepted")
        except errors.UserIdInvalidError:
            pass
        own = types.InputUser(ada_for_bob.id, ada_for_bob.access_hash)
        check((await bob(functions.users.GetUsersRequest([own])))[0].id == me.id, "own hash")
        await ada(functions.help.GetAppConfigRequest(hash=0))
        await ada(functions.account.UpdateStatusRequest(offline=False))
        out.update(ok=True)
    except Exception as e:
        out.update(ok=False, error=type(e).__name__ + ": " + str(e)[:200])
    finally:
        for c in (ada, bob):
            if c: await c.disconnect()
    return out

def contacts_hash(contacts):
    """Telegram's vector hash over the contact ids in ascending order."""
    h = 0
    for i in sorted(c.user_id for c in contacts.contacts):
        h ^= h >> 21; h ^= (h << 35) & 0xFFFFFFFFFFFFFFFF; h ^= h >> 4
        h = (h + i) & 0xFFFFFFFFFFFFFFFF
    return h - (1 << 64) if h >= 1 << 63 else h

res = asyncio.run(asyncio.wait_for(main(), 60))
print(json.dumps(res)); sys.exit(0 if res.get("ok") else 1)
