package io.portal.store;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Map;

/** Journal configuration for the store's tests that talk to a database directly. */
final class TestJournals {
  private TestJournals() {
  }

  /** The shared journal database at {@code url}, as the H2 profile with an empty user and password. */
  static Config config(String url) {
    return ConfigFactory.parseMap(Map.of(JournalSchema.DB + ".db.url", url, JournalSchema.DB + ".db.user", "",
        JournalSchema.DB + ".db.password", "", JournalSchema.DB + ".profile", "slick.jdbc.H2Profile$"));
  }
}
