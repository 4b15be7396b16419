// Two real GramJS clients (the `telegram` npm package, layer 198) talk through a local server:
// Ada sends Bob messages (an entity, a reply), edits one and reads her history; Bob catches up
// with updates.getDifference, lists his dialogs, reads and replies; Ada revokes a message; a
// basic group. Environment: PORT, DC_ID (default 2), RSA_PEM. Prints one JSON line and exits 0
// when every step saw what Telegram would show.
const fs = require("fs");
const crypto = require("crypto");
const bigInt = require("big-integer");
const { Api, TelegramClient } = require("telegram");
const { StringSession } = require("telegram/sessions");
const { ConnectionTCPFull } = require("telegram/network");
const RSA = require("telegram/crypto/RSA");

const port = Number(process.env.PORT);
const dcId = Number(process.env.DC_ID || 2);
const apiId = 12345;
const apiHash = "0123456789abcdef0123456789abcdef";

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
  const fingerprint = digest.subarray(12).readBigInt64LE(0).toString();
  RSA._serverKeys.set(fingerprint, {
    n: bigInt(n.toString("hex"), 16),
    e: Number(bigInt(e.toString("hex"), 16)),
  });
  return fingerprint;
}

// GramJS always dials port 80 for TCP; this connection class dials the local server's port instead.
class LocalConnection extends ConnectionTCPFull {
  constructor(opts) { super({ ...opts, ip: "127.0.0.1", port }); }
}

async function account(phoneNumber, firstName) {
  const session = new StringSession("");
  session.setDC(dcId, "127.0.0.1", port);
  const client = new TelegramClient(session, apiId, apiHash, {
    connection: LocalConnection, connectionRetries: 1, autoReconnect: false,
  });
  client.setLogLevel("error");
  if (!(await client.connect())) throw new Error("could not connect to 127.0.0.1:" + port);
  const sent = await client.invoke(new Api.auth.SendCode({ phoneNumber, apiId, apiHash, settings: new Api.CodeSettings({}) }));
  const phoneCode = phoneNumber[5].repeat(5);
  const result = await client.invoke(new Api.auth.SignIn({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, phoneCode }));
  if (result instanceof Api.auth.AuthorizationSignUpRequired) {
    await client.invoke(new Api.auth.SignUp({ phoneNumber, phoneCodeHash: sent.phoneCodeHash, firstName, lastName: "" }));
  }
  return client;
}

function check(condition, what) { if (!condition) throw new Error(what); }

const watchdog = setTimeout(() => {
  console.log(JSON.stringify({ client: "gramjs", check: "messages", ok: false, error: "timed out after 60 s" }));
  process.exit(1);
}, 60000);

(async function run() {
  const out = { client: "gramjs", check: "messages" };
  const clients = [];
  try {
    trustServerKey(process.env.RSA_PEM);
    const ada = await account("9996627001", "Ada"); clients.push(ada);
    const bob = await account("9996627002", "Bob"); clients.push(bob);
    const adaMe = await ada.getMe();
    const state = await bob.invoke(new Api.updates.GetState());
    const imported = await ada.invoke(new Api.contacts.ImportContacts({
      contacts: [new Api.InputPhoneContact({ clientId: bigInt(1), phone: "9996627002", firstName: "Bob", lastName: "" })],
    }));
    const bobForAda = imported.users[0];
    const first = await ada.sendMessage(bobForAda, { message: "hello <b>Bob</b>", parseMode: "html" });
    check(first.id === 1 && first.out, "first message " + first.id);
    check((first.entities || []).some((e) => e instanceof Api.MessageEntityBold), "bold entity");
    const second = await ada.sendMessage(bobForAda, { message: "are you there?", replyTo: first.id });
    check(second.id === 2, "second message " + second.id);
    await ada.editMessage(bobForAda, { message: first.id, text: "hello Bob!" });
    const history = await ada.getMessages(bobForAda, { limit: 10 });
    check(history.map((m) => m.id).join() === "2,1", "history " + history.map((m) => m.id));
    check(history[1].message === "hello Bob!", "edited " + history[1].message);
    const diff = await bob.invoke(new Api.updates.GetDifference({ pts: state.pts, date: state.date, qts: 0 }));
    const texts = diff.newMessages.map((m) => m.message);
    check(texts.join("|") === "hello Bob!|are you there?", "difference " + texts);
    const dialogs = await bob.getDialogs({});
    check(dialogs.length === 1 && dialogs[0].unreadCount === 2, "bob's dialogs " + dialogs.map((d) => d.unreadCount));
    await bob.markAsRead(dialogs[0].entity);
    const reply = await bob.sendMessage(dialogs[0].entity, { message: "yes!", replyTo: 2 });
    check(reply.id === 3, "bob's reply " + reply.id);
    await ada.deleteMessages(bobForAda, [first.id], { revoke: true });
    const left = await bob.getMessages(dialogs[0].entity, { limit: 10 });
    check(left.map((m) => m.id).join() === "3,2", "after revoke " + left.map((m) => m.id));
    const created = await ada.invoke(new Api.messages.CreateChat({ users: [bobForAda], title: "Pair" }));
    const chat = created.updates.chats[0];
    const inGroup = await ada.sendMessage(new Api.PeerChat({ chatId: chat.id }), { message: "hi group" });
    check(inGroup.id > 0, "group message");
    const saved = await ada.sendMessage("me", { message: "a note" });
    check(saved.out, "saved message");
    out.ok = true;
    out.group = chat.id.toString();
  } catch (err) {
    out.ok = false;
    out.error = err.errorMessage || err.message || String(err);
  }
  clearTimeout(watchdog);
  console.log(JSON.stringify(out));
  for (const c of clients) { try { await c.destroy(); } catch (_) {} }
  process.exit(out.ok ? 0 : 1);
})();
