#!/usr/bin/env bash
# Latency of the indicators API and the dashboard page of a RUNNING Halong server over the
# province-scale data set (docs/scale.md): N sequential requests per route and period with curl
# from this machine, then the median and p95 of curl's total time. Bounded: N requests each.
#
# Usage: BASE=http://127.0.0.1:8080 TOKEN=<read token> scripts/dashboard-load.sh [N]
#   TOKEN defaults to a new read token of the demo administrator, made with
#   `halong admin token` on DATABASE_URL (the server's database).
#   PERIODS overrides the query strings tried, space-separated (defaults: this month and this
#   year to date — the dashboard's own choices —, March, the first quarter and the whole of the
#   generated year 2026, that year for one former district (193, Hạ Long) and for one market
#   with its stalls, which staff see).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
base=${BASE:-http://127.0.0.1:8080}
bin=target/release/halong
if [ -z "${TOKEN:-}" ]; then
  [ -x "$bin" ] || cargo build --release -p halong
  TOKEN=$("$bin" admin token --phone 0900000001 --scope read --name dashboard-load 2>/dev/null)
fi
periods=${PERIODS:-"preset=month preset=year from=2026-03-01&to=2026-03-31 from=2026-01-01&to=2026-03-31 \
from=2026-01-01&to=2026-12-31 from=2026-01-01&to=2026-12-31&place=193 \
from=2026-01-01&to=2026-12-31&market_id=1"}
curl -sf -o /dev/null "$base/healthz" || { echo "no server at $base" >&2; exit 1; }

measure() { # route → "status median p95 min max" in milliseconds
  local url="$base$1" times status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$url")
  times=$(for _ in $(seq 1 "$n"); do
    curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url"
  done | sort -n)
  awk -v s="$status" '{ t[NR] = $1 * 1000 } END {
    m = t[int((NR + 1) / 2)]; p = t[int(NR * 0.95 + 0.999)]; if (p == "") p = t[NR];
    printf "%s  median %.1f ms  p95 %.1f ms  min %.1f ms  max %.1f ms\n", s, m, p, t[1], t[NR] }' <<<"$times"
}

printf '%-45s %s\n' "route ($n requests each)" "HTTP status and latency"
for route in /api/v1/indicators /dashboard; do
  for q in $periods; do
    printf '%-45s %s\n' "$route?$q" "$(measure "$route?$q")"
  done
done
