#!/usr/bin/env bash
# Compares kvdb with etcd under the same load, one system at a time, and prints a table of
# workload x {kvdb, etcd, ratio} with throughput and p99 latency.
#
# What it does:
#   1. builds kvdb (Release) into out/kvdb;
#   2. installs Debian's etcd-server and etcd-client with apt-get when etcd is missing;
#   3. starts a three-member kvdb cluster (as the Procfile, but on its own loopback ports and a
#      temporary data directory), runs every workload with `kvdb bench`, stops it;
#   4. starts a three-member etcd cluster (loopback, temporary data directories) and runs the
#      same workloads with `kvdb bench --target etcd` (etcd's v3 JSON gateway), stops it;
#   5. prints the table (Markdown) and keeps each run's JSON in the results directory.
# The two clusters never run at the same time, and nothing else of this script runs during a
# measurement but the bench client itself (which shares the machine with the servers).
#
# Durability is on for both: kvdb keeps its Raft log on disk (DotNext's WAL is flushed before
# a write is acknowledged), and etcd runs with its defaults, which fsync the WAL on every
# commit (no --unsafe-no-fsync). Both data directories live under $TMPDIR (default /tmp); if
# that is a tmpfs, fsync costs nothing and the script warns. Values are 100 bytes, keys are
# chosen uniformly from 10000, each member gets an equal share of the client connections.
#
# Workloads: put at concurrency 1, 16, 64 and 256; linearizable get at 64; local get at 64
# (etcd: serializable range); a 50/50 put/get mix at 64.
#
# Usage:  bench/compare-etcd.sh [--baseline REV]...
#   --baseline REV    also measure kvdb as built from revision REV (a commit, tag or branch of
#                     this repository; repeatable), in the same run. Each is built once (Release,
#                     from `git archive`) into out/kvdb-<sha>. In this mode the table is the one
#                     issue 27 tracks: etcd through its native gRPC client (etcd-grpc-bench, built
#                     from ../shared/bench/etcd-grpc with Debian's Go packages when BENCH_ETCD_GRPC
#                     is not set), kvdb at HEAD and kvdb at each REV, with p50/p99 and the ratios
#                     HEAD/etcd and HEAD/REV, for put c=1, c=64, c=256, linearizable get c=64 and
#                     local get c=64 (BENCH_ONLY still selects). At concurrency 1 the single client
#                     of every system talks to its leader, so where the leader happens to be does
#                     not decide the number (a follower forwards, which adds a round trip).
# Environment (all optional):
#   BENCH_DURATION    measured time per workload (default 10s; e.g. 2s for a quick run)
#   BENCH_WARMUP      warm-up per workload, excluded from the results (default 5s). Every workload
#                     starts a new `kvdb bench` process, whose own JIT warms up with it: at put c=1,
#                     where the client's latency is on every request's path, its first 4-5 s ran
#                     at 60-70 % of the rate after them (measured 2026-12-07; 1 s left put c=1 at
#                     268-336 ops/s against 381-388 with 5 s, same cluster, alternating).
#   BENCH_SYSTEM_WARMUP  load (50/50 at concurrency 64) run once per system before its first
#                     workload, excluded from the results (default 15s; 0s skips it). kvdb runs on
#                     .NET's tiered JIT, which recompiles hot paths with full optimisation only
#                     after they have run a while: measured here, the first ~10-15 s under load run
#                     slower. etcd (Go, compiled ahead of time) gets the same warm-up for fairness.
#   BENCH_KEYS        key space (default 10000)
#   BENCH_VALUE_SIZE  value bytes (default 100)
#   BENCH_SYSTEMS     which systems to run, in order (default "kvdb etcd")
#   BENCH_PORT_BASE   first port used (default 24000, below Linux's ephemeral range 32768+ so a
#                     client connection cannot take a member's port): kvdb Raft +1..3, kvdb HTTP +11..13,
#                     etcd clients +21..23, etcd peers +31..33, the k-th --baseline build's kvdb ports
#                     40*k higher; all on 127.0.0.1
#   BENCH_ONLY        run only the workloads whose names match this extended regex (e.g. '^txn')
#   BENCH_RESULTS     where the JSON results and logs go (default out/compare-etcd/<time>)
#   BENCH_HTTP_VERSION  kvdb's requests: 2 (the default, as the client package sends them; h2c)
#                     or 1.1. A build whose client port does not take HTTP/2 with prior knowledge
#                     (before 2026-12-06) is driven over HTTP/1.1, and the script says so. etcd's
#                     JSON gateway always gets HTTP/1.1.
#   BENCH_BASELINE_HTTP_VERSION  the same for the --baseline builds (default: BENCH_HTTP_VERSION),
#                     e.g. 1.1 to measure an earlier build as its own client package drove it
#   BENCH_KVDB        a kvdb executable to measure instead of building this checkout (e.g. an
#                     older build, to compare two versions in one run: BENCH_SYSTEMS=kvdb for each)
#   BENCH_ETCD_GRPC   an etcd-grpc-bench executable (../shared/bench/etcd-grpc, see its README):
#                     when set, etcd is also driven through its native gRPC client (put, linearizable
#                     get, serializable get at concurrency 64) and those lines are printed after the table
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${BENCH_DURATION:-10s}
warmup=${BENCH_WARMUP:-5s}
system_warmup=${BENCH_SYSTEM_WARMUP:-15s}
keys=${BENCH_KEYS:-10000}
value_size=${BENCH_VALUE_SIZE:-100}
systems=${BENCH_SYSTEMS:-kvdb etcd}
base=${BENCH_PORT_BASE:-24000}
results=${BENCH_RESULTS:-out/compare-etcd/$(date -u +%Y%m%dT%H%M%SZ)}

# name|flags: the workloads, in the order of the table. "txn" compares a key's version, then
# puts it and the next key (kvdb POST /v1/txn, etcd POST /v3/kv/txn); "list append" appends one
# item to a list (kvdb only); "lease grant" grants a 60 s lease (kvdb POST /v1/leases, etcd
# POST /v3/lease/grant).
workloads=(
  "put c=1|--mix put=100 --concurrency 1"
  "put c=16|--mix put=100 --concurrency 16"
  "put c=64|--mix put=100 --concurrency 64"
  "put c=256|--mix put=100 --concurrency 256"
  "get linearizable c=64|--mix get=100 --concurrency 64 --consistency linearizable"
  "get local c=64|--mix get=100 --concurrency 64 --consistency local"
  "put/get 50/50 c=64|--mix put=50,get=50 --concurrency 64"
  "txn c=64|--mix txn=100 --concurrency 64"
  "list append c=64|--mix append=100 --concurrency 64"
  "lease grant c=64|--mix lease=100 --concurrency 64"
)
say() { echo "compare-etcd: $*" >&2; }
die() { say "$*"; exit 1; }

baselines=()
while [ $# -gt 0 ]; do
  case $1 in
    --baseline) [ $# -ge 2 ] || die "--baseline needs a revision"; baselines+=("$2"); shift 2 ;;
    --baseline=*) baselines+=("${1#*=}"); shift ;;
    -h|--help) sed -n '2,/^set -euo pipefail/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [ ${#baselines[@]} -gt 0 ] && [ -z "${BENCH_ONLY:-}" ]; then
  BENCH_ONLY='^(put c=(1|64|256)|get linearizable c=64|get local c=64)$'
fi

if [ -n "${BENCH_ONLY:-}" ]; then
  selected=()
  for entry in "${workloads[@]}"; do
    if [[ "${entry%%|*}" =~ $BENCH_ONLY ]]; then selected+=("$entry"); fi
  done
  workloads=("${selected[@]}")
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_tool() { # command, Debian packages...
  local command=$1; shift
  command -v "$command" >/dev/null && return
  say "installing $* with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null \
    || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; } \
    || die "could not install $*"
}

ensure_package() { # Debian package, when not installed
  dpkg -s "$1" >/dev/null 2>&1 && return
  say "installing $1 with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null \
    || { as_root apt-get update -q >/dev/null && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$1" >/dev/null; } \
    || die "could not install $1"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- processes we start, and stopping them whatever happens -----------------------------------
pids=()
work=""

stop_members() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

cleanup() {
  trap - EXIT INT TERM
  stop_members
  [ -n "$work" ] && rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- prerequisites ----------------------------------------------------------------------------
ensure_tool curl curl
ensure_tool jq jq
ensure_tool etcd etcd-server etcd-client
etcd_version=$(etcd --version | sed -n 's/^etcd Version: //p')
say "etcd $etcd_version ($(command -v etcd)); its JSON gateway is checked at /v3/kv/... once it runs"

if [ -n "${BENCH_KVDB:-}" ]; then
  kvdb=$BENCH_KVDB
  say "measuring $kvdb (BENCH_KVDB); the bench client is this checkout's"
  say "building kvdb bench (Release) into out/kvdb"
  dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
  bench=out/kvdb/kvdb
else
  say "building kvdb (Release) into out/kvdb"
  dotnet build src/KvDb.Node -c Release -o out/kvdb -nologo -v quiet >/dev/null
  kvdb=out/kvdb/kvdb
  bench=$kvdb
fi

# The kvdb builds measured, as "label|executable": this checkout (HEAD), then each --baseline.
kvdb_builds=("HEAD|$kvdb")
build_baseline() { # revision; builds it once into out/kvdb-<sha> and prints "<sha>|<executable>"
  local sha out dir
  sha=$(git rev-parse --short=7 "$1^{commit}" 2>/dev/null) || die "--baseline $1: no such revision in this repository"
  out=$PWD/out/kvdb-$sha
  if [ ! -x "$out/kvdb" ]; then
    say "building kvdb at $1 ($sha, Release) into out/kvdb-$sha"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/kvdb-baseline.XXXXXX")
    git archive "$sha" | tar -x -C "$dir"
    (cd "$dir" && dotnet build src/KvDb.Node -c Release -o "$out" -nologo -v quiet >/dev/null) || { rm -rf "$dir"; die "building $1 failed"; }
    rm -rf "$dir"
  fi
  echo "$sha|$out/kvdb"
}
for rev in "${baselines[@]}"; do kvdb_builds+=("$(build_baseline "$rev")"); done
system_of() { if [ "$1" = HEAD ]; then echo kvdb; else echo "kvdb@$1"; fi; }
build_position() { # system; its index in kvdb_builds
  local k
  for ((k = 0; k < ${#kvdb_builds[@]}; k++)); do
    [ "$(system_of "${kvdb_builds[k]%%|*}")" = "$1" ] && { echo "$k"; return; }
  done
  die "unknown system '$1'"
}
executable_of() { # system
  local build
  for build in "${kvdb_builds[@]}"; do
    [ "$(system_of "${build%%|*}")" = "$1" ] && { echo "${build#*|}"; return; }
  done
  die "unknown system '$1'"
}

if [ ${#baselines[@]} -gt 0 ]; then
  systems=${BENCH_SYSTEMS:-$(for build in "${kvdb_builds[@]}"; do printf '%s ' "$(system_of "${build%%|*}")"; done)etcd-grpc}
fi
if [[ " $systems " == *" etcd-grpc "* ]] && [ -z "${BENCH_ETCD_GRPC:-}" ]; then
  source_dir=../shared/bench/etcd-grpc
  [ -f "$source_dir/main.go" ] || die "etcd's gRPC client is needed: set BENCH_ETCD_GRPC, or have $source_dir (see its README)"
  if [ ! -x out/etcd-grpc-bench ]; then
    ensure_tool go golang-go
    ensure_package golang-etcd-server-dev
    say "building etcd-grpc-bench from $source_dir into out/etcd-grpc-bench"
    mkdir -p out
    (cd "$source_dir" && GOPATH=/usr/share/gocode GO111MODULE=off go build -o "$OLDPWD/out/etcd-grpc-bench" .) \
      || die "building etcd-grpc-bench failed"
  fi
  BENCH_ETCD_GRPC=out/etcd-grpc-bench
fi

for offset in 1 2 3 11 12 13 21 22 23 31 32 33; do
  port_busy $((base + offset)) && die "port $((base + offset)) is in use; set BENCH_PORT_BASE to a free range"
done
for ((k = 1; k < ${#kvdb_builds[@]}; k++)); do
  for offset in 1 2 3 11 12 13; do
    port_busy $((base + 40 * k + offset)) && die "port $((base + 40 * k + offset)) is in use; set BENCH_PORT_BASE to a free range"
  done
done

mkdir -p "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/kvdb-compare.XXXXXX")
if [ "$(stat -f -c %T "$work")" = tmpfs ]; then
  say "warning: $work is on tmpfs, so fsync is free for both systems; set TMPDIR to a directory on disk for durable numbers"
fi

# Each kvdb build gets ports of its own (40 apart): an older build's Raft transport may not
# bind a port that the previous build's connections still hold in TIME_WAIT.
port_shift=0
kvdb_raft() { echo $((base + port_shift + $1)); }
kvdb_http() { echo $((base + port_shift + 10 + $1)); }
etcd_client() { echo $((base + 20 + $1)); }
etcd_peer() { echo $((base + 30 + $1)); }

wait_until() { # seconds, description, command...
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not happen within ${seconds}s (logs in $results)"
    sleep 0.2
  done
}

kvdb_put_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' -XPUT "http://127.0.0.1:$1/compare-probe" -d ok)" = 204 ]; }
etcd_put_ok() { [ "$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$1/v3/kv/put" -d '{"key":"Y29tcGFyZS1wcm9iZQ==","value":"b2s="}')" = 200 ]; }

start_kvdb() { # executable
  local executable=$1 cluster="" i
  for i in 1 2 3; do cluster+="${cluster:+,}http://127.0.0.1:$(kvdb_raft $i)"; done
  for i in 1 2 3; do
    "$executable" --id $i --cluster "$cluster" --port "$(kvdb_http $i)" --data-dir "$work/${system//[^a-z0-9]/_}/node-$i" --log-level Warning \
      >"$results/$system-member-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in 1 2 3; do wait_until 60 "kvdb member $i accepting writes" kvdb_put_ok "$(kvdb_http $i)"; done
  local leader
  leader=$(curl -s "http://127.0.0.1:$(kvdb_http 1)/v1/members" | jq -r '.[] | select(.role == "leader") | .id' || true)
  say "kvdb leader: member ${leader:-unknown} (at concurrency 1 the single worker talks to it)"
  http_version=${BENCH_HTTP_VERSION:-2}
  [ "$system" = kvdb ] || http_version=${BENCH_BASELINE_HTTP_VERSION:-$http_version}
  if [ "$http_version" = 2 ] && [ "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_version}' "http://127.0.0.1:$(kvdb_http 1)/compare-probe" || true)" != 2 ]; then
    http_version=1.1
    say "$system does not take HTTP/2 with prior knowledge on its client port: driving it over HTTP/1.1"
  fi
  say "$system: requests over HTTP/$http_version"
  echo "$http_version" >"$results/$system-http-version"
  endpoints=""
  for i in 1 2 3; do endpoints+="${endpoints:+,}http://127.0.0.1:$(kvdb_http $i)"; done
  leader_endpoint=http://127.0.0.1:$(kvdb_http "${leader:-1}")
}

start_etcd() {
  local initial="" i
  for i in 1 2 3; do initial+="${initial:+,}e$i=http://127.0.0.1:$(etcd_peer $i)"; done
  for i in 1 2 3; do
    etcd --name "e$i" --data-dir "$work/etcd/e$i" \
      --listen-client-urls "http://127.0.0.1:$(etcd_client $i)" --advertise-client-urls "http://127.0.0.1:$(etcd_client $i)" \
      --listen-peer-urls "http://127.0.0.1:$(etcd_peer $i)" --initial-advertise-peer-urls "http://127.0.0.1:$(etcd_peer $i)" \
      --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token kvdb-compare \
      --logger zap --log-level warn >"$results/etcd-member-$i.log" 2>&1 &
    pids+=($!)
  done
  for i in 1 2 3; do wait_until 60 "etcd member $i accepting writes on /v3/kv/put" etcd_put_ok "$(etcd_client $i)"; done
  local range
  range=$(curl -s -XPOST "http://127.0.0.1:$(etcd_client 1)/v3/kv/range" -d '{"key":"Y29tcGFyZS1wcm9iZQ=="}')
  jq -e '.kvs[0].value == "b2s="' <<<"$range" >/dev/null || die "etcd's gateway did not answer /v3/kv/range as expected: $range"
  say "etcd $(curl -s "http://127.0.0.1:$(etcd_client 1)/version" | jq -r .etcdserver) serves the gateway at /v3/kv/put and /v3/kv/range"
  local status leader=unknown
  for i in 1 2 3; do
    status=$(curl -s -XPOST "http://127.0.0.1:$(etcd_client $i)/v3/maintenance/status" -d '{}' || true)
    if jq -e '.header.member_id == .leader' <<<"$status" >/dev/null 2>&1; then leader=$i; fi
  done
  say "etcd leader: member $leader (at concurrency 1 the single worker talks to it)"
  endpoints="" grpc_endpoints=""
  for i in 1 2 3; do endpoints+="${endpoints:+,}http://127.0.0.1:$(etcd_client $i)"; done
  for i in 1 2 3; do grpc_endpoints+="${grpc_endpoints:+,}127.0.0.1:$(etcd_client $i)"; done
  [ "$leader" = unknown ] && leader=1
  leader_endpoint=http://127.0.0.1:$(etcd_client "$leader")
  grpc_leader=127.0.0.1:$(etcd_client "$leader")
}

version_flag() { # system: kvdb's --http-version, nothing for etcd
  case $1 in kvdb|kvdb@*) echo "--http-version $http_version" ;; esac
}

warm_up_system() { # system
  [ "$system_warmup" = 0s ] || [ "$system_warmup" = 0 ] && return 0
  say "$1: warming up for $system_warmup (not measured)"
  # shellcheck disable=SC2046 # no flag, or two words
  "$bench" bench --target "${1%%@*}" --endpoints "$endpoints" --duration "$system_warmup" --warmup 0s $(version_flag "$1") \
    --keys "$keys" --value-size "$value_size" --concurrency 64 --mix put=50,get=50 --json >"$results/$1-system-warmup.json" 2>&1 || true
}

run_workloads() { # system
  local system=$1 entry name flags file
  for entry in "${workloads[@]}"; do
    name=${entry%%|*}
    flags=${entry#*|}
    file="$results/$system-${name//[^a-z0-9]/_}"
    # etcd has no lists: its column stays empty for list workloads.
    if [ "$system" = etcd ] && [[ $flags == *append* ]]; then continue; fi
    local status=0 targets=$endpoints
    [[ "$flags " == *"--concurrency 1 "* ]] && targets=$leader_endpoint
    # shellcheck disable=SC2086 # flags are words on purpose
    "$bench" bench --target "${system%%@*}" --endpoints "$targets" --duration "$duration" --warmup "$warmup" $(version_flag "$system") \
      --keys "$keys" --value-size "$value_size" $flags --json >"$file.json" 2>"$file.log" || status=$?
    [ $status -eq 0 ] || say "$system $name: kvdb bench exited $status; see $file.log"
    say "$(printf '%-5s %-22s %s' "$system" "$name" "$(jq -r '"\(.total.opsPerSecond) ops/s, p99 \(.total.latencyMs.p99 // "-") ms, errors \(.total.errors)"' "$file.json" 2>/dev/null || echo "no result")")"
  done
}

grpc_op() { # workload flags; prints "<op> <clients>" for etcd-grpc-bench, nothing when it has no equivalent
  local flags="$1 " op clients
  clients=$(sed -n 's/.*--concurrency \([0-9]*\).*/\1/p' <<<"$flags")
  case $flags in
    *"--mix put=100 "*) op=put ;;
    *"--mix get=100 "*"--consistency linearizable "*) op=get ;;
    *"--mix get=100 "*"--consistency local "*) op=sget ;;
    *) return 0 ;;
  esac
  echo "$op $clients"
}

run_grpc_workloads() { # etcd through clientv3 for every workload it has an equivalent of
  local entry name spec op clients conns targets line file
  [ "$system_warmup" = 0s ] || [ "$system_warmup" = 0 ] \
    || "$BENCH_ETCD_GRPC" -endpoints "$grpc_endpoints" -op put -clients 64 -conns 8 -duration "$system_warmup" >/dev/null 2>&1 || true
  for entry in "${workloads[@]}"; do
    name=${entry%%|*}
    spec=$(grpc_op "${entry#*|}")
    [ -n "$spec" ] || continue
    read -r op clients <<<"$spec"
    conns=$((clients < 8 ? clients : 8))
    targets=$grpc_endpoints
    [ "$clients" = 1 ] && targets=$grpc_leader
    file="$results/etcd-grpc-${name//[^a-z0-9]/_}"
    line=$("$BENCH_ETCD_GRPC" -endpoints "$targets" -op "$op" -clients "$clients" -conns "$conns" -duration "$duration" \
      -keys "$keys" -value-size "$value_size" 2>"$file.log" || true)
    echo "$line" >"$file.txt"
    say "$(printf '%-12s %-22s %s' etcd-grpc "$name" "${line:-no result} (ops/s p50 p99 errors)")"
  done
}

grpc_lines=""
run_etcd_grpc() { # etcd through clientv3, as etcd's own benchmark drives it
  local op line
  "$BENCH_ETCD_GRPC" -endpoints "$grpc_endpoints" -op put -clients 64 -conns 8 -duration "$warmup" >/dev/null 2>&1 || true
  for op in put get sget; do
    line=$("$BENCH_ETCD_GRPC" -endpoints "$grpc_endpoints" -op $op -clients 64 -conns 8 -duration "$duration" 2>"$results/etcd-grpc-$op.log" || true)
    say "etcd-grpc $op c=64: $line (ops/s p50 p99 errors)"
    grpc_lines+="| etcd gRPC $op c=64 | $line |"$'\n'
  done
}

for system in $systems; do
  case $system in
    kvdb|kvdb@*)
      port_shift=$((40 * $(build_position "$system")))
      say "starting three kvdb members ($system, HTTP on $(kvdb_http 1)-$(kvdb_http 3))"
      start_kvdb "$(executable_of "$system")" ;;
    etcd|etcd-grpc) say "starting three etcd members (clients on $(etcd_client 1)-$(etcd_client 3))"; start_etcd ;;
    *) die "unknown system '$system' in BENCH_SYSTEMS (kvdb, etcd, etcd-grpc)" ;;
  esac
  if [ "$system" = etcd-grpc ]; then
    run_grpc_workloads
  else
    warm_up_system "$system"
    run_workloads "$system"
    [ "$system" = etcd ] && [ -n "${BENCH_ETCD_GRPC:-}" ] && run_etcd_grpc
  fi
  say "stopping $system"
  stop_members
done

if [ ${#baselines[@]} -gt 0 ]; then
  # --- the table against etcd's gRPC client and the baselines ------------------------------------
  cell() { if [ -n "$1" ]; then printf '%.0f (%.2f / %.2f)' "$1" "$2" "$3"; else echo -; fi; }
  rate() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; else echo -; fi; }
  kvdb_value() { # system, workload, jq path
    local file="$results/$1-${2//[^a-z0-9]/_}.json"
    [ -s "$file" ] && jq -r "$3 // empty" "$file" 2>/dev/null || true
  }
  echo
  echo "kvdb vs etcd $etcd_version through its gRPC client: 3 members each on 127.0.0.1, $(nproc) cores, ${value_size}-byte values, $keys keys, ${duration} per workload; ops/s (p50 / p99 ms)"
  echo
  header="| workload | etcd gRPC |" rule="|---|---:|"
  for build in "${kvdb_builds[@]}"; do
    header+=" kvdb ${build%%|*} (HTTP/$(cat "$results/$(system_of "${build%%|*}")-http-version" 2>/dev/null || echo '?')) |"; rule+="---:|"
  done
  header+=" HEAD / etcd |"; rule+="---:|"
  for build in "${kvdb_builds[@]:1}"; do header+=" HEAD / ${build%%|*} |"; rule+="---:|"; done
  echo "$header"; echo "$rule"
  for entry in "${workloads[@]}"; do
    name=${entry%%|*}
    read -r g_ops g_p50 g_p99 _ < <(cat "$results/etcd-grpc-${name//[^a-z0-9]/_}.txt" 2>/dev/null || echo "")
    row="| $name | $(cell "${g_ops:-}" "${g_p50:-}" "${g_p99:-}") |"
    head_ops=$(kvdb_value kvdb "$name" .total.opsPerSecond)
    for build in "${kvdb_builds[@]}"; do
      s=$(system_of "${build%%|*}")
      row+=" $(cell "$(kvdb_value "$s" "$name" .total.opsPerSecond)" "$(kvdb_value "$s" "$name" .total.latencyMs.p50)" "$(kvdb_value "$s" "$name" .total.latencyMs.p99)") |"
    done
    row+=" $(rate "$head_ops" "${g_ops:-}") |"
    for build in "${kvdb_builds[@]:1}"; do row+=" $(rate "$head_ops" "$(kvdb_value "$(system_of "${build%%|*}")" "$name" .total.opsPerSecond)") |"; done
    echo "$row"
    g_ops="" g_p50="" g_p99=""
  done
  echo
  echo "Ratios are throughput (above 1 favours HEAD). Results and logs: $results"
  exit 0
fi

# --- the table ----------------------------------------------------------------------------------
value() { # system, workload name, jq path
  local file="$results/$1-${2//[^a-z0-9]/_}.json"
  [ -s "$file" ] && jq -r "$3 // empty" "$file" 2>/dev/null || true
}
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; else echo -; fi; }
number() { if [ -n "$1" ]; then printf "$2" "$1"; else echo -; fi; }

echo
echo "kvdb vs etcd $etcd_version: 3 members each on 127.0.0.1, $(nproc) cores, ${value_size}-byte values, $keys keys, ${duration} measured after ${warmup} warm-up per workload (and ${system_warmup} per system)"
echo
echo "| workload | kvdb ops/s | etcd ops/s | kvdb/etcd | kvdb p99 ms | etcd p99 ms | kvdb/etcd p99 |"
echo "|---|---:|---:|---:|---:|---:|---:|"
errors_seen=""
for entry in "${workloads[@]}"; do
  name=${entry%%|*}
  kt=$(value kvdb "$name" .total.opsPerSecond); et=$(value etcd "$name" .total.opsPerSecond)
  kp=$(value kvdb "$name" .total.latencyMs.p99); ep=$(value etcd "$name" .total.latencyMs.p99)
  echo "| $name | $(number "$kt" %.0f) | $(number "$et" %.0f) | $(ratio "$kt" "$et") | $(number "$kp" %.2f) | $(number "$ep" %.2f) | $(ratio "$kp" "$ep") |"
  for system in kvdb etcd; do
    e=$(value "$system" "$name" .total.errors)
    if [ -n "$e" ] && [ "$e" != 0 ]; then
      errors_seen+="  $system $name: $e errors $(value "$system" "$name" '.errors | tostring')"$'\n'
    fi
  done
done
echo
echo "Throughput ratio > 1 and p99 ratio < 1 favour kvdb. Results and logs: $results"
if [ -n "$grpc_lines" ]; then
  echo
  echo "etcd through its native gRPC client (etcd-grpc-bench: ops/s, p50 ms, p99 ms, errors; get = linearizable, sget = serializable):"
  echo
  printf '%s' "$grpc_lines"
fi
if [ -n "$errors_seen" ]; then
  echo "Requests failed in some runs:"
  printf '%s' "$errors_seen"
fi
