#!/usr/bin/env bash
# Import benchmark: 100 markets, 50,000 merchants (with payout accounts) and 100,000 stalls into a
# fresh SQLite database (or DATABASE_URL if set), timed per file; then a re-import (no-op).
# Usage: scripts/bench-import.sh [stalls]   (needs a release build: cargo build --release)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work" "$n" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
markets = 100
with open(f"{d}/markets.csv", "w") as f:
    f.write("code,name,place_code,business_points\n")
    for i in range(markets):
        f.write(f"BM-{i:03},Chợ thử {i},06685,{n // markets}\n")
merchants = n // 2
with open(f"{d}/merchants.csv", "w") as f:
    f.write("tax_code,name,owner_name,place_code,payment_methods,bank_bin,account_number,holder_name\n")
    for i in range(merchants):
        f.write(f"0221{i % 90 + 10:02}{i:06},Hộ kinh doanh {i},Nguyễn Văn {i},06685,cash;vietqr,970436,10{i:08},NGUYEN VAN {i}\n")
with open(f"{d}/stalls.csv", "w") as f:
    f.write("market_code,code,zone,category,merchant_tax_code\n")
    for i in range(n):
        m = i % merchants
        f.write(f"BM-{i % markets:03},S-{i // markets:05},Khu A,Rau củ,0221{m % 90 + 10:02}{m:06}\n")
PY
if [ -z "${DATABASE_URL:-}" ]; then export DATABASE_URL="sqlite://$work/bench.db"; fi
bin=target/release/halong
for kind in markets merchants stalls; do
  /usr/bin/time -f "$kind: %e s wall, %M KiB max RSS" "$bin" import "$kind" "$work/$kind.csv" >/dev/null
done
/usr/bin/time -f "stalls re-import (no-op): %e s wall, %M KiB max RSS" "$bin" import stalls "$work/stalls.csv"
