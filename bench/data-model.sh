#!/usr/bin/env bash
# Scans, transactions and watch fan-out on one durable Portal server (RocksDB journal), each beside plain SETs
# measured in the same run:
#   1. KEYS keys of 14 bytes ("key:0000000042") with 100-byte values are loaded;
#   2. scan: pages of 1000 keys in order, round and round the key space, one connection (keys/s), then 4;
#   3. durable SET and TXN (a transaction writing {key}:a and {key}:b together) at 50 connections x pipeline 1;
#   4. watch fan-out: 100 connections each watch the prefix key: while 10 connections SET keys under it (events/s
#      delivered to the watchers, and the writers' rate beside the same writers without watchers).
#
#   bench/data-model.sh [keys] [seconds]            (default 1000000 keys, 10 s per measurement after 3 s warm-up)
#
# Needs target/portal.jar. Stops what it started by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
KEYS=${1:-1000000}; RUN=${2:-10}
. bench/lib.sh
D=$(mktemp -d)
P=$(free_port)
start_portal $JAR durable "$D" "$P" -Xmx2g
trap 'kill $SERVER 2> /dev/null || true; wait $SERVER 2> /dev/null || true; rm -rf "$D"' EXIT
wait_port "$P"
run() { # label, bench options...
  local label=$1; shift
  java -jar $JAR bench --port "$P" --duration "${RUN}s" --warmup 3s "$@" > "$D/run.txt"
  bench_ops "$D/run.txt" "$label" > /dev/null
  printf '%-44s %s\n' "$label" "$(grep -E '^requests' "$D/run.txt")"
  grep -E '^(keys scanned|watch events delivered|latency)' "$D/run.txt" | sed 's/^/    /'
}
echo "Portal $(java -jar $JAR --version | awk '{print $2}'), $KEYS keys, $(nproc) cores, $(date -u +%FT%TZ)"
java -jar $JAR bench --port "$P" --ops set --keys "$KEYS" --requests "$KEYS" --sequential --connections 50 \
  --pipeline 32 --value-size 100 --warmup 0s > "$D/load.txt"
bench_ops "$D/load.txt" "loading $KEYS keys" > /dev/null
echo "loaded: $(grep -E '^requests' "$D/load.txt")"
run "scan, 1 connection, pages of 1000" --ops scan --scan-page 1000 --connections 1 --pipeline 1 --keys "$KEYS"
run "scan, 4 connections, pages of 1000" --ops scan --scan-page 1000 --connections 4 --pipeline 1 --keys "$KEYS"
run "durable SET, 50 x 1" --ops set --connections 50 --pipeline 1 --keys "$KEYS"
run "durable TXN of 2 keys, 50 x 1" --ops txn --connections 50 --pipeline 1 --keys "$KEYS"
run "durable SET, 10 x 1, no watchers" --ops set --connections 10 --pipeline 1 --keys 1000
run "durable SET, 10 x 1, 100 watchers of key:" --ops set --connections 10 --pipeline 1 --keys 1000 --watchers 100
