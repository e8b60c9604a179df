package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.BackupResponse;
import io.portal.protocol.v1.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * BACKUP of a node under write load, restored into a fresh data folder: every write acknowledged before the backup
 * was asked for is there with its value and version; bad folders are refused with INVALID_ARGUMENT.
 */
class BackupTest {
  @Test
  void aBackupTakenUnderWriteLoadHasEveryWriteAcknowledgedBeforeIt() throws Exception {
    Path backup = Files.createTempDirectory("portal-backup").resolve("copy");
    Map<String, Long> before;
    Map<String, Long> acked = new ConcurrentHashMap<>();
    try (TestServer server = new TestServer("");
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      AtomicBoolean writing = new AtomicBoolean(true);
      Thread writer = new Thread(() -> {
        try (PortalClient w = PortalClient.connect("127.0.0.1", server.port())) {
          for (int i = 0; writing.get(); i++) {
            acked.put("k" + i, w.set("k" + i, "v" + i));
            if (i % 10 == 0) {
              acked.put("hot", w.set("hot", "h" + i)); // one key overwritten all along
            }
          }
        }
      });
      writer.start();
      Thread.sleep(1500);
      before = new HashMap<>(acked);
      BackupResponse done = client.backup(backup.toString());
      Thread.sleep(500);
      writing.set(false);
      writer.join(10_000);
      assertEquals(backup.toString(), done.getDir());
      assertTrue(done.getFiles() > 0 && done.getBytes() > 0, done.toString());

      PortalException relative = assertThrows(PortalException.class, () -> client.backup("relative/dir"));
      assertEquals(ErrorCode.INVALID_ARGUMENT, relative.code());
      assertTrue(relative.getMessage().contains("must be an absolute path"), relative.getMessage());
      PortalException exists = assertThrows(PortalException.class, () -> client.backup(backup.toString()));
      assertEquals(ErrorCode.INVALID_ARGUMENT, exists.code());
      assertTrue(exists.getMessage().contains("exists already"), exists.getMessage());
    }
    assertTrue(before.size() > 100, "writes before the backup: " + before.size());

    Path restored = TestServer.newDataDir();
    Files.move(backup, restored.resolve("journal"));
    try (TestServer server = new TestServer("", restored);
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      for (Map.Entry<String, Long> want : before.entrySet()) {
        Entry found = client.get(want.getKey()).orElseThrow(() -> new AssertionError(want.getKey() + " is missing"));
        if (want.getKey().equals("hot")) {
          assertTrue(found.version() >= want.getValue(), "hot at " + found.version() + ", acked " + want.getValue());
        } else {
          assertEquals(new Entry(ByteString.copyFromUtf8("v" + want.getKey().substring(1)), want.getValue()), found);
        }
      }
      System.out.printf("BackupTest: %d writes acknowledged before the backup, all restored (%d in all)%n",
          before.size(), acked.size());
    }
  }
}
