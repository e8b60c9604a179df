package io.portal.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Opens a journal file with or without {@link H2LeftoverCommitFix} (in a JVM of its own, since the mend must come
 * before H2 loads) and writes partition 2's next event. Prints {@code mend=<outcome> rows=<n> seq=<partition 2's
 * last event> insert=<ok|failed: ...>}. Run by {@link H2LeftoverCommitFixTest}. Usage: {@code mend|plain <file
 * without .mv.db>}.
 */
public final class H2LeftoverCommitProbe {
  private H2LeftoverCommitProbe() {
  }

  public static void main(String[] args) throws SQLException {
    String mend = args[0].equals("mend") ? H2LeftoverCommitFix.apply().toString() : "off";
    try (Connection connection = DriverManager.getConnection("jdbc:h2:file:" + args[1] + ";LOCK_TIMEOUT=1000", "", "");
        Statement statement = connection.createStatement()) {
      long rows = single(statement, "SELECT COUNT(*) FROM \"event_journal\"");
      long seq = single(statement,
          "SELECT MAX(\"sequence_number\") FROM \"event_journal\" WHERE \"persistence_id\" = 'portal-partition-2'");
      String insert;
      try {
        statement.executeUpdate("INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"writer\", "
            + "\"write_timestamp\", \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\") "
            + "VALUES ('portal-partition-2', " + (seq + 1) + ", 'probe', 0, '', X'00', 1, '')");
        insert = "ok";
      } catch (SQLException e) {
        insert = "failed: " + e.getMessage().lines().findFirst().orElse("");
      }
      System.out.println("mend=" + mend + " rows=" + rows + " seq=" + seq + " insert=" + insert);
    }
  }

  private static long single(Statement statement, String sql) throws SQLException {
    try (ResultSet result = statement.executeQuery(sql)) {
      result.next();
      return result.getLong(1);
    }
  }
}
