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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The journal's disk fills up under the packaged server: writes fail fast with STORAGE_FULL (naming the cause),
 * reads go on, writes are taken again by themselves once space is freed, and nothing acknowledged is lost, before or
 * after a restart. The disk is a 64 MiB tmpfs mounted for the test, which takes root; without it the test is
 * reported as skipped with that reason (README, "Test").
 */
class DiskFullIT {
  private static final int VALUE_BYTES = 100_000;

  @Test
  void writesFailFastWhileTheDiskIsFullAndResumeByThemselvesOnceSpaceIsFreed() throws Exception {
    Path mount = Files.createTempDirectory("portal-disk-full");
    Assumptions.assumeTrue(Commands.run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString()) == 0,
        "mounting a 64 MiB tmpfs needs root; DiskFullIT did not run");
    try {
      Path dataDir = mount.resolve("data");
      Path ballast = mount.resolve("ballast");
      Files.write(ballast, new byte[40 << 20]); // freed later: space to come back to
      List<String> jvm = List.of("-Xmx512m", "-Dportal.server.port=0", JarProcess.freeManagementPort(),
          "-Dportal.store.data-dir=" + dataDir);
      Map<String, Long> acked = new LinkedHashMap<>();
      try (JarProcess server = JarProcess.start(jvm);
          PortalClient client = PortalClient.connect("127.0.0.1", server.awaitReady(),
              PortalClient.Options.defaults().withoutSession().withRequestTimeout(Duration.ofSeconds(10)))) {
        acked.put("first", client.set(utf8("first"), utf8("v")));
        PortalException full = null;
        for (int i = 0; i < 1000 && full == null; i++) {
          try {
            acked.put("big-" + i, client.set(utf8("big-" + i), value(i)));
          } catch (PortalException e) {
            full = e;
          }
        }
        assertTrue(full != null, "the disk filled up within 1000 writes of 100 kB");
        assertEquals(ErrorCode.STORAGE_FULL, full.code(), full.getMessage());
        assertTrue(full.getMessage().contains("the journal's disk is full")
            && full.getMessage().contains("No space left on device"), full.getMessage());

        long start = System.nanoTime();
        PortalException refused = expectRefused(client, "while-full");
        long refusedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(ErrorCode.STORAGE_FULL, refused.code());
        assertTrue(refusedMillis < 1000, "refused at once, not after a timeout: " + refusedMillis + " ms");
        assertEquals(new Entry(utf8("v"), 1), client.get("first").orElseThrow(), "reads go on");
        checkAcked(client, acked);

        Files.delete(ballast);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Long version = null;
        while (version == null && System.nanoTime() < deadline) {
          try {
            version = client.set(utf8("after"), utf8("space"));
          } catch (PortalException e) {
            assertEquals(ErrorCode.STORAGE_FULL, e.code(), e.getMessage());
            Thread.sleep(500);
          }
        }
        assertEquals(1L, version, "writes are taken again once space is freed, without a restart");
        acked.put("after", version);
        System.out.printf("DiskFullIT: %d writes acknowledged before the disk filled; writes taken again %d s after "
            + "space was freed%n", acked.size() - 2,
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - (deadline - TimeUnit.SECONDS.toNanos(90))));
        checkAcked(client, acked);
      }
      try (JarProcess server = JarProcess.start(jvm);
          PortalClient client = PortalClient.connect("127.0.0.1", server.awaitReady())) {
        checkAcked(client, acked);
      }
    } finally {
      Commands.run("umount", mount.toString());
    }
  }

  private static PortalException expectRefused(PortalClient client, String key) {
    try {
      client.set(utf8(key), utf8("x"));
    } catch (PortalException e) {
      return e;
    }
    throw new AssertionError("a write was taken while the disk is full");
  }

  /** Every acknowledged write reads back with its version (and, for the big ones, its value). */
  private static void checkAcked(PortalClient client, Map<String, Long> acked) {
    for (Map.Entry<String, Long> want : acked.entrySet()) {
      Entry found = client.get(want.getKey()).orElseThrow(() -> new AssertionError(want.getKey() + " is missing"));
      assertEquals(want.getValue().longValue(), found.version(), want.getKey());
      if (want.getKey().startsWith("big-")) {
        assertEquals(value(Integer.parseInt(want.getKey().substring(4))), found.value(), want.getKey());
      }
    }
  }

  private static ByteString value(int i) {
    byte[] bytes = new byte[VALUE_BYTES];
    new java.util.Random(i).nextBytes(bytes); // incompressible: the disk fills as fast as the bytes come
    return ByteString.copyFrom(bytes);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
