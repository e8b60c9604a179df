#!/usr/bin/env bash
# JMH microbenchmarks of the codec (src/test/java/io/portal/jmh): frames/s, and bytes allocated per frame with the
# GC profiler. Extra arguments go to JMH, e.g. bench/jmh.sh -f 1 -wi 2 -i 3 decode
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile
CP_FILE=$(mktemp)
mvn -B -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE" > /dev/null
CP=$(cat "$CP_FILE")
rm -f "$CP_FILE"
exec java -cp "target/test-classes:target/classes:$CP" org.openjdk.jmh.Main -prof gc "$@" io.portal.jmh
