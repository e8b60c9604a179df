#!/usr/bin/env bash
# Two or more builds of Portal (memory store) side by side with Redis (no persistence), GET, in rotating rounds: all
# run at once (the idle ones use no CPU), one generator drives each in turn, the order rotates every round. For A/B
# runs of a code change: build the other commit in a worktree and name both jars. Prints each round's ops/s, then
# per build the median ops/s and the median of its per-round ratios against Redis.
#
#   bench/builds.sh rounds seconds "connections pipeline" jar...
#   e.g. git worktree add /tmp/exp <commit> && (cd /tmp/exp && mvn -B -q package -DskipTests)
#        bench/builds.sh 3 10 "50 1" target/portal.jar /tmp/exp/target/portal.jar
#
# Keys are loaded into each first (100 000, 100-byte values). The generator is target/portal.jar's. Needs
# redis-server (bench/compare.sh installs it). Stops what it started by process id.
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=target/portal.jar
ROUNDS=$1; RUN=$2; ROW=$3; shift 3
[ $# -ge 1 ] || { echo "name at least one jar" >&2; exit 2; }
. bench/lib.sh
D=$(mktemp -d)
PIDS=()
trap 'kill "${PIDS[@]}" 2> /dev/null || true; wait "${PIDS[@]}" 2> /dev/null || true; rm -rf "$D"' EXIT
NAMES=(); declare -A PORT PROTO JARS
i=0
for jar in "$@"; do
  name="build$i:$(basename "$(dirname "$(dirname "$(realpath "$jar")")")")"; i=$((i + 1))
  NAMES+=("$name"); PORT[$name]=$(free_port); PROTO[$name]=portal; JARS[$name]=$jar
  mkdir -p "$D/$i"
  start_portal "$jar" memory "$D/$i" "${PORT[$name]}"; PIDS+=($SERVER)
done
NAMES+=(redis); PORT[redis]=$(free_port); PROTO[redis]=resp
redis-server --port "${PORT[redis]}" --bind 127.0.0.1 --save "" --appendonly no --dir "$D" > "$D/redis.log" 2>&1 &
PIDS+=($!)
for s in "${NAMES[@]}"; do wait_port "${PORT[$s]}"; load_keys $GEN "${PORT[$s]}" "${PROTO[$s]}"; done
set -- $ROW
declare -A RATES
for round in $(seq 1 "$ROUNDS"); do
  line="round $round GET $1x$2:"
  for k in "${!NAMES[@]}"; do
    s=${NAMES[$(( (k + round - 1) % ${#NAMES[@]} ))]}
    r=$(get_rate $GEN "${PROTO[$s]}" "${PORT[$s]}" "$1" "$2" "$RUN" "$D/bench.txt")
    RATES[$s]="${RATES[$s]:-} $r"
    line="$line $s $r"
  done
  echo "$line"
done
for s in "${NAMES[@]}"; do
  [ "$s" = redis ] && continue
  # shellcheck disable=SC2086
  python3 - "$s" "${JARS[$s]}" "${RATES[$s]}" "${RATES[redis]}" <<'EOF'
import statistics, sys
name, jar, mine, redis = sys.argv[1], sys.argv[2], list(map(int, sys.argv[3].split())), list(map(int, sys.argv[4].split()))
print(f"{name} ({jar}): median {statistics.median(mine):,.0f} ops/s, against Redis "
      f"{statistics.median(m / r for m, r in zip(mine, redis)):.2f}x (rounds: "
      + ", ".join(f"{m / r:.2f}" for m, r in zip(mine, redis)) + ")")
EOF
done
