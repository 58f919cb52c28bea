#!/usr/bin/env bash
# What auth costs on the hot path, measured on one cluster so that cluster-to-cluster noise
# does not swamp it: a three-member kvdb cluster on loopback (HTTP), then ROUNDS rounds of
# put c=64 and linearizable get c=64 with auth off, then the same with auth on and every request
# carrying the bearer token of a plain user whose one role grants readwrite on the prefix
# "bench-" (the keys bench uses; root would skip the grant check), then auth off again (as root).
# Prints each round and the mean ratio on/off per workload.
#
#   bench/auth-cost.sh
#
# Settings (environment): ROUNDS (2), BENCH_DURATION (8s), BENCH_WARMUP (1s), BENCH_PORT_BASE
# (24300), BENCH_KVDB (an executable to measure instead of building this checkout). Needs curl
# and jq. bench/security-cost.sh measures TLS as well, with a fresh cluster per setting.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-2}
duration=${BENCH_DURATION:-8s}
warmup=${BENCH_WARMUP:-1s}
base=${BENCH_PORT_BASE:-24300}
say() { echo "auth-cost: $*" >&2; }
for tool in curl jq; do command -v $tool >/dev/null || { say "$tool is needed"; exit 1; }; done

say "building kvdb (Release) into out/kvdb"
dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
bench=out/kvdb/kvdb
kvdb=${BENCH_KVDB:-out/kvdb/kvdb}

work=$(mktemp -d)
pids=()
trap 'for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT

cluster="" endpoints=""
for i in 1 2 3; do
  cluster+="${cluster:+,}http://127.0.0.1:$((base + i))"
  endpoints+="${endpoints:+,}http://127.0.0.1:$((base + 10 + i))"
done
for i in 1 2 3; do
  "$kvdb" --id $i --cluster "$cluster" --port $((base + 10 + i)) --data-dir "$work/node-$i" --log-level Warning >"$work/member-$i.log" 2>&1 &
  pids+=($!)
done
url=http://127.0.0.1:$((base + 11))
for i in 1 2 3; do
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "http://127.0.0.1:$((base + 10 + i))/auth-cost-probe" -d ok)" = 204 ] && break
    sleep 0.2
  done
done
curl -sf -XPOST "$url/v1/auth/users" -d '{"name": "root", "password": "bench-root"}' >/dev/null
curl -sf -XPOST "$url/v1/auth/roles" -d '{"name": "bench", "permissions": [{"prefix": "bench-", "access": "readwrite"}]}' >/dev/null
curl -sf -XPOST "$url/v1/auth/users" -d '{"name": "bench", "password": "bench-pw", "roles": ["bench"]}' >/dev/null

run() { # mix, bench flags... -> "ops p99"
  local mix=$1; shift
  "$bench" bench --endpoints "$endpoints" --duration "$duration" --warmup "$warmup" --concurrency 64 --mix "$mix" "$@" --json 2>/dev/null \
    | jq -r '"\(.total.opsPerSecond|floor) \(.total.latencyMs.p99)"'
}

say "warming up (50/50 at concurrency 64, not measured)"
run put=50,get=50 >/dev/null
: >"$work/results"
for round in $(seq "$rounds"); do
  for state in off on; do
    flags=()
    if [ $state = on ]; then
      curl -sf -XPOST "$url/v1/auth/enable" >/dev/null
      flags=(--token "$(curl -sf -XPOST "$url/v1/auth/token" -d '{"name": "bench", "password": "bench-pw"}' | jq -r .token)")
    fi
    for mix in put=100 get=100; do
      read -r ops p99 < <(run $mix "${flags[@]}")
      echo "$round $state ${mix%%=*} $ops $p99" >>"$work/results"
      say "round $round, auth $state, ${mix%%=*} c=64: $ops ops/s, p99 $p99 ms"
    done
    [ $state = on ] && curl -sf -XPOST -u root:bench-root "$url/v1/auth/disable" >/dev/null
  done
done

echo "| workload | auth off ops/s | auth on ops/s | on / off | off p99 ms | on p99 ms |"
echo "|---|---|---|---:|---|---|"
for op in put get; do
  awk -v op=$op '$3 == op { ops[$2] = ops[$2] (ops[$2] ? ", " : "") $4; p99[$2] = p99[$2] (p99[$2] ? ", " : "") $5; sum[$2] += $4 }
    END { printf "| %s c=64 | %s | %s | %.2f | %s | %s |\n", (op == "get" ? "get linearizable" : op), ops["off"], ops["on"], sum["on"] / sum["off"], p99["off"], p99["on"] }' "$work/results"
done
