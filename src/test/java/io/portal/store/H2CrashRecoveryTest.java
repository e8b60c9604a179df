package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.TreeMap;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * H2's quick recovery drops complete commits after a crash, and {@link H2CrashRecovery} keeps them. A crash is
 * modelled by copying the file while the store is open, right after a commit: every write of a commit has returned
 * by then, so the copy is what kill -9 at that moment would leave (the operating system keeps written data).
 */
class H2CrashRecoveryTest {
  private static final int COMMITS = 400;

  @TempDir
  Path dir;

  /** A store churned like the journal: rows added at the end in commits of varied size, the oldest deleted. */
  private static final class Churn implements AutoCloseable {
    final MVStore store;
    final MVMap<Long, byte[]> map;
    final TreeMap<Long, byte[]> expected = new TreeMap<>();
    final Random random = new Random(42);
    long next;

    Churn(Path file) {
      store = new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
      store.setRetentionTime(0); // freed space is reused at once, so chunks land in holes early in the run
      map = store.openMap("data");
    }

    void commit() {
      int puts = 1 + random.nextInt(20);
      for (int i = 0; i < puts; i++) {
        byte[] value = new byte[50 + random.nextInt(random.nextInt(10) == 0 ? 20_000 : 500)];
        random.nextBytes(value);
        map.put(next, value);
        expected.put(next, value);
        next++;
      }
      while (map.size() > 3000) {
        expected.remove(map.firstKey());
        map.remove(map.firstKey());
      }
      store.commit();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  private static TreeMap<Long, byte[]> read(Path file) {
    MVStore store = new MVStore.Builder().fileName(file.toString()).readOnly().open();
    try {
      return new TreeMap<>(store.<Long, byte[]>openMap("data"));
    } finally {
      store.close();
    }
  }

  private static void assertSameRows(TreeMap<Long, byte[]> expected, TreeMap<Long, byte[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((key, value) -> assertArrayEquals(value, actual.get(key), "row " + key));
  }

  @Test
  void keepsTheCommitsThatH2sQuickRecoveryDrops() throws Exception {
    Path file = dir.resolve("journal.mv.db");
    Path crashed = dir.resolve("crashed.mv.db");
    int dropped = 0;
    int recovered = 0;
    try (Churn churn = new Churn(file)) {
      for (int commit = 0; commit < COMMITS && recovered < 3; commit++) {
        churn.commit();
        Files.copy(file, crashed, StandardCopyOption.REPLACE_EXISTING);
        if (read(crashed).containsKey(churn.next - 1)) {
          continue; // H2 alone finds this commit
        }
        dropped++;
        assertFalse(H2CrashRecovery.closedCleanly(crashed));
        H2CrashRecovery.Outcome outcome = H2CrashRecovery.recoverIfUnclean(crashed);
        assertNotNull(outcome, "commit " + commit);
        assertTrue(outcome.recoveredVersion() > outcome.quickVersion(), outcome.toString());
        assertTrue(H2CrashRecovery.closedCleanly(crashed), "the recovered file is marked clean");
        assertSameRows(churn.expected, read(crashed));
        recovered++;
      }
    }
    // H2 2.5.252 drops three within the first 30 commits of this seeded run; a later H2 that no longer does would
    // make this test fail, and H2CrashRecovery could then go
    assertEquals(3, recovered, "commits H2's quick recovery dropped within " + COMMITS + " (dropped " + dropped
        + ")");
  }

  @Test
  void aCrashWithNothingDroppedKeepsTheSameVersion() throws Exception {
    Path file = dir.resolve("journal.mv.db");
    Path crashed = dir.resolve("crashed.mv.db");
    try (Churn churn = new Churn(file)) {
      churn.commit(); // the first chunks go to the end of the file, where H2's quick recovery finds them
      churn.commit();
      Files.copy(file, crashed);
      H2CrashRecovery.Outcome outcome = H2CrashRecovery.recoverIfUnclean(crashed);
      assertNotNull(outcome);
      assertEquals(outcome.quickVersion(), outcome.recoveredVersion());
      assertSameRows(churn.expected, read(crashed));
    }
  }

  @Test
  void leavesACleanlyClosedFileAlone() throws Exception {
    Path file = dir.resolve("journal.mv.db");
    TreeMap<Long, byte[]> expected;
    try (Churn churn = new Churn(file)) {
      for (int i = 0; i < 50; i++) {
        churn.commit();
      }
      expected = churn.expected;
    }
    byte[] before = Files.readAllBytes(file);
    assertTrue(H2CrashRecovery.closedCleanly(file));
    assertNull(H2CrashRecovery.recoverIfUnclean(file));
    assertArrayEquals(before, Files.readAllBytes(file), "not opened");
    assertSameRows(expected, read(file));
    assertNull(H2CrashRecovery.recoverIfUnclean(dir.resolve("missing.mv.db")));
  }
}
