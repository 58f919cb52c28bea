#!/usr/bin/env bash
# The Kafka bridge measured from topic to acknowledged lists with `kvdb bench kafka`, against a
# three-member kvdb cluster with its data on disk: records/s and MiB/s at 100 B and 1 KiB records
# with 1 and 4 writers, then the lag from producing a record to a reader following its list.
# Kafka is librdkafka's mock cluster inside the bench process (the real protocol on a loopback
# port; nothing to install). Arguments are passed on to `kvdb bench kafka` (e.g.
# --flush-interval 20ms, --records 200000, --json; see `kvdb bench kafka --help`). Environment:
# BENCH_KVDB (the kvdb binary; built from this tree into out/kvdb otherwise), BENCH_PORT_BASE
# (default 24600).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
base=${BENCH_PORT_BASE:-24600}
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

. "$root/bench/cluster.sh"
find_kvdb
start_cluster "$base"

# Not reported: the members' and the bridge's code is not optimised by the JIT yet on a fresh start.
echo "warming up (a small run, not reported)" >&2
"$kvdb" bench kafka --endpoints "$endpoints" --records 20000 --record-sizes 100 --writers 1 --lag-rate 0 > /dev/null 2>&1 || true

"$kvdb" bench kafka --endpoints "$endpoints" "$@"
