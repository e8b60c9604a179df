# Helpers shared by the bench scripts (sourced, not run).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 60 s for something to listen on loopback port $1; fails if nothing does.
wait_port() { for _ in $(seq 1 300); do (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0; sleep 0.2; done; return 1; }

# Writes the 100 000 keys (100-byte values) that the runs read and overwrite, with the bench of jar $1, to port $2,
# speaking protocol $3 (default portal). Fails, printing the bench's output, when a write failed or the load took
# over 10 minutes (a run with --requests waits for every one, so a server that stops answering would hold it).
load_keys() {
  local out; out=$(mktemp)
  # a run that failed or timed out has no "errors 0" line either, so bench_ops reports it with its output
  timeout 600 java -jar "$1" bench --protocol "${3:-portal}" --port "$2" --ops set --keys 100000 \
    --requests 100000 --sequential --pipeline 32 --warmup 0s > "$out" || true
  if ! bench_ops "$out" "loading keys into port $2" > /dev/null; then rm -f "$out"; return 1; fi
  rm -f "$out"
}

# Starts a Portal server from jar $1 in store mode $2 with data folder $3 on loopback port $4, any further arguments
# being JVM options; its output goes to $3/server.log, management (HTTP) is off. Sets SERVER to its process id.
start_portal() {
  local jar=$1 mode=$2 dir=$3 port=$4
  shift 4
  java "$@" -Dportal.store.mode="$mode" -Dportal.store.data-dir="$dir" -Dportal.server.port="$port" \
    -Dportal.management.enabled=false -jar "$jar" > "$dir/server.log" 2>&1 &
  SERVER=$!
}

# CPU time (user + system) process $1 has used so far, in clock ticks of 10 ms.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# CPU ticks (10 ms) process $1's live threads have used so far, summed by kind of thread, one "kind ticks" per line:
# gc (G1's threads), jit (compilers), rocksdb (its flush and compaction threads), journal-writer (group commit),
# dispatcher (Pekko's actors), other.
cpu_by_thread() {
  for t in /proc/"$1"/task/*; do
    # comm may hold spaces: take it between the parentheses
    sed -E 's/^[0-9]+ \((.*)\) [A-Z] (([^ ]+ ){10})([0-9]+) ([0-9]+).*/\1|\4|\5/' "$t/stat" 2> /dev/null || true
  done | awk -F'|' '{
    k = "other"
    if ($1 ~ /^(GC Thread|G1 )/) k = "gc"; else if ($1 ~ /^C[12] Compiler/) k = "jit"
    else if ($1 ~ /^rocksdb/) k = "rocksdb"; else if ($1 ~ /^portal-journal/) k = "journal-writer"
    else if ($1 ~ /dispatcher|^portal-pekko/) k = "dispatcher"
    sum[k] += $2 + $3 } END { for (k in sum) print k, sum[k] }' | sort
}

# Prints, per kind of thread, the CPU used between two cpu_by_thread outputs ($1 before, $2 after) in µs per
# operation, $3 operations in all.
cpu_split() {
  join -a 2 -e 0 -o 0,1.2,2.2 <(echo "$1") <(echo "$2") |
    awk -v ops="$3" '{ printf "%s %.1f us/op; ", $1, ($3 - $2) * 10000 / ops } END { print "" }'
}

# The ops/s of the bench run whose output is in file $1; fails, printing that output under label $2, when any
# request failed.
bench_ops() {
  grep -q '^errors 0 ' "$1" || { echo "errors from $2:" >&2; cat "$1" >&2; return 1; }
  sed -n 's/^requests .*: \([0-9,]*\) ops\/s/\1/p' "$1" | tr -d ,
}

# GET ops/s, 100-byte values over 100 000 keys, $4 connections at pipeline $5, for $6 seconds after a 3 s warm-up,
# with the bench of jar $1 speaking protocol $2 to port $3; output kept in $7. Fails when any request failed.
get_rate() {
  java -jar "$1" bench --protocol "$2" --port "$3" --ops get --connections "$4" --pipeline "$5" --value-size 100 \
    --keys 100000 --duration "${6}s" --warmup 3s > "$7"
  bench_ops "$7" "port $3"
}

# SET at 50 connections and pipeline 1, 100-byte values over 100 000 keys, with the bench of jar $2 speaking protocol
# $3 to port $4, for $7 seconds after $6 of warm-up (output in $8). Prints "$1: <ops> writes/s ..., <us> us of server
# CPU each", the CPU being that process $5 used over the measured part. Fails when any request failed.
set_50x1_with_cpu() {
  java -jar "$2" bench --protocol "$3" --port "$4" --ops set --connections 50 --pipeline 1 --value-size 100 \
    --keys 100000 --duration "${7}s" --warmup "${6}s" > "$8" &
  local bench=$!
  sleep "$6"; local c0; c0=$(cpu_ticks "$5")
  wait $bench; local c1; c1=$(cpu_ticks "$5")
  local ops; ops=$(bench_ops "$8" "$1")
  echo "$1: $(python3 -c "print(f'{$ops:,}')") writes/s over $7 s after $6 s of warm-up," \
    "$(( (c1 - c0) * 10000 / (ops * $7) )) us of server CPU each"
}
