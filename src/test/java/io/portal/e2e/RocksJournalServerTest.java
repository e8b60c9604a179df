package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The server on the RocksDB journal ({@code portal.store.journal = rocksdb}): data survives, foreign folders refused. */
class RocksJournalServerTest {
  private static final String ROCKS = "portal.store.journal = rocksdb\nportal.store.partitions = 16\n";

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void everyAcknowledgedWriteSurvivesARestart() {
    Path dir = TestServer.newDataDir();
    try (TestServer first = new TestServer(ROCKS, dir);
        PortalClient client = PortalClient.connect("127.0.0.1", first.port())) {
      List<CompletableFuture<Long>> writes = new ArrayList<>();
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 300; i++) {
          writes.add(client.setAsync(utf8("k" + i), utf8("v" + round + "-" + i)));
        }
      }
      writes.forEach(CompletableFuture::join);
      assertTrue(client.delete(utf8("k0")));
    }
    assertTrue(Files.exists(dir.resolve("journal").resolve("CURRENT")), "the RocksDB journal is in data-dir/journal");
    assertFalse(Files.exists(dir.resolve("portal.mv.db")), "no H2 file");
    try (TestServer second = new TestServer(ROCKS, dir);
        PortalClient client = PortalClient.connect("127.0.0.1", second.port())) {
      assertTrue(client.get(utf8("k0")).isEmpty());
      for (int i = 1; i < 300; i++) {
        Entry entry = client.get(utf8("k" + i)).orElseThrow();
        assertEquals("v2-" + i, entry.value().toStringUtf8());
        assertEquals(3, entry.version());
      }
    }
  }

  @Test
  void aFolderKeepsItsPartitionCount() {
    Path dir = TestServer.newDataDir();
    new TestServer(ROCKS, dir).close();
    AssertionError refused = assertThrows(AssertionError.class,
        () -> new TestServer("portal.store.journal = rocksdb\nportal.store.partitions = 8", dir).close());
    assertEquals("the data in " + dir.resolve("journal") + " was written with 16 partitions but "
        + "portal.store.partitions is 8; keys would land in the wrong partitions. Set portal.store.partitions = 16 "
        + "or use another data folder", refused.getCause().getMessage());
    new TestServer(ROCKS, dir).close();
  }

  @Test
  void aFolderWrittenByOneJournalIsRefusedByTheOther() throws Exception {
    Path old = TestServer.newDataDir();
    Files.createDirectories(old);
    Files.write(old.resolve("portal.mv.db"), new byte[4096]); // where an older version kept its H2 journal
    AssertionError refused = assertThrows(AssertionError.class, () -> new TestServer(ROCKS, old).close());
    assertEquals("the data folder " + old + " holds " + old.resolve("portal.mv.db") + ", the H2 journal of an older "
        + "Portal version, which this version cannot read: starting would serve an empty store over that data. To "
        + "keep serving it, run the version that wrote it; to start afresh, move the folder away or point "
        + "portal.store.data-dir at another folder", refused.getCause().getMessage());
    assertFalse(Files.exists(old.resolve("journal")), "nothing written beside it");

    Path rocks = TestServer.newDataDir();
    try (TestServer first = new TestServer(ROCKS, rocks);
        PortalClient client = PortalClient.connect("127.0.0.1", first.port())) {
      client.set(utf8("a"), utf8("1"));
    }
    AssertionError back = assertThrows(AssertionError.class, () -> new TestServer("portal.store.journal = jdbc\n"
        + "pekko-persistence-jdbc.shared-databases.portal.db.url = \"jdbc:postgresql://127.0.0.1:1/none\"",
        rocks).close());
    assertTrue(back.getCause().getMessage().startsWith("the folder " + rocks.resolve("journal")
        + " holds a journal written with portal.store.journal = rocksdb"), back.getCause().getMessage());

    AssertionError noDatabase = assertThrows(AssertionError.class,
        () -> new TestServer("portal.store.journal = jdbc", TestServer.newDataDir()).close());
    assertTrue(noDatabase.getCause().getMessage().startsWith("portal.store.journal = jdbc needs a PostgreSQL "
        + "database, but pekko-persistence-jdbc.shared-databases.portal.db.url is ''"),
        noDatabase.getCause().getMessage());
  }
}
