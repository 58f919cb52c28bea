#!/usr/bin/env bash
# Loads one kvdb member with many large values and samples its resident memory every second,
# during the load and after a restart, to check that memory stays bounded by --memory-budget
# and the runtime's overhead rather than by the data (the data lives on disk).
#
# What it does:
#   1. builds kvdb (Release) into out/kvdb (or measures BENCH_KVDB);
#   2. starts a single-member cluster on loopback with a temporary data directory;
#   3. writes every key once through `kvdb bench` (its preload: KEYS distinct keys of VALUE_SIZE
#      bytes, CLIENTS concurrent clients), sampling the member's RSS (VmRSS) every second;
#   4. stops the member (SIGTERM), starts it again on the same data and reads random keys
#      through the same clients for SETTLE seconds, sampling RSS all along;
#   5. prints the peak RSS during the load and after the restart, and keeps the samples
#      (seconds since start, phase, RSS MiB) in the results directory.
#
# Usage:  bench/memory-load.sh
# Environment (all optional):
#   KEYS (300000), VALUE_SIZE (1024), CLIENTS (16), SETTLE (10), LIMIT_MIB (256, only printed
#   as the target), BENCH_PORT_BASE (24100), BENCH_RESULTS (out/memory-load/<time>),
#   BENCH_KVDB (an executable to measure instead of building this checkout), KVDB_ARGS (more
#   flags for the member, e.g. "--memory-budget 32MiB").
set -euo pipefail
cd "$(dirname "$0")/.."

keys=${KEYS:-300000}
value_size=${VALUE_SIZE:-1024}
clients=${CLIENTS:-16}
settle=${SETTLE:-10}
limit=${LIMIT_MIB:-256}
base=${BENCH_PORT_BASE:-24100}
results=${BENCH_RESULTS:-out/memory-load/$(date -u +%Y%m%dT%H%M%SZ)}

say() { echo "memory-load: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -n "${BENCH_KVDB:-}" ]; then
  kvdb=$BENCH_KVDB
fi
say "building kvdb (Release) into out/kvdb"
dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
bench=out/kvdb/kvdb
kvdb=${kvdb:-$bench}

mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvdb-memory.XXXXXX")
pid="" sampler=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

raft=$((base + 1)) http=$((base + 2))
endpoint=http://127.0.0.1:$http
samples=$results/rss.tsv
start=$(date +%s)

start_member() { # phase
  # shellcheck disable=SC2086 # KVDB_ARGS is words on purpose
  "$kvdb" --id 1 --cluster "http://127.0.0.1:$raft" --port "$http" --data-dir "$work/node-1" --log-level Warning ${KVDB_ARGS:-} \
    >>"$results/member.log" 2>&1 &
  pid=$!
  local deadline=$((SECONDS + 60))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/readyz")" = 200 ]; do
    kill -0 "$pid" 2>/dev/null || die "the member exited during start ($1); see $results/member.log"
    [ $SECONDS -lt $deadline ] || die "the member was not ready within 60 s ($1)"
    sleep 0.2
  done
  ( while kill -0 "$pid" 2>/dev/null; do
      rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status" 2>/dev/null || true)
      [ -n "$rss" ] && printf '%s\t%s\t%s\n' "$(($(date +%s) - start))" "$1" "$rss" >>"$samples"
      sleep 1
    done ) &
  sampler=$!
}

stop_member() {
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  pid="" sampler=""
}

run_bench() { # what to log it as; mix; preload; duration
  "$bench" bench --endpoints "$endpoint" --keys "$keys" --value-size "$value_size" --concurrency "$clients" \
    --mix "$2" --preload="$3" --duration "$4" --warmup 0s --json >"$results/$1.json" 2>"$results/$1.log" \
    || die "kvdb bench failed ($1); see $results/$1.log"
}

say "loading $keys keys x $value_size bytes through $clients clients"
start_member load
run_bench load put=100 true 1s
stop_member
say "restarting on the same data and reading random keys for ${settle}s"
start_member restart
run_bench restart get=100 false "${settle}s"
stop_member

peak() { awk -v phase="$1" '$2 == phase && $3 > max { max = $3 } END { printf "%.0f", max }' "$samples"; }
echo
echo "| phase | peak RSS MiB | target MiB |"
echo "|---|---:|---:|"
echo "| load ($keys x $value_size B, $clients clients) | $(peak load) | < $limit |"
echo "| after restart (start, then ${settle}s of reads) | $(peak restart) | < $limit |"
echo
echo "Samples (seconds, phase, RSS MiB): $samples"
