package io.portal.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServerSettingsTest {
  private static ServerSettings settings(String overrides) {
    return ServerSettings.fromConfig(ConfigLoader.resolve(ConfigFactory.parseString(overrides)));
  }

  @Test
  void defaultsAreTheDocumentedOnes() {
    ServerSettings s = settings("");
    assertEquals("127.0.0.1", s.host());
    assertEquals(7777, s.port());
    assertEquals(10000, s.maxConnections());
    assertEquals(64, s.store().partitions());
    assertEquals(Duration.ofSeconds(5), s.store().requestTimeout());
    assertEquals(1024, s.connection().maxInFlight());
    assertEquals(32L << 20, s.connection().outboundHardLimit());
    assertEquals(8L << 20, s.connection().outboundSoftLimit());
    assertEquals(Duration.ofSeconds(60), s.connection().outboundSoftDuration());
    assertEquals(Duration.ofMinutes(5), s.connection().idleTimeout());
    assertEquals(1572864, s.connection().maxPayloadBytes());
    assertEquals(4096, s.connection().maxKeyBytes());
  }

  @Test
  void anUnknownPortalSettingIsNamedWithWhereItCameFromAndTheNearestRealOne() {
    Config config = ConfigLoader.resolve(ConfigFactory.parseString("portal.server.prot = 7000\n"
        + "portal.store.snapshot-every-events = 10\nportal.server.port = 7001", ConfigParseOptions.defaults()
        .setOriginDescription("test.conf")));
    assertEquals(java.util.List.of(
        "unknown setting portal.server.prot (from test.conf: 1) is ignored; did you mean portal.server.port?",
        "unknown setting portal.store.snapshot-every-events (from test.conf: 2) is ignored; did you mean "
            + "portal.store.snapshot-growth-percent?"), ConfigLoader.unknownSettings(config));
    assertEquals(java.util.List.of(), ConfigLoader.unknownSettings(ConfigLoader.resolve(ConfigFactory.parseFile(
        new java.io.File("conf/application.conf")))), "the shipped configuration is all known settings");
  }

  @Test
  void snapshotsFollowGrowthAsConfigured() {
    assertEquals(new io.portal.store.SnapshotRule(100, 1 << 20), settings("").store().snapshots());
    assertEquals(new io.portal.store.SnapshotRule(50, 4096), settings("portal.store.snapshot-growth-percent = 50\n"
        + "portal.store.snapshot-min-bytes = 4KiB").store().snapshots());
    String bad = assertThrows(ConfigException.class,
        () -> settings("portal.store.snapshot-growth-percent = 0")).getMessage();
    assertTrue(bad.contains("portal.store.snapshot-growth-percent"), bad);
  }

  @Test
  void theRocksDbJournalReplacesTheJdbcPlugins() {
    Config rocks = ConfigLoader.resolve(ConfigFactory.parseString("portal.store.journal = rocksdb\n"
        + "portal.store.data-dir = /tmp/portal-x"));
    assertEquals("portal.rocksdb.journal", rocks.getString("pekko.persistence.journal.plugin"));
    assertEquals("portal.rocksdb.snapshot-store", rocks.getString("pekko.persistence.snapshot-store.plugin"));
    assertEquals("/tmp/portal-x/journal", rocks.getString("portal.rocksdb.dir"));
    assertEquals("portal.rocksdb.journal", ConfigLoader.resolve(ConfigFactory.empty())
        .getString("pekko.persistence.journal.plugin"), "RocksDB is the default");
    assertEquals("jdbc-journal", ConfigLoader.resolve(ConfigFactory.parseString("portal.store.journal = jdbc"))
        .getString("pekko.persistence.journal.plugin"));
    String bad = assertThrows(ConfigException.class, () -> settings("portal.store.journal = leveldb")).getMessage();
    assertTrue(bad.contains("portal.store.journal") && bad.contains("'leveldb' is neither jdbc nor rocksdb"), bad);
  }

  @Test
  void memoryBudgetsFollowTheHeapUnlessSet() {
    long heap = Runtime.getRuntime().maxMemory();
    ServerSettings s = settings("");
    assertEquals(heap / 4, s.memory().clientsBudget());
    assertEquals(64 * 1024, s.memory().clientFloor());
    assertEquals(Math.max(1, heap / 64), s.store().maxWriteBytesInFlight());
    assertEquals(Duration.ofSeconds(10), s.connection().frameTimeout());
    assertEquals(1 << 20, settings("portal.memory.clients-budget = 1MiB").memory().clientsBudget());
    assertEquals(Duration.ZERO, settings("portal.protocol.frame-timeout = off").connection().frameTimeout());
  }

  @Test
  void idleTimeoutOffDisablesIt() {
    assertEquals(Duration.ZERO, settings("portal.server.idle-timeout = off").connection().idleTimeout());
  }

  @Test
  void badValuesNameTheSetting() {
    String port = assertThrows(ConfigException.class, () -> settings("portal.server.port = 70000")).getMessage();
    assertTrue(port.contains("portal.server.port") && port.contains("70000 is outside 0..65535"), port);

    String duration = assertThrows(ConfigException.class,
        () -> settings("portal.store.request-timeout = soon")).getMessage();
    assertTrue(duration.contains("portal.store.request-timeout"), duration);

    String limits = assertThrows(ConfigException.class, () -> settings(
        "portal.connection.outbound-soft-limit = 64MiB")).getMessage();
    assertTrue(limits.contains("portal.connection.outbound-soft-limit")
        && limits.contains("soft limit 67108864 bytes exceeds the hard limit 33554432 bytes"), limits);

    String inFlight = assertThrows(ConfigException.class,
        () -> settings("portal.connection.max-in-flight = 0")).getMessage();
    assertTrue(inFlight.contains("portal.connection.max-in-flight") && inFlight.contains("0 is outside"), inFlight);
  }

  @Test
  void systemPropertiesOverrideTheFile() {
    System.setProperty("portal.store.partitions", "7");
    try {
      ConfigFactory.invalidateCaches();
      assertEquals(7, settings("portal.store.partitions = 9").store().partitions());
    } finally {
      System.clearProperty("portal.store.partitions");
      ConfigFactory.invalidateCaches();
    }
    assertEquals(9, settings("portal.store.partitions = 9").store().partitions());
  }

  @Test
  void theHealthPortFollowsTheClientPortUnlessSet() {
    String port = "pekko.management.http.port";
    assertEquals(8558, ConfigLoader.resolve(ConfigFactory.empty()).getInt(port), "7777 + 781");
    assertEquals(8559, ConfigLoader.resolve(ConfigFactory.parseString("portal.server.port = 7778")).getInt(port),
        "a second server on 7778 does not collide on the health port");
    assertEquals(0, ConfigLoader.resolve(ConfigFactory.parseString("portal.server.port = 0")).getInt(port));
    assertEquals(9000, ConfigLoader.resolve(ConfigFactory.parseString(
        "portal.server.port = 7778\n" + port + " = 9000")).getInt(port), "set explicitly: kept");
    assertEquals(8600, ConfigLoader.resolve(ConfigFactory.parseString("portal.server.port = 7778\n" + port
        + " = 8600\n" + port + " = ${?PORTAL_NO_SUCH_VARIABLE}")).getInt(port),
        "set in a file with an optional environment variable over it (conf/cluster-node.conf): kept");
  }
}
