#!/usr/bin/env bash
# Where a pipeline-1 GET's cost lies: six servers of the same keys, driven by the same generator in alternating
# rounds (all run at once; the idle ones use no CPU; the order rotates every round):
#   portal    Portal's memory store (connection actor, partitions, Pekko Streams TCP)
#   pekko     Pekko Streams TCP with Portal's decoder and dispatcher settings and a map answering each frame: no
#             connection actor, no partitions (src/test/java/io/portal/transport/TransportCeilingProbe.java)
#   pekko-io  the same map behind Pekko's TCP actors without streams, in their push mode, an actor per connection
#   nio-actor the same map behind one thread with a plain NIO selector that reads and splits frames, and an actor per
#             connection that answers the frames of each read and writes them (a transport of Portal's own, in shape)
#   nio       that selector thread answering and writing itself, read interest always on (Redis's loop shape)
#   redis     redis-server without persistence, through the generator's RESP target
# Prints each measurement, then per row the median of each against Redis.
#
#   bench/transport-ceiling.sh [rounds] [seconds per measurement] [rows...]   (default 3 rounds, 10 s, "50 1" "50 16")
#
# Needs target/portal.jar and redis-server (bench/compare.sh installs it). Stops what it started by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
ROUNDS=${1:-3}; RUN=${2:-10}; shift 2 2> /dev/null || shift $#
ROWS=("$@"); [ ${#ROWS[@]} -gt 0 ] || ROWS=("50 1" "50 16")
. bench/lib.sh
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt > /dev/null
CP="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
D=$(mktemp -d)
SYSTEMS=(portal pekko pekko-io nio-actor nio redis)
declare -A PORT PROTO=([portal]=portal [pekko]=portal [pekko-io]=portal [nio-actor]=portal [nio]=portal [redis]=resp)
for s in "${SYSTEMS[@]}"; do PORT[$s]=$(free_port); done
start_portal $JAR memory "$D" "${PORT[portal]}"; PIDS=($SERVER)
java -cp "$CP" io.portal.transport.TransportCeilingProbe pekko "${PORT[pekko]}" > "$D/pekko.log" 2>&1 & PIDS+=($!)
java -cp "$CP" io.portal.transport.TransportCeilingProbe pekko-io "${PORT[pekko-io]}" > "$D/pekko-io.log" 2>&1 &
PIDS+=($!)
java -cp "$CP" io.portal.transport.TransportCeilingProbe nio-actor "${PORT[nio-actor]}" > "$D/nio-actor.log" 2>&1 &
PIDS+=($!)
java -cp "$CP" io.portal.transport.TransportCeilingProbe nio "${PORT[nio]}" > "$D/nio.log" 2>&1 & PIDS+=($!)
redis-server --port "${PORT[redis]}" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" > "$D/redis.log" 2>&1 &
PIDS+=($!)
trap 'kill "${PIDS[@]}" 2> /dev/null || true; wait "${PIDS[@]}" 2> /dev/null || true; rm -rf "$D"' EXIT
for s in "${SYSTEMS[@]}"; do wait_port "${PORT[$s]}"; load_keys $JAR "${PORT[$s]}" "${PROTO[$s]}"; done
rate() { # system connections pipeline -> ops/s
  get_rate $JAR "${PROTO[$1]}" "${PORT[$1]}" "$2" "$3" "$RUN" "$D/bench.txt"
}
declare -A RATES
for round in $(seq 1 "$ROUNDS"); do
  for row in "${ROWS[@]}"; do
    set -- $row
    line="round $round GET $1x$2:"
    for i in "${!SYSTEMS[@]}"; do
      s=${SYSTEMS[$(( (i + round - 1) % ${#SYSTEMS[@]} ))]}
      r=$(rate "$s" "$1" "$2")
      RATES[$s $1x$2]="${RATES[$s $1x$2]:-} $r"
      line="$line $s $r"
    done
    echo "$line ops/s"
  done
done
for row in "${ROWS[@]}"; do
  set -- $row
  python3 - "$1x$2" "${SYSTEMS[@]}" -- "${RATES[portal $1x$2]}" "${RATES[pekko $1x$2]}" \
    "${RATES[pekko-io $1x$2]}" "${RATES[nio-actor $1x$2]}" "${RATES[nio $1x$2]}" "${RATES[redis $1x$2]}" <<'EOF'
import statistics, sys
row, rest = sys.argv[1], sys.argv[2:]
names, columns = rest[:rest.index("--")], rest[rest.index("--") + 1:]
rates = {n: [int(v) for v in c.split()] for n, c in zip(names, columns)}
print(f"GET {row}, median ops/s: " + ", ".join(f"{n} {statistics.median(r):,.0f}" for n, r in rates.items()))
def against_redis(r): return statistics.median(x / y for x, y in zip(r, rates["redis"]))
print(f"GET {row}, against Redis (median of the rounds' ratios): " + ", ".join(
    f"{n} {against_redis(r):.2f}x" for n, r in rates.items() if n != "redis"))
EOF
done
