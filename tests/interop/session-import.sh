#!/bin/bash
# A GramJS StringSession, made by the seed's example signing in to `ferrogram serve` with the real
# `telegram` npm package, is imported into a ferrogram session and used without signing in again.
# Usage: session-import.sh FERROGRAM_BIN. Same set-up as run-gramjs.sh (our copy: ports below 32768).
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
cache=${FERROGRAM_INTEROP_CACHE:-$HOME/.cache/ferrogram-interop}/gramjs
if [ ! -d "$cache/node_modules/telegram" ]; then
  mkdir -p "$cache" && cp "$here/gramjs/package.json" "$cache/"
  (cd "$cache" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) || { echo "npm install of telegram failed"; exit 1; }
fi
mkdir -p "$work/gramjs" && cp "$here/gramjs/signin.js" "$work/gramjs/" && ln -s "$cache/node_modules" "$work/gramjs/node_modules"
# GramJS 2.26 stores the port as a signed 16-bit number: pick a free one below 32768.
port=$(python3 -c '
import random, socket
for _ in range(200):
    p = random.randrange(20000, 32000)
    try:
        for q in range(p, p + 3): socket.socket().bind(("127.0.0.1", q))
        print(p); break
    except OSError:
        continue
')
"$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do
  [ -s "$work/data/server-public.pem" ] && python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2).close()" 2>/dev/null && break
  sleep 0.1
done
fail() { echo "session import: $*"; echo "--- server log tail"; tail -20 "$work/server.log"; exit 1; }
out=$(cd "$work/gramjs" && PORT=$port DC_ID=2 RSA_PEM="$work/data/server-public.pem" PHONE=9996621234 SESSION_OUT="$work/gramjs.session" node signin.js 2>/dev/null) || fail "GramJS did not sign in: $out"
echo "$out"
user_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].strip().splitlines()[-1])["user_id"])' "$out")
[ -s "$work/gramjs.session" ] || fail "GramJS wrote no session string"
"$bin" import-session --from gramjs --session "$work/ferrogram.session" - < "$work/gramjs.session" || fail "import failed"
# No --server, no key, no login: the session alone says where to go and carries the key.
who=$("$bin" whoami --session "$work/ferrogram.session") || fail "whoami with the imported session failed"
echo "$who"
case "$who" in
  *"(id $user_id,"*) echo "ok: the imported GramJS session is signed in as user $user_id" ;;
  *) fail "whoami says '$who', GramJS signed in as $user_id" ;;
esac
