#!/usr/bin/env bash
# H2 alone under the journal's load (Portal's URL, tables, event cleaner and upkeep; no Pekko), killed with SIGKILL
# again and again; after each kill every acknowledged commit is looked for (src/test/java/io/portal/store/
# H2CrashProbe.java). How H2's own crash recovery was found to drop complete commits (docs/storage.md).
#
#   bench/h2-crash.sh kills [mend on|off] [recovery on|off]      e.g.
#   bench/h2-crash.sh 60 on off      # H2's own recovery only: some kills lose acknowledged commits
#   bench/h2-crash.sh 60 on on       # Portal's full-scan recovery first (H2CrashRecovery), as the server does
#
# Each kill takes ~5 s. Prints a line per start and a summary; the folders stay in a temporary directory it names.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt > /dev/null
java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" io.portal.store.H2CrashProbe \
  "$1" "${2:-on}" "${3:-on}"
