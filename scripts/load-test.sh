#!/usr/bin/env bash
# Load test of a running Halong: starts the release binary with the demo province on a fresh
# SQLite file (or DATABASE_URL), signs a token for the demo administrator, and drives a few
# routes with wrk (Debian package `wrk`) from this machine's loopback only. Bounded: each run
# lasts $DURATION seconds. Prints wrk's figures and the server's peak memory.
# Usage: scripts/load-test.sh [duration-seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }
bin=target/release/halong
[ -x "$bin" ] || cargo build --release -p halong
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL=${DATABASE_URL:-sqlite://$work/load.db}
"$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work" 2>"$work/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
token=$("$bin" admin token --phone 0900000001 --scope read 2>/dev/null)
base="http://127.0.0.1:$port"
# A stall whose merchant has a payout account (so that it has a code).
stall=""
for id in $(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/stalls?status=active&per_page=50" | python3 -c 'import json,sys; print(" ".join(str(s["id"]) for s in json.load(sys.stdin)["items"]))'); do
  if curl -sf -o /dev/null -H "Authorization: Bearer $token" "$base/api/v1/stalls/$id/qr.svg"; then stall=$id; break; fi
done
run() {
  echo "== $1"
  wrk -t2 -c"$conns" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$base$1" \
    | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
}
run /healthz
run "/api/v1/markets?per_page=50"
run "/api/v1/stalls?market_id=1&per_page=100"
run "/api/v1/merchants?q=nguyen&per_page=20"
run "/api/v1/stalls/$stall/qr.svg"
echo "== server peak memory: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
