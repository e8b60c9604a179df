package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.bench.BenchRun;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import java.util.Map;
import java.util.Set;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The load generator against a real server through the project's own client: what it wrote, and its errors. */
@Timeout(60) // a run with --requests waits for them all
class BenchEndToEndTest {
  @Test
  void everyKeyWrittenAndEveryWriteCounted() {
    try (TestServer server = new TestServer("")) {
      BenchRun run = BenchRun.of("--port", String.valueOf(server.port()), "--ops", "set", "--sequential",
          "--keys", "200", "--requests", "1000", "--connections", "4", "--pipeline", "8", "--value-size", "64",
          "--warmup", "0s");
      assertEquals(0, run.status(), run.err());
      assertEquals(Map.of(), run.errors());
      long measured = (long) run.number("requests");
      assertTrue(measured >= 1000, run.json());
      long versions = 0;
      try (PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
        for (int i = 0; i < 200; i++) {
          Optional<Entry> entry = client.get(String.format("key:%010d", i));
          assertTrue(entry.isPresent(), "key " + i);
          assertEquals(64, entry.get().value().size(), "key " + i);
          versions += entry.get().version();
        }
      }
      // each SET adds one to its key's version: the server applied at least what the generator counted, and at
      // most that plus what completed just before measuring began or after it ended (4 x 8 in flight), with slack
      // for a thread descheduled at either moment
      assertTrue(versions >= measured, versions + " versions for " + measured + " measured");
      assertTrue(versions <= measured + 2 * 4 * 8 + 300, versions + " versions for " + measured + " measured");
    }
  }

  @Test
  void refusedRequestsAreCountedUnderTheServersCode() {
    try (TestServer server = new TestServer("portal.protocol.max-key-bytes = 8")) {
      BenchRun run = BenchRun.of("--port", String.valueOf(server.port()), "--ops", "get", "--connections", "2",
          "--duration", "1s", "--warmup", "0s");
      assertEquals(0, run.status(), run.err());
      assertEquals(0, run.number("requests"), run.json());
      Map<String, Long> errors = run.errors();
      assertEquals(Set.of("INVALID_ARGUMENT"), errors.keySet(), run.json());
      assertTrue(errors.get("INVALID_ARGUMENT") > 0, run.json());
    }
  }

  @Test
  void transactionsWriteBothKeysAndScansCountTheKeysTheyRead() {
    try (TestServer server = new TestServer("portal.store.mode = memory")) {
      BenchRun txn = BenchRun.of("--port", String.valueOf(server.port()), "--ops", "txn", "--sequential",
          "--keys", "50", "--requests", "200", "--connections", "1", "--pipeline", "1", "--warmup", "0s");
      assertEquals(0, txn.status(), txn.err());
      assertEquals(Map.of(), txn.errors());
      long versions = 0;
      try (PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
        for (int i = 0; i < 50; i++) {
          String tag = String.format("{key:%010d}", i);
          Entry a = client.get(tag + ":a").orElseThrow();
          assertEquals(a.version(), client.get(tag + ":b").orElseThrow().version(), "written together: " + tag);
          versions += a.version();
        }
      }
      long measured = (long) txn.number("requests");
      // as in the test above: what completed just outside the measured time is written but not counted
      assertTrue(versions >= measured && versions <= measured + 100, versions + " pairs for " + measured + " counted");

      BenchRun scan = BenchRun.of("--port", String.valueOf(server.port()), "--ops", "scan", "--scan-page", "10",
          "--requests", "30", "--connections", "1", "--pipeline", "1", "--warmup", "0s");
      assertEquals(0, scan.status(), scan.err());
      // 100 keys, pages of 10: every page is full, round and round
      java.util.regex.Matcher keys = java.util.regex.Pattern.compile("keys scanned ([\\d,]+): ").matcher(scan.out());
      assertTrue(keys.find(), scan.out());
      long scanned = Long.parseLong(keys.group(1).replace(",", ""));
      assertTrue(scanned >= 300 && scanned % 10 == 0, scan.out());
    }
  }

  @Test
  void watchersCountTheEventsDeliveredToThem() {
    try (TestServer server = new TestServer("portal.store.mode = memory")) {
      BenchRun run = BenchRun.of("--port", String.valueOf(server.port()), "--ops", "set", "--keys", "20",
          "--requests", "300", "--connections", "1", "--pipeline", "1", "--watchers", "3", "--warmup", "1s");
      assertEquals(0, run.status(), run.err());
      java.util.regex.Matcher delivered = java.util.regex.Pattern
          .compile("watch events delivered ([\\d,]+) to 3 watchers").matcher(run.out());
      assertTrue(delivered.find(), run.out());
      long events = Long.parseLong(delivered.group(1).replace(",", ""));
      long writes = (long) run.number("requests");
      // every watcher sees every write measured, give or take those at the edges of the measured time
      assertTrue(events >= 3 * (writes - 20) && events <= 3 * (writes + 20), events + " events for " + writes
          + " writes:\n" + run.out());
    }
  }
}
