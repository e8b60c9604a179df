#!/usr/bin/env bash
# A durable Portal server on a fresh data folder under one write load: prints the journal folder's size every 15 s,
# the bench result, and the server's CPU time, then stops the server and removes the folder.
#
#   bench/file-growth.sh "connections pipeline" seconds ["jvm options"]      e.g.
#   bench/file-growth.sh "50 16" 120
#   bench/file-growth.sh "50 1" 70 "-Dportal.store.snapshot-growth-percent=50"
#
# @D@ in the options stands for the data folder. The run overwrites KEYS keys (default 100 000, 100-byte values: about
# 11 MB of keys and values), written once first unless LOAD=0. SIG=-9 stops the server with kill -9 instead of a clean stop; KEEP=1 keeps the folder.
# SERVER_JAR=... runs another build as the server. Needs target/portal.jar (the generator).
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
ROW=$1; SECS=$2; OPTS=${3:-}
D=$(mktemp -d)
. bench/lib.sh
P=$(free_port)
# shellcheck disable=SC2086
start_portal "${SERVER_JAR:-$JAR}" durable "$D" "$P" ${OPTS//@D@/$D}
trap 'kill ${SIG:--TERM} $SERVER 2> /dev/null || true; wait $SERVER 2> /dev/null || true
      if [ -n "${KEEP:-}" ]; then echo "kept $D"; else rm -rf "$D"; fi' EXIT
wait_port "$P"
KEYS=${KEYS:-100000}
if [ "${LOAD:-1}" != 0 ]; then
  java -jar $JAR bench --port "$P" --ops set --keys "$KEYS" --requests "$KEYS" --sequential --pipeline 32 \
    --warmup 0s > "$D/load.txt"
  grep -q '^errors 0 ' "$D/load.txt" || { echo "loading failed:" >&2; cat "$D/load.txt" >&2; exit 1; }
  echo "loaded $KEYS keys: journal $(du -sm "$D/journal" | cut -f1) MB"
fi
set -- $ROW
cpu() { awk '{print ($14 + $15) * 10}' "/proc/$SERVER/stat"; }
t0=$(cpu); split0=$(cpu_by_thread "$SERVER")
java -jar $JAR bench --port "$P" --ops set --keys "$KEYS" --connections "$1" --pipeline "$2" --duration "${SECS}s" \
  --warmup 0s \
  > "$D/bench.txt" &
BENCH=$!
for t in $(seq 15 15 "$SECS"); do
  sleep 15
  echo "t=${t}s journal $(du -sm "$D/journal" | cut -f1) MB, $(grep -E '^ +[0-9.]+s' "$D/bench.txt" | tail -1 | cut -c1-32)"
done
wait $BENCH
t1=$(cpu); split1=$(cpu_by_thread "$SERVER")
grep -E '^requests|^latency|^errors' "$D/bench.txt"
echo "server CPU: $((t1 - t0)) ms over ${SECS} s"
OPS=$(sed -n 's/^requests \([0-9,]*\) in.*/\1/p' "$D/bench.txt" | tr -d ,)
[ -n "$OPS" ] && echo "server CPU by thread: $(cpu_split "$split0" "$split1" "$OPS")"
