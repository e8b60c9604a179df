#!/usr/bin/env bash
# Portal (memory store) against Redis (no persistence), GET, in alternating rounds: both run at once (the idle one
# uses no CPU), each row is driven against one, then the other, the order swapped every round, so that the
# machine's drift during the run falls on both. Prints each round's ops/s and ratio, then the median ratio per row.
# One compare.sh run measures each system once per row, and Redis's rate through the generator moved by 2x between
# such runs on this machine; the median of alternating rounds is the steadier ratio.
#
#   bench/get-ratio.sh [rounds] [seconds per measurement]        (default 5 rounds, 10 s, after a 3 s warm-up)
#
# Needs target/portal.jar and redis-server (bench/compare.sh installs it). Stops what it started by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
ROUNDS=${1:-5}; RUN=${2:-10}
. bench/lib.sh
D=$(mktemp -d)
P=$(free_port); R=$(free_port)
start_portal $JAR memory "$D" "$P"
PORTAL=$SERVER
redis-server --port "$R" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" > "$D/redis.log" 2>&1 &
REDIS=$!
trap 'kill $PORTAL $REDIS 2> /dev/null || true; wait $PORTAL $REDIS 2> /dev/null || true; rm -rf "$D"' EXIT
wait_port "$P"; wait_port "$R"
load_keys $JAR "$P" portal; load_keys $JAR "$R" resp
rate() { # protocol port connections pipeline -> ops/s; stops the script when a request failed
  get_rate $JAR "$1" "$2" "$3" "$4" "$RUN" "$D/last-$1.txt"
}
declare -A RATIOS
for round in $(seq 1 "$ROUNDS"); do
  for row in "50 1" "50 16"; do
    set -- $row
    if [ $((round % 2)) = 1 ]; then p=$(rate portal "$P" "$1" "$2"); r=$(rate resp "$R" "$1" "$2")
    else r=$(rate resp "$R" "$1" "$2"); p=$(rate portal "$P" "$1" "$2"); fi
    ratio=$(python3 -c "print(f'{$p / $r:.2f}')")
    RATIOS[$1x$2]="${RATIOS[$1x$2]:-} $ratio"
    echo "round $round GET $1x$2: portal $p, redis $r ops/s, ratio $ratio"
  done
done
for row in 50x1 50x16; do
  # shellcheck disable=SC2086
  echo "GET $row: median ratio $(python3 -c "import statistics, sys; print(f'{statistics.median(map(float, sys.argv[1:])):.2f}')" ${RATIOS[$row]}) (rounds:${RATIOS[$row]})"
done
