#!/usr/bin/env bash
# S2's workloads against a three-member kvdb cluster, through S2's TypeScript SDK
# (bench/s2-bench.mjs, installed with tests/s2-sdk's pinned package): append throughput with
# 1 KiB records at 1 and 16 append sessions, the ack-to-tailing-reader latency, and catch-up
# read throughput. The members keep their data on disk (fsync on commit), as in production.
# Environment: BENCH_KVDB (the kvdb binary; built from this tree into out/kvdb otherwise),
# BENCH_PORT_BASE (default 24500), and the variables bench/s2-bench.mjs reads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
base=${BENCH_PORT_BASE:-24500}
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

kvdb=${BENCH_KVDB:-}
if [ -z "$kvdb" ]; then
  dotnet build "$root/src/KvDb.Node" -c Release -o "$root/out/kvdb" > "$work/build.log"
  kvdb="$root/out/kvdb/kvdb"
fi
[ -f "$root/tests/s2-sdk/node_modules/@s2-dev/streamstore/package.json" ] || npm ci --prefix "$root/tests/s2-sdk" --no-audit --no-fund > "$work/npm.log"
ln -s "$root/tests/s2-sdk/node_modules" "$work/node_modules"
cp "$root/bench/s2-bench.mjs" "$work/"

cluster="http://127.0.0.1:$((base+1)),http://127.0.0.1:$((base+2)),http://127.0.0.1:$((base+3))"
endpoints=""
for i in 1 2 3; do
  "$kvdb" --id $i --cluster "$cluster" --port $((base+10+i)) --data-dir "$work/node-$i" --log-level Warning > "$work/node-$i.log" 2>&1 &
  pids+=($!)
  endpoints="$endpoints${endpoints:+,}http://127.0.0.1:$((base+10+i))"
done
for i in 1 2 3; do
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$((base+10+i))/readyz" > /dev/null && break; sleep 0.5; done
done

KVDB_ENDPOINTS="$endpoints" node "$work/s2-bench.mjs"
