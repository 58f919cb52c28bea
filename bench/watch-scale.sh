#!/usr/bin/env bash
# What watchers cost and how fast they hear: a three-member kvdb cluster on loopback takes puts
# at concurrency 64 (spread over the members) with no watchers, then with WATCHERS watches over
# RANGES key ranges open on member 1, alternating ROUNDS times. Reports put throughput with and
# without the watchers, delivery latency from each put's acknowledgement to each matching
# watcher (p50/p99), missing or duplicated deliveries, and member 1's memory.
#
#   bench/watch-scale.sh
#
# Settings (environment): BENCH_DURATION (10s), BENCH_WATCHERS (1000), BENCH_RANGES (250),
# BENCH_ROUNDS (2), BENCH_SYSTEM_WARMUP (15s, not measured), BENCH_PORT_BASE (25500),
# BENCH_RESULTS (out/watch-scale/<time>). Needs curl and jq.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10s}
watchers=${BENCH_WATCHERS:-1000}
ranges=${BENCH_RANGES:-250}
rounds=${BENCH_ROUNDS:-2}
system_warmup=${BENCH_SYSTEM_WARMUP:-15s}
base=${BENCH_PORT_BASE:-25500}
results=${BENCH_RESULTS:-out/watch-scale/$(date -u +%Y%m%dT%H%M%SZ)}
say() { echo "watch-scale: $*" >&2; }
for tool in curl jq; do command -v $tool >/dev/null || { say "$tool is needed"; exit 1; }; done

mkdir -p "$results"
work=$(mktemp -d)
pids=()
stop_members() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done; pids=(); }
trap 'stop_members; rm -rf "$work"' EXIT

say "building kvdb (Release) into out/kvdb"
dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
kvdb=out/kvdb/kvdb

peer() { echo $((base + $1 * 10)); }
http() { echo $((base + $1 * 10 + 1)); }
cluster=""
for i in 1 2 3; do cluster+="${cluster:+,}http://127.0.0.1:$(peer $i)"; done
for i in 1 2 3; do
  "$kvdb" --id $i --cluster "$cluster" --port "$(http $i)" --data-dir "$work/member-$i" --log-level Warning >"$results/member-$i.log" 2>&1 &
  pids+=($!)
done
endpoints="http://127.0.0.1:$(http 1),http://127.0.0.1:$(http 2),http://127.0.0.1:$(http 3)"
for _ in $(seq 1 120); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "http://127.0.0.1:$(http 1)/watch-probe" -d ok)" = 204 ] && break
  sleep 0.5
done

say "system warm-up ($system_warmup, not measured)"
"$kvdb" bench --endpoints "$endpoints" --duration "$system_warmup" --warmup 0s --concurrency 64 --mix put=100 --json >/dev/null 2>&1 || true

for round in $(seq 1 "$rounds"); do
  for n in 0 "$watchers"; do
    file="$results/round-$round-watchers-$n.json"
    say "round $round: puts at concurrency 64 with $n watchers"
    "$kvdb" bench --endpoints "$endpoints" --duration "$duration" --concurrency 64 --mix put=100 \
      $([ "$n" -gt 0 ] && echo "--watchers $n --watch-ranges $ranges --watch-endpoint http://127.0.0.1:$(http 1)") \
      --json >"$file" 2>"$file.log" || say "round $round with $n watchers failed; see $file.log"
  done
done

echo
echo "| watchers | put ops/s | put p99 ms | delivery p50 ms | delivery p99 ms | delivered | missing | duplicates | member 1 working set MiB before → after |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---|"
for file in "$results"/round-*.json; do
  jq -r '"| \(.watch.watchers // 0) | \(.total.opsPerSecond|floor) | \(.total.latencyMs.p99) | \(.watch.latencyMs.p50 // "-") | \(.watch.latencyMs.p99 // "-") | \(.watch.deliveries.delivered // "-") | \(.watch.deliveries.missing // "-") | \(.watch.deliveries.duplicates // "-") | \(if .watch then "\((.watch.member.workingSetBytesBefore // 0) / 1048576 | floor) → \((.watch.member.workingSetBytesAfter // 0) / 1048576 | floor)" else "-" end) |"' "$file" 2>/dev/null || echo "| ? | (no result in $file) |"
done
echo
echo "results in $results"
