package io.portal.server;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.portal.store.StoreSettings;
import org.junit.jupiter.api.Test;

/** A node that joins others refuses a node-local journal (RocksDB); alone, or on PostgreSQL, it starts. */
class MultiNodeJournalTest {
  private static Config config(String overrides) {
    return ConfigLoader.resolve(ConfigFactory.parseString(overrides + "\nportal.store.data-dir = /tmp/unused"));
  }

  private static void check(Config config) {
    PortalServer.requireSharedJournalForMultiNode(config, StoreSettings.fromConfig(config));
  }

  @Test
  void seedNodesWithTheRocksDbJournalAreRefused() {
    Config multi = config("pekko.cluster.seed-nodes = [\"pekko://portal@127.0.0.1:2551\"]");
    String message = assertThrows(IllegalStateException.class, () -> check(multi)).getMessage();
    assertTrue(message.contains("its journal is the node-local RocksDB journal (portal.store.journal = rocksdb)")
        && message.contains("Use the shared JDBC journal (PostgreSQL"), message);
  }

  @Test
  void aSingleNodeOnRocksDbAPostgresClusterAndAMemoryClusterStart() {
    assertDoesNotThrow(() -> check(config("")));
    assertDoesNotThrow(() -> check(config("""
        pekko.cluster.seed-nodes = ["pekko://portal@127.0.0.1:2551"]
        portal.store.journal = jdbc
        pekko-persistence-jdbc.shared-databases.portal.profile = "slick.jdbc.PostgresProfile$"
        """)));
    assertDoesNotThrow(() -> check(config("""
        pekko.cluster.seed-nodes = ["pekko://portal@127.0.0.1:2551"]
        portal.store.mode = memory
        """)));
  }
}
