"""The receive bench's Telethon client (run by crates/ferrogram/benches/receive.rs).

Signs in to the local server as PHONE (an existing test-DC account, code 22222) with Telethon's
default settings and a StringSession, registers an events.NewMessage(incoming=True) handler and
prints "signed-in"; takes messages until one reads WARM_UP, then prints "ready". It then counts
the next COUNT new messages (each handler call reads the message's id and text, as the others'
receivers do), timing the first and the last with time.perf_counter and reading the process CPU
time (time.process_time, every thread) at both, and prints one JSON line: received, seconds and
cpu_seconds (first to last), last_text, id_sum. It stops early after IDLE_SECONDS without a
message. Env: PORT, DC_ID, RSA_PEM, PHONE, COUNT, WARM_UP, IDLE_SECONDS."""
import asyncio, contextlib, io, json, os, time
import rsa as pyrsa
from telethon import TelegramClient, events
from telethon.crypto import rsa as trsa
from telethon.sessions import StringSession

PORT, DC = int(os.environ["PORT"]), int(os.environ.get("DC_ID", "2"))
PHONE, COUNT, WARM_UP = os.environ["PHONE"], int(os.environ["COUNT"]), os.environ["WARM_UP"]
IDLE_SECONDS = float(os.environ.get("IDLE_SECONDS", "60"))


def trust(pem_path):
    pem = open(pem_path, "rb").read()
    try:
        key = pyrsa.PublicKey.load_pkcs1(pem)
    except ValueError:
        key = pyrsa.PublicKey.load_pkcs1_openssl_pem(pem)
    trsa.add_key(key.save_pkcs1().decode(), old=False)


async def main():
    trust(os.environ["RSA_PEM"])
    client = TelegramClient(StringSession(), 12345, "0123456789abcdef0123456789abcdef")
    client.session.set_dc(DC, "127.0.0.1", PORT)
    with contextlib.redirect_stdout(io.StringIO()):  # start() prints "Signed in successfully as ..."
        await client.start(phone=PHONE, code_callback=lambda: "22222")
    state = {"ready": False, "received": 0, "first": None, "last": None, "last_text": "", "id_sum": 0}
    done = asyncio.Event()

    async def on_message(event):
        message_id, text = event.message.id, event.raw_text
        if not state["ready"]:
            if text == WARM_UP:
                state["ready"] = True
                print("ready", flush=True)
            return
        now = (time.perf_counter(), time.process_time())
        if state["first"] is None:
            state["first"] = now
        state["last"] = now
        state["received"] += 1
        state["id_sum"] += message_id
        state["last_text"] = text
        if state["received"] >= COUNT:
            done.set()

    client.add_event_handler(on_message, events.NewMessage(incoming=True))
    print("signed-in", flush=True)
    seen, quiet_since = -1, time.perf_counter()
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), 1)
        except asyncio.TimeoutError:
            pass
        if state["received"] != seen:
            seen, quiet_since = state["received"], time.perf_counter()
        elif state["ready"] and time.perf_counter() - quiet_since > IDLE_SECONDS:
            break
    first = state["first"] or state["last"] or (0.0, 0.0)
    last = state["last"] or first
    print(json.dumps({
        "received": state["received"], "seconds": last[0] - first[0], "cpu_seconds": last[1] - first[1],
        "last_text": state["last_text"], "id_sum": state["id_sum"],
    }), flush=True)
    await client.disconnect()


asyncio.run(main())
