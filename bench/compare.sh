#!/usr/bin/env bash
# Portal side by side with Redis and etcd on this machine, driven by the same load generator
# (the bench of target/portal-with-etcd.jar: --protocol resp for Redis, --protocol etcd for etcd over gRPC).
# Installs redis-server and etcd-server from Debian's packages when missing, starts every system on its own
# loopback port with a temporary data folder, stops each by process id, and prints one table. Writes the raw
# results and two SVG charts to OUT (default: a temporary folder; docs/bench is where the committed ones live).
#
#   bench/compare.sh [seconds-per-run] [OUT] [durable-warmup-seconds]   e.g. bench/compare.sh 10 docs/bench 20
#
# Durable rows warm up longer (default 20 s, the same for every system): Portal's durable path (Pekko Persistence,
# the RocksDB journal) is still being compiled by the JIT for a while after start, and a 3 s warm-up measured that,
# not the steady state.
#
# Needs target/portal.jar (mvn -B package -DskipTests); builds target/portal-with-etcd.jar (mvn -Petcd) when
# missing, whose bench also speaks etcd's gRPC API. About 7 minutes at 10 s per run.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-10}
OUT=${2:-$(mktemp -d)}
DURABLE_WARMUP=${3:-20}
WARMUP=3
JAR=target/portal.jar
BENCH_JAR=target/portal-with-etcd.jar
mkdir -p "$OUT"
[ -f "$JAR" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
[ "$BENCH_JAR" -nt "$JAR" ] || mvn -B -q -Petcd package -DskipTests  # the same code as $JAR, plus the etcd driver
if ! command -v redis-server > /dev/null || ! command -v etcd > /dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server etcd-server > /dev/null
fi
. bench/lib.sh
PIDS=()
DIRS=()  # data folders, removed at the end
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; wait "$p" 2> /dev/null || true; done
  rm -rf "${DIRS[@]}"
}
trap cleanup EXIT
bench() { # system protocol port op connections pipeline
  java -jar $BENCH_JAR bench --protocol "$2" --port "$3" --ops "$4" --connections "$5" --pipeline "$6" --value-size 100 \
    --keys 100000 --duration "${RUN}s" --warmup "${WARMUP}s" --json "$OUT/$1-$4-$5x$6.json" > "$OUT/$1-$4-$5x$6.txt"
}
ROWS=("set 50 1" "set 50 16" "get 50 1" "get 50 16" "get 1 1")

# --- in memory: Portal (memory store) vs Redis without persistence
P=$(free_port); D=$(mktemp -d); DIRS+=("$D")
java -Dportal.store.mode=memory -Dportal.store.data-dir="$D" -Dportal.server.port=$P -Dportal.management.enabled=false \
  -jar $JAR > "$OUT/portal-memory.log" 2>&1 & PIDS+=($!); wait_port $P
for r in "${ROWS[@]}"; do set -- $r
  if [ "$1" = get ] && [ ! -f "$OUT/.pm" ]; then load_keys $BENCH_JAR $P portal; touch "$OUT/.pm"; fi
  bench portal-memory portal $P $1 $2 $3; done
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2> /dev/null || true

R=$(free_port); D=$(mktemp -d); DIRS+=("$D")
redis-server --port $R --bind 127.0.0.1 --save "" --appendonly no --dir "$D" > "$OUT/redis.log" 2>&1 & PIDS+=($!)
wait_port $R
for r in "${ROWS[@]}"; do set -- $r
  if [ "$1" = get ] && [ ! -f "$OUT/.rm" ]; then load_keys $BENCH_JAR $R resp; touch "$OUT/.rm"; fi
  bench redis-nopersist resp $R $1 $2 $3; done
kill "${PIDS[-1]}"

# --- durable: Portal (RocksDB journal, every acknowledged write synced) vs Redis appendfsync always vs etcd
WARMUP=$DURABLE_WARMUP
P=$(free_port); D=$(mktemp -d); DIRS+=("$D")
java -Dportal.store.data-dir="$D" -Dportal.server.port=$P -Dportal.management.enabled=false \
  -jar $JAR > "$OUT/portal-durable.log" 2>&1 & PIDS+=($!); wait_port $P
bench portal-durable portal $P set 50 1; bench portal-durable portal $P set 50 16
kill "${PIDS[-1]}"; wait "${PIDS[-1]}" 2> /dev/null || true

R=$(free_port); D=$(mktemp -d); DIRS+=("$D")
redis-server --port $R --bind 127.0.0.1 --save "" --appendonly yes --appendfsync always --dir "$D" \
  > "$OUT/redis-always.log" 2>&1 & PIDS+=($!); wait_port $R
bench redis-fsync-always resp $R set 50 1; bench redis-fsync-always resp $R set 50 16
kill "${PIDS[-1]}"

E=$(free_port); EP=$(free_port); D=$(mktemp -d); DIRS+=("$D")
etcd --data-dir "$D" --listen-client-urls http://127.0.0.1:$E --advertise-client-urls http://127.0.0.1:$E \
  --listen-peer-urls http://127.0.0.1:$EP --initial-advertise-peer-urls http://127.0.0.1:$EP \
  --initial-cluster default=http://127.0.0.1:$EP > "$OUT/etcd.log" 2>&1 & PIDS+=($!); wait_port $E
bench etcd etcd $E set 50 1; bench etcd etcd $E set 50 16
kill "${PIDS[-1]}"
rm -f "$OUT/.pm" "$OUT/.rm"

python3 bench/report.py "$OUT"
