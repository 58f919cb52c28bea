#!/usr/bin/env bash
# S2's workloads against a three-member kvdb cluster with `kvdb bench s2`: append throughput
# with 1 KiB records at 1 and 16 append sessions, the ack-to-tailing-reader latency, and
# catch-up read throughput from the start of a 1 GiB stream. The members keep their data on
# disk (fsync on commit), as in production; the catch-up stream needs about 3 GiB per GiB
# filled under the temporary directory (three members, log and state).
# Arguments are passed on to `kvdb bench s2` (e.g. --catchup-size 128MiB, --json; see
# `kvdb bench s2 --help`). Environment: BENCH_KVDB (the kvdb binary; built from this tree into
# out/kvdb otherwise), BENCH_PORT_BASE (default 24500), S2_BENCH_SDK=1 to also run the same
# workloads through S2's TypeScript SDK (bench/s2-bench.mjs, with tests/s2-sdk's pinned
# package) as a cross-check, with the variables that script reads.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
base=${BENCH_PORT_BASE:-24500}
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

. "$root/bench/cluster.sh"
find_kvdb
start_cluster "$base"

# A fresh cluster is slow for its first seconds (members' code not yet optimised by the JIT, which
# waits for a free core on a busy machine): without this pass, the first workload measured 4-6x
# below the same workload run a minute later. Not reported.
echo "warming up the cluster (15 s, not reported)" >&2
"$kvdb" bench s2 --endpoints "$endpoints" --workloads append,tail --sessions 16 --duration 5s --warmup 0s > /dev/null 2>&1 || true

# Through the same executable as the members run: HTTP/2 with prior knowledge, S2's s2s frames.
"$kvdb" bench s2 --endpoints "$endpoints" "$@"

if [ "${S2_BENCH_SDK:-0}" = 1 ]; then
  [ -f "$root/tests/s2-sdk/node_modules/@s2-dev/streamstore/package.json" ] || npm ci --prefix "$root/tests/s2-sdk" --no-audit --no-fund > "$work/npm.log"
  ln -s "$root/tests/s2-sdk/node_modules" "$work/node_modules"
  cp "$root/bench/s2-bench.mjs" "$work/"
  echo "S2's TypeScript SDK, the same workloads (bench/s2-bench.mjs):"
  KVDB_ENDPOINTS="$endpoints" node "$work/s2-bench.mjs"
fi
