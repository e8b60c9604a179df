#!/usr/bin/env bash
# The cost of TLS on the client port: GET and durable SET at 50 connections x pipeline 1, 100-byte values, against two
# durable Portal servers started side by side, one with TLS (conf/server-cert.sh's files) and one without, the runs
# alternating, in one go.
#
#   bench/tls.sh [seconds per run] [rounds]      (defaults: 20, 2)
#
# Needs target/portal.jar and openssl.
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=target/portal.jar
SECS=${1:-20}; ROUNDS=${2:-2}
[ -f "$JAR" ] || { echo "build first: mvn -B package -DskipTests" >&2; exit 2; }
. bench/lib.sh
D=$(mktemp -d)
conf/server-cert.sh "$D/certs" IP:127.0.0.1 > /dev/null
mkdir -p "$D/plain" "$D/tls"
PP=$(free_port); start_portal "$JAR" durable "$D/plain" "$PP"; PLAIN=$SERVER
TP=$(free_port)
start_portal "$JAR" durable "$D/tls" "$TP" -Dportal.server.tls.enabled=on \
  -Dportal.server.tls.cert-file="$D/certs/server.crt" -Dportal.server.tls.key-file="$D/certs/server.key"
TLS=$SERVER
trap 'kill $PLAIN $TLS 2> /dev/null || true; wait 2> /dev/null || true; rm -rf "$D"' EXIT
wait_port "$PP" && wait_port "$TP" || { echo "a server did not start" >&2; cat "$D"/*/server.log >&2; exit 1; }

bench() { # port label [options]
  local port=$1 label=$2; shift 2
  java -jar "$JAR" bench --port "$port" --keys 100000 --value-size 100 "$@" > "$D/out.txt" 2>&1 || true
  bench_ops "$D/out.txt" "$label"
}
for side in plain tls; do # the keys GET reads
  if [ $side = plain ]; then port=$PP; extra=(); else port=$TP; extra=(--cacert "$D/certs/ca.crt"); fi
  bench "$port" "loading $side" --ops set --requests 100000 --sequential --pipeline 32 --warmup 0s "${extra[@]}" \
    > /dev/null
done
echo "bench/tls.sh $SECS s per run, $ROUNDS rounds, 50 connections x pipeline 1, durable, 100-byte values"
for round in $(seq 1 "$ROUNDS"); do
  for ops in get set; do
    plain=$(bench "$PP" "plain $ops" --ops "$ops" --connections 50 --pipeline 1 --duration "${SECS}s" --warmup 5s)
    tls=$(bench "$TP" "tls $ops" --ops "$ops" --connections 50 --pipeline 1 --duration "${SECS}s" --warmup 5s \
      --cacert "$D/certs/ca.crt")
    echo "round $round $ops: plain $plain ops/s, TLS $tls ops/s ($(awk -v a="$tls" -v b="$plain" \
      'BEGIN { printf "%.2f", a / b }') x)"
  done
done
