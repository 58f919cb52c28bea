# Sourced by the bench scripts that need a three-member kvdb cluster of their own:
#   . "$root/bench/cluster.sh"; find_kvdb; start_cluster BASE   (needs $root, $work, pids=())
# find_kvdb sets $kvdb to $BENCH_KVDB, or builds this tree (Release) into out/kvdb.
# Members i = 1..3 take peer port BASE+i and client port BASE+10+i, keep their data on disk under
# $work/node-i (fsync on commit, as in production) and log to $work/node-i.log; the function
# returns once every member answers /readyz (up to 60 s each) and sets $endpoints to the three
# client URLs, comma-separated. The caller's EXIT trap kills "${pids[@]}".
start_cluster() {
  local base=$1 i
  local cluster="http://127.0.0.1:$((base+1)),http://127.0.0.1:$((base+2)),http://127.0.0.1:$((base+3))"
  endpoints=""
  for i in 1 2 3; do
    "$kvdb" --id $i --cluster "$cluster" --port $((base+10+i)) --data-dir "$work/node-$i" --log-level Warning > "$work/node-$i.log" 2>&1 &
    pids+=($!)
    endpoints="$endpoints${endpoints:+,}http://127.0.0.1:$((base+10+i))"
  done
  for i in 1 2 3; do
    for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$((base+10+i))/readyz" > /dev/null && break; sleep 0.5; done
  done
}

find_kvdb() {
  kvdb=${BENCH_KVDB:-}
  if [ -z "$kvdb" ]; then
    dotnet build "$root/src/KvDb.Node" -c Release -o "$root/out/kvdb" > "$work/build.log"
    kvdb="$root/out/kvdb/kvdb"
  fi
}
