package io.portal.store;

import static io.portal.store.TestJournals.config;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deleting old events of all partitions together, on the journal's own tables. */
class H2EventCleanerTest {
  private static final List<String> IDS = List.of("portal-partition-0", "portal-partition-1", "portal-partition-2",
      "someone-else");
  private Connection connection;

  @BeforeEach
  void journalWithInterleavedEvents(@TempDir Path dir) throws SQLException {
    String url = "jdbc:h2:file:" + dir + "/portal;WRITE_DELAY=0";
    JournalSchema.ensure(config(url), 64);
    connection = DriverManager.getConnection(url, "", "");
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", "
        + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
        + "\"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, 'w', 0, '', X'01', 1, 'e')")) {
      // the way the journal writes them: the partitions' events interleaved
      for (long seq = 1; seq <= 100; seq++) {
        for (String id : IDS) {
          insert.setString(1, id);
          insert.setLong(2, seq);
          insert.executeUpdate();
        }
      }
    }
  }

  @AfterEach
  void close() throws SQLException {
    connection.close();
  }

  private void snapshot(String id, long seq) throws SQLException {
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO \"snapshot\" (\"persistence_id\", "
        + "\"sequence_number\", \"created\", \"snapshot_ser_id\", \"snapshot_ser_manifest\", \"snapshot_payload\") "
        + "VALUES (?, ?, 0, 1, 's', X'01')")) {
      insert.setString(1, id);
      insert.setLong(2, seq);
      insert.executeUpdate();
    }
  }

  /** [count, lowest sequence number, highest] of the events of {@code id}. */
  private long[] events(String id) throws SQLException {
    try (PreparedStatement select = connection.prepareStatement("SELECT COUNT(*), MIN(\"sequence_number\"), "
        + "MAX(\"sequence_number\") FROM \"event_journal\" WHERE \"persistence_id\" = ?")) {
      select.setString(1, id);
      try (ResultSet rows = select.executeQuery()) {
        rows.next();
        return new long[] {rows.getLong(1), rows.getLong(2), rows.getLong(3)};
      }
    }
  }

  @Test
  void deletesEachPartitionsEventsUpToItsSecondNewestSnapshotAndNothingElse() throws SQLException {
    snapshot("portal-partition-0", 40);
    snapshot("portal-partition-0", 80);
    snapshot("portal-partition-1", 30); // three: the newest was saved, the oldest not yet deleted
    snapshot("portal-partition-1", 60);
    snapshot("portal-partition-1", 90);
    snapshot("portal-partition-2", 50); // one snapshot: no fallback yet, every event stays

    H2EventCleaner.Round round = H2EventCleaner.runOnce(connection, 7);

    assertEquals(40 + 60, round.rowsDeleted());
    assertEquals(2, round.partitions());
    assertTrue(round.statements() > 10, "batches of 7 row ids: " + round.statements());
    assertEquals(List.of(60L, 41L, 100L), List.of(events("portal-partition-0")[0], events("portal-partition-0")[1],
        events("portal-partition-0")[2]));
    assertEquals(List.of(40L, 61L, 100L), List.of(events("portal-partition-1")[0], events("portal-partition-1")[1],
        events("portal-partition-1")[2]));
    assertEquals(100, events("portal-partition-2")[0]);
    assertEquals(100, events("someone-else")[0], "an id without snapshots keeps every event");

    assertEquals(0, H2EventCleaner.runOnce(connection, 7).rowsDeleted(), "nothing more until a new snapshot");
  }

  @Test
  void rowsLeftBehindByOneRoundAreDeletedOnceTheirPartitionSnapshotsAgain() throws SQLException {
    snapshot("portal-partition-0", 90);
    snapshot("portal-partition-0", 95);
    snapshot("portal-partition-2", 50);
    assertEquals(90, H2EventCleaner.runOnce(connection, 1000).rowsDeleted());
    assertEquals(100, events("portal-partition-2")[0]);

    snapshot("portal-partition-2", 70); // partition 2's old events lie among rows that were swept already

    assertEquals(50, H2EventCleaner.runOnce(connection, 1000).rowsDeleted());
    long[] partition2 = events("portal-partition-2");
    assertEquals(List.of(50L, 51L, 100L), List.of(partition2[0], partition2[1], partition2[2]));
    assertEquals(List.of(10L, 91L), List.of(events("portal-partition-0")[0], events("portal-partition-0")[1]));
  }

  @Test
  void aJournalWithoutSnapshotsIsLeftAlone() throws SQLException {
    assertEquals(new H2EventCleaner.Round(0, 0, 0), H2EventCleaner.runOnce(connection, 100));
    for (String id : IDS) {
      assertEquals(100, events(id)[0], id);
    }
  }
}
