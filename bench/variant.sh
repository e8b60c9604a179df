#!/usr/bin/env bash
# One Portal server started with extra JVM options, driven by the bench once per row; prints ops/s, the generator's
# CPU share, and the server's user/system CPU and context switches (from /proc) over 5 s in the middle of the run.
# For A/B runs of a setting: run it twice, with and without the option, back to back.
#
#   bench/variant.sh "[jvm options]" "connections pipeline [op]"...       e.g.
#   bench/variant.sh "-Dportal.connection.read-batch-bytes=1" "50 1" "50 16 get"
#   MODE=durable bench/variant.sh "" "50 1 set"        (default MODE=memory; @D@ in the options = the data folder)
#
# Keys are loaded first (100 000, 100-byte values). Needs target/portal.jar (the generator); SERVER_JAR=... runs
# another build as the server (e.g. one of an older commit, for before/after). Stops the server by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
OPTS=$1; shift
D=$(mktemp -d)
. bench/lib.sh
P=$(free_port)
# shellcheck disable=SC2086
start_portal "${SERVER_JAR:-$JAR}" "${MODE:-memory}" "$D" "$P" ${OPTS//@D@/$D}
# remove the data folder of a durable run when done
trap 'kill $SERVER 2> /dev/null || true; wait $SERVER 2> /dev/null || true; rm -rf "$D"' EXIT
wait_port "$P"
load_keys $JAR "$P"
cpu() { awk '{print $14 + $15, $14, $15}' "/proc/$SERVER/stat"; }
switches() { cat /proc/"$SERVER"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
for row in "$@"; do
  set -- $row
  java -jar $JAR bench --port "$P" --ops "${3:-get}" --connections "$1" --pipeline "$2" --duration 10s \
    --warmup 3s > "$D/bench.txt" &
  BENCH=$!
  sleep 6
  read -r _ u1 s1 < <(cpu); c1=$(switches)
  sleep 5
  read -r _ u2 s2 < <(cpu); c2=$(switches)
  wait $BENCH
  echo "$row: $(grep -E '^requests' "$D/bench.txt" | sed 's/.*: //'), generator CPU" \
    "$(grep -E 'generator CPU' "$D/bench.txt" | sed 's/.*CPU: //; s/ of.*//'); server CPU over 5 s:" \
    "user $(( (u2 - u1) * 10 )) ms, system $(( (s2 - s1) * 10 )) ms, $(( c2 - c1 )) context switches"
done
