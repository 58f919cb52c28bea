#!/usr/bin/env bash
# What open dashboards cost the member they are opened on: a three-member kvdb cluster on loopback
# takes puts on keys under one prefix (`kvdb bench`'s keys all start with "bench-") for a fixed
# time, alternately with no dashboard and with DASHBOARDS dashboards following that prefix on the
# leader (the busiest member, so the worst case), ROUNDS times. Reports, per run, put throughput
# and p50/p99, each member's CPU seconds over the run (utime+stime from /proc/PID/stat), the
# leader's CPU per 1000 puts and the watch events it sent; then the with/without ratios.
#
# A "dashboard" here is what one open dashboard on the Keys view (#/keys?p=bench-) asks of the
# member, without a browser (20 headless chromium tabs would eat the two cores themselves and
# measure the browser, not the member). Once, before the measured window, a follower makes the
# page's opening requests: GET /ui/ and its files, /v1/auth/status, /ui/api/session and the first
# page of keys (/v1/kv?keysOnly=true&limit=100&prefix=bench-&delimiter=/); then it holds the one
# request the Keys view keeps open, the watch of the prefix as Server-Sent Events with the page's
# query (/v1/watch?after=<revision of that page>&prev=true&progress=5s&prefix=bench-), read by
# `curl -N`. The Keys view polls nothing (only the Cluster and Activity views refresh on a timer),
# so that is everything. BROWSERS=N (with chromium installed) adds, in each round, a run with N
# real headless chromium tabs on the same view, as a cross-check of what a follower stands for,
# and prints the requests the member counted from them (its /metrics, by route) while they opened.
#
#   bench/dashboard-load.sh
#   BENCH_BROWSERS=5 bench/dashboard-load.sh
#
# Settings (environment): BENCH_DURATION (15s), BENCH_CONCURRENCY (16), BENCH_DASHBOARDS (20),
# BENCH_BROWSERS (0), BENCH_ROUNDS (2), BENCH_SYSTEM_WARMUP (20s, with the followers open, not
# measured), BENCH_PORT_BASE (25800), BENCH_RESULTS (out/dashboard-load/<time>), BENCH_KVDB (an executable to measure instead
# of building this checkout), KVDB_CHROMIUM (/usr/bin/chromium). Needs curl and jq.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

duration=${BENCH_DURATION:-15s}
concurrency=${BENCH_CONCURRENCY:-16}
dashboards=${BENCH_DASHBOARDS:-20}
browsers=${BENCH_BROWSERS:-0}
rounds=${BENCH_ROUNDS:-2}
system_warmup=${BENCH_SYSTEM_WARMUP:-20s}
base=${BENCH_PORT_BASE:-25800}
results=${BENCH_RESULTS:-out/dashboard-load/$(date -u +%Y%m%dT%H%M%SZ)}
chromium=${KVDB_CHROMIUM:-/usr/bin/chromium}
prefix=bench-
say() { echo "dashboard-load: $*" >&2; }
die() { say "$*"; exit 1; }
for tool in curl jq; do command -v $tool >/dev/null || die "$tool is needed"; done
if [ "$browsers" -gt 0 ] && [ ! -x "$chromium" ]; then
  say "no chromium at $chromium: the runs with real browsers are left out"
  browsers=0
fi

mkdir -p "$results"
results=$(cd "$results" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/kvdb-dashboard.XXXXXX")
pids=() followers=() browser=""
stop_followers() {
  for pid in "${followers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${followers[@]}"; do wait "$pid" 2>/dev/null || true; done
  followers=()
}
stop_browser() {
  [ -n "$browser" ] || return 0
  kill -- "-$browser" 2>/dev/null || true
  wait "$browser" 2>/dev/null || true
  browser=""
}
cleanup() {
  trap - EXIT INT TERM
  stop_followers
  stop_browser
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  cp "$work"/node-*.log "$results/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$root/bench/cluster.sh"
if [ -z "${BENCH_KVDB:-}" ]; then say "building kvdb (Release) into out/kvdb"; fi
find_kvdb
start_cluster "$base"
member_url() { echo "http://127.0.0.1:$((base + 10 + $1))"; }

leader() {
  local id="" _
  for _ in $(seq 1 60); do
    id=$(curl -s -m 2 "$(member_url 1)/v1/members" | jq -r '.[] | select(.role == "leader") | .id' 2>/dev/null || true)
    [ -n "$id" ] && { echo "$id"; return; }
    sleep 0.5
  done
  die "no leader after 30 s"
}

ticks=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'; }
# CPU ticks of the dashboards' side: the followers' curls, or every process of the browser's group.
client_ticks() {
  local pid sum=0 t
  if [ -n "$browser" ]; then
    for pid in $(ps -eo pid=,pgid= | awk -v g="$browser" '$2 == g { print $1 }'); do t=$(cpu_ticks "$pid"); sum=$((sum + ${t:-0})); done
  else
    for pid in "${followers[@]}"; do t=$(cpu_ticks "$pid"); sum=$((sum + ${t:-0})); done
  fi
  echo "$sum"
}
# A member's counter or gauge from /metrics: the sum of the series of NAME.
metric() { # member name
  curl -s -m 5 "$(member_url "$1")/metrics" \
    | awk -v name="$2" '$1 ~ "^" name "(_total)?([{]|$)" { sum += $NF } END { printf "%d", sum }'
}
wait_open_watches() { # member count
  local _ n=0
  for _ in $(seq 1 240); do
    n=$(metric "$1" kvdb_watch_open)
    [ "$n" -ge "$2" ] && return 0
    sleep 0.5
  done
  die "member $1 had $n watches open, not $2, after 120 s"
}

open_page() { # member; prints the revision of the first page of keys
  local url files
  url=$(member_url "$1")
  files=$(cd src/KvDb.Node/Dashboard/Assets && ls | grep -vx index.html)
  curl -sf --compressed -o /dev/null "$url/ui/"
  for f in $files; do curl -sf --compressed -o /dev/null "$url/ui/$f"; done
  curl -sf -o /dev/null "$url/v1/auth/status"
  curl -sf -o /dev/null "$url/ui/api/session"
  curl -sf "$url/v1/kv?keysOnly=true&limit=100&prefix=$prefix&delimiter=%2F" | jq -r .revision
}

open_followers() { # member count
  local i revision
  for i in $(seq 1 "$2"); do
    revision=$(open_page "$1")
    curl -sN -H 'Accept: text/event-stream' -o /dev/null \
      "$(member_url "$1")/v1/watch?after=$revision&prev=true&progress=5s&prefix=$prefix" &
    followers+=($!)
  done
  wait_open_watches "$1" "$2"
}

# Real tabs: one headless chromium (its own process group) opening the Keys view N times through
# its DevTools endpoint; "#" goes percent-encoded so the fragment reaches the browser.
open_browsers() { # member count
  local port=$((base + 30)) i _
  requests "$1" >"$work/requests-before"
  setsid "$chromium" --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-extensions \
    --no-first-run --user-data-dir="$work/chromium-$RANDOM" --remote-debugging-port=$port about:blank \
    >"$results/chromium.log" 2>&1 &
  browser=$!
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/json/version" && break; sleep 0.5; done
  for i in $(seq 1 "$2"); do
    curl -sf -o /dev/null -X PUT "http://127.0.0.1:$port/json/new?$(member_url "$1")/ui/%23/keys?p=$prefix" \
      || die "chromium did not open tab $i; see $results/chromium.log"
  done
  wait_open_watches "$1" "$2"
  # What the tabs asked of the member while opening (the watches, still open, are counted when they end).
  requests "$1" | awk 'NR == FNR { before[$1] = $2; next } $2 - before[$1] > 0 { printf "%d\t%s\n", $2 - before[$1], $1 }' \
    "$work/requests-before" - >"$results/browser-requests-opening.txt"
}
# The requests a member has answered, by route, method and code (its /metrics).
requests() { # member
  curl -s -m 5 "$(member_url "$1")/metrics" | awk '/^kvdb_http_request_duration_seconds_count/ { print $1, $NF }'
}

# The warm-up runs with the followers open, so that the watch path is compiled (tiered JIT) before
# the first measured run with dashboards, as the put path is before the first without.
say "system warm-up ($system_warmup with $dashboards followers, not measured)"
open_followers "$(leader)" "$dashboards"
"$kvdb" bench --endpoints "$endpoints" --duration "$system_warmup" --warmup 0s --concurrency "$concurrency" --mix put=100 --json \
  >/dev/null 2>&1 || true
stop_followers

rows="$results/runs.tsv"
printf 'round\tdashboards\tkind\tleader\tops\tp50\tp99\tcpu1\tcpu2\tcpu3\tevents\tload\tclient\n' >"$rows"
run() { # round kind(none|followers|browsers) count
  local lead file before=() after=() i events0 events1 ops client0 client1
  lead=$(leader)
  case $2 in
    followers) open_followers "$lead" "$3" ;;
    browsers) open_browsers "$lead" "$3" ;;
  esac
  file="$results/round-$1-$2-$3.json"
  say "round $1: puts at concurrency $concurrency for $duration, $3 dashboards ($2) on member $lead"
  events0=$(metric "$lead" kvdb_watch_events_sent)
  requests "$lead" >"$work/requests-before"
  client0=$(client_ticks)
  for i in 0 1 2; do before+=("$(cpu_ticks "${pids[$i]}")"); done
  "$kvdb" bench --endpoints "$endpoints" --duration "$duration" --warmup 0s --concurrency "$concurrency" --mix put=100 \
    --json >"$file" 2>"$file.log" || say "round $1 ($2) failed; see $file.log"
  for i in 0 1 2; do after+=("$(cpu_ticks "${pids[$i]}")"); done
  client1=$(client_ticks)
  events1=$(metric "$lead" kvdb_watch_events_sent)
  # The requests the leader answered during the run: the puts, the other members' forwarded
  # proposals and this script's two reads of /metrics, and anything the dashboards asked for
  # (their watches are counted when they end, after the run).
  requests "$lead" | awk 'NR == FNR { before[$1] = $2; next } $2 - before[$1] > 0 { printf "%d\t%s\n", $2 - before[$1], $1 }' \
    "$work/requests-before" - >"$results/round-$1-$2-requests-during-run.txt"
  stop_browser
  stop_followers
  ops=$(jq -r '.total.opsPerSecond // 0' "$file" 2>/dev/null || echo 0)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$3" "$2" "$lead" "$ops" \
    "$(jq -r '.total.latencyMs.p50 // "-"' "$file" 2>/dev/null || echo -)" "$(jq -r '.total.latencyMs.p99 // "-"' "$file" 2>/dev/null || echo -)" \
    "$(awk -v a="${before[0]}" -v b="${after[0]}" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')" \
    "$(awk -v a="${before[1]}" -v b="${after[1]}" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')" \
    "$(awk -v a="${before[2]}" -v b="${after[2]}" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')" \
    "$((events1 - events0))" "$(cut -d' ' -f1 /proc/loadavg)" \
    "$(awk -v a="$client0" -v b="$client1" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')" >>"$rows"
  # Let the watches close and the member settle before the next run.
  for _ in $(seq 1 20); do [ "$(metric "$lead" kvdb_watch_open)" -eq 0 ] && break; sleep 0.5; done
}

for round in $(seq 1 "$rounds"); do
  run "$round" none 0
  run "$round" followers "$dashboards"
  if [ "$browsers" -gt 0 ]; then run "$round" browsers "$browsers"; fi
done

seconds=${duration%s}
echo
echo "Puts at concurrency $concurrency for $duration under the prefix $prefix; dashboards on the leader. CPU in seconds over the run."
echo
echo "| round | dashboards | put ops/s | p50 ms | p99 ms | leader | CPU member 1 | member 2 | member 3 | leader CPU µs / put | watch events sent | dashboards' own CPU | load avg |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F'\t' -v s="$seconds" 'NR > 1 {
  cpu = $(7 + $4); per = $5 > 0 ? cpu * 1000000 / ($5 * s) : 0
  printf "| %s | %s %s | %.0f | %s | %s | %s | %s | %s | %s | %.0f | %s | %s | %s |\n", $1, $2, ($3 == "none" ? "" : "(" $3 ")"), $5, $6, $7, $4, $8, $9, $10, per, $11, ($3 == "none" ? "-" : $13), $12
}' "$rows"
echo
# Each run with dashboards against the run without in the same round, so drift between rounds cancels.
awk -F'\t' -v s="$seconds" 'NR > 1 {
  cpu = $(7 + $4); per = $5 > 0 ? cpu * 1000000 / ($5 * s) : 0
  if ($3 == "none") { ops0 = $5; p990 = $7; cpu0 = cpu; per0 = per; next }
  # What the dashboards added: leader CPU beyond what as many puts cost it without them.
  extra = cpu - per0 * $5 * s / 1000000; each = $11 > 0 ? extra * 1000000 / $11 : 0
  if (ops0 > 0) printf "round %s, %s %s against none: put ops/s x%.2f, p99 x%.2f, leader CPU s x%.2f, leader CPU per put x%.2f; leader CPU beyond the puts %.2f s, %.1f µs per watch event sent\n",
    $1, $2, $3, $5 / ops0, $7 / p990, cpu / cpu0, per / per0, extra, each
}' "$rows"
if [ -s "$results/browser-requests-opening.txt" ]; then
  echo
  echo "Requests the leader counted while the last $browsers chromium tabs opened (from kvdb_http_request_duration_seconds_count):"
  sed 's/^/    /' "$results/browser-requests-opening.txt"
fi
echo
echo "results in $results"
