package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.client.PortalClient;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar, started the way the README says ({@code java -jar target/portal.jar} from the project folder,
 * so conf/application.conf is read), on a free port. Runs in Maven's integration-test phase, after package.
 */
class PackagedJarIT {

  private static String run(List<String> status, String... args) throws Exception {
    try (JarProcess cli = JarProcess.start(List.of(), args)) {
      assertTrue(cli.process.waitFor(60, TimeUnit.SECONDS));
      Thread.sleep(100); // let the drainer take the last lines
      status.add(String.valueOf(cli.process.exitValue()));
      synchronized (cli.lines) {
        return cli.lines.stream().map(l -> l + "\n").collect(Collectors.joining());
      }
    }
  }

  @Test
  void jarServesTheCliAndStopsOnSigterm() throws Exception {
    Path dataDir = TestServer.newDataDir();
    try (JarProcess server = JarProcess.start(List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(),
        "-Dportal.store.data-dir=" + dataDir))) {
      Matcher ready = server.await(JarProcess.READY, 120);
      assertEquals("0.1.0-SNAPSHOT", ready.group(1));
      assertEquals("conf/application.conf", ready.group(3), "the README's working directory config is read");
      String port = ready.group(2);
      // a lone node's log: ISO 8601 timestamps with their offset, and none of Pekko's misleading cluster chatter
      assertTrue(server.linesMatching(Pattern.compile("ready on")).get(0)
          .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO .*"),
          server.linesMatching(Pattern.compile("ready on")).get(0));
      assertEquals(List.of(), server.linesMatching(Pattern.compile("No seed-nodes configured|SBR started")));
      // and nothing at WARN or ERROR in a plain start (Micrometer warned once about meters the journal registered
      // before the registry was added)
      assertEquals(List.of(), server.linesMatching(Pattern.compile("^\\S+ (WARN|ERROR) ")));
      // the default journal is RocksDB, its native library loaded from the shaded jar
      server.await(Pattern.compile("\\d+ partitions recovered in \\d+ ms \\(RocksDB journal in "
          + Pattern.quote(dataDir.resolve("journal").toString()) + "\\)"), 10);

      List<String> status = new ArrayList<>();
      assertEquals("OK version 1\n", run(status, "cli", "--port", port, "set", "jar-key", "v1"));
      assertEquals("v1\n", run(status, "cli", "--port", port, "get", "jar-key"));
      assertTrue(run(status, "cli", "--port", port, "get", "missing").contains("(not found) missing"));
      assertEquals(List.of("0", "0", "1"), status);

      try (PortalClient client = PortalClient.connect("127.0.0.1", Integer.parseInt(port))) {
        assertEquals("v1", client.get("jar-key").orElseThrow().value().toStringUtf8());
      }

      server.process.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output
      assertTrue(server.process.waitFor(60, TimeUnit.SECONDS), "server exits after SIGTERM");
      assertEquals(0, server.process.exitValue(), "a clean stop on SIGTERM");
      server.await(Pattern.compile("Portal stopped; connections: live=0 accepted=4 .* requests=\\d+"), 10);
    }
  }

  @Test
  void aBadSettingStopsStartupNamingIt() throws Exception {
    try (JarProcess server = JarProcess.start(List.of("-Dportal.server.port=70000"))) {
      assertTrue(server.process.waitFor(60, TimeUnit.SECONDS));
      assertEquals(2, server.process.exitValue());
      server.await(Pattern.compile("invalid configuration: .*portal\\.server\\.port.*70000 is outside 0\\.\\.65535"),
          10);
    }
  }

  @Test
  void aTakenPortFailsStartupWithStatusOne() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        JarProcess server = JarProcess.start(List.of("-Dportal.server.port=" + taken.getLocalPort(),
            JarProcess.freeManagementPort(), "-Dportal.store.data-dir=" + TestServer.newDataDir()))) {
      assertTrue(server.process.waitFor(120, TimeUnit.SECONDS));
      assertEquals(1, server.process.exitValue());
      server.await(Pattern.compile("Portal could not start on 127\\.0\\.0\\.1:" + taken.getLocalPort()), 10);
    }
  }

  @Test
  void aTakenManagementPortIsNamedAsTheCulprit() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        JarProcess server = JarProcess.start(List.of("-Dportal.server.port=0",
            "-Dpekko.management.http.port=" + taken.getLocalPort(),
            "-Dportal.store.data-dir=" + TestServer.newDataDir()))) {
      assertTrue(server.process.waitFor(120, TimeUnit.SECONDS));
      assertEquals(1, server.process.exitValue());
      server.await(Pattern.compile("the management \\(health check\\) port 127\\.0\\.0\\.1:" + taken.getLocalPort()
          + " cannot be bound .*the client port was fine\\. Set pekko\\.management\\.http\\.port"), 10);
    }
  }

  @Test
  void versionAndServerHelpPrintAndExitWithoutStartingAServer() throws Exception {
    String version = java.nio.file.Files.readString(Path.of("target/classes/portal-version.properties"))
        .replaceAll("(?s).*version=([^\\s]+).*", "$1");
    List<String> status = new java.util.ArrayList<>();
    assertEquals("Portal " + version + "\n", run(status, "--version"));
    assertEquals("Portal " + version + "\n", run(status, "cli", "-V"));
    assertEquals("Portal " + version + "\n", run(status, "bench", "-V"));
    Path dataDir = TestServer.newDataDir();
    try (JarProcess help = JarProcess.start(List.of("-Dportal.store.data-dir=" + dataDir), "server", "--help")) {
      assertTrue(help.process.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, help.process.exitValue());
      help.await(Pattern.compile("usage: java \\[-Dpath=value \\.\\.\\.\\] -jar portal.jar \\[server\\]"), 5);
    }
    assertTrue(!java.nio.file.Files.exists(dataDir.resolve("journal")), "server --help opened no journal");
    String refused = run(status, "server", "--port", "7000");
    assertTrue(refused.contains("portal server: unexpected argument '--port'"), refused);
    assertEquals(List.of("0", "0", "0", "2"), status);
  }

  @Test
  void twoServersSideBySideEachGetTheirOwnHealthPort() throws Exception {
    int first = freePortWithItsHealthPort();
    int second = freePortWithItsHealthPort();
    try (JarProcess a = JarProcess.start(List.of("-Dportal.server.port=" + first,
        "-Dportal.store.data-dir=" + TestServer.newDataDir()));
        JarProcess b = JarProcess.start(List.of("-Dportal.server.port=" + second,
            "-Dportal.store.data-dir=" + TestServer.newDataDir()))) {
      assertEquals(first, a.awaitReady());
      assertEquals(second, b.awaitReady());
      for (int port : List.of(first, second)) {
        java.net.HttpURLConnection ready = (java.net.HttpURLConnection) new java.net.URL("http://127.0.0.1:"
            + (port + 781) + "/ready").openConnection();
        assertEquals(200, ready.getResponseCode(), "the health port of the server on " + port);
      }
    }
  }

  /** A free port whose health port (the port + 781, unless set) is free too. */
  private static int freePortWithItsHealthPort() throws Exception {
    for (int attempt = 0; attempt < 50; attempt++) {
      try (java.net.ServerSocket client = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        int port = client.getLocalPort();
        if (port + 781 > 65535) {
          continue;
        }
        try (java.net.ServerSocket health = new java.net.ServerSocket(port + 781, 1,
            java.net.InetAddress.getLoopbackAddress())) {
          return port;
        } catch (java.io.IOException taken) {
          // try another
        }
      }
    }
    throw new AssertionError("no free port with a free port 781 above it");
  }
}
