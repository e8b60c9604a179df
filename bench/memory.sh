#!/usr/bin/env bash
# Memory per key and restart time, Portal (durable, RocksDB journal) beside Redis 7 (no persistence), with the same
# keys written by the same generator: N keys of 14 bytes ("key:0000000042") with 100-byte values.
#
#   bench/memory.sh [keys...]        e.g. bench/memory.sh 1000000 3000000      (default: 1000000)
#
# For each count: Portal's live heap after a full GC (jcmd GC.class_histogram) before and after loading, its resident
# memory, the data folder's size; Redis's used_memory and resident memory. Then Portal is stopped (SIGTERM) and
# started again: time to ready and resident memory; then 10 s of overwrites, kill -9 in the middle of them, and the
# restart timed again. HEAP (default 8g) is Portal's -Xmx, JVM_OPTS more JVM options. Needs target/portal.jar and
# redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
HEAP=${HEAP:-8g}
[ -f "$JAR" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
command -v redis-server > /dev/null || { echo "needs redis-server" >&2; exit 2; }
. bench/lib.sh

live_heap() { jcmd "$1" GC.class_histogram 2> /dev/null | awk '/^Total/ {print $3}'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
load() { # jar port protocol keys
  java -jar "$1" bench --protocol "$3" --port "$2" --ops set --keys "$4" --requests "$4" --sequential \
    --connections 50 --pipeline 32 --value-size 100 --warmup 0s > "$D/load.txt"
  grep -q '^errors 0 ' "$D/load.txt" || { echo "load failed:" >&2; cat "$D/load.txt" >&2; exit 1; }
}
# starts Portal on $D, port $P; sets SERVER, and MS to the milliseconds until it serves
start_timed() {
  local t0; t0=$(date +%s%N)
  # shellcheck disable=SC2086
  start_portal "$JAR" durable "$D" "$P" -Xmx"$HEAP" ${JVM_OPTS:-}
  wait_port "$P" || { echo "server did not start" >&2; cat "$D/server.log" >&2; exit 1; }
  MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

for N in "${@:-1000000}"; do
  D=$(mktemp -d); P=$(free_port)
  trap 'kill -9 ${SERVER:-0} ${REDIS:-0} 2> /dev/null || true; rm -rf "$D"' EXIT
  start_timed
  sleep 2
  base=$(live_heap "$SERVER")
  load "$JAR" "$P" portal "$N"
  sleep 2
  heap=$(live_heap "$SERVER"); rss=$(rss_kb "$SERVER")
  echo "Portal, $N keys: live heap $(( (heap - base) / N )) B/key ($(( heap >> 20 )) MiB, $(( base >> 20 )) MiB" \
    "empty), resident $(( rss >> 10 )) MiB, data folder $(du -sm "$D/journal" | cut -f1) MB; loaded at" \
    "$(sed -n 's/^requests .*: \([0-9,]*\) ops\/s/\1/p' "$D/load.txt") writes/s"
  kill -TERM "$SERVER"; wait "$SERVER" || true
  start_timed
  echo "Portal restart (clean stop before): ready in $MS ms," \
    "$(grep -o '[0-9]* partitions recovered in [0-9]* ms' "$D/server.log" | tail -1), resident" \
    "$(( $(rss_kb "$SERVER") >> 10 )) MiB, live heap $(( $(live_heap "$SERVER") >> 20 )) MiB"
  java -jar "$JAR" bench --port "$P" --ops set --keys "$N" --connections 50 --pipeline 16 --value-size 100 \
    --duration 10s --warmup 0s > /dev/null 2>&1 &
  GEN=$!
  sleep 5; kill -9 "$SERVER"; wait "$SERVER" 2> /dev/null || true; wait $GEN 2> /dev/null || true
  start_timed
  echo "Portal restart after kill -9 amid overwrites: ready in $MS ms," \
    "$(grep -o '[0-9]* partitions recovered in [0-9]* ms' "$D/server.log" | tail -1), data folder" \
    "$(du -sm "$D/journal" | cut -f1) MB"
  kill -TERM "$SERVER"; wait "$SERVER" || true

  RP=$(free_port)
  redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no --daemonize no > "$D/redis.log" 2>&1 &
  REDIS=$!
  wait_port "$RP"
  load "$JAR" "$RP" resp "$N"
  used=$(redis-cli -p "$RP" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
  echo "Redis, $N keys: used_memory $(( used / N )) B/key ($(( used >> 20 )) MiB), resident" \
    "$(( $(rss_kb $REDIS) >> 10 )) MiB"
  kill "$REDIS"; wait "$REDIS" || true
  rm -rf "$D"
done
