// Messaging with the real `telegram` npm package's own helpers (GramJS 2.26, layer 198) against a
// local ferrogram server. Two test-DC accounts sign up / in with client.start (phone, code XXXXX,
// names); then:
//   - Ada: sendMessage("me") and getMessages("me") shows it;
//   - Ada imports Bob by phone and sendMessage(Bob); Bob's handler, added with
//     client.addEventHandler(handler, new NewMessage({})), gets it (text, sender, chat) within 20 s;
//   - Bob answers through the event (event.message.respond) and Ada's handler gets that;
//   - getMessages on both sides: the conversation newest first, with text, sender and out flags;
//   - getDialogs: Bob's chat first (his last message, one unread), then Saved Messages; Bob's, after
//     markAsRead: Ada's chat, nothing unread;
//   - editMessage: the answer, Bob's EditedMessage handler and his getMessages show the new text;
//   - deleteMessages with revoke: Bob's DeletedMessage handler, gone from getMessages on both sides;
//   - a basic group (messages.createChat): Ada's sendMessage there reaches Bob's NewMessage handler
//     as a group message; getChat, getParticipants and getDialogs show the group.
// Environment: PORT, DC_ID (2), RSA_PEM, as signin.js. Prints one JSON line (on failure: the step,
// what was expected and what came) and exits 0 on the expected outcome, 1 otherwise.
const fs = require("fs");
const crypto = require("crypto");
const bigInt = require("big-integer");
const { Api, TelegramClient } = require("telegram");
const { StringSession } = require("telegram/sessions");
const { ConnectionTCPFull } = require("telegram/network");
const { NewMessage } = require("telegram/events");
const { EditedMessage } = require("telegram/events/EditedMessage");
const { DeletedMessage } = require("telegram/events/DeletedMessage");
const RSA = require("telegram/crypto/RSA");

const port = Number(process.env.PORT);
const dcId = Number(process.env.DC_ID || 2);
const ADA = "9996624101", BOB = "9996624102";
const EVENT_TIMEOUT_MS = 20000;
let step = "start";

function tlBytes(buf) {
  const head = buf.length < 254 ? Buffer.from([buf.length])
    : Buffer.from([254, buf.length & 255, (buf.length >> 8) & 255, (buf.length >> 16) & 255]);
  const pad = (4 - ((head.length + buf.length) % 4)) % 4;
  return Buffer.concat([head, buf, Buffer.alloc(pad)]);
}

function trustServerKey(pemPath) {
  const jwk = crypto.createPublicKey(fs.readFileSync(pemPath)).export({ format: "jwk" });
  const n = Buffer.from(jwk.n, "base64url");
  const e = Buffer.from(jwk.e, "base64url");
  const digest = crypto.createHash("sha1").update(Buffer.concat([tlBytes(n), tlBytes(e)])).digest();
  RSA._serverKeys.set(digest.subarray(12).readBigInt64LE(0).toString(), {
    n: bigInt(n.toString("hex"), 16),
    e: Number(bigInt(e.toString("hex"), 16)),
  });
}

// GramJS always dials port 80 for TCP; this connection class dials the local server's port instead.
class LocalConnection extends ConnectionTCPFull {
  constructor(opts) { super({ ...opts, ip: "127.0.0.1", port }); }
}

function check(cond, what, expected, got) {
  if (cond) return;
  let detail = what;
  if (expected !== undefined || got !== undefined) {
    detail += ": expected " + JSON.stringify(expected) + ", got " + JSON.stringify(got);
  }
  throw new Error(detail);
}

const id = (x) => (x === undefined || x === null ? null : x.toString());

async function started(phone, firstName) {
  const session = new StringSession("");
  session.setDC(dcId, "127.0.0.1", port);
  const client = new TelegramClient(session, 12345, "0123456789abcdef0123456789abcdef", {
    connection: LocalConnection, connectionRetries: 1, autoReconnect: false,
  });
  client.setLogLevel("error");
  let failure;
  await client.start({
    phoneNumber: phone,
    phoneCode: async () => phone[5].repeat(5), // test-DC numbers 99966XYYYY have the code XXXXX
    firstAndLastNames: async () => [firstName, ""],
    onError: async (err) => { failure = err; return true; }, // stop at the first error
  }).catch((err) => { throw failure || err; });
  return client;
}

// Messages a NewMessage handler saw, awaited with a timeout.
class Inbox {
  constructor(name) { this.name = name; this.events = []; this.times = []; this.waiters = []; }
  handler() {
    return async (event) => {
      this.events.push(event); this.times.push(Date.now());
      for (const w of this.waiters.splice(0)) w();
    };
  }
  // The first event pred accepts; its delay after sentAt (ms) goes into out.event_ms.
  async waitFor(pred, what, sentAt, out) {
    const deadline = Date.now() + EVENT_TIMEOUT_MS;
    for (;;) {
      const i = this.events.findIndex(pred);
      if (i >= 0) {
        (out.event_ms = out.event_ms || {})[what] = this.times[i] - sentAt;
        return this.events[i];
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(what + ": no " + this.name + " event within " + EVENT_TIMEOUT_MS / 1000 + " s (saw "
          + JSON.stringify(this.events.map(describe)) + ")");
      }
      await new Promise((resolve) => { this.waiters.push(resolve); setTimeout(resolve, left); });
    }
  }
}

const describe = (e) => (e.message ? { id: e.message.id, text: e.message.message, from: id(e.message.senderId) }
  : { deleted: e.deletedIds });
const summary = (msgs) => msgs.map((m) => [m.message, id(m.senderId), !!m.out]);

async function checkMessaging(ada, bob, out) {
  step = "getMe";
  const adaMe = await ada.getMe(), bobMe = await bob.getMe();
  check(adaMe.phone === ADA && adaMe.firstName === "Ada", "Ada's getMe", [ADA, "Ada"], [adaMe.phone, adaMe.firstName]);
  check(bobMe.phone === BOB && bobMe.firstName === "Bob", "Bob's getMe", [BOB, "Bob"], [bobMe.phone, bobMe.firstName]);
  const bobNew = new Inbox("NewMessage"), adaNew = new Inbox("NewMessage");
  const bobEdited = new Inbox("EditedMessage"), bobDeleted = new Inbox("DeletedMessage");
  bob.addEventHandler(bobNew.handler(), new NewMessage({}));
  bob.addEventHandler(bobEdited.handler(), new EditedMessage({}));
  bob.addEventHandler(bobDeleted.handler(), new DeletedMessage({}));
  ada.addEventHandler(adaNew.handler(), new NewMessage({ incoming: true }));

  step = "sendMessage('me')";
  const note = await ada.sendMessage("me", { message: "GramJS note to self" });
  check(note.message === "GramJS note to self" && note.out, "sendMessage('me') answer",
    ["GramJS note to self", true], [note.message, note.out]);
  step = "getMessages('me')";
  const saved = await ada.getMessages("me", { limit: 10 });
  check(saved.length === 1 && saved[0].id === note.id && saved[0].message === "GramJS note to self"
    && id(saved[0].senderId) === id(adaMe.id), "Saved Messages", [[note.id, "GramJS note to self", id(adaMe.id)]],
    saved.map((m) => [m.id, m.message, id(m.senderId)]));

  step = "importContacts and sendMessage(Bob)";
  const imported = await ada.invoke(new Api.contacts.ImportContacts({
    contacts: [new Api.InputPhoneContact({ clientId: bigInt(1), phone: "+" + BOB, firstName: "Bob", lastName: "" })],
  }));
  check(imported.users.length === 1 && id(imported.users[0].id) === id(bobMe.id), "imported Bob", id(bobMe.id),
    imported.users.map((u) => id(u.id)));
  let sentAt = Date.now();
  const hello = await ada.sendMessage(imported.users[0], { message: "Hello Bob, from GramJS" });
  check(hello.message === "Hello Bob, from GramJS" && hello.out && id(hello.peerId.userId) === id(bobMe.id),
    "sendMessage(Bob) answer", ["Hello Bob, from GramJS", true, id(bobMe.id)],
    [hello.message, hello.out, id(hello.peerId && hello.peerId.userId)]);

  step = "Bob's NewMessage handler";
  const got = await bobNew.waitFor((e) => e.message.message === "Hello Bob, from GramJS", "Bob's NewMessage handler", sentAt, out);
  check(id(got.message.senderId) === id(adaMe.id) && id(got.message.chatId) === id(adaMe.id) && got.isPrivate && !got.message.out,
    "the event's sender, chat, private, out", [id(adaMe.id), id(adaMe.id), true, false],
    [id(got.message.senderId), id(got.message.chatId), got.isPrivate, got.message.out]);
  out.bob_saw = got.message.message;

  step = "Bob responds, Ada's NewMessage handler";
  sentAt = Date.now();
  const reply = await got.message.respond({ message: "Hi GramJS, Bob here" });
  check(reply.message === "Hi GramJS, Bob here" && id(reply.peerId.userId) === id(adaMe.id), "respond answer",
    ["Hi GramJS, Bob here", id(adaMe.id)], [reply.message, id(reply.peerId && reply.peerId.userId)]);
  const back = await adaNew.waitFor((e) => e.message.message === "Hi GramJS, Bob here", "Ada's NewMessage handler", sentAt, out);
  check(id(back.message.senderId) === id(bobMe.id), "the reply's sender", id(bobMe.id), id(back.message.senderId));

  step = "getMessages(Bob)";
  const history = await ada.getMessages(imported.users[0], { limit: 20 });
  const want = [["Hi GramJS, Bob here", id(bobMe.id), false], ["Hello Bob, from GramJS", id(adaMe.id), true]];
  check(JSON.stringify(summary(history)) === JSON.stringify(want), "Ada's history with Bob, newest first", want, summary(history));
  check(history[1].id === hello.id, "Ada's id for the hello", hello.id, history[1].id);
  const bobHistory = await bob.getMessages(adaMe.id, { limit: 20 });
  const wantBob = [["Hi GramJS, Bob here", id(bobMe.id), true], ["Hello Bob, from GramJS", id(adaMe.id), false]];
  check(JSON.stringify(summary(bobHistory)) === JSON.stringify(wantBob), "Bob's history with Ada", wantBob, summary(bobHistory));
  const one = await bob.getMessages(adaMe.id, { ids: [got.message.id] });
  check(one.length === 1 && one[0] && one[0].message === "Hello Bob, from GramJS", "Bob's getMessages by id",
    "Hello Bob, from GramJS", one.map((m) => m && m.message));

  step = "getDialogs";
  const dialogs = await ada.getDialogs({});
  const gotD = dialogs.map((d) => [id(d.entity.id), d.message ? d.message.message : null, d.unreadCount]);
  const wantD = [[id(bobMe.id), "Hi GramJS, Bob here", 1], [id(adaMe.id), "GramJS note to self", 0]];
  check(JSON.stringify(gotD) === JSON.stringify(wantD), "Ada's dialogs (peer, last message, unread)", wantD, gotD);
  check(dialogs[0].isUser && dialogs[0].name === "Bob", "the first dialog's name", "Bob", dialogs[0].name);
  step = "markAsRead and getDialogs";
  check(await bob.markAsRead(adaMe.id), "Bob's markAsRead");
  const bobDialogs = await bob.getDialogs({});
  const gotB = bobDialogs.map((d) => [id(d.entity.id), d.message ? d.message.message : null, d.unreadCount]);
  const wantB = [[id(adaMe.id), "Hi GramJS, Bob here", 0]];
  check(JSON.stringify(gotB) === JSON.stringify(wantB), "Bob's dialogs", wantB, gotB);

  step = "editMessage, Bob's EditedMessage handler";
  sentAt = Date.now();
  const edited = await ada.editMessage(imported.users[0], { message: hello.id, text: "Hello Bob, from GramJS (edited)" });
  check(edited.message === "Hello Bob, from GramJS (edited)" && edited.id === hello.id && edited.editDate,
    "editMessage answer", ["Hello Bob, from GramJS (edited)", hello.id], [edited.message, edited.id, edited.editDate]);
  const edit = await bobEdited.waitFor((e) => e.message.id === got.message.id, "Bob's EditedMessage handler", sentAt, out);
  check(edit.message.message === "Hello Bob, from GramJS (edited)", "the edit event's text",
    "Hello Bob, from GramJS (edited)", edit.message.message);
  const [afterEdit] = await bob.getMessages(adaMe.id, { ids: [got.message.id] });
  check(afterEdit && afterEdit.message === "Hello Bob, from GramJS (edited)", "Bob's getMessages after the edit",
    "Hello Bob, from GramJS (edited)", afterEdit && afterEdit.message);

  step = "deleteMessages(revoke), Bob's DeletedMessage handler";
  sentAt = Date.now();
  const affected = await ada.deleteMessages(imported.users[0], [hello.id], { revoke: true });
  check(affected.length === 1 && affected[0].ptsCount === 1, "deleteMessages answer", [1], affected.map((a) => a.ptsCount));
  await bobDeleted.waitFor((e) => e.deletedIds.includes(got.message.id), "Bob's DeletedMessage handler", sentAt, out);
  const [mine] = await ada.getMessages(imported.users[0], { ids: [hello.id] });
  check(!mine || mine instanceof Api.MessageEmpty, "Ada's getMessages of the deleted message", null, mine && mine.message);
  const [theirs] = await bob.getMessages(adaMe.id, { ids: [got.message.id] });
  check(!theirs || theirs instanceof Api.MessageEmpty, "Bob's getMessages of the revoked message", null, theirs && theirs.message);
  const left = (await bob.getMessages(adaMe.id, { limit: 10 })).map((m) => m.message);
  check(JSON.stringify(left) === JSON.stringify(["Hi GramJS, Bob here"]), "Bob's history after the delete", ["Hi GramJS, Bob here"], left);

  step = "a basic group: createChat, sendMessage, Bob's NewMessage handler";
  const invited = await ada.invoke(new Api.messages.CreateChat({ users: [imported.users[0]], title: "GramJS group" }));
  const chats = (invited.updates || invited).chats.filter((c) => c instanceof Api.Chat);
  check(chats.length === 1 && chats[0].title === "GramJS group" && chats[0].participantsCount === 2, "the created chat",
    ["GramJS group", 2], chats.map((c) => [c.title, c.participantsCount]));
  const chat = chats[0];
  sentAt = Date.now();
  const inGroup = await ada.sendMessage(chat, { message: "hello GramJS group" });
  check(inGroup.message === "hello GramJS group" && id(inGroup.peerId.chatId) === id(chat.id), "sendMessage(group) answer",
    ["hello GramJS group", id(chat.id)], [inGroup.message, id(inGroup.peerId && inGroup.peerId.chatId)]);
  const groupEvent = await bobNew.waitFor((e) => e.message.message === "hello GramJS group", "Bob's NewMessage handler (group)", sentAt, out);
  check(groupEvent.isGroup && id(groupEvent.message.chatId) === "-" + id(chat.id) && id(groupEvent.message.senderId) === id(adaMe.id),
    "the group event: group, chat, sender", [true, "-" + id(chat.id), id(adaMe.id)],
    [groupEvent.isGroup, id(groupEvent.message.chatId), id(groupEvent.message.senderId)]);
  const groupChat = await groupEvent.message.getChat();
  check(groupChat && groupChat.title === "GramJS group", "the event's getChat()", "GramJS group", groupChat && groupChat.title);
  const members = (await bob.getParticipants(groupChat)).map((u) => u.firstName).sort();
  check(JSON.stringify(members) === JSON.stringify(["Ada", "Bob"]), "Bob's getParticipants", ["Ada", "Bob"], members);
  const bobTop = (await bob.getDialogs({}))[0];
  check(bobTop.isGroup && bobTop.title === "GramJS group" && bobTop.message.message === "hello GramJS group",
    "Bob's first dialog", ["GramJS group", "hello GramJS group"], [bobTop.title, bobTop.message && bobTop.message.message]);
}

let done = false;
process.on("exit", (code) => { if (!done && code === 0) process.exitCode = 1; });
const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ client: "gramjs", check: "messaging", ok: false, step, error: "timed out after 90 s" }));
  process.exit(1);
}, 90000);

(async function run() {
  const out = { client: "gramjs", check: "messaging" };
  const clients = [];
  try {
    if (!port || !process.env.RSA_PEM) throw new Error("PORT and RSA_PEM are required");
    trustServerKey(process.env.RSA_PEM);
    step = "client.start (Ada)";
    clients.push(await started(ADA, "Ada"));
    step = "client.start (Bob)";
    clients.push(await started(BOB, "Bob"));
    await checkMessaging(clients[0], clients[1], out);
    out.ok = true;
  } catch (err) {
    out.ok = false;
    out.step = step;
    out.error = err.errorMessage || err.message || String(err);
    if (err.code) out.code = err.code;
  }
  done = true;
  clearTimeout(watchdog);
  console.log(JSON.stringify(out));
  for (const c of clients) { try { await c.destroy(); } catch (_) {} }
  process.exit(out.ok ? 0 : 1);
})();
