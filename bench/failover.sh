#!/usr/bin/env bash
# Measures how long writes stop when the leader dies: kill -9 of the leader while a client
# writes through the other two members, and the gap from the kill to the next acknowledged
# write. kvdb and etcd are measured the same way, one after the other, with 1 s election
# timeouts on both (kvdb's default --election-timeout, etcd's default --election-timeout 1000
# with --heartbeat-interval 100), through the same client (curl over HTTP: kvdb's PUT /<key>,
# etcd's JSON gateway /v3/kv/put), so the client's own cost is the same on both sides.
#
# Each trial: wait until the cluster accepts writes, find the leader, start writing in a loop
# through the two others (each write gives up after REQUEST_TIMEOUT and the loop sends the
# next, so one write stuck on the dead leader does not hold the client), kill -9 the leader,
# and record the first acknowledgement of a write *sent* after the kill (a write in flight at
# the kill may still be acknowledged by the dying leader; it does not count). Then restart the
# killed member on its data and wait until it is back. Prints the gaps, their median and
# maximum per system; the resolution is a few milliseconds (one curl per write).
#
# Usage:  bench/failover.sh
# Environment (all optional): TRIALS (10), REQUEST_TIMEOUT (0.5, seconds per write),
#   BENCH_SYSTEMS ("kvdb etcd"), BENCH_PORT_BASE (24200),
#   BENCH_RESULTS (out/failover/<time>), BENCH_KVDB (an executable instead of this checkout's).
set -euo pipefail
cd "$(dirname "$0")/.."

trials=${TRIALS:-10}
request_timeout=${REQUEST_TIMEOUT:-0.5}
systems=${BENCH_SYSTEMS:-kvdb etcd}
base=${BENCH_PORT_BASE:-24200}
results=${BENCH_RESULTS:-out/failover/$(date -u +%Y%m%dT%H%M%SZ)}

say() { echo "failover: $*" >&2; }
die() { say "$*"; exit 1; }

if [ -n "${BENCH_KVDB:-}" ]; then
  kvdb=$BENCH_KVDB
else
  say "building kvdb (Release) into out/kvdb"
  dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
  kvdb=out/kvdb/kvdb
fi
command -v etcd >/dev/null || [[ " $systems " != *" etcd "* ]] || die "etcd is not installed (apt-get install etcd-server)"
command -v jq >/dev/null || die "jq is not installed"

mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvdb-failover.XXXXXX")
declare -A pids=()
writer=""
cleanup() {
  trap - EXIT INT TERM
  [ -n "$writer" ] && kill "$writer" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { echo $(($(date +%s%N) / 1000000)); }
raft_port() { echo $((base + $1)); }
client_port() { echo $((base + 10 + $1)); }

start_member() { # system, id
  local system=$1 id=$2 cluster="" i
  case $system in
    kvdb)
      for i in 1 2 3; do cluster+="${cluster:+,}http://127.0.0.1:$(raft_port $i)"; done
      "$kvdb" --id "$id" --cluster "$cluster" --port "$(client_port "$id")" --data-dir "$work/kvdb/node-$id" \
        --election-timeout 1s --log-level Warning >>"$results/kvdb-member-$id.log" 2>&1 &
      ;;
    etcd)
      for i in 1 2 3; do cluster+="${cluster:+,}e$i=http://127.0.0.1:$(raft_port $i)"; done
      local state=new
      [ -d "$work/etcd/e$id/member" ] && state=existing
      etcd --name "e$id" --data-dir "$work/etcd/e$id" --election-timeout 1000 --heartbeat-interval 100 \
        --listen-client-urls "http://127.0.0.1:$(client_port "$id")" --advertise-client-urls "http://127.0.0.1:$(client_port "$id")" \
        --listen-peer-urls "http://127.0.0.1:$(raft_port "$id")" --initial-advertise-peer-urls "http://127.0.0.1:$(raft_port "$id")" \
        --initial-cluster "$cluster" --initial-cluster-state "$state" --initial-cluster-token kvdb-failover \
        --logger zap --log-level warn >>"$results/etcd-member-$id.log" 2>&1 &
      ;;
  esac
  pids[$id]=$!
}

put() { # system, id, key; succeeds when the write was acknowledged
  case $1 in
    kvdb) [ "$(curl -s -o /dev/null -m "$request_timeout" -w '%{http_code}' -XPUT "http://127.0.0.1:$(client_port "$2")/$3" -d v)" = 204 ] ;;
    etcd) curl -s -m "$request_timeout" -XPOST "http://127.0.0.1:$(client_port "$2")/v3/kv/put" -d "{\"key\":\"$(printf %s "$3" | base64)\",\"value\":\"dg==\"}" | jq -e .header.revision >/dev/null 2>&1 ;;
  esac
}

leader_of() { # system; prints the leader's id
  local i
  case $1 in
    kvdb) curl -s -m 2 "http://127.0.0.1:$(client_port 1)/v1/members" | jq -r '.[] | select(.role == "leader") | .id' 2>/dev/null ;;
    etcd)
      for i in 1 2 3; do
        curl -s -m 2 -XPOST "http://127.0.0.1:$(client_port "$i")/v3/maintenance/status" -d '{}' \
          | jq -e '.header.member_id == .leader' >/dev/null 2>&1 && { echo "$i"; return; }
      done ;;
  esac
}

wait_until() { # seconds, what, command...
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not happen within the deadline (logs in $results)"
    sleep 0.1
  done
}

all_accept() { local i; for i in 1 2 3; do put "$1" "$i" probe || return 1; done; }

write_loop() { # system, id, id, log; appends "<sent ms> <acknowledged ms>" for each acknowledged write
  local n=0 sent
  while :; do
    for id in "$2" "$3"; do
      n=$((n + 1))
      sent=$(now_ms)
      put "$1" "$id" "failover-$n" && echo "$sent $(now_ms)" >>"$4"
    done
  done
}

for system in $systems; do
  say "$system: starting three members"
  for id in 1 2 3; do start_member "$system" "$id"; done
  gaps=()
  for trial in $(seq "$trials"); do
    wait_until 60 "$system accepting writes on every member" all_accept "$system"
    leader=$(leader_of "$system")
    [ -n "$leader" ] || die "$system: no leader found"
    others=()
    for id in 1 2 3; do [ "$id" = "$leader" ] || others+=("$id"); done
    acks=$results/$system-trial-$trial.acks
    : >"$acks"
    write_loop "$system" "${others[0]}" "${others[1]}" "$acks" &
    writer=$!
    wait_until 10 "$system writes acknowledged before the kill" test -s "$acks"
    killed_at=$(now_ms)
    kill -KILL "${pids[$leader]}"
    wait "${pids[$leader]}" 2>/dev/null || true
    wait_until 30 "$system write sent after the kill acknowledged" awk -v t="$killed_at" '$1 >= t { found = 1 } END { exit !found }' "$acks"
    kill "$writer" 2>/dev/null || true
    wait "$writer" 2>/dev/null || true
    writer=""
    gap=$(awk -v t="$killed_at" '$1 >= t { print $2 - t; exit }' "$acks")
    gaps+=("$gap")
    say "$system trial $trial: leader $leader killed, next write acknowledged after ${gap} ms"
    start_member "$system" "$leader"
  done
  for id in 1 2 3; do kill -TERM "${pids[$id]}" 2>/dev/null || true; done
  for id in 1 2 3; do wait "${pids[$id]}" 2>/dev/null || true; done
  printf '%s\n' "${gaps[@]}" >"$results/$system-gaps.txt"
done

echo
echo "| system | trials | median gap ms | max gap ms | gaps ms |"
echo "|---|---:|---:|---:|---|"
for system in $systems; do
  file=$results/$system-gaps.txt
  sort -n "$file" | awk -v s="$system" '{ g[NR] = $1 } END {
    m = (NR % 2) ? g[(NR + 1) / 2] : (g[NR / 2] + g[NR / 2 + 1]) / 2
    list = ""; for (i = 1; i <= NR; i++) list = list (i > 1 ? ", " : "") g[i]
    printf "| %s | %d | %.0f | %d | %s |\n", s, NR, m, g[NR], list }'
done
echo
echo "Trials and acknowledgement times: $results"
