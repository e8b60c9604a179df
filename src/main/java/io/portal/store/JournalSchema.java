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
 * Prepares the journal database before the first partition starts: creates the tables pekko-persistence-jdbc needs
 * when they are missing (its own scripts are not idempotent), and checks that the data was written with the
 * configured partition count. Runs once at startup, on the caller's thread, with a JDBC connection of its own.
 */
public final class JournalSchema {
  static final String DB = "pekko-persistence-jdbc.shared-databases.portal";
  /** The URL prefix of the embedded H2 file database, the default journal. */
  static final String H2_FILE = "jdbc:h2:file:";

  private JournalSchema() {
  }

  /** The database the journal uses, for messages: its JDBC URL. */
  public static String url(Config config) {
    return config.getString(DB + ".db.url");
  }

  /** A JDBC connection of the caller's own to the journal database, with the configured user and password. */
  static Connection connect(Config config) throws SQLException {
    return DriverManager.getConnection(url(config), config.getString(DB + ".db.user"),
        config.getString(DB + ".db.password"));
  }

  /**
   * The file of the embedded H2 journal ({@code <path in the URL>.mv.db}); only where {@link #namesH2File}: for the
   * JDBC journal, or to find the H2 file an earlier version left when the journal is RocksDB.
   */
  public static Path h2File(Config config) {
    return Path.of(url(config).substring(H2_FILE.length()).split(";", 2)[0] + ".mv.db");
  }

  /** True when the journal is the embedded H2 file ({@value #H2_FILE}...), false for any other or none configured. */
  static boolean isH2File(Config config) {
    return !isRocksDb(config) && namesH2File(config);
  }

  /** True when the JDBC settings name an embedded H2 file, whichever journal is in use. */
  public static boolean namesH2File(Config config) {
    return config.hasPath(DB + ".db.url") && url(config).startsWith(H2_FILE);
  }

  /** The setting that chooses the journal: {@code jdbc} (H2 file or PostgreSQL) or {@code rocksdb}. */
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
    String profile = config.getString(DB + ".profile");
    String script = profile.contains("Postgres") ? "/schema/portal-postgres.sql" : "/schema/portal-h2.sql";
    String meta = profile.contains("Postgres") ? "portal_meta" : "\"portal_meta\"";
    String name = profile.contains("Postgres") ? "name" : "\"name\"";
    String value = profile.contains("Postgres") ? "value" : "\"value\"";
    try (Connection connection = connect(config)) {
      try (Statement statement = connection.createStatement()) {
        for (String sql : statements(script)) {
          statement.execute(sql);
        }
      }
      String stored = null;
      try (PreparedStatement select = connection.prepareStatement(
          "SELECT " + value + " FROM " + meta + " WHERE " + name + " = 'partitions'");
          ResultSet rows = select.executeQuery()) {
        if (rows.next()) {
          stored = rows.getString(1);
        }
      }
      if (stored == null) {
        try (PreparedStatement insert = connection.prepareStatement(
            "INSERT INTO " + meta + " (" + name + ", " + value + ") VALUES ('partitions', ?)")) {
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
