package io.portal.store;

import static io.portal.store.TestJournals.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rewriting a mostly dead H2 journal file at start. */
class H2StartupCompactionTest {

  private static H2Housekeeping.Settings settings(int fillRate, long minBytes) {
    return new H2Housekeeping.Settings(Duration.ofSeconds(1), 80, 16 << 20, Duration.ZERO, 2000, fillRate, minBytes,
        false);
  }

  /** A file whose chunks are mostly dead: rows updated one commit at a time, closed without H2's own compaction. */
  private static void churn(Path dir) throws SQLException {
    String url = "jdbc:h2:file:" + dir + "/portal;WRITE_DELAY=0;RETENTION_TIME=60000;MAX_COMPACT_TIME=0";
    try (Connection connection = DriverManager.getConnection(url, "", "")) {
      TestJournals.churn(connection, 1000, 3000, new Random(3), i -> new byte[] {(byte) i});
    }
  }

  private static long rows(String url) throws SQLException {
    try (Connection connection = DriverManager.getConnection(url, "", "");
        ResultSet rows = connection.createStatement().executeQuery("SELECT COUNT(*), SUM(LENGTH(v)) FROM t")) {
      rows.next();
      return rows.getLong(1) * 1_000_000 + rows.getLong(2);
    }
  }

  @Test
  void aMostlyDeadFileIsRewrittenWithItsDataAndOnlyOnce(@TempDir Path dir) throws SQLException {
    churn(dir);
    String url = "jdbc:h2:file:" + dir + "/portal;WRITE_DELAY=0";
    long contentBefore = rows(url + ";MAX_COMPACT_TIME=0"); // H2 would compact a little while closing

    H2StartupCompaction.Outcome outcome = H2StartupCompaction.runIfWasteful(config(url), settings(50, 1));

    assertNotNull(outcome, "compacted");
    assertTrue(outcome.fillRate() < 50, "fill rate " + outcome.fillRate());
    assertTrue(outcome.bytesAfter() * 2 < outcome.bytesBefore(), outcome.bytesBefore() + " -> " + outcome.bytesAfter());
    assertEquals(contentBefore, rows(url), "the same rows and values");
    assertNull(H2StartupCompaction.runIfWasteful(config(url), settings(50, 1)), "a compact file is left alone");
  }

  @Test
  void leavesAloneSmallFilesOtherDatabasesAndADisabledSetting(@TempDir Path dir) throws SQLException {
    churn(dir);
    String url = "jdbc:h2:file:" + dir + "/portal;WRITE_DELAY=0";
    assertNull(H2StartupCompaction.runIfWasteful(config(url), settings(50, 1L << 40)), "below the minimum size");
    assertNull(H2StartupCompaction.runIfWasteful(config(url), settings(0, 1)), "turned off");
    assertNull(H2StartupCompaction.runIfWasteful(config("jdbc:postgresql://127.0.0.1:5432/portal"), settings(50, 1)));
    assertNull(H2StartupCompaction.runIfWasteful(config("jdbc:h2:file:" + dir + "/absent"), settings(50, 1)));
    assertNotNull(H2StartupCompaction.runIfWasteful(config(url), settings(50, 1)), "the same file, when allowed");
  }
}
