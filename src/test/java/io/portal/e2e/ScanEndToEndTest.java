package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.KeyValue;
import io.portal.protocol.v1.ScanRequest;
import io.portal.protocol.v1.ScanResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** SCAN and GET's expiry through a real server: order and limits across its 64 partitions, under writes too. */
class ScanEndToEndTest {
  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static List<String> keysOf(Iterable<KeyValue> entries) {
    List<String> keys = new ArrayList<>();
    entries.forEach(e -> keys.add(e.getKey().toStringUtf8()));
    return keys;
  }

  @Test
  void scansReturnRangesInOrderPageByPage() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      List<CompletableFuture<Long>> writes = new ArrayList<>();
      for (int i = 0; i < 1500; i++) {
        writes.add(client.setAsync(utf8(String.format("user:%04d", i)), utf8("value " + i)));
      }
      for (String other : List.of("a", "user", "user;", "usea:1", "zzz")) {
        writes.add(client.setAsync(utf8(other), utf8(other)));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();

      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 1500; i++) {
        expected.add(String.format("user:%04d", i));
      }
      assertEquals(expected, keysOf(client.scanAll(ScanRequest.newBuilder().setPrefix(utf8("user:")).setLimit(97))));

      ScanResponse first = client.scan(ScanRequest.newBuilder().setPrefix(utf8("user:")).setLimit(10));
      assertEquals(expected.subList(0, 10), keysOf(first.getEntriesList()));
      assertTrue(first.getMore());
      assertEquals(utf8("user:0009"), first.getContinuation());
      assertEquals(utf8("value 3"), first.getEntries(3).getValue());
      assertEquals(1, first.getEntries(3).getVersion());
      ScanResponse second = client.scan(ScanRequest.newBuilder().setPrefix(utf8("user:")).setLimit(10)
          .setAfter(first.getContinuation()));
      assertEquals(expected.subList(10, 20), keysOf(second.getEntriesList()));

      ScanResponse range = client.scan(ScanRequest.newBuilder().setStart(utf8("user:0100")).setEnd(utf8("user:0200"))
          .setLimit(1000).setKeysOnly(true));
      assertEquals(expected.subList(100, 200), keysOf(range.getEntriesList()));
      assertFalse(range.getMore());
      assertEquals(ByteString.EMPTY, range.getEntries(0).getValue(), "keys only");

      List<String> everything = keysOf(client.scanAll(ScanRequest.newBuilder().setLimit(500)));
      assertEquals(1505, everything.size());
      assertEquals(List.of("a", "usea:1", "user"), everything.subList(0, 3));
      assertEquals(List.of("user;", "zzz"), everything.subList(1503, 1505), "';' sorts after ':'");

      assertEquals(0, client.scan(ScanRequest.newBuilder().setPrefix(utf8("nobody:"))).getEntriesCount());
      ScanResponse backwards = client.scan(ScanRequest.newBuilder().setStart(utf8("z")).setEnd(utf8("a")));
      assertEquals(0, backwards.getEntriesCount());
      assertFalse(backwards.getMore());
    }
  }

  @Test
  void binaryKeysSortAsUnsignedBytesAndExpiredKeysAreLeftOut() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      byte[][] keys = {{0x00}, {0x00, 0x00}, {0x01}, {0x7f}, {(byte) 0x80}, {(byte) 0xfe, 0x10}, {(byte) 0xff},
          {(byte) 0xff, (byte) 0xff}};
      for (int i = keys.length - 1; i >= 0; i--) {
        client.set(ByteString.copyFrom(keys[i]), utf8("b" + i));
      }
      client.set(utf8("\u0001gone"), utf8("x"), 1, OptionalLong.empty());
      Thread.sleep(20);
      List<ByteString> all = new ArrayList<>();
      client.scanAll(ScanRequest.newBuilder().setLimit(3)).forEach(e -> all.add(e.getKey()));
      List<ByteString> expected = new ArrayList<>();
      for (byte[] key : keys) {
        expected.add(ByteString.copyFrom(key));
      }
      assertEquals(expected, all, "in unsigned order, the expired key left out");

      List<ByteString> high = new ArrayList<>();
      client.scanAll(ScanRequest.newBuilder().setStart(ByteString.copyFrom(new byte[] {(byte) 0x80})))
          .forEach(e -> high.add(e.getKey()));
      assertEquals(expected.subList(4, 8), high);
      List<ByteString> prefixFf = new ArrayList<>();
      client.scanAll(ScanRequest.newBuilder().setPrefix(ByteString.copyFrom(new byte[] {(byte) 0xff})))
          .forEach(e -> prefixFf.add(e.getKey()));
      assertEquals(expected.subList(6, 8), prefixFf, "a prefix of 0xff runs to the end of the key space");
    }
  }

  @Test
  void badScansAreRefusedWithTheirNumbers() throws Exception {
    try (TestServer server = new TestServer(
        "portal.store.mode = memory\nportal.scan.max-limit = 50\nportal.scan.default-limit = 20");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      PortalException both = assertThrows(PortalException.class, () -> client.scan(ScanRequest.newBuilder()
          .setPrefix(utf8("a")).setStart(utf8("b"))));
      assertEquals(ErrorCode.INVALID_ARGUMENT, both.code());
      assertTrue(both.getMessage().contains("a prefix, or a start and an end, not both"), both.getMessage());
      PortalException tooMany = assertThrows(PortalException.class, () -> client.scan(ScanRequest.newBuilder()
          .setLimit(51)));
      assertEquals(ErrorCode.INVALID_ARGUMENT, tooMany.code());
      assertTrue(tooMany.getMessage().contains("limit 51 exceeds maximum 50 (portal.scan.max-limit)"),
          tooMany.getMessage());
    }
  }

  @Test
  void getReportsTheExpiry() throws Exception {
    try (TestServer server = new TestServer("portal.store.mode = memory");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      long before = System.currentTimeMillis();
      client.set(utf8("session"), utf8("t"), 10_000, OptionalLong.empty());
      client.set(utf8("forever"), utf8("f"));
      Entry session = client.get(utf8("session")).orElseThrow();
      assertTrue(session.expiresAtMillis() >= before + 10_000
          && session.expiresAtMillis() <= System.currentTimeMillis() + 10_000, session.toString());
      assertTrue(session.ttlMillis() > 5_000 && session.ttlMillis() <= 10_000, session.toString());
      Entry forever = client.get(utf8("forever")).orElseThrow();
      assertEquals(0, forever.expiresAtMillis());
      assertEquals(0, forever.ttlMillis());
    }
  }

  /**
   * Scans under writers that overwrite, create and delete keys: every key that exists for the whole scan is returned
   * exactly once, in order, with a value some writer wrote; no key is returned twice.
   */
  @Test
  void aScanUnderConcurrentWritesNeitherSkipsNorRepeats() throws Exception {
    try (TestServer server = new TestServer("");
        PortalClient setup = PortalClient.connect("127.0.0.1", server.port())) {
      List<CompletableFuture<Long>> writes = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        writes.add(setup.setAsync(utf8(String.format("k:%04d", i)), utf8("initial")));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).join();
      Map<String, Set<String>> written = new ConcurrentHashMap<>();
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> writers = new ArrayList<>();
      List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
      for (int w = 0; w < 3; w++) {
        int writer = w;
        Thread thread = new Thread(() -> {
          try (PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
            for (int i = 0; !stop.get(); i++) {
              String stable = String.format("k:%04d", (i * 7 + writer * 333) % 1000);
              String value = "w" + writer + "-" + i;
              written.computeIfAbsent(stable, k -> ConcurrentHashMap.newKeySet()).add(value);
              client.set(utf8(stable), utf8(value));
              String churn = String.format("k:%04d.%d", (i * 13) % 1000, writer); // between the stable keys
              if (i % 2 == 0) {
                client.set(utf8(churn), utf8(value));
              } else {
                client.delete(utf8(churn));
              }
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        thread.start();
        writers.add(thread);
      }
      try (PortalClient scanner = PortalClient.connect("127.0.0.1", server.port())) {
        for (int round = 0; round < 5; round++) {
          List<String> seen = new ArrayList<>();
          Set<String> unique = new HashSet<>();
          for (KeyValue entry : scanner.scanAll(ScanRequest.newBuilder().setPrefix(utf8("k:")).setLimit(37))) {
            String key = entry.getKey().toStringUtf8();
            assertTrue(unique.add(key), key + " returned twice");
            if (!seen.isEmpty()) {
              assertTrue(seen.get(seen.size() - 1).compareTo(key) < 0, "order at " + key);
            }
            seen.add(key);
            String value = entry.getValue().toStringUtf8();
            if (!key.contains(".")) {
              assertTrue(value.equals("initial") || written.getOrDefault(key, Set.of()).contains(value),
                  key + " = " + value + " was never written");
            }
          }
          for (int i = 0; i < 1000; i++) {
            assertTrue(unique.contains(String.format("k:%04d", i)), "k:" + i + " existed throughout and is missing");
          }
        }
      } finally {
        stop.set(true);
        for (Thread thread : writers) {
          thread.join(30_000);
        }
      }
      assertEquals(List.of(), failures);
    }
  }
}
