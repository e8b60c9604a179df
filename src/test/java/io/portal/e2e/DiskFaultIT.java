package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The journal's disk misbehaves under the packaged server, on an ext4 file system in a loop device made for the test
 * (which takes root; without it the tests are reported as skipped with that reason):
 *
 * <ul>
 *   <li>a stalled disk ({@code fsfreeze}: every write and fsync blocks): new writes are refused at once with
 *       UNAVAILABLE naming the stall, reads go on, and writes are taken again by themselves once the disk thaws;</li>
 *   <li>an I/O error (ext4 aborts and turns read-only, as on a failing device): writes fail with UNAVAILABLE naming
 *       RocksDB's error, every partition goes on answering reads, and after the file system is repaired a restart
 *       has everything acknowledged.</li>
 * </ul>
 */
class DiskFaultIT {
  private static final int KEYS = 300;

  private Path image;
  private Path mount;
  private String device;

  @BeforeEach
  void mountLoopDevice() throws Exception {
    image = Files.createTempFile("portal-disk-fault", ".img");
    mount = Files.createTempDirectory("portal-disk-fault");
    Assumptions.assumeTrue(Commands.run("truncate", "-s", "256M", image.toString()) == 0);
    Process losetup = new ProcessBuilder("losetup", "-f", "--show", image.toString()).start();
    String found = new String(losetup.getInputStream().readAllBytes()).trim();
    Assumptions.assumeTrue(losetup.waitFor() == 0 && found.startsWith("/dev/loop"),
        "a loop device needs root; DiskFaultIT did not run");
    device = found;
    Assumptions.assumeTrue(Commands.run("mkfs.ext4", "-q", device) == 0, "mkfs.ext4 (e2fsprogs) is needed");
    assertEquals(0, Commands.run("mount", "-o", "errors=remount-ro", device, mount.toString()));
  }

  @AfterEach
  void unmount() throws Exception {
    if (device != null) {
      Commands.run("fsfreeze", "-u", mount.toString());
      Commands.run("umount", mount.toString());
      Commands.run("losetup", "-d", device);
    }
    Files.deleteIfExists(image);
  }

  @Test
  void aStalledDiskRefusesWritesAtOnceServesReadsAndWritesAgainOnceItReturns() throws Exception {
    List<String> jvm = jvm("-Dportal.rocksdb.stall-timeout=1s");
    Map<String, Long> acked = new ConcurrentHashMap<>();
    try (JarProcess server = JarProcess.start(jvm)) {
      int port = server.awaitReady();
      try (PortalClient client = connect(port, Duration.ofSeconds(3))) {
        writeKeys(client, "before-", acked);
        AtomicBoolean loading = new AtomicBoolean(true);
        Thread load = startLoad(port, loading, acked);
        Thread.sleep(300);
        assertEquals(0, Commands.run("fsfreeze", "-f", mount.toString()));
        try {
          PortalException refused = awaitRefusal(client, "stalled");
          assertEquals(ErrorCode.UNAVAILABLE, refused.code(), refused.getMessage());
          assertTrue(refused.getMessage().contains("portal.rocksdb.stall-timeout"), refused.getMessage());
          long start = System.nanoTime();
          PortalException again = expectRefused(client, "during-stall");
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          assertEquals(ErrorCode.UNAVAILABLE, again.code(), again.getMessage());
          assertTrue(millis < 1000, "refused at once, not after a timeout: " + millis + " ms");
          System.out.printf("DiskFaultIT stall: refused in %d ms: %s%n", millis, again.getMessage());
          checkAcked(client, acked, "before-"); // reads go on while the disk is frozen
        } finally {
          assertEquals(0, Commands.run("fsfreeze", "-u", mount.toString()));
        }
        assertEquals(1L, awaitWriteTaken(client, "after-stall"), "writes taken again without a restart");
        acked.put("after-stall", 1L);
        loading.set(false);
        load.join(30_000);
        server.await(java.util.regex.Pattern.compile("the stalled write returned after \\d+ ms"), 10);
        checkAcked(client, acked, "");
        System.out.printf("DiskFaultIT stall: %d writes acknowledged in all%n", acked.size());
      }
    }
    try (JarProcess server = JarProcess.start(jvm);
        PortalClient client = connect(server.awaitReady(), Duration.ofSeconds(10))) {
      checkAcked(client, acked, "");
    }
  }

  @Test
  void anIoErrorFailsWritesClearlyKeepsEveryPartitionReadableAndLosesNothingAcknowledged() throws Exception {
    List<String> jvm = jvm();
    Map<String, Long> acked = new ConcurrentHashMap<>();
    try (JarProcess server = JarProcess.start(jvm);
        PortalClient client = connect(server.awaitReady(), Duration.ofSeconds(5))) {
      writeKeys(client, "before-", acked);
      Files.writeString(Path.of("/sys/fs/ext4", Path.of(device).getFileName().toString(), "trigger_fs_error"), "1");
      PortalException failed = awaitRefusal(client, "Read-only file system");
      assertEquals(ErrorCode.UNAVAILABLE, failed.code(), failed.getMessage());
      long start = System.nanoTime();
      PortalException again = expectRefused(client, "after-error");
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(ErrorCode.UNAVAILABLE, again.code(), again.getMessage());
      assertTrue(again.getMessage().contains("the journal cannot write"), again.getMessage());
      assertTrue(millis < 1000, "refused at once, not after a timeout: " + millis + " ms");
      System.out.printf("DiskFaultIT I/O error: first failure: %s%nthen refused in %d ms: %s%n", failed.getMessage(),
          millis, again.getMessage());
      checkAcked(client, acked, ""); // KEYS keys over every partition: none is dead
    }
    assertEquals(0, Commands.run("umount", mount.toString()));
    Commands.run("e2fsck", "-fy", device); // repairs: exit status 1 means "errors corrected"
    assertEquals(0, Commands.run("mount", device, mount.toString()));
    try (JarProcess server = JarProcess.start(jvm);
        PortalClient client = connect(server.awaitReady(), Duration.ofSeconds(10))) {
      checkAcked(client, acked, "");
      assertEquals(1L, client.set(utf8("after-repair"), utf8("v")));
    }
  }

  private List<String> jvm(String... extra) throws IOException {
    List<String> jvm = new java.util.ArrayList<>(List.of("-Xmx512m", "-Dportal.server.port=0",
        JarProcess.freeManagementPort(), "-Dportal.store.data-dir=" + mount.resolve("data")));
    jvm.addAll(List.of(extra));
    return jvm;
  }

  private static PortalClient connect(int port, Duration timeout) {
    return PortalClient.connect("127.0.0.1", port,
        PortalClient.Options.defaults().withoutSession().withRequestTimeout(timeout));
  }

  private static void writeKeys(PortalClient client, String prefix, Map<String, Long> acked) {
    for (int i = 0; i < KEYS; i++) {
      acked.put(prefix + i, client.set(utf8(prefix + i), utf8("value-" + prefix + i)));
    }
  }

  /** A writer that keeps writing new keys until {@code loading} is cleared, keeping the acknowledged ones. */
  private static Thread startLoad(int port, AtomicBoolean loading, Map<String, Long> acked) {
    Thread load = new Thread(() -> {
      try (PortalClient client = connect(port, Duration.ofSeconds(3))) {
        for (int i = 0; loading.get(); i++) {
          try {
            acked.put("load-" + i, client.set(utf8("load-" + i), utf8("value-load-" + i)));
          } catch (PortalException e) {
            sleep(50); // refused or timed out: may or may not be applied, not counted
          }
        }
      }
    }, "load");
    load.start();
    return load;
  }

  /** Writes until one is refused with {@code reason} in its message (within 20 s); other failures are skipped. */
  private static PortalException awaitRefusal(PortalClient client, String reason) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    PortalException last = null;
    for (int i = 0; System.nanoTime() < deadline; i++) {
      try {
        client.set(utf8("probe-" + i), utf8("x"));
      } catch (PortalException e) {
        last = e;
        if (e.getMessage().contains(reason)) {
          return e;
        }
      }
      sleep(100);
    }
    throw new AssertionError("no write refused with '" + reason + "' within 20 s; last failure: " + last);
  }

  private static long awaitWriteTaken(PortalClient client, String key) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    PortalException last = null;
    while (System.nanoTime() < deadline) {
      try {
        return client.set(utf8(key), utf8("v"));
      } catch (PortalException e) {
        last = e;
        sleep(200);
      }
    }
    throw new AssertionError("no write taken within 30 s; last failure: " + last);
  }

  private static PortalException expectRefused(PortalClient client, String key) {
    try {
      client.set(utf8(key), utf8("x"));
    } catch (PortalException e) {
      return e;
    }
    throw new AssertionError("a write was taken while the disk is failing");
  }

  /** Every acknowledged key starting with {@code prefix} reads back with its value and version. */
  private static void checkAcked(PortalClient client, Map<String, Long> acked, String prefix) {
    int checked = 0;
    for (Map.Entry<String, Long> want : acked.entrySet()) {
      if (!want.getKey().startsWith(prefix)) {
        continue;
      }
      Entry found = client.get(want.getKey()).orElseThrow(() -> new AssertionError(want.getKey() + " is missing"));
      assertEquals(want.getValue().longValue(), found.version(), want.getKey());
      String value = want.getKey().equals("after-stall") ? "v" : "value-" + want.getKey();
      assertEquals(utf8(value), found.value(), want.getKey());
      checked++;
    }
    assertTrue(checked >= KEYS, "checked " + checked + " keys");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
