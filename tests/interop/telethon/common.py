"""Shared by the Telethon checks (messaging.py, groups.py): the client as a Telethon user makes it
(default settings, a StringSession pointed at the local server), accounts, checks that say what
was expected and what came, event inboxes awaited with a timeout, and `ferrogram admin`."""
import asyncio, contextlib, io, json, logging, os, sys
import rsa as pyrsa
from telethon import TelegramClient, errors, functions
from telethon.crypto import rsa as trsa
from telethon.sessions import StringSession

PORT = int(os.environ.get("PORT", "0")); DC = int(os.environ.get("DC_ID", "2"))
API_ID, API_HASH = 12345, "0123456789abcdef0123456789abcdef"
EVENT_TIMEOUT = 20


class DifferenceCounter(logging.Handler):
    """Counts the update loop's getDifference calls (its log line): pushed updates that apply in
    sequence need none after sign-in."""

    def __init__(self):
        super().__init__(logging.DEBUG); self.count = 0

    def emit(self, record):
        if record.getMessage().startswith("Getting difference"):
            self.count += 1


differences = DifferenceCounter()
logging.getLogger("telethon.client.updates").setLevel(logging.DEBUG)
logging.getLogger("telethon.client.updates").addHandler(differences)


def trust(pem_path):
    pem = open(pem_path, "rb").read()
    try:
        key = pyrsa.PublicKey.load_pkcs1(pem)
    except ValueError:
        key = pyrsa.PublicKey.load_pkcs1_openssl_pem(pem)
    trsa.add_key(key.save_pkcs1().decode(), old=False)


def new_client():
    client = TelegramClient(StringSession(), API_ID, API_HASH)
    client.session.set_dc(DC, "127.0.0.1", PORT)
    return client


async def sign_up(phone, first_name):
    """Telethon's sign_up helper refuses to run (issue #4050), so the account is made with the raw
    request on a throwaway client."""
    client = new_client()
    try:
        await client.connect()
        sent = await client.send_code_request(phone)
        try:
            await client.sign_in(phone, phone[5] * 5, phone_code_hash=sent.phone_code_hash)
        except errors.PhoneNumberUnoccupiedError:
            await client(functions.auth.SignUpRequest(phone, sent.phone_code_hash, first_name, ""))
    finally:
        await client.disconnect()


async def started(phone):
    client = new_client()
    with contextlib.redirect_stdout(io.StringIO()):  # start() prints "Signed in successfully as ..."
        await client.start(phone=phone, code_callback=lambda: phone[5] * 5)  # code XXXXX
    return client


async def admin(*args):
    """`ferrogram admin` against the running server (fault injection)."""
    proc = await asyncio.create_subprocess_exec(
        os.environ["FERROGRAM_BIN"], "admin", "--data-dir", os.environ["SERVER_DIR"], *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(proc.communicate(), 10)
    except asyncio.TimeoutError:
        proc.kill(); raise AssertionError("ferrogram admin %s: no answer in 10 s" % " ".join(args))
    check(proc.returncode == 0, "ferrogram admin " + " ".join(args), "exit 0",
          "exit %s: %s" % (proc.returncode, output.decode(errors="replace").strip()[:200]))


def check(cond, what, expected=None, got=None):
    if not cond:
        detail = what
        if expected is not None or got is not None:
            detail += ": expected %r, got %r" % (expected, got)
        raise AssertionError(detail)


class Inbox:
    """Events of one kind a handler saw, awaited with a timeout."""

    def __init__(self, name):
        self.name, self.items, self.changed = name, [], asyncio.Event()

    async def handler(self, event):
        self.items.append((event, asyncio.get_running_loop().time()))
        self.changed.set()

    async def wait_for(self, pred, what, since, out):
        """The first event `pred` accepts; its delay after `since` (loop time) goes into out."""
        loop = asyncio.get_running_loop(); deadline = loop.time() + EVENT_TIMEOUT
        while True:
            for item, at in self.items:
                if pred(item):
                    out.setdefault("event_ms", {})[what] = round((at - since) * 1000)
                    return item
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError("%s: no %s event within %d s (got %d other: %s)" % (
                    what, self.name, EVENT_TIMEOUT, len(self.items),
                    [describe(e) for e, _ in self.items][:5]))
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except asyncio.TimeoutError:
                pass


def describe(event):
    msg = getattr(event, "message", None)
    if msg is not None:
        return {"id": msg.id, "text": msg.message, "from": msg.sender_id, "chat": msg.chat_id}
    return type(event).__name__ + str(getattr(event, "deleted_ids", ""))


def summary(msgs):
    return [(m.message, m.sender_id, m.out) for m in msgs]


def run_check(name, main, limit=120):
    """Runs main(out, where) under a time limit, prints out as one JSON line and exits 0 if it
    said ok; `where[0]` is the step running, named in a failure."""
    out, where = {"client": "telethon", "check": name}, ["start"]

    async def bounded():
        try:
            await asyncio.wait_for(main(out, where), limit)
        except asyncio.TimeoutError:
            out.update(ok=False, step=where[0], error="timed out after %d s" % limit)
        except Exception as e:
            out.update(ok=False, step=where[0], error=type(e).__name__ + ": " + str(e)[:600])
        out["get_difference_calls"] = differences.count
    asyncio.run(bounded())
    print(json.dumps(out)); sys.exit(0 if out.get("ok") else 1)
