package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.portal.client.PortalClient;
import io.portal.client.WatchListener;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.Event;
import io.portal.protocol.v1.WatchCanceled;
import io.portal.protocol.v1.WatchEvent;
import io.portal.protocol.v1.WatchRequest;
import io.portal.protocol.v1.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** WATCH through a real server: order under concurrent writers, cancel, resume, compacted history, slow watchers. */
class WatchEndToEndTest {
  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** Collects what a watch delivers. */
  private static final class Collector implements WatchListener {
    final List<Event> events = new CopyOnWriteArrayList<>();
    final CompletableFuture<WatchCanceled> canceled = new CompletableFuture<>();

    @Override
    public void onEvents(List<Event> delivered) {
      events.addAll(delivered);
    }

    @Override
    public void onCanceled(WatchCanceled reason) {
      canceled.complete(reason);
    }

    List<String> described() {
      return events.stream().map(WatchEndToEndTest::describe).toList();
    }

    void awaitCount(int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (events.size() < count && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertTrue(events.size() >= count, "expected " + count + " events, got " + described());
    }
  }

  static String describe(Event e) {
    return e.getKind() + " " + e.getKey().toStringUtf8() + (e.getKind() == Event.Kind.PUT
        ? " " + e.getValue().toStringUtf8() + " v" + e.getVersion() : "");
  }

  /**
   * Three writers set and delete keys under a prefix while one client watches it: per key, the events are exactly
   * the writes acknowledged for it, in order, none missing, none twice; a key outside the prefix never shows.
   */
  @Test
  void everyChangeOfEveryKeyArrivesInOrderUnderConcurrentWriters() throws Exception {
    try (TestServer server = new TestServer("");
        PortalClient watcher = PortalClient.connect("127.0.0.1", server.port())) {
      Collector collector = new Collector();
      watcher.watch(WatchRequest.newBuilder().setKey(utf8("w:")).setPrefix(true), collector);
      Map<String, List<String>> acknowledged = new ConcurrentHashMap<>();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      List<Thread> writers = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        int writer = w;
        Thread thread = new Thread(() -> {
          try (PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
            for (int i = 0; i < 300; i++) {
              String key = "w:" + writer + "-" + (i % 25);
              List<String> log = acknowledged.computeIfAbsent(key, k -> new ArrayList<>());
              if (i % 7 == 6) {
                if (client.delete(utf8(key))) {
                  log.add("DELETE " + key);
                }
              } else {
                long version = client.set(key, "x" + i);
                log.add("PUT " + key + " x" + i + " v" + version);
              }
              if (i % 50 == 0) {
                client.set("other-" + writer, "not watched");
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        thread.start();
        writers.add(thread);
      }
      for (Thread thread : writers) {
        thread.join(60_000);
      }
      assertEquals(List.of(), failures);
      int total = acknowledged.values().stream().mapToInt(List::size).sum();
      collector.awaitCount(total);
      Thread.sleep(200);
      assertEquals(total, collector.events.size(), "no event twice, none of another key");
      acknowledged.forEach((key, log) -> assertEquals(log, collector.events.stream()
          .filter(e -> e.getKey().toStringUtf8().equals(key)).map(WatchEndToEndTest::describe).toList(), key));
    }
  }

  @Test
  void aKeyWatchSeesItsKeyAloneUntilCancelledAndExpiryToo() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      Collector collector = new Collector();
      PortalClient.Watch watch = client.watch(WatchRequest.newBuilder().setKey(utf8("k")), collector);
      client.set("k", "one");
      client.set("k2", "other key");
      client.set(utf8("k"), utf8("two"), 200, OptionalLong.empty());
      collector.awaitCount(3); // the second set's TTL ends: the server removes the key itself
      assertEquals(List.of("PUT k one v1", "PUT k two v2", "EXPIRE k"), collector.described());
      watch.cancel();
      client.set("k", "after the cancel");
      Thread.sleep(300);
      assertEquals(3, collector.events.size(), "nothing after the cancel");
      assertEquals(false, collector.canceled.isDone());
    }
  }

  @Test
  void aWatchResumesFromItsPositionsAndIsToldWhenTheHistoryIsGone() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory\nportal.watch.history-changes = 20");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      Collector first = new Collector();
      PortalClient.Watch watch = client.watch(WatchRequest.newBuilder().setKey(utf8("r:")).setPrefix(true), first);
      awaitPositions(watch, 64);
      for (int i = 0; i < 5; i++) {
        client.set("r:" + i, "a");
      }
      first.awaitCount(5);
      watch.cancel();
      Map<Integer, Long> positions = watch.positions();
      assertEquals(64, positions.size(), "a position for every partition followed");
      for (int i = 0; i < 8; i++) {
        client.set("r:" + i, "b");
      }
      Collector resumed = new Collector();
      client.watch(WatchRequest.newBuilder().setKey(utf8("r:")).setPrefix(true).putAllAfter(positions), resumed);
      resumed.awaitCount(8);
      Thread.sleep(200);
      assertEquals(8, resumed.events.size(), "exactly the changes missed: " + resumed.described());
      assertTrue(resumed.described().stream().allMatch(d -> d.contains(" b v")), resumed.described().toString());

      // 30 changes to one key's partition pass its history of 20: resuming from before them is refused
      int partition = resumed.events.get(0).getPartition();
      String key = resumed.events.get(0).getKey().toStringUtf8();
      for (int i = 0; i < 30; i++) {
        client.set(key, "c" + i);
      }
      Collector stale = new Collector();
      client.watch(WatchRequest.newBuilder().setKey(utf8("r:")).setPrefix(true).putAllAfter(positions), stale);
      WatchCanceled canceled = stale.canceled.get(20, TimeUnit.SECONDS);
      assertEquals(ErrorCode.COMPACTED, canceled.getCode());
      assertTrue(canceled.getReason().contains("partition " + partition + " keeps changes after revision"),
          canceled.getReason());
      assertTrue(canceled.getReason().contains("read the keys again and watch from now"), canceled.getReason());
    }
  }

  @Test
  void aKeyWatchStartsAfterAVersionOfTheKey() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      for (int v = 1; v <= 3; v++) {
        client.set("kv", "v" + v);
      }
      Collector fromOne = new Collector();
      client.watch(WatchRequest.newBuilder().setKey(utf8("kv")).setAfterVersion(1), fromOne);
      fromOne.awaitCount(2);
      assertEquals(List.of("PUT kv v2 v2", "PUT kv v3 v3"), fromOne.described());
      Collector fromThree = new Collector();
      client.watch(WatchRequest.newBuilder().setKey(utf8("kv")).setAfterVersion(3), fromThree);
      client.set("kv", "v4");
      fromThree.awaitCount(1);
      fromOne.awaitCount(3);
      assertEquals(List.of("PUT kv v4 v4"), fromThree.described());
      Collector unknown = new Collector();
      client.watch(WatchRequest.newBuilder().setKey(utf8("kv")).setAfterVersion(9), unknown);
      assertEquals(ErrorCode.COMPACTED, unknown.canceled.get(20, TimeUnit.SECONDS).getCode());
      io.portal.client.PortalException prefixed = org.junit.jupiter.api.Assertions.assertThrows(
          io.portal.client.PortalException.class, () -> client.watch(WatchRequest.newBuilder().setKey(utf8("k"))
              .setPrefix(true).setAfterVersion(2), new Collector()));
      assertEquals(ErrorCode.INVALID_ARGUMENT, prefixed.code());
    }
  }

  private static void awaitPositions(PortalClient.Watch watch, int partitions) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (watch.positions().size() < partitions && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(partitions, watch.positions().size(), "every partition followed");
  }

  /**
   * A client that watches a prefix and never reads while another floods it with 64 KiB values: its watch is
   * cancelled (WATCH_TOO_SLOW, with positions to resume from) once 1 MiB waits for it; the writer never sees an
   * error, and a well-behaved client on another connection is answered throughout.
   */
  @Test
  void aWatcherThatNeverReadsLosesItsWatchNotTheServerItsMemory() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory\nportal.watch.max-pending-bytes = 1MiB");
        RawConnection slow = new RawConnection(server.port(), 4096);
        PortalClient writer = PortalClient.connect("127.0.0.1", server.port());
        PortalClient other = PortalClient.connect("127.0.0.1", server.port())) {
      slow.send(WatchRequest.newBuilder().setRequestId(1).setWatchId(7).setKey(utf8("flood:")).setPrefix(true)
          .build());
      Thread.sleep(500); // the watch follows every partition
      ByteString big = ByteString.copyFrom(new byte[64 * 1024]);
      for (int i = 0; i < 200; i++) {
        writer.set(utf8("flood:" + (i % 10)), big);
        if (i % 20 == 0) {
          assertEquals(utf8("pong"), other.ping(utf8("pong")));
        }
      }
      // now read what the server sent: the response, progress and events, then the cancellation
      WatchCanceled canceled = null;
      int events = 0;
      while (canceled == null) {
        MessageLite frame = slow.read();
        if (frame instanceof WatchEvent event) {
          events += event.getEventsCount();
        } else if (frame instanceof WatchCanceled c) {
          canceled = c;
        } else {
          assertTrue(frame instanceof WatchResponse, frame.toString());
        }
      }
      assertEquals(7, canceled.getWatchId());
      assertEquals(ErrorCode.WATCH_TOO_SLOW, canceled.getCode());
      assertTrue(canceled.getReason().contains("over the limit 1048576 (portal.watch.max-pending-bytes)"),
          canceled.getReason());
      assertTrue(events < 200, events + " events reached the slow client before its watch ended");
      assertEquals(64, canceled.getResumeAfterCount(), "positions to resume from, every partition");
      assertEquals(utf8("still here"), other.ping(utf8("still here")));
    }
  }
}
