package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code /metrics} of the packaged jar, scraped after a known load and during one: its counters match what the test
 * did.
 */
class MetricsIT {
  @Test
  void metricsCountWhatTheServerDid() throws Exception {
    String management = JarProcess.freeManagementPort();
    int managementPort = Integer.parseInt(management.substring(management.indexOf('=') + 1));
    try (JarProcess server = JarProcess.start(List.of("-Dportal.server.port=0", management,
        "-Dportal.store.data-dir=" + Files.createTempDirectory("portal-metrics").resolve("data")));
        PortalClient client = PortalClient.connect("127.0.0.1", server.awaitReady(),
            PortalClient.Options.defaults().withoutSession())) {
      // the journal writes at start too (the partition count, checkpoints): count from here
      String before = scrape(managementPort);
      double commitsBefore = valueOr(before, "portal_journal_write_seconds_count", 0);
      double batchedBefore = valueOr(before, "portal_journal_batch_writes_sum", 0);
      for (int i = 0; i < 100; i++) {
        client.set("m" + i, "v");
      }
      for (int i = 0; i < 50; i++) {
        client.get("m" + i);
      }
      assertThrows(PortalException.class, () -> client.set("", "empty key"));

      String text = scrape(managementPort);
      assertEquals(100.0, value(text, "portal_requests_seconds_count\\{code=\"OK\",type=\"set\"}"), text);
      assertEquals(50.0, value(text, "portal_requests_seconds_count\\{code=\"OK\",type=\"get\"}"));
      assertEquals(1.0, value(text, "portal_requests_seconds_count\\{code=\"INVALID_ARGUMENT\",type=\"set\"}"));
      assertTrue(value(text, "portal_requests_seconds_bucket\\{code=\"OK\",type=\"set\",le=\"\\+Inf\"}") == 100.0);
      assertEquals(1.0, value(text, "portal_connections_open"));
      // 150 requests of at least 8 + 4 bytes each came in, as many answers went out
      assertTrue(value(text, "portal_bytes_received_total") >= 150 * 12, text);
      assertTrue(value(text, "portal_bytes_sent_total") >= 150 * 8, text);
      assertTrue(value(text, "portal_connections_accepted_total") >= 1.0);
      assertEquals(64.0, value(text, "portal_partitions_here"));
      assertEquals(100.0, value(text, "portal_keys_here"));
      assertEquals(1.0, value(text, "portal_cluster_members\\{status=\"up\"}"));
      double commits = value(text, "portal_journal_write_seconds_count") - commitsBefore;
      assertTrue(commits >= 1 && commits <= 100, "100 sequential writes in at most 100 group commits: " + commits);
      assertTrue(value(text, "portal_journal_batch_writes_sum") - batchedBefore >= 100.0,
          "every write in some group commit");
      double heapUsed = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]+\"} (\\S+)$")
          .matcher(text).results().mapToDouble(m -> Double.parseDouble(m.group(1))).sum();
      assertTrue(heapUsed > 0, "heap in use, over all its pools: " + heapUsed); // one pool alone may be empty
      assertTrue(text.contains("# HELP portal_requests_seconds requests answered, by type and outcome"), text);
    }
  }

  @Test
  void metricsFollowALoadWhileItRuns() throws Exception {
    String management = JarProcess.freeManagementPort();
    int managementPort = Integer.parseInt(management.substring(management.indexOf('=') + 1));
    int writers = 4;
    try (JarProcess server = JarProcess.start(List.of("-Dportal.server.port=0", management,
        "-Dportal.store.data-dir=" + Files.createTempDirectory("portal-metrics-load").resolve("data")))) {
      int port = server.awaitReady();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong acknowledged = new AtomicLong();
      AtomicLongArray byWriter = new AtomicLongArray(writers);
      List<Thread> threads = new ArrayList<>();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      CountDownLatch connected = new CountDownLatch(writers);
      for (int w = 0; w < writers; w++) {
        int writer = w;
        Thread thread = new Thread(() -> {
          try (PortalClient client = PortalClient.connect("127.0.0.1", port,
              PortalClient.Options.defaults().withoutSession())) {
            connected.countDown();
            for (int i = 0; !stop.get(); i++) {
              client.set("load-" + writer + "-" + (i % 500), "value " + i);
              acknowledged.incrementAndGet();
              byWriter.incrementAndGet(writer);
            }
          } catch (Throwable e) {
            failures.add(e);
          }
        });
        thread.start();
        threads.add(thread);
      }
      assertTrue(connected.await(30, TimeUnit.SECONDS), "writers connected");

      double previous = 0;
      int scrapes = 0;
      while (scrapes < 5) {
        String text = scrape(managementPort);
        double sets = valueOr(text, "portal_requests_seconds_count\\{code=\"OK\",type=\"set\"}", 0);
        if (sets > previous) {
          // each scrape taken during the load sees the writers connected and more writes than the one before
          assertEquals(writers, value(text, "portal_connections_open"), text);
          assertTrue(sets <= acknowledged.get() + writers, sets + " counted, " + acknowledged.get() + " acknowledged");
          previous = sets;
          scrapes++;
        }
        Thread.sleep(200);
      }
      stop.set(true);
      for (Thread thread : threads) {
        thread.join(30_000);
      }
      assertEquals(List.of(), failures);

      String text = scrape(managementPort);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (value(text, "portal_connections_open") > 0 && System.nanoTime() < deadline) {
        Thread.sleep(100); // the server sees the writers' connections close a moment after they do
        text = scrape(managementPort);
      }
      assertEquals(0.0, value(text, "portal_connections_open"), text);
      assertEquals((double) acknowledged.get(),
          value(text, "portal_requests_seconds_count\\{code=\"OK\",type=\"set\"}"), text);
      assertEquals((double) writers, value(text, "portal_connections_accepted_total"), text);
      long keys = 0;
      for (int w = 0; w < writers; w++) {
        keys += Math.min(byWriter.get(w), 500);
      }
      assertEquals((double) keys, value(text, "portal_keys_here"), text);
    }
  }

  private static String scrape(int managementPort) throws IOException {
    HttpURLConnection http = (HttpURLConnection) new URL("http://127.0.0.1:" + managementPort + "/metrics")
        .openConnection();
    assertEquals(200, http.getResponseCode());
    assertTrue(http.getContentType().startsWith("text/plain"), http.getContentType());
    try (InputStream in = http.getInputStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static double valueOr(String text, String series, double absent) {
    Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : absent;
  }

  private static double value(String text, String series) {
    double value = valueOr(text, series, Double.NaN);
    assertTrue(!Double.isNaN(value), "no " + series + " in\n" + text);
    return value;
  }
}
