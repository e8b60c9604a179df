package io.portal.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVStore;

/**
 * Journal-shaped churn on an H2 file (rows inserted on one connection, the oldest deleted in ranges on another),
 * then every row deleted and a count of the pages and chunks that H2 still counts live. Runs in a JVM of its own
 * ({@link H2CommitLeakFixTest} starts it), because whether H2's commit path is mended is decided once per JVM,
 * before H2 loads.
 *
 * <p>Usage: {@code H2LeakProbe mend|plain <file prefix> <rows to insert>}; prints one line
 * {@code mend=<outcome> live=<pages> chunks=<count> rows=<inserted>/<deleted>}, counted after every row was deleted.
 */
public final class H2LeakProbe {
  private H2LeakProbe() {
  }

  public static void main(String[] args) throws Exception {
    String mend = args[0].equals("mend") ? H2CommitLeakFix.apply().toString() : "off";
    String url = "jdbc:h2:file:" + args[1] + ";WRITE_DELAY=0;RETENTION_TIME=0";
    long rows = Long.parseLong(args[2]);
    try (Connection writer = DriverManager.getConnection(url, "", "");
        Connection deleter = DriverManager.getConnection(url, "", "")) {
      writer.createStatement().execute("CREATE TABLE j (o BIGINT AUTO_INCREMENT, pid VARCHAR(255) NOT NULL, "
          + "seq BIGINT NOT NULL, payload BINARY VARYING NOT NULL, PRIMARY KEY (pid, seq))");
      long[] counts = churn(writer, deleter, rows);
      deleter.createStatement().executeUpdate("DELETE FROM j");
      MVStore store = H2Housekeeping.mvStore(writer);
      for (int i = 0; i < 3; i++) {
        writer.createStatement().executeUpdate("INSERT INTO j (pid, seq, payload) VALUES ('x', " + i + ", X'00')");
        store.commit(); // removals are counted at the stores after them
      }
      System.out.println("mend=" + mend + " live=" + livePages(store) + " chunks=" + TestJournals.chunkCount(store)
          + " rows=" + counts[0] + "/" + counts[1]);
    }
  }

  /**
   * {@code rows} rows of 64 partitions inserted 34 per commit on one connection, the oldest deleted in ranges on
   * another meanwhile.
   */
  private static long[] churn(Connection writer, Connection deleter, long rows) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    long[] deleted = {0};
    Thread cleaner = new Thread(() -> {
      try (PreparedStatement max = deleter.prepareStatement("SELECT MAX(_ROWID_) FROM j");
          PreparedStatement delete = deleter.prepareStatement("DELETE FROM j WHERE _ROWID_ >= ? AND _ROWID_ < ?")) {
        long from = 1;
        while (!stop.get()) {
          long upTo;
          try (ResultSet result = max.executeQuery()) {
            result.next();
            upTo = result.getLong(1) - 20_000; // keep the newest rows, as the journal keeps recent events
          }
          for (; from + 2000 <= upTo; from += 2000) {
            delete.setLong(1, from);
            delete.setLong(2, from + 2000);
            deleted[0] += delete.executeUpdate();
          }
          Thread.sleep(20);
        }
      } catch (SQLException | InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    cleaner.start();
    writer.setAutoCommit(false);
    Random random = new Random(1);
    long[] sequence = new long[64];
    byte[] payload = new byte[200];
    long inserted = 0;
    try (PreparedStatement insert = writer.prepareStatement("INSERT INTO j (pid, seq, payload) VALUES (?, ?, ?)")) {
      while (inserted < rows) {
        for (int i = 0; i < 34; i++) {
          int partition = random.nextInt(64);
          insert.setString(1, "partition-" + partition);
          insert.setLong(2, ++sequence[partition]);
          random.nextBytes(payload);
          insert.setBytes(3, payload);
          insert.executeUpdate();
          inserted++;
        }
        writer.commit();
      }
    } finally {
      stop.set(true);
      cleaner.join();
      writer.setAutoCommit(true);
    }
    return new long[] {inserted, deleted[0]};
  }

  /** Pages that the chunks of the file count as live. */
  private static long livePages(MVStore store) {
    long live = 0;
    for (Map.Entry<String, String> chunk : store.getLayoutMap().entrySet()) {
      if (chunk.getKey().startsWith("chunk.")) {
        Map<String, String> attributes = DataUtils.parseMap(chunk.getValue());
        live += Long.parseLong(attributes.getOrDefault("livePages", attributes.get("pages")), 16);
      }
    }
    return live;
  }
}
