package io.portal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.rocksdb.RocksDBException;

class RocksStoreTest {
  private static final long MIB = 1 << 20;

  private static GroupCommitWriter.Ops put(RocksStore store, String id, long seq, byte[] value) {
    return batch -> batch.put(store.events(), Keys.of(id, seq), value);
  }

  @Test
  void writesWaitingWhileABatchSyncsGoTogetherIntoTheNextWithOneSync() throws Exception {
    try (RocksStore store = RocksStore.open(Files.createTempDirectory("portal-rocks"), 8 * MIB, 4 * MIB)) {
      CountDownLatch filling = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      long before = store.walSyncs();
      CompletableFuture<Void> first = store.writer().submit(batch -> {
        filling.countDown();
        try {
          release.await(); // holds the writer inside the first batch while the others queue up
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        put(store, "p", 0, new byte[] {0}).fill(batch);
      });
      assertTrue(filling.await(5, TimeUnit.SECONDS));
      List<CompletableFuture<Void>> rest = new ArrayList<>();
      for (int i = 1; i <= 100; i++) {
        rest.add(store.writer().submit(put(store, "p", i, new byte[] {(byte) i})));
      }
      release.countDown();
      first.get(5, TimeUnit.SECONDS);
      CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
      assertEquals(2, store.walSyncs() - before, "one sync for the first write, one for the 100 behind it");
      assertArrayEquals(new byte[] {100}, store.db().get(store.events(), Keys.of("p", 100)));
    }
  }

  @Test
  void reopeningKeepsFewInfoLogs() throws Exception {
    Path dir = Files.createTempDirectory("portal-rocks");
    for (int i = 0; i < 8; i++) {
      RocksStore.open(dir, 8 * MIB, 4 * MIB).close();
    }
    try (Stream<Path> files = Files.list(dir)) {
      long logs = files.filter(f -> f.getFileName().toString().startsWith("LOG")).count();
      assertTrue(logs <= 5, logs + " info logs after 8 opens");
    }
  }

  @Test
  void aBatchThatFailsFailsOnlyItsWritesAndTheNextOneIsTried() throws Exception {
    try (RocksStore store = RocksStore.open(Files.createTempDirectory("portal-rocks"), 8 * MIB, 4 * MIB)) {
      CompletableFuture<Void> failing = store.writer().submit(batch -> {
        throw new IllegalStateException("injected");
      });
      ExecutionException failure = assertThrows(ExecutionException.class, () -> failing.get(5, TimeUnit.SECONDS));
      assertEquals("injected", failure.getCause().getMessage());
      store.writer().submit(put(store, "p", 1, new byte[] {1})).get(5, TimeUnit.SECONDS);
      assertArrayEquals(new byte[] {1}, store.db().get(store.events(), Keys.of("p", 1)));
    }
  }

  @Test
  void aDamagedWriteAheadLogIsRefusedAtOpenNeverServedInPart() throws Exception {
    Path live = Files.createTempDirectory("portal-rocks");
    Path copy = Files.createTempDirectory("portal-rocks-damaged");
    try (RocksStore store = RocksStore.open(live, 8 * MIB, 4 * MIB)) {
      List<CompletableFuture<Void>> writes = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        writes.add(store.writer().submit(put(store, "p", i, new byte[100])));
      }
      CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
      copyFolder(live, copy); // the folder as a kill -9 would leave it: synced log, nothing flushed
    }
    Path log = zeroTheMiddleOfTheLog(copy);
    RocksDBException refused = assertThrows(RocksDBException.class, () -> RocksStore.open(copy, 8 * MIB, 4 * MIB));
    assertEquals("checksum mismatch", refused.getMessage(), "RocksDB names the damage it found");

  }

  @Test
  void aDamagedLogCanBeAcceptedAndWhatIsDroppedIsAccountedForExactly() throws Exception {
    Path live = Files.createTempDirectory("portal-rocks");
    Path copy = Files.createTempDirectory("portal-rocks-damaged");
    try (RocksStore store = RocksStore.open(live, 8 * MIB, 4 * MIB)) {
      for (int i = 0; i < 2000; i++) { // one at a time: a write batch each
        store.writer().submit(put(store, "p", i, new byte[100])).get(10, TimeUnit.SECONDS);
      }
      copyFolder(live, copy);
    }
    Path log = zeroTheMiddleOfTheLog(copy);
    try (RocksStore accepted = RocksStore.open(copy, 8 * MIB, 4 * MIB, true)) {
      long[] kept = accepted.census().events().get("p");
      WalScan.Result damage = accepted.acceptedDamage();
      assertEquals(log, damage.damagedFile());
      assertEquals(0, kept[1], "a prefix is kept: from the first event");
      assertEquals(kept[0] - 1, kept[2], "... with no gap");
      List<Long> dropped = damage.droppedEvents().get("p");
      assertEquals(1999L, dropped.get(dropped.size() - 1), "every whole write after the damage is accounted for");
      assertEquals(dropped.size(), dropped.get(dropped.size() - 1) - dropped.get(0) + 1, "contiguous");
      assertEquals(dropped.size(), damage.droppedBatches(), "one event per batch here");
      long inDamagedBytes = dropped.get(0) - kept[0]; // the writes in the unreadable rest of the damaged block
      assertTrue(inDamagedBytes > 0 && inDamagedBytes * 100 <= damage.unreadableBytes(),
          inDamagedBytes + " writes in " + damage.unreadableBytes() + " unreadable bytes");
      assertTrue(damage.describe().startsWith(log + " is damaged at byte "), damage.describe());
      assertTrue(damage.describe().contains("holding " + dropped.size() + " events, p sequence numbers "
          + dropped.get(0) + "-1999 (" + dropped.size() + "); and " + damage.unreadableBytes()
          + " unreadable bytes, contents unknown"), damage.describe());
    }
  }

  /** Writes 64 zero bytes in the middle of the folder's write-ahead log; returns the log file. */
  private static Path zeroTheMiddleOfTheLog(Path folder) throws IOException {
    Path log;
    try (Stream<Path> files = Files.list(folder)) {
      log = files.filter(f -> f.toString().endsWith(".log")).filter(RocksStoreTest::nonEmpty).findFirst()
          .orElseThrow();
    }
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "rw")) {
      file.seek(file.length() / 2);
      file.write(new byte[64]);
    }
    return log;
  }

  private static boolean nonEmpty(Path file) {
    try {
      return Files.size(file) > 1000;
    } catch (IOException e) {
      return false;
    }
  }

  private static void copyFolder(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.toList()) {
        if (!file.getFileName().toString().equals("LOCK")) {
          Files.copy(file, to.resolve(file.getFileName()));
        }
      }
    }
  }
}
