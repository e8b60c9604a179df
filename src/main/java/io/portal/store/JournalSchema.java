package io.portal.store;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Prepares the PostgreSQL journal database before the first partition starts: creates the tables pekko-persistence-jdbc needs
 * when they are missing (its own scripts are not idempotent), and checks that the data was written with the
 * configured partition count. Runs once at startup, on the caller's thread, with a JDBC connection of its own.
 */
public final class JournalSchema {
  static final String DB = "pekko-persistence-jdbc.shared-databases.portal";

  private JournalSchema() {
  }

  /** The database the JDBC journal uses, for messages: its JDBC URL, empty when none is configured. */
  public static String url(Config config) {
    return config.getString(DB + ".db.url");
  }

  /** A JDBC connection of the caller's own to the journal database, with the configured user and password. */
  static Connection connect(Config config) throws SQLException {
    return DriverManager.getConnection(url(config), config.getString(DB + ".db.user"),
        config.getString(DB + ".db.password"));
  }

  /**
   * The journal file an older Portal kept in the data folder (an embedded H2 database, {@code portal.mv.db}). Its
   * data cannot be read any more; a server refuses to start over it rather than start empty.
   */
  public static Path oldH2File(Path dataDir) {
    return dataDir.resolve("portal.mv.db");
  }

  /** The setting that chooses the journal: {@code rocksdb} (one node) or {@code jdbc} (PostgreSQL, a cluster). */
  public static final String JOURNAL = "portal.store.journal";

  /** True when {@code portal.store.journal = rocksdb}: the RocksDB journal, not JDBC. */
  public static boolean isRocksDb(Config config) {
    return config.hasPath(JOURNAL) && "rocksdb".equals(config.getString(JOURNAL));
  }

  /**
   * Creates missing tables and checks or records the partition count.
   *
   * @throws IllegalStateException when the data was written with another partition count (both are named)
   * @throws UncheckedIOException  wrapping SQL failures, with the URL
   */
  public static void ensure(Config config, int partitions) {
    // nodes of a new cluster may start together: PostgreSQL can fail one of two concurrent CREATE ... IF NOT EXISTS
    // (a duplicate in its catalog); the second attempt finds the tables
    for (int attempt = 1; ; attempt++) {
      try {
        ensureOnce(config, partitions);
        return;
      } catch (UncheckedIOException e) {
        if (attempt == 3) {
          throw e;
        }
      }
    }
  }

  private static void ensureOnce(Config config, int partitions) {
    String url = url(config);
    try (Connection connection = connect(config)) {
      try (Statement statement = connection.createStatement()) {
        for (String sql : statements("/schema/portal-postgres.sql")) {
          statement.execute(sql);
        }
      }
      String stored = null;
      try (PreparedStatement select = connection.prepareStatement(
          "SELECT value FROM portal_meta WHERE name = 'partitions'");
          ResultSet rows = select.executeQuery()) {
        if (rows.next()) {
          stored = rows.getString(1);
        }
      }
      if (stored == null) {
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO portal_meta (name, value) VALUES ('partitions', ?)")) {
          insert.setString(1, String.valueOf(partitions));
          insert.executeUpdate();
        }
      } else if (!stored.equals(String.valueOf(partitions))) {
        throw new IllegalStateException("the data in " + url + " was written with " + stored
            + " partitions but portal.store.partitions is " + partitions
            + "; keys would land in the wrong partitions. Set portal.store.partitions = " + stored
            + " or use another data folder");
      }
    } catch (SQLException e) {
      throw new UncheckedIOException(new IOException("preparing the journal database " + url + ": "
          + e.getMessage(), e));
    }
  }

  static String[] statements(String resource) {
    try (InputStream in = JournalSchema.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
      return java.util.Arrays.stream(text.split(";")).map(String::trim).filter(s -> !s.isEmpty())
          .toArray(String[]::new);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
