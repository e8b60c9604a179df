package io.portal.store;

import static io.portal.store.TestJournals.chunkCount;
import static io.portal.store.TestJournals.churn;
import static io.portal.store.TestJournals.config;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Random;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The upkeep of the embedded H2 journal file: it frees the space of chunks that churn left mostly dead. */
class H2HousekeepingTest {
  private static final H2Housekeeping.Settings SETTINGS = new H2Housekeeping.Settings(Duration.ofHours(1), 80,
      16 << 20, Duration.ZERO, 2000, 0, 1, false);

  @Test
  void doesNothingForADatabaseOtherThanAnH2File() {
    assertNull(H2Housekeeping.startIfH2(config("jdbc:postgresql://127.0.0.1:5432/portal"), SETTINGS));
    assertNull(H2Housekeeping.startIfH2(config("jdbc:h2:mem:portal"), SETTINGS));
  }

  @Test
  void aRoundFreesTheSpaceThatChurnLeftInMostlyDeadChunks(@TempDir Path dir) throws Exception {
    // no retention, so that the test need not wait for chunks to age
    String url = "jdbc:h2:file:" + dir + "/t;WRITE_DELAY=0;RETENTION_TIME=0";
    H2Housekeeping housekeeping = H2Housekeeping.startIfH2(config(url), SETTINGS);
    try (Connection connection = DriverManager.getConnection(url, "", "")) {
      // one commit per update of a random row: every commit writes a chunk, most of which soon dies
      Random random = new Random(7);
      churn(connection, 2000, 3000, random, i -> new byte[400 + random.nextInt(200)]);
      MVStore store = H2Housekeeping.mvStore(connection);
      int fillBefore = store.getFileStore().getChunksFillRate();
      int chunksBefore = chunkCount(store);
      for (int round = 0; round < 5; round++) {
        housekeeping.runOnce();
        connection.createStatement().executeUpdate("UPDATE t SET v = X'00' WHERE id = 0"); // writes what moved
      }
      housekeeping.runOnce();
      int fillAfter = store.getFileStore().getChunksFillRate();
      int chunksAfter = chunkCount(store);
      assertTrue(fillAfter > fillBefore + 20, "chunk fill rate " + fillBefore + "% -> " + fillAfter + "%");
      assertTrue(chunksAfter * 2 < chunksBefore, "chunks " + chunksBefore + " -> " + chunksAfter);
    } finally {
      housekeeping.stop();
    }
    assertTrue(Files.size(dir.resolve("t.mv.db")) > 0);
  }
}
