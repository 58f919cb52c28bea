#!/usr/bin/env bash
# What tracing costs: runs a three-member kvdb cluster three times on loopback: tracing off (no
# --otlp-endpoint), on with --trace-sampling 0.01, and on with --trace-sampling 1, the members
# exporting OTLP/HTTP to a minimal sink (a Python HTTP server that reads each batch and answers
# 200; a real collector costs more, on its own cores). Measures put and linearizable get at
# concurrency 64 with `kvdb bench` (which sends no traceparent, so the ratio decides).
#
#   bench/tracing-cost.sh
#
# Settings (environment): BENCH_DURATION (default 10s), BENCH_WARMUP (1s per workload),
# BENCH_SYSTEM_WARMUP (10s per cluster, 50/50 at 64, not measured), BENCH_PORT_BASE (26000),
# BENCH_RESULTS (out/tracing-cost/<time>), BENCH_KVDB (an executable to measure instead of
# building this checkout). Needs python3, curl and jq.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-1s}
system_warmup=${BENCH_SYSTEM_WARMUP:-10s}
base=${BENCH_PORT_BASE:-26000}
results=${BENCH_RESULTS:-out/tracing-cost/$(date -u +%Y%m%dT%H%M%SZ)}
say() { echo "tracing-cost: $*" >&2; }
for tool in python3 curl jq; do command -v $tool >/dev/null || { say "$tool is needed"; exit 1; }; done

mkdir -p "$results"
work=$(mktemp -d)
pids=()
sink_pid=
stop_members() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done; pids=(); }
trap 'stop_members; [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; rm -rf "$work"' EXIT

if [ -n "${BENCH_KVDB:-}" ]; then
  kvdb=$BENCH_KVDB
else
  say "building kvdb (Release) into out/kvdb"
  dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
  kvdb=out/kvdb/kvdb
fi

sink_port=$((base + 99))
python3 - "$sink_port" >"$results/sink.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf"); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
sink_pid=$!

peer() { echo $((base + $1 * 10)); }
http() { echo $((base + $1 * 10 + 1)); }

start() { # label extra-flags...
  local label=$1 i cluster=""; shift
  for i in 1 2 3; do cluster+="${cluster:+,}http://127.0.0.1:$(peer $i)"; done
  for i in 1 2 3; do
    "$kvdb" --id $i --cluster "$cluster" --port "$(http $i)" --data-dir "$work/$label-$i" --log-level Warning "$@" \
      >"$results/$label-member-$i.log" 2>&1 &
    pids+=($!)
  done
  for _ in $(seq 1 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "http://127.0.0.1:$(http 1)/cost-probe" -d ok)" = 204 ] && return 0
    sleep 0.5
  done
  say "the cluster did not accept a write; see $results"; exit 1
}

measure() { # label
  local label=$1 endpoints="http://127.0.0.1:$(http 1),http://127.0.0.1:$(http 2),http://127.0.0.1:$(http 3)"
  "$kvdb" bench --endpoints "$endpoints" --duration "$system_warmup" --warmup 0s --concurrency 64 --mix put=50,get=50 --json >/dev/null 2>&1 || true
  for mix in put=100 get=100; do
    local file="$results/$label-${mix%%=*}.json"
    "$kvdb" bench --endpoints "$endpoints" --duration "$duration" --warmup "$warmup" --concurrency 64 --mix "$mix" --json >"$file" 2>"$file.log" || true
    printf '%s\t%s\t%s\n' "$label" "${mix%%=*}" "$(jq -r '"\(.total.opsPerSecond|floor)\t\(.total.latencyMs.p99)\t\(.total.errors)"' "$file" 2>/dev/null || echo "-	-	-")" >>"$results/table.tsv"
  done
  stop_members
}

printf 'tracing\tworkload\tops/s\tp99 ms\terrors\n' >"$results/table.tsv"
say "tracing off"; start off; measure off
say "tracing on, 1% sampled"; start one-percent --otlp-endpoint "http://127.0.0.1:$sink_port" --trace-sampling 0.01; measure one-percent
say "tracing on, every trace sampled"; start all --otlp-endpoint "http://127.0.0.1:$sink_port" --trace-sampling 1; measure all
column -t -s $'\t' "$results/table.tsv"
