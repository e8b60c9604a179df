package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.journal.RocksStore;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The durability claim, proven the hard way: the packaged server under write load from several connections is
 * killed with SIGKILL at a random moment, restarted on the same data folder, and every acknowledged write is read
 * back with its value and version. Several rounds on one folder. A session write acknowledged before a kill and
 * retried after the restart is answered with its original version and not applied again. Snapshots are frequent
 * here, and old events are deleted after each, so that recovery from snapshots is what gets proven.
 */
class CrashIT {
  private static final int ROUNDS = 10;
  private static final int WRITERS = 4;
  private static final int KEYS_PER_WRITER = 50;
  private static final int PIPELINE = 16;

  /** The last acknowledged write of a key: its sequence number within the writer, its version, and when. */
  private record Acked(long sequence, long version, long atNanos) {
  }

  @Test
  void everyAcknowledgedWriteSurvivesKillDashNine() throws Exception {
    Path dataDir = TestServer.newDataDir();
    // a snapshot every 12-16 KiB journaled per partition, and the events before it deleted: kills land amid both,
    // and each restart recovers from a snapshot and the events after it
    List<String> jvm = List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(),
        "-Dportal.store.data-dir=" + dataDir, "-Dportal.store.partitions=16", "-Dportal.store.snapshot-min-bytes=16KiB");
    Map<String, Acked> acked = new ConcurrentHashMap<>();
    Random random = new Random();
    long total = 0;
    long killedAtNanos = 0;
    for (int round = 1; round <= ROUNDS; round++) {
      try (JarProcess server = JarProcess.start(jvm)) {
        int port = server.awaitReady();
        verify(port, acked, killedAtNanos, dataDir);
        try (RawConnection probe = session(port)) {
          assertEquals(1, setVersion(probe, probe(round, 1), server));
          assertEquals(2, setVersion(probe, probe(round, 2), server));
        }
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        List<AtomicLong> counts = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          String prefix = "r" + round + "-w" + w + "-";
          AtomicLong count = new AtomicLong();
          counts.add(count);
          Thread thread = new Thread(() -> write(port, prefix, running, acked, count));
          thread.start();
          writers.add(thread);
        }
        // the random moment is counted from when every writer has had an answer, so that a slow start (the JVM
        // warming up, partitions recovering) cannot leave a round without acknowledged writes
        long loadDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (counts.stream().anyMatch(count -> count.get() == 0) && System.nanoTime() < loadDeadline) {
          Thread.sleep(10);
        }
        assertTrue(counts.stream().allMatch(count -> count.get() > 0),
            "round " + round + ": every writer got an answer within 30 s, counts " + counts);
        Thread.sleep(500 + random.nextInt(2000));
        killedAtNanos = System.nanoTime();
        server.kill9();
        running.set(false);
        for (Thread thread : writers) {
          thread.join(30_000);
        }
        total += counts.stream().mapToLong(AtomicLong::get).sum();
      }
    }
    try (JarProcess server = JarProcess.start(jvm)) {
      int port = server.awaitReady();
      verify(port, acked, killedAtNanos, dataDir);
      try (RawConnection probe = session(port)) {
        for (int round = 1; round <= ROUNDS; round++) {
          assertEquals(1, setVersion(probe, probe(round, 1), server), "retried request answers its first version");
          probe.send(GetRequest.newBuilder().setRequestId(9).setKey(probe(round, 1).getKey()).build());
          GetResponse now = assertInstanceOf(GetResponse.class, probe.read());
          assertEquals(2, now.getVersion(), "the retry was not applied again");
          assertEquals("second", now.getValue().toStringUtf8());
        }
      }
    }
    final RocksStore.Census census;
    try (RocksStore journal = RocksStore.open(dataDir.resolve("journal"), 8 << 20, 4 << 20)) {
      census = journal.census();
    }
    // a partition's events before its snapshot are deleted: none left, or the first left is past 1 (the final stop
    // snapshots everything, so a partition may keep no event at all)
    long trimmed = census.snapshots().keySet().stream()
        .filter(id -> !census.events().containsKey(id) || census.events().get(id)[1] > 1).count();
    assertTrue(census.snapshotCount() > 0, "snapshots were taken");
    assertTrue(trimmed > 0, "old events were deleted: partitions whose oldest event is past the first");
    System.out.printf("CrashIT: %d rounds, %d acknowledged writes, %d keys verified after each restart; %d snapshots "
        + "and %d events left, %d partitions with their first events deleted%n", ROUNDS, total, acked.size(),
        census.snapshotCount(), census.eventCount(), trimmed);
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

  /** The version a SET answers; any other answer fails with it and with the server's warnings and errors so far. */
  private static long setVersion(RawConnection raw, SetRequest request, JarProcess server) throws IOException {
    raw.send(request);
    MessageLite response = raw.read();
    if (response instanceof SetResponse set) {
      return set.getVersion();
    }
    throw new AssertionError("SET of " + request.getKey().toStringUtf8() + " (request " + request.getRequestId()
        + ") answered " + response.getClass().getSimpleName() + " {" + response + "}; the server's warnings and "
        + "errors: " + server.linesMatching(Pattern.compile("WARN|ERROR")));
  }

  /** Writes until stopped or the server dies; records every acknowledged write and counts them in {@code count}. */
  private static void write(int port, String prefix, AtomicBoolean running, Map<String, Acked> acked,
      AtomicLong count) {
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
                acked.merge(key, new Acked(seq, version, System.nanoTime()),
                    (a, b) -> a.version() >= b.version() ? a : b);
                count.incrementAndGet();
              }
            });
      }
    } catch (Exception e) {
      // the server was killed: expected
    }
  }

  /**
   * Every acknowledged write is there: its version, or a later one holding a later write of the same writer. A
   * failure lists every key that went back (up to 20), with how long before the kill each was acknowledged.
   */
  private static void verify(int port, Map<String, Acked> acked, long killedAtNanos, Path dataDir) {
    List<String> problems = new ArrayList<>();
    try (PortalClient client = PortalClient.connect("127.0.0.1", port)) {
      for (Map.Entry<String, Acked> expected : acked.entrySet()) {
        Acked want = expected.getValue();
        String before = String.format("acknowledged %.1f ms before the last kill",
            (killedAtNanos - want.atNanos()) / 1e6);
        Optional<Entry> found = client.get(expected.getKey());
        if (found.isEmpty()) {
          problems.add(expected.getKey() + " is missing, " + want + " " + before);
          continue;
        }
        long sequence = Long.parseLong(found.get().value().toStringUtf8());
        long version = found.get().version();
        boolean same = version == want.version() && sequence == want.sequence();
        boolean later = version > want.version() && sequence > want.sequence();
        if (!same && !later) {
          problems.add(expected.getKey() + " went back: " + want + " " + before + ", found version " + version
              + " holding write " + sequence);
        }
      }
    }
    assertTrue(problems.isEmpty(), problems.size() + " of " + acked.size() + " keys lost their last acknowledged "
        + "write (data folder " + dataDir + "): "
        + String.join("; ", problems.subList(0, Math.min(20, problems.size()))));
  }
}
