// The receive bench's GramJS client (run by crates/ferrogram/benches/receive.rs; `telegram` 2.26
// from NODE_PATH).
//
// Signs in to the local server as PHONE (an existing test-DC account, code 22222) with a
// StringSession and a connection class that dials the server's port (GramJS dials port 80 for
// TCP), registers a NewMessage({ incoming: true }) handler and prints "signed-in"; takes messages
// until one reads WARM_UP, then prints "ready". It then counts the next COUNT new messages (each
// handler call reads the message's id and text, as the others' receivers do), timing the first
// and the last with process.hrtime and reading the process CPU time (process.cpuUsage, user +
// system, every thread) at both, and prints one JSON line: received, seconds and cpu_seconds
// (first to last), last_text, id_sum. It stops early after IDLE_SECONDS without a message.
// Env: PORT, DC_ID, RSA_PEM, PHONE, COUNT, WARM_UP, IDLE_SECONDS.
const fs = require("fs");
const crypto = require("crypto");
const bigInt = require("big-integer");
const { TelegramClient } = require("telegram");
const { StringSession } = require("telegram/sessions");
const { ConnectionTCPFull } = require("telegram/network");
const { NewMessage } = require("telegram/events");
const RSA = require("telegram/crypto/RSA");

const port = Number(process.env.PORT);
const dcId = Number(process.env.DC_ID || 2);
const PHONE = process.env.PHONE, COUNT = Number(process.env.COUNT), WARM_UP = process.env.WARM_UP;
const IDLE_MS = 1000 * Number(process.env.IDLE_SECONDS || 60);

function tlBytes(buf) {
  const head = buf.length < 254 ? Buffer.from([buf.length])
    : Buffer.from([254, buf.length & 255, (buf.length >> 8) & 255, (buf.length >> 16) & 255]);
  const pad = (4 - ((head.length + buf.length) % 4)) % 4;
  return Buffer.concat([head, buf, Buffer.alloc(pad)]);
}

// GramJS knows Telegram's keys only: add the local server's, under its fingerprint.
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

class LocalConnection extends ConnectionTCPFull {
  constructor(opts) { super({ ...opts, ip: "127.0.0.1", port }); }
}

const cpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const seconds = () => Number(process.hrtime.bigint()) / 1e9;

async function main() {
  trustServerKey(process.env.RSA_PEM);
  const session = new StringSession("");
  session.setDC(dcId, "127.0.0.1", port);
  const client = new TelegramClient(session, 12345, "0123456789abcdef0123456789abcdef", {
    connection: LocalConnection, connectionRetries: 1, autoReconnect: false,
  });
  client.setLogLevel("error");
  let failure;
  await client.start({
    phoneNumber: PHONE,
    phoneCode: async () => "22222",
    onError: async (err) => { failure = err; return true; },
  }).catch((err) => { throw failure || err; });

  const state = { ready: false, received: 0, first: null, last: null, lastText: "", idSum: 0 };
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });
  client.addEventHandler(async (event) => {
    const id = event.message.id, text = event.message.message;
    if (!state.ready) {
      if (text === WARM_UP) { state.ready = true; process.stdout.write("ready\n"); }
      return;
    }
    const now = [seconds(), cpuSeconds()];
    if (state.first === null) state.first = now;
    state.last = now;
    state.received += 1;
    state.idSum += id;
    state.lastText = text;
    if (state.received >= COUNT) finish();
  }, new NewMessage({ incoming: true }));
  process.stdout.write("signed-in\n");

  let seen = -1, quietSince = Date.now();
  const idle = setInterval(() => {
    if (state.received !== seen) { seen = state.received; quietSince = Date.now(); }
    else if (state.ready && Date.now() - quietSince > IDLE_MS) finish();
  }, 1000);
  await done;
  clearInterval(idle);
  const first = state.first || state.last || [0, 0], last = state.last || first;
  process.stdout.write(JSON.stringify({
    received: state.received, seconds: last[0] - first[0], cpu_seconds: last[1] - first[1],
    last_text: state.lastText, id_sum: state.idSum,
  }) + "\n");
  await client.disconnect().catch(() => {});
  process.exit(0);
}

main().catch((err) => { process.stderr.write(String(err && err.stack || err) + "\n"); process.exit(1); });
