package io.portal.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;
import org.h2.mvstore.MVStore;

/** Journal configuration for the store's tests that talk to a database directly. */
final class TestJournals {
  private TestJournals() {
  }

  /** The shared journal database at {@code url}, as the H2 profile with an empty user and password. */
  static Config config(String url) {
    return ConfigFactory.parseMap(Map.of(JournalSchema.DB + ".db.url", url, JournalSchema.DB + ".db.user", "",
        JournalSchema.DB + ".db.password", "", JournalSchema.DB + ".profile", "slick.jdbc.H2Profile$"));
  }

  /**
   * Leaves most of an H2 file's chunks dead: table {@code t} with {@code rows} rows of 500 bytes, then {@code updates}
   * updates of random rows (chosen by {@code random}), each its own commit and so its own chunk; update {@code i}
   * writes {@code value.apply(i)}.
   */
  static void churn(Connection connection, int rows, int updates, Random random, IntFunction<byte[]> value)
      throws SQLException {
    connection.createStatement().execute("CREATE TABLE t (id INT PRIMARY KEY, v BINARY VARYING)");
    try (PreparedStatement insert = connection.prepareStatement("INSERT INTO t VALUES (?, ?)")) {
      for (int id = 0; id < rows; id++) {
        insert.setInt(1, id);
        insert.setBytes(2, new byte[500]);
        insert.executeUpdate();
      }
    }
    try (PreparedStatement update = connection.prepareStatement("UPDATE t SET v = ? WHERE id = ?")) {
      for (int i = 0; i < updates; i++) {
        update.setBytes(1, value.apply(i));
        update.setInt(2, random.nextInt(rows));
        update.executeUpdate();
      }
    }
  }

  /** The chunks of an H2 file, as its layout lists them. */
  static int chunkCount(MVStore store) {
    return (int) store.getLayoutMap().keySet().stream().filter(key -> key.startsWith("chunk.")).count();
  }
}
