package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The durability claim, proven the hard way: the packaged server under write load from several connections is
 * killed with SIGKILL at a random moment, restarted on the same data folder, and every acknowledged write is read
 * back with its value and version. Several rounds on one folder. A session write acknowledged before a kill and
 * retried after the restart is answered with its original version and not applied again. Snapshots are frequent
 * here, and the upkeep deletes old events all the while, so that recovery from snapshots is what gets proven.
 */
class CrashIT {
  private static final int ROUNDS = 3;
  private static final int WRITERS = 4;
  private static final int KEYS_PER_WRITER = 50;
  private static final int PIPELINE = 16;

  /** The last acknowledged write of a key: its sequence number within the writer, and its version. */
  private record Acked(long sequence, long version) {
  }

  @Test
  void everyAcknowledgedWriteSurvivesKillDashNine() throws Exception {
    Path dataDir = TestServer.newDataDir();
    // snapshots every 15-20 events and old events deleted every 100 ms: kills land amid both, and each restart
    // recovers from a snapshot and the events after it
    List<String> jvm = List.of("-Dportal.server.port=0", "-Dportal.store.data-dir=" + dataDir,
        "-Dportal.store.partitions=16", "-Dportal.store.snapshot-every-events=20",
        "-Dportal.store.h2.delete-interval=100ms");
    Map<String, Acked> acked = new ConcurrentHashMap<>();
    Random random = new Random();
    long total = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      try (JarProcess server = JarProcess.start(jvm)) {
        int port = server.awaitReady();
        verify(port, acked);
        try (RawConnection probe = session(port)) {
          assertEquals(1, setVersion(probe, probe(round, 1)));
          assertEquals(2, setVersion(probe, probe(round, 2)));
        }
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        long[] counts = new long[WRITERS];
        for (int w = 0; w < WRITERS; w++) {
          int writer = w;
          String prefix = "r" + round + "-w" + w + "-";
          Thread thread = new Thread(() -> counts[writer] = write(port, prefix, running, acked));
          thread.start();
          writers.add(thread);
        }
        Thread.sleep(1000 + random.nextInt(2000));
        server.kill9();
        running.set(false);
        for (Thread thread : writers) {
          thread.join(30_000);
        }
        long roundTotal = java.util.Arrays.stream(counts).sum();
        assertTrue(roundTotal > 0, "round " + round + " acknowledged some writes");
        total += roundTotal;
      }
    }
    try (JarProcess server = JarProcess.start(jvm)) {
      int port = server.awaitReady();
      verify(port, acked);
      try (RawConnection probe = session(port)) {
        for (int round = 1; round <= ROUNDS; round++) {
          assertEquals(1, setVersion(probe, probe(round, 1)), "retried request answers its first version");
          probe.send(GetRequest.newBuilder().setRequestId(9).setKey(probe(round, 1).getKey()).build());
          GetResponse now = assertInstanceOf(GetResponse.class, probe.read());
          assertEquals(2, now.getVersion(), "the retry was not applied again");
          assertEquals("second", now.getValue().toStringUtf8());
        }
      }
    }
    long[] journal = journal(dataDir);
    assertTrue(journal[0] > 0, "snapshots were taken");
    assertTrue(journal[1] > 0, "old events were deleted: partitions whose oldest event is past the first");
    System.out.printf("CrashIT: %d rounds, %d acknowledged writes, %d keys verified after each restart; %d snapshots "
        + "and %d partitions with their first events deleted at the end%n", ROUNDS, total, acked.size(), journal[0],
        journal[1]);
  }

  /** [snapshots, partitions whose first event is gone] in the journal left in {@code dataDir}. */
  private static long[] journal(Path dataDir) throws SQLException {
    try (Connection connection = DriverManager.getConnection("jdbc:h2:file:" + dataDir + "/portal", "", "");
        Statement statement = connection.createStatement()) {
      long[] result = new long[2];
      try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM \"snapshot\"")) {
        rows.next();
        result[0] = rows.getLong(1);
      }
      try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM (SELECT \"persistence_id\" FROM "
          + "\"event_journal\" GROUP BY \"persistence_id\" HAVING MIN(\"sequence_number\") > 1)")) {
        rows.next();
        result[1] = rows.getLong(1);
      }
      return result;
    }
  }

  private static SetRequest probe(int round, int which) {
    return SetRequest.newBuilder().setRequestId(round * 10L + which).setKey(ByteString.copyFromUtf8("probe-" + round))
        .setValue(ByteString.copyFromUtf8(which == 1 ? "first" : "second")).build();
  }

  private static RawConnection session(int port) throws IOException {
    RawConnection raw = new RawConnection(port);
    raw.send(HelloRequest.newBuilder().setRequestId(1).setClientId("crash-session").build());
    assertInstanceOf(HelloResponse.class, raw.read());
    return raw;
  }

  private static long setVersion(RawConnection raw, SetRequest request) throws IOException {
    raw.send(request);
    return assertInstanceOf(SetResponse.class, raw.read()).getVersion();
  }

  /** Writes until stopped or the server dies; records every acknowledged write; returns how many. */
  private static long write(int port, String prefix, AtomicBoolean running, Map<String, Acked> acked) {
    AtomicLong count = new AtomicLong();
    PortalClient.Options options = PortalClient.Options.defaults().withoutSession()
        .withRequestTimeout(Duration.ofSeconds(5));
    try (PortalClient client = PortalClient.connect("127.0.0.1", port, options)) {
      Semaphore window = new Semaphore(PIPELINE);
      long sequence = 0;
      while (running.get()) {
        window.acquire();
        long seq = sequence++;
        String key = prefix + (seq % KEYS_PER_WRITER);
        client.setAsync(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(Long.toString(seq)))
            .whenComplete((version, failure) -> {
              window.release();
              if (failure == null) {
                count.incrementAndGet();
                acked.merge(key, new Acked(seq, version), (a, b) -> a.version() >= b.version() ? a : b);
              }
            });
      }
    } catch (Exception e) {
      // the server was killed: expected
    }
    return count.get();
  }

  /** Every acknowledged write is there: its version, or a later one holding a later write of the same writer. */
  private static void verify(int port, Map<String, Acked> acked) {
    try (PortalClient client = PortalClient.connect("127.0.0.1", port)) {
      for (Map.Entry<String, Acked> expected : acked.entrySet()) {
        Entry entry = client.get(expected.getKey()).orElseThrow(
            () -> new AssertionError("acknowledged key " + expected.getKey() + " is missing"));
        long sequence = Long.parseLong(entry.value().toStringUtf8());
        Acked want = expected.getValue();
        if (entry.version() == want.version()) {
          assertEquals(want.sequence(), sequence, "value of " + expected.getKey());
        } else {
          assertTrue(entry.version() > want.version() && sequence > want.sequence(),
              expected.getKey() + " went back: acknowledged " + want + ", found version " + entry.version()
                  + " holding write " + sequence);
        }
      }
    }
  }
}
