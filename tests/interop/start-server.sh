# Sourced by run-gramjs.sh and session-import.sh (with FERROGRAM_BIN as $1): installs the
# `telegram` npm package into a cache on first use, prepares a work dir with the scripts, starts
# `ferrogram serve` on a free port below 32768 with a fresh data dir, waits for it, and exports
# PORT, DC_ID and RSA_PEM for signin.js. The server and the work dir go when the script exits.
bin=$(realpath "$1")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
cache=${FERROGRAM_INTEROP_CACHE:-$HOME/.cache/ferrogram-interop}/gramjs
if [ ! -d "$cache/node_modules/telegram" ]; then
  mkdir -p "$cache" && cp "$here/gramjs/package.json" "$cache/"
  (cd "$cache" && npm install --no-audit --no-fund --silent >/dev/null 2>&1) || { echo "npm install of telegram failed"; exit 1; }
fi
mkdir -p "$work/gramjs" && cp "$here/gramjs/"*.js "$work/gramjs/" && ln -s "$cache/node_modules" "$work/gramjs/node_modules"
# GramJS 2.26's StringSession.save writes the port as a signed 16-bit number, so a port above
# 32767 (every ephemeral port on Linux) breaks its sign-in: pick one below whose next two ports
# (the other DCs) are free too. (The change from shared/interop/run-gramjs.sh; see PROVENANCE.md.)
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
[ -s "$work/data/server-public.pem" ] || { echo "server wrote no server-public.pem"; tail -5 "$work/server.log"; exit 1; }
export PORT=$port DC_ID=2 RSA_PEM="$work/data/server-public.pem"
