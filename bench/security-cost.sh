#!/usr/bin/env bash
# What TLS and auth cost: runs a three-member kvdb cluster three times in one run on loopback:
# plain (HTTP on both ports, auth off); auth only (HTTP, auth enabled, every request carrying a
# bearer token); secured (HTTPS on the client port, HTTPS with mutual TLS between members, auth
# enabled with a token). The token is a plain user's whose one role grants readwrite on the
# prefix "bench-" (the keys bench writes), so every request is checked against a grant: root's
# would skip that check. Measures put and linearizable get at concurrency 64 against each with
# `kvdb bench`.
#
#   bench/security-cost.sh
#
# Settings (environment): BENCH_DURATION (default 10s), BENCH_WARMUP (1s per workload),
# BENCH_SYSTEM_WARMUP (15s per cluster, 50/50 at 64, not measured), BENCH_PORT_BASE (25000),
# BENCH_RESULTS (out/security-cost/<time>), BENCH_KVDB (an executable to measure instead of
# building this checkout). Needs openssl, curl and jq.
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-1s}
system_warmup=${BENCH_SYSTEM_WARMUP:-15s}
base=${BENCH_PORT_BASE:-25000}
results=${BENCH_RESULTS:-out/security-cost/$(date -u +%Y%m%dT%H%M%SZ)}
say() { echo "security-cost: $*" >&2; }
for tool in openssl curl jq; do command -v $tool >/dev/null || { say "$tool is needed"; exit 1; }; done

mkdir -p "$results"
work=$(mktemp -d)
pids=()
stop_members() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done; pids=(); }
trap 'stop_members; rm -rf "$work"' EXIT

if [ -n "${BENCH_KVDB:-}" ]; then
  kvdb=$BENCH_KVDB
else
  say "building kvdb (Release) into out/kvdb"
  dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
  kvdb=out/kvdb/kvdb
fi
scripts/make-certs "$work/certs" >/dev/null 2>&1
certs=$work/certs

peer() { echo $((base + $1 * 10)); }
http() { echo $((base + $1 * 10 + 1)); }

start() { # scheme extra-flags-function
  local scheme=$1 i cluster=""
  for i in 1 2 3; do cluster+="${cluster:+,}$scheme://127.0.0.1:$(peer $i)"; done
  for i in 1 2 3; do
    # shellcheck disable=SC2046 # flag words on purpose
    "$kvdb" --id $i --cluster "$cluster" --port "$(http $i)" --data-dir "$work/$scheme-$i" --log-level Warning $($2 $i) \
      >"$results/$scheme-member-$i.log" 2>&1 &
    pids+=($!)
  done
}

plain_flags() { :; }
secure_flags() {
  echo "--cert-file $certs/member-$1.pem --key-file $certs/member-$1-key.pem" \
       "--peer-cert-file $certs/member-$1.pem --peer-key-file $certs/member-$1-key.pem" \
       "--peer-trusted-ca-file $certs/ca.pem --peer-client-cert-auth"
}

wait_writable() { # curl-args...
  for _ in $(seq 1 120); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$@" -XPUT "$url/cost-probe" -d ok)" = 204 ] && return 0
    sleep 0.5
  done
  say "the cluster did not accept a write; see $results"; exit 1
}

measure() { # label endpoints extra-bench-flags...
  local label=$1 endpoints=$2; shift 2
  "$kvdb" bench --endpoints "$endpoints" --duration "$system_warmup" --warmup 0s --concurrency 64 --mix put=50,get=50 "$@" --json >/dev/null 2>&1 || true
  for mix in put=100 get=100; do
    local file="$results/$label-${mix%%=*}.json"
    "$kvdb" bench --endpoints "$endpoints" --duration "$duration" --warmup "$warmup" --concurrency 64 --mix "$mix" "$@" --json >"$file" 2>"$file.log" || true
    printf '%s\t%s\t%s\n' "$label" "${mix%%=*}" "$(jq -r '"\(.total.opsPerSecond|floor)\t\(.total.latencyMs.p99)\t\(.total.errors)"' "$file" 2>/dev/null || echo "-	-	-")" >>"$results/table.tsv"
  done
}

say "plain: HTTP on both ports, auth off"
start http plain_flags
url="http://127.0.0.1:$(http 1)"
wait_writable
measure plain "http://127.0.0.1:$(http 1),http://127.0.0.1:$(http 2),http://127.0.0.1:$(http 3)"
stop_members
rm -rf "$work"/http-*

enable_auth() { # curl-args...
  curl -sf "$@" -XPOST "$url/v1/auth/users" -d '{"name": "root", "password": "bench-root"}' >/dev/null
  curl -sf "$@" -XPOST "$url/v1/auth/roles" -d '{"name": "bench", "permissions": [{"prefix": "bench-", "access": "readwrite"}]}' >/dev/null
  curl -sf "$@" -XPOST "$url/v1/auth/users" -d '{"name": "bench", "password": "bench-pw", "roles": ["bench"]}' >/dev/null
  curl -sf "$@" -XPOST "$url/v1/auth/enable" >/dev/null
  curl -sf "$@" -XPOST "$url/v1/auth/token" -d '{"name": "bench", "password": "bench-pw"}' | jq -r .token
}

say "auth only: HTTP on both ports, auth on with a bearer token"
start http plain_flags
url="http://127.0.0.1:$(http 1)"
wait_writable
token=$(enable_auth)
measure auth "http://127.0.0.1:$(http 1),http://127.0.0.1:$(http 2),http://127.0.0.1:$(http 3)" --token "$token"
stop_members

say "secured: HTTPS to clients, mutual TLS between members, auth on with a bearer token"
start https secure_flags
url="https://127.0.0.1:$(http 1)"
wait_writable --cacert "$certs/ca.pem"
token=$(enable_auth --cacert "$certs/ca.pem")
measure secured "https://127.0.0.1:$(http 1),https://127.0.0.1:$(http 2),https://127.0.0.1:$(http 3)" --cacert "$certs/ca.pem" --token "$token"
stop_members

echo
echo "| workload | plain ops/s | auth ops/s | auth/plain | TLS+auth ops/s | TLS+auth/plain | plain p99 ms | auth p99 ms | TLS+auth p99 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for op in put get; do
  awk -F'\t' -v op="$op" '
    $2 == op { ops[$1] = $3; p99[$1] = $4 }
    END {
      printf "| %s c=64 | %s | %s | %.2f | %s | %.2f | %s | %s | %s |\n", (op == "get" ? "get linearizable" : op),
        ops["plain"], ops["auth"], (ops["plain"] > 0 ? ops["auth"] / ops["plain"] : 0),
        ops["secured"], (ops["plain"] > 0 ? ops["secured"] / ops["plain"] : 0), p99["plain"], p99["auth"], p99["secured"]
    }' "$results/table.tsv"
done
echo
echo "Errors: $(awk -F'\t' '{ printf "%s %s %s; ", $1, $2, $5 }' "$results/table.tsv")results in $results"
