#!/usr/bin/env bash
# What durable SET at 50 connections and pipeline 1 is made of, one system at a time, each measured for the same
# time after the same warm-up, with its process's CPU time per operation over the measured part:
#   probe-jdbc   the journal alone: pekko-persistence-jdbc on Portal's H2 file with Portal's settings, 64 plain
#                event-sourced entities, 50 client actors in the same JVM each persisting one event and waiting for
#                it (src/test/java/io/portal/store/JournalCeilingProbe.java): no TCP, sharding, snapshots or upkeep
#   probe-inmem  the same on Pekko's in-memory journal
#   portal       Portal's durable store (H2 journal), driven over TCP by the bench
#   portal-mem   Portal's memory store (the same partitions and connection path, nothing written)
#   etcd         etcd from Debian's packages, over gRPC (needs target/portal-with-etcd.jar: mvn -B -Petcd package
#                -DskipTests; skipped without it or without etcd)
#
#   bench/journal-ceiling.sh [warm-up seconds] [seconds]        (default 40 and 20)
#
# Needs target/portal.jar. Stops what it started by process id and removes its data folders.
set -euo pipefail
cd "$(dirname "$0")/.."
WARMUP=${1:-40}; RUN=${2:-20}
JAR=target/portal.jar
. bench/lib.sh
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt > /dev/null
CP="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
D=$(mktemp -d)
PID=
trap '[ -z "$PID" ] || kill $PID 2> /dev/null || true; wait 2> /dev/null || true; rm -rf "$D"' EXIT
for journal in jdbc inmem; do
  echo "probe-$journal: $(java -cp "$CP" io.portal.store.JournalCeilingProbe $journal "$D/probe-$journal" \
    "$WARMUP" "$RUN" 2> "$D/probe-$journal.err" | tail -1)"
done
drive() { # name jar protocol port pid
  set_50x1_with_cpu "$1" "$2" "$3" "$4" "$5" "$WARMUP" "$RUN" "$D/$1.txt"
}
for mode in durable memory; do
  P=$(free_port); mkdir -p "$D/$mode"
  start_portal $JAR $mode "$D/$mode" "$P"; PID=$SERVER
  wait_port "$P"
  drive "portal-$mode" $JAR portal "$P" "$PID"
  kill $PID; wait $PID || true; PID=; rm -rf "${D:?}/$mode"
done
if [ -f target/portal-with-etcd.jar ] && command -v etcd > /dev/null; then
  E=$(free_port); EP=$(free_port)
  etcd --data-dir "$D/etcd" --listen-client-urls "http://127.0.0.1:$E" --advertise-client-urls "http://127.0.0.1:$E" \
    --listen-peer-urls "http://127.0.0.1:$EP" --initial-advertise-peer-urls "http://127.0.0.1:$EP" \
    --initial-cluster "default=http://127.0.0.1:$EP" > "$D/etcd.log" 2>&1 &
  PID=$!
  wait_port "$E"
  drive etcd target/portal-with-etcd.jar etcd "$E" "$PID"
else
  echo "etcd: skipped (needs target/portal-with-etcd.jar and etcd)"
fi
