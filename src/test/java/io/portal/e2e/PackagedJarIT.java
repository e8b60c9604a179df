package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.client.PortalClient;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar, started the way the README says ({@code java -jar target/portal.jar} from the project folder,
 * so conf/application.conf is read), on a free port. Runs in Maven's integration-test phase, after package.
 */
class PackagedJarIT {
  private static final Pattern READY = Pattern.compile("Portal (\\S+) ready on 127\\.0\\.0\\.1:(\\d+) .*config (\\S+),");

  private static String jar() {
    String jar = System.getProperty("portal.jar", "target/portal.jar");
    assertTrue(new File(jar).isFile(), "packaged jar " + jar + " exists");
    return jar;
  }

  private static Process java(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  /** Copies the process's output lines into {@code seen} on a thread of its own, until the process ends. */
  private static void drain(Process process, List<String> seen) {
    Thread drainer = new Thread(() -> {
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          synchronized (seen) {
            seen.add(line);
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      }
    }, "jar-output");
    drainer.setDaemon(true);
    drainer.start();
  }

  /** Waits until a line of {@code seen} matches {@code pattern}; returns the match. */
  private static Matcher awaitLine(List<String> seen, Pattern pattern) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      synchronized (seen) {
        for (String line : seen) {
          Matcher m = pattern.matcher(line);
          if (m.find()) {
            return m;
          }
        }
      }
      Thread.sleep(50);
    }
    synchronized (seen) {
      throw new AssertionError("no line matching " + pattern + " in " + seen);
    }
  }

  private static String run(List<String> output, String... args) throws Exception {
    Process process = java(args);
    String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    output.add(String.valueOf(process.exitValue()));
    return text;
  }

  @Test
  void jarServesTheCliAndStopsOnSigterm() throws Exception {
    Process server = java("-Dportal.server.port=0", "-jar", jar());
    List<String> seen = new ArrayList<>();
    try {
      drain(server, seen);
      Matcher ready = awaitLine(seen, READY);
      assertEquals("0.1.0-SNAPSHOT", ready.group(1));
      assertEquals("conf/application.conf", ready.group(3), "the README's working directory config is read");
      String port = ready.group(2);

      List<String> status = new ArrayList<>();
      assertEquals("OK version 1\n", run(status, "-jar", jar(), "cli", "--port", port, "set", "jar-key", "v1"));
      assertEquals("v1\n", run(status, "-jar", jar(), "cli", "--port", port, "get", "jar-key"));
      assertTrue(run(status, "-jar", jar(), "cli", "--port", port, "get", "missing").contains("(not found) missing"));
      assertEquals(List.of("0", "0", "1"), status);

      try (PortalClient client = PortalClient.connect("127.0.0.1", Integer.parseInt(port))) {
        assertEquals("v1", client.get("jar-key").orElseThrow().value().toStringUtf8());
      }

      server.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
      assertTrue(server.waitFor(30, TimeUnit.SECONDS), "server exits after SIGTERM");
      assertEquals(143, server.exitValue(), "terminated by SIGTERM");
      awaitLine(seen, Pattern.compile("Portal stopped; connections: live=0 accepted=4 .* requests=4"));
    } finally {
      server.destroyForcibly();
    }
  }

  @Test
  void aBadSettingStopsStartupNamingIt() throws Exception {
    Process server = java("-Dportal.server.port=70000", "-jar", jar());
    String output = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(server.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, server.exitValue());
    assertTrue(output.contains("invalid configuration") && output.contains("portal.server.port")
        && output.contains("70000 is outside 0..65535"), output);
  }

  @Test
  void aTakenPortFailsStartupWithStatusOne() throws Exception {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Process server = java("-Dportal.server.port=" + taken.getLocalPort(), "-jar", jar());
      String output = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(server.waitFor(60, TimeUnit.SECONDS));
      assertEquals(1, server.exitValue(), output);
      assertTrue(output.contains("Portal could not start on 127.0.0.1:" + taken.getLocalPort()), output);
    }
  }
}
