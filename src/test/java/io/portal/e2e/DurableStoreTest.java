package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.journal.RocksStore;
import io.portal.journal.RocksStores;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The durable store through a real server: restarts on the same data folder, CAS, TTL and session retries. */
class DurableStoreTest {

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void dataSurvivesARestartAndTheFolderKeepsItsPartitionCount() {
    Path dir = TestServer.newDataDir();
    try (TestServer first = new TestServer("portal.store.partitions = 16", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", first.port())) {
      for (int i = 0; i < 200; i++) {
        client.set("restart-" + i, "v" + i);
      }
      client.set("restart-0", "again");
      client.delete("restart-1");
    }
    try (TestServer second = new TestServer("portal.store.partitions = 16", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", second.port())) {
      assertEquals(new Entry(utf8("again"), 2), client.get("restart-0").orElseThrow());
      assertEquals(Optional.empty(), client.get("restart-1"));
      for (int i = 2; i < 200; i++) {
        assertEquals(new Entry(utf8("v" + i), 1), client.get("restart-" + i).orElseThrow(), "key " + i);
      }
    }
    AssertionError refused = assertThrows(AssertionError.class,
        () -> new TestServer("portal.store.partitions = 8", dir).close());
    String message = String.valueOf(refused.getCause());
    assertTrue(message.contains("was written with 16 partitions but portal.store.partitions is 8"), message);
  }

  @Test
  void snapshotsFollowGrowthDeleteTheEventsBeforeThemAndARestartStillRecoversEveryKey() throws Exception {
    Path dir = TestServer.newDataDir();
    String config = "portal.store.partitions = 4\nportal.store.snapshot-min-bytes = 2KiB";
    try (TestServer first = new TestServer(config, dir);
        PortalClient client = PortalClient.connect("127.0.0.1", first.port())) {
      for (int round = 1; round <= 5; round++) {
        for (int i = 0; i < 100; i++) {
          client.set("churn-" + i, "v" + round + "-" + i); // one at a time: an event each, about 45 bytes
        }
      }
      RocksStore journal = RocksStores.get(Adapter.toClassic(first.system)).store();
      long deadline = System.nanoTime() + 10_000_000_000L;
      RocksStore.Census census = journal.census();
      while (census.eventCount() > 250 && System.nanoTime() < deadline) {
        Thread.sleep(50);
        census = journal.census();
      }
      // 500 events over 4 partitions, a snapshot after 1.5-2 KiB (34-46 events) each, the events before it deleted
      assertTrue(census.eventCount() <= 4 * 46, "events left in the journal: " + census.eventCount());
      assertEquals(4, census.snapshots().size(), "one snapshot kept per partition: " + census.snapshots().keySet());
      assertTrue(census.snapshots().values().stream().allMatch(range -> range[0] == 1), "older ones deleted");
    }
    try (TestServer second = new TestServer(config, dir);
        PortalClient client = PortalClient.connect("127.0.0.1", second.port())) {
      for (int i = 0; i < 100; i++) {
        assertEquals(new Entry(utf8("v5-" + i), 5), client.get("churn-" + i).orElseThrow(), "key " + i);
      }
    }
  }

  @Test
  void compareAndSetRacesHaveExactlyOneWinnerPerRound() {
    try (TestServer server = new TestServer("")) {
      List<PortalClient> clients = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        clients.add(PortalClient.connect("127.0.0.1", server.port()));
      }
      for (int round = 0; round < 20; round++) {
        long expected = round; // round 0: the key must not exist
        List<CompletableFuture<Long>> attempts = new ArrayList<>();
        for (int c = 0; c < clients.size(); c++) {
          attempts.add(clients.get(c).setAsync(utf8("race"), utf8("round " + round + " by " + c), 0,
              OptionalLong.of(expected)));
        }
        int winners = 0;
        int mismatches = 0;
        for (CompletableFuture<Long> attempt : attempts) {
          try {
            assertEquals(expected + 1, attempt.join());
            winners++;
          } catch (CompletionException e) {
            PortalException p = assertInstanceOf(PortalException.class, e.getCause());
            assertEquals(ErrorCode.VERSION_MISMATCH, p.code());
            assertTrue(p.getMessage().contains("expected version " + expected + " but the key is at version "
                + (expected + 1)), p.getMessage());
            mismatches++;
          }
        }
        assertEquals(1, winners, "round " + round);
        assertEquals(7, mismatches, "round " + round);
      }
      assertEquals(20, clients.get(0).get("race").orElseThrow().version());
      clients.forEach(PortalClient::close);
    }
  }

  @Test
  void ttlExpiresAcrossARestartAndAPlainSetClearsIt() throws Exception {
    Path dir = TestServer.newDataDir();
    long longDeadline;
    try (TestServer server = new TestServer("", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      client.setAsync(utf8("short"), utf8("s"), 300, OptionalLong.empty()).join();
      client.setAsync(utf8("cleared"), utf8("c"), 300, OptionalLong.empty()).join();
      assertEquals(2, client.set("cleared", "permanent"));
      longDeadline = System.currentTimeMillis() + 60_000;
      client.setAsync(utf8("long"), utf8("l"), 60_000, OptionalLong.empty()).join();
      assertEquals(utf8("s"), client.get("short").orElseThrow().value());
      Thread.sleep(600);
      assertEquals(Optional.empty(), client.get("short"));
      assertEquals(new Entry(utf8("permanent"), 2), client.get("cleared").orElseThrow());
    }
    try (TestServer server = new TestServer("", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      assertTrue(System.currentTimeMillis() < longDeadline);
      Entry survivor = client.get("long").orElseThrow();
      assertEquals(utf8("l"), survivor.value(), "an unexpired TTL survives");
      assertEquals(1, survivor.version());
      assertTrue(survivor.expiresAtMillis() >= longDeadline && survivor.expiresAtMillis() < longDeadline + 5_000,
          "the same absolute deadline after the restart: " + survivor);
      assertEquals(Optional.empty(), client.get("short"));
      assertEquals(new Entry(utf8("permanent"), 2), client.get("cleared").orElseThrow());
      client.setAsync(utf8("restart-ttl"), utf8("r"), 400, OptionalLong.empty()).join();
    }
    try (TestServer server = new TestServer("", dir);
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      Thread.sleep(500);
      assertEquals(Optional.empty(), client.get("restart-ttl"), "the deadline is absolute and persisted");
    }
  }

  @Test
  void aRepeatedSessionWriteIsNotAppliedTwiceEvenAfterARestart() throws Exception {
    Path dir = TestServer.newDataDir();
    SetRequest first = SetRequest.newBuilder().setRequestId(77).setKey(utf8("once")).setValue(utf8("a")).build();
    SetRequest second = SetRequest.newBuilder().setRequestId(78).setKey(utf8("once")).setValue(utf8("b")).build();
    try (TestServer server = new TestServer("", dir)) {
      try (RawConnection raw = session(server.port(), "session-1")) {
        assertEquals(1, version(raw, first));
        assertEquals(2, version(raw, second));
        assertEquals(1, version(raw, first), "a repeat answers the original version");
      }
      try (RawConnection raw = session(server.port(), "session-1")) {
        assertEquals(2, version(raw, second), "also on a new connection");
        assertEquals(2, read(raw, "once").getVersion());
      }
    }
    try (TestServer server = new TestServer("", dir)) {
      try (RawConnection raw = session(server.port(), "session-1")) {
        assertEquals(1, version(raw, first), "and after a restart");
        GetResponse now = read(raw, "once");
        assertEquals(2, now.getVersion());
        assertEquals("b", now.getValue().toStringUtf8());
      }
      try (RawConnection raw = session(server.port(), "session-2")) {
        assertEquals(3, version(raw, first), "another session's request 77 is another write");
      }
      try (RawConnection raw = new RawConnection(server.port())) {
        assertEquals(4, version(raw, first), "without a session writes are at most once, not deduplicated");
        assertEquals(5, version(raw, first));
      }
    }
  }

  private static RawConnection session(int port, String clientId) throws IOException {
    RawConnection raw = new RawConnection(port);
    raw.send(HelloRequest.newBuilder().setRequestId(1).setClientId(clientId).build());
    assertInstanceOf(HelloResponse.class, raw.read());
    return raw;
  }

  private static long version(RawConnection raw, SetRequest request) throws IOException {
    raw.send(request);
    var response = raw.read();
    if (response instanceof ErrorResponse error) {
      throw new AssertionError(error.getCode() + ": " + error.getMessage());
    }
    SetResponse set = assertInstanceOf(SetResponse.class, response);
    assertEquals(request.getRequestId(), set.getRequestId());
    return set.getVersion();
  }

  private static GetResponse read(RawConnection raw, String key) throws IOException {
    raw.send(GetRequest.newBuilder().setRequestId(500).setKey(utf8(key)).build());
    return assertInstanceOf(GetResponse.class, raw.read());
  }
}
