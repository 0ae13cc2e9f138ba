#!/usr/bin/env bash
# End-to-end notification throughput: the release server with the demo province on a fresh SQLite
# file (or DATABASE_URL), and `halong sim bank` sending COUNT signed payOS notifications for one
# stall's static code, CONCURRENCY at a time, over loopback. Every notification goes through the
# signature check, deduplication, matching, the receipt's transaction and, in the background,
# the ledger posting. Prints the simulator's report (acknowledged, p50/p99 latency, elapsed),
# the receipts stored, the ledger check and the server's peak memory.
# Usage: scripts/notify-load.sh [count] [concurrency]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000}
conc=${2:-64}
bin=target/release/halong
[ -x "$bin" ] || cargo build --release -p halong
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL=${DATABASE_URL:-sqlite://$work/notify.db}
export HALONG_PAYOS_CHECKSUM_KEY=load-test-secret-0123456789
"$bin" serve --demo --listen "127.0.0.1:$port" --data-dir "$work" 2>"$work/server.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
token=$("$bin" admin token --phone 0900000001 --scope read 2>/dev/null)
base="http://127.0.0.1:$port"
merchant=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/merchants?per_page=50" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
account=""
for m in $(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/merchants?per_page=100" | python3 -c 'import json,sys; print(" ".join(str(x["id"]) for x in json.load(sys.stdin)["items"]))'); do
  account=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/merchants/$m/bank-accounts" | python3 -c 'import json,sys; a=json.load(sys.stdin); print(a[0]["account_number"] if a else "")')
  [ -n "$account" ] && break
done
payload=$("$bin" qr encode --bin 970436 --account "$account")
HALONG_SIM_SECRET=$HALONG_PAYOS_CHECKSUM_KEY /usr/bin/time -f "simulator: %e s wall" \
  "$bin" sim bank --target "$base" --provider payos --payload "$payload" --amount 1000 \
  --count "$count" --concurrency "$conc" --duplicate-pct 10 \
  | python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({k: (len(v) if isinstance(v, list) else v) for k, v in r.items()}))'
sleep 3
stored=$(curl -sf -H "Authorization: Bearer $token" "$base/api/v1/receipts/totals" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
echo "receipts stored today: $stored"
echo "server peak memory: $(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
