#!/usr/bin/env bash
# Portal against itself: durable vs memory store, SET at pipeline 1 and 16 and GET at pipeline 1, 50 connections,
# 100-byte values. Starts each server on a free loopback port with a temporary data folder, stops it by process id.
# Needs target/portal.jar (mvn -B package -DskipTests). About 3 minutes. Usage: bench/store-modes.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-15}
JAR=target/portal.jar
OUT=$(mktemp -d)
[ -f "$JAR" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
. bench/lib.sh
for mode in durable memory; do
  DATA=$(mktemp -d)
  PORT=$(free_port)
  start_portal $JAR $mode "$DATA" "$PORT"
  trap 'kill $SERVER 2> /dev/null || true; wait $SERVER 2> /dev/null || true; rm -rf "$DATA"' EXIT
  wait_port "$PORT" || { echo "server did not start" >&2; cat "$DATA/server.log" >&2; exit 1; }
  for run in "set 1" "set 16" "get 1"; do
    set -- $run
    java -jar $JAR bench --port "$PORT" --connections 50 --pipeline $2 --ops $1 --value-size 100 --keys 100000 \
      --duration ${SECONDS_PER_RUN}s --warmup 5s --json "$OUT/$mode-$1-$2.json" > "$OUT/$mode-$1-$2.txt"
  done
  kill -TERM $SERVER; wait $SERVER || true
  cp "$DATA/server.log" "$OUT/server-$mode.log"
  rm -rf "$DATA"
done
printf '%-8s %-4s %-8s %10s %9s %9s %8s\n' mode op pipeline ops/s p50_ms p99_ms gen_cpu
for f in "$OUT"/*.json; do
  python3 - "$f" <<'PY'
import json, sys, os
r = json.load(open(sys.argv[1])); mode = os.path.basename(sys.argv[1]).split('-')[0]
print(f"{mode:<8} {r['ops']:<4} {r['pipeline']:<8} {r['ops_per_sec']:>10,.0f} {r['latency_ms']['p50']:>9.2f} "
      f"{r['latency_ms']['p99']:>9.2f} {r['generator_cpu_share']*100:>7.0f}%")
PY
done
echo "raw results: $OUT"
