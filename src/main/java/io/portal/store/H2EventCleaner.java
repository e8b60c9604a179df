package io.portal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Deletes the journal events that snapshots have made unnecessary, for all partitions at once, in the order the rows
 * were written. Used instead of each partition deleting its own old events after a snapshot (Pekko's
 * {@code withDeleteEventsOnSnapshot}) when the journal is the embedded H2 file.
 *
 * <p>Why: H2 keeps a table's rows in the order they were inserted, so the rows of the 64 partitions lie interleaved
 * and a page holds rows of dozens of them. A partition deleting its 1000 old events rewrites nearly 1000 pages, and
 * every page is rewritten again by each other partition's deletion: a deleted row cost about as much as an inserted
 * one, and a third of the server's CPU under durable writes (docs/BENCHMARKS.md). Sweeping the rows in insertion
 * order and deleting every row that no partition needs any more drops most pages whole, once.
 *
 * <p>What is deleted: the events of a partition up to the second newest of its snapshots, the same events that
 * Pekko's retention (two snapshots kept) deletes. Recovery starts from the newest snapshot and replays what follows
 * it; the older snapshot and the events after it stay as a fallback. A partition with fewer than two snapshots
 * keeps every event, and so does any persistence id that has no snapshots. The highest event of a partition is
 * never deleted (it is newer than both snapshots), so the plugin still finds the partition's sequence number.
 *
 * <p>One round reads the snapshot table, then deletes in statements of at most {@code batchRows} consecutive row
 * ids, each its own transaction (one huge transaction made H2 slower per row, not faster). Rows a partition still
 * needs are left where they are and looked at again next round. Safe beside the journal's own writes: new events
 * are newer than every snapshot of their partition. Not safe beside a second writer deleting events by other
 * rules; the partitions do not delete events themselves while this runs.
 */
final class H2EventCleaner {
  private static final String SNAPSHOTS =
      "SELECT \"persistence_id\", \"sequence_number\" FROM \"snapshot\" "
          + "ORDER BY \"persistence_id\", \"sequence_number\" DESC";
  private static final String LAST_DELETABLE_ROW =
      "SELECT _ROWID_ FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" <= ? "
          + "ORDER BY \"sequence_number\" DESC LIMIT 1";
  private static final String FIRST_ROW = "SELECT _ROWID_ FROM \"event_journal\" ORDER BY _ROWID_ LIMIT 1";

  private H2EventCleaner() {
  }

  /** What a round did, for logs and tests. */
  record Round(int partitions, long rowsDeleted, int statements) {
  }

  /**
   * Deletes every event that is not newer than the second newest snapshot of its persistence id. Runs on the
   * caller's thread with the caller's connection, which must be in auto-commit mode.
   *
   * @param batchRows the most row ids one DELETE statement (one transaction) covers
   */
  static Round runOnce(Connection connection, int batchRows) throws SQLException {
    Map<String, Long> deletableUpTo = deletableUpTo(connection);
    if (deletableUpTo.isEmpty()) {
      return new Round(0, 0, 0);
    }
    long lastRow = -1;
    try (PreparedStatement last = connection.prepareStatement(LAST_DELETABLE_ROW)) {
      for (Map.Entry<String, Long> entry : deletableUpTo.entrySet()) {
        last.setString(1, entry.getKey());
        last.setLong(2, entry.getValue());
        try (ResultSet rows = last.executeQuery()) {
          if (rows.next()) {
            lastRow = Math.max(lastRow, rows.getLong(1));
          }
        }
      }
    }
    if (lastRow < 0) {
      return new Round(deletableUpTo.size(), 0, 0); // deleted already
    }
    long firstRow;
    try (PreparedStatement first = connection.prepareStatement(FIRST_ROW);
        ResultSet rows = first.executeQuery()) {
      if (!rows.next()) {
        return new Round(deletableUpTo.size(), 0, 0);
      }
      firstRow = rows.getLong(1);
    }
    long deleted = 0;
    int statements = 0;
    try (PreparedStatement delete = connection.prepareStatement(deleteStatement(deletableUpTo.size()))) {
      int parameter = 3;
      for (Map.Entry<String, Long> entry : deletableUpTo.entrySet()) {
        delete.setString(parameter++, entry.getKey());
        delete.setLong(parameter++, entry.getValue());
      }
      for (long from = firstRow; from <= lastRow; from += batchRows) {
        delete.setLong(1, from);
        delete.setLong(2, Math.min(lastRow + 1, from + batchRows));
        deleted += delete.executeUpdate();
        statements++;
      }
    }
    return new Round(deletableUpTo.size(), deleted, statements);
  }

  /** Persistence id -> the sequence number of its second newest snapshot, for ids with at least two. */
  private static Map<String, Long> deletableUpTo(Connection connection) throws SQLException {
    Map<String, Long> result = new LinkedHashMap<>();
    try (PreparedStatement select = connection.prepareStatement(SNAPSHOTS);
        ResultSet rows = select.executeQuery()) {
      String current = null;
      int seen = 0;
      while (rows.next()) {
        String id = rows.getString(1);
        if (!id.equals(current)) {
          current = id;
          seen = 0;
        }
        if (++seen == 2) {
          result.put(id, rows.getLong(2));
        }
      }
    }
    return result;
  }

  /**
   * DELETE of the rows with row ids in [?1, ?2) whose sequence number is at most their persistence id's bound, given
   * as (id, bound) parameter pairs from ?3 on; rows of other ids are kept.
   */
  static String deleteStatement(int ids) {
    List<String> cases = new ArrayList<>(ids);
    for (int i = 0; i < ids; i++) {
      cases.add("WHEN ? THEN ?");
    }
    return "DELETE FROM \"event_journal\" WHERE _ROWID_ >= ? AND _ROWID_ < ? AND \"sequence_number\" <= "
        + "CASE \"persistence_id\" " + String.join(" ", cases) + " ELSE 0 END";
  }
}
