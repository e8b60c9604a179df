#!/usr/bin/env bash
# Durable SET against the partition count: for each count given, a fresh durable server with that many partitions,
# then 50 connections at pipeline 16 (40 s after a 40 s warm-up) and at pipeline 1 (30 s after 10 s more); prints a
# line per server, stops it by process id and removes its folder. Give counts alternating for an A/B, e.g.
#
#   bench/partitions.sh 64 16 64 16
#
# Needs target/portal.jar. ~2 min per count.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
. bench/lib.sh
rate() {
  java -jar $JAR bench --port "$P" --ops set --connections 50 --pipeline "$1" --duration "$2" --warmup "$3" \
    | grep -E '^requests' | sed 's/.*: //'
}
stop() { kill "${SERVER:-}" 2> /dev/null || true; wait "${SERVER:-}" 2> /dev/null || true; rm -rf "${D:-}"; }
trap stop EXIT
for parts in "$@"; do
  D=$(mktemp -d)
  P=$(free_port)
  start_portal $JAR durable "$D" "$P" -Dportal.store.partitions="$parts"
  wait_port "$P"
  r16=$(rate 16 40s 40s)
  r1=$(rate 1 30s 10s)
  echo "partitions $parts: durable SET 50x16 $r16; 50x1 $r1"
  stop
done
