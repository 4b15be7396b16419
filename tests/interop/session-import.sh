#!/bin/bash
# A GramJS StringSession, made by the seed's example signing in to `ferrogram serve` with the real
# `telegram` npm package, is imported into a ferrogram session and used without signing in again.
# Usage: session-import.sh FERROGRAM_BIN. The set-up (npm package, server) is start-server.sh.
set -euo pipefail
source "$(dirname "$0")/start-server.sh"
fail() { echo "session import: $*"; echo "--- server log tail"; tail -20 "$work/server.log"; exit 1; }
out=$(cd "$work/gramjs" && PHONE=9996621234 SESSION_OUT="$work/gramjs.session" node signin.js 2>/dev/null) || fail "GramJS did not sign in: $out"
echo "$out"
user_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1].strip().splitlines()[-1])["user_id"])' "$out")
[ -s "$work/gramjs.session" ] || fail "GramJS wrote no session string"
# `ferrogram serve` shows login codes in its log by default (they are logged at debug).
grep -q "login code for +9996621234 : 22222" "$work/server.log" || fail "the server log shows no login code"
"$bin" import-session --from gramjs --session "$work/ferrogram.session" - < "$work/gramjs.session" || fail "import failed"
# No --server, no key, no login: the session alone says where to go and carries the key.
who=$("$bin" whoami --session "$work/ferrogram.session") || fail "whoami with the imported session failed"
echo "$who"
case "$who" in
  *"(id $user_id,"*) echo "ok: the imported GramJS session is signed in as user $user_id" ;;
  *) fail "whoami says '$who', GramJS signed in as $user_id" ;;
esac
