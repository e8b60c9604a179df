#!/usr/bin/env bash
# Durable SET at 50 connections, pipeline 1, for several server settings in turn, round after round: a fresh durable
# server (empty data folder) per measurement, the bench's warm-up, then the measured run. Prints writes/s and the
# server's CPU time per write over the measured run (from /proc). For A/B runs of journal and snapshot settings.
#
#   bench/durable-ab.sh rounds warmup-seconds run-seconds "<jvm options>"...      ("" = the defaults; @D@ in the
#   e.g. bench/durable-ab.sh 2 30 20 "" "-Dportal.store.snapshot-every-events=1000000"   options = the data folder)
#
# Needs target/portal.jar. Stops each server by process id and removes its data folder.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
ROUNDS=$1; WARMUP=$2; RUN=$3; shift 3
. bench/lib.sh
for round in $(seq 1 "$ROUNDS"); do
  for opts in "$@"; do
    D=$(mktemp -d); P=$(free_port)
    # shellcheck disable=SC2086
    start_portal $JAR durable "$D" "$P" ${opts//@D@/$D}
    trap 'kill $SERVER 2> /dev/null || true; wait $SERVER 2> /dev/null || true; rm -rf "$D"' EXIT
    wait_port "$P"
    set_50x1_with_cpu "round $round [${opts:-defaults}]" $JAR portal "$P" "$SERVER" "$WARMUP" "$RUN" "$D/bench.txt"
    kill $SERVER; wait $SERVER 2> /dev/null || true; rm -rf "$D"
  done
done
