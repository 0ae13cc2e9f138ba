#!/usr/bin/env bash
# Side-by-side decode/encode throughput: Halong's vietqr vs npm vietnam-qr-pay,
# on the same payloads (../benches/payloads.txt), each pinned to CPU 0.
# Usage: crates/vietqr/peer/compare.sh [rounds]   (default 200000 rounds × 8 payloads)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rounds="${1:-200000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/target-vietqr}"

(cd "$root" && cargo build --quiet --release -p vietqr --example throughput)
[ -d "$here/node_modules/vietnam-qr-pay" ] || (cd "$here" && npm ci --no-audit --no-fund --silent)

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), node $(node --version)"
echo "rounds: $rounds x $(grep -c . "$root/crates/vietqr/benches/payloads.txt") payloads, taskset -c 0"
halong="$(taskset -c 0 "$CARGO_TARGET_DIR/release/examples/throughput" "$rounds")"
peer="$(cd "$here" && taskset -c 0 node bench.js "$rounds")"

get() { awk -v k="$2" -v c="$3" '$1 == k { print $c }' <<<"$1"; }
printf '%-22s %16s %16s %16s %16s %9s\n' "operation" "halong ops/s" "halong ops/cpu-s" "peer ops/s" "peer ops/cpu-s" "ratio(cpu)"
row() {
  local name="$1" hk="$2" pk="$3"
  local hw hc pw pc
  hw="$(get "$halong" "$hk" 2)"; hc="$(get "$halong" "$hk" 3)"
  pw="$(get "$peer" "$pk" 2)"; pc="$(get "$peer" "$pk" 3)"
  printf '%-22s %16s %16s %16s %16s %8.1fx\n' "$name" "$hw" "$hc" "$pw" "$pc" "$(echo "$hc / $pc" | bc -l)"
}
row "decode (zero-copy)" decode_view decode
row "decode (owned)" decode decode
row "encode" encode encode
