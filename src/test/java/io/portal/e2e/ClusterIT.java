package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.store.Partitioner;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Three Portal nodes as separate processes of the packaged jar on loopback, one PostgreSQL journal (started by
 * .ci/run, found through PORTAL_TEST_POSTGRES). Writes and reads through every node; a node killed with kill -9 under
 * load (its partitions come back elsewhere, nothing acknowledged is lost, the failover time is printed); a rolling
 * restart, every node in turn leaving gracefully and rejoining while clients write (no write lost, no error reaches
 * the clients); a frozen node that the others downed never acknowledges a write the majority does not have.
 */
class ClusterIT {
  private static final int PARTITIONS = 16;

  /** One node's ports and process. */
  private static final java.util.regex.Pattern FAILOVER_EVENTS = java.util.regex.Pattern.compile(
      "(?i)unreachable|SBR took decision|downing|is removing|removed|Starting shard|recovered|Shard .* allocated");

  private static final class Node {
    private static final java.util.concurrent.atomic.AtomicInteger COUNT = new java.util.concurrent.atomic.AtomicInteger();
    final String name = "node" + COUNT.incrementAndGet();
    final int port = freePort();
    final int artery = freePort();
    final int management = freePort();
    JarProcess process;

    InetSocketAddress address() {
      return InetSocketAddress.createUnresolved("127.0.0.1", port);
    }
  }

  /** Three nodes on one fresh journal database, started and ready; closing stops every node still running. */
  private static final class Cluster implements AutoCloseable {
    final Node n1 = new Node();
    final Node n2 = new Node();
    final Node n3 = new Node();
    final List<Node> seeds = List.of(n1, n2);
    final String journal;
    final Path dataDir = TestServer.newDataDir();

    Cluster() throws Exception {
      journal = freshDatabase();
      assertEquals(0, Commands.run("bash", "conf/cluster-certs.sh", dataDir.resolve("tls").toString(), n1.name, n2.name,
          n3.name), "conf/cluster-certs.sh made the cluster's TLS files");
      java.nio.file.Files.writeString(dataDir.resolve("root-password"), ROOT_PASSWORD + "\n");
      try {
        start(n1, seeds, journal, dataDir).awaitReady();
        start(n2, seeds, journal, dataDir);
        start(n3, seeds, journal, dataDir);
        n2.process.awaitReady();
        n3.process.awaitReady();
      } catch (AssertionError notReady) {
        // what went wrong may be on another node (a partition's recovery there, say): show their complaints too
        for (Node node : List.of(n1, n2, n3)) {
          if (node.process != null) {
            synchronized (node.process.lines) {
              node.process.lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                  .forEach(l -> System.out.println("node " + node.port + ": " + l));
            }
          }
        }
        close();
        throw notReady;
      }
    }

    /** Starts {@code node} again (after it stopped) and waits until it serves. */
    void restart(Node node) throws Exception {
      start(node, seeds, journal, dataDir).awaitReady();
    }

    @Override
    public void close() throws Exception {
      for (Node node : List.of(n3, n2, n1)) {
        if (node.process != null) {
          if (node.process.process.isAlive()) {
            signal("CONT", node.process.process.pid()); // in case a test left it frozen
          }
          node.process.close();
        }
      }
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static String postgres() {
    String url = System.getenv("PORTAL_TEST_POSTGRES");
    if (url == null || url.isBlank()) {
      throw new AssertionError("the cluster tests need PostgreSQL: run `bash .ci/run`, which starts one, or set "
          + "PORTAL_TEST_POSTGRES=jdbc:postgresql://127.0.0.1:PORT/postgres (user postgres, trust auth)");
    }
    return url;
  }

  /** A fresh database on the test PostgreSQL, so that every run starts empty. */
  private static String freshDatabase() throws Exception {
    String admin = postgres();
    String name = "portal_it_" + System.nanoTime();
    try (Connection connection = DriverManager.getConnection(admin, "postgres", "");
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE DATABASE " + name);
    }
    return admin.substring(0, admin.lastIndexOf('/') + 1) + name;
  }

  private static JarProcess start(Node node, List<Node> seeds, String journalUrl, Path dataDir) throws IOException {
    List<String> jvm = new ArrayList<>(List.of(
        "-Dconfig.file=conf/cluster-node.conf",
        "-Dportal.server.port=" + node.port,
        "-Dportal.store.partitions=" + PARTITIONS, "-Dportal.store.journal=jdbc",
        "-Dportal.store.data-dir=" + dataDir,
        "-Dpekko.remote.artery.canonical.port=" + node.artery,
        "-Dpekko.management.http.port=" + node.management,
        "-Dpekko-persistence-jdbc.shared-databases.portal.db.url=" + journalUrl,
        "-Dpekko-persistence-jdbc.shared-databases.portal.db.user=postgres",
        "-Dportal.cluster.tls.key-file=" + dataDir.resolve("tls/" + node.name + ".key"),
        "-Dportal.cluster.tls.cert-file=" + dataDir.resolve("tls/" + node.name + ".crt"),
        "-Dportal.cluster.tls.ca-cert-file=" + dataDir.resolve("tls/ca.crt"),
        "-Dportal.auth.enabled=on", "-Dportal.auth.root-password-file=" + dataDir.resolve("root-password"),
        "-Dportal.auth.hash-iterations=10000"));
    for (int i = 0; i < seeds.size(); i++) {
      jvm.add("-Dpekko.cluster.seed-nodes." + i + "=pekko://portal@127.0.0.1:" + seeds.get(i).artery);
    }
    node.process = JarProcess.start(jvm);
    return node.process;
  }

  private static int httpStatus(int port, String path) {
    try {
      HttpURLConnection http = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + path).toURL()
          .openConnection();
      http.setConnectTimeout(2000);
      http.setReadTimeout(5000);
      return http.getResponseCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Every node takes users and roles; the tests act as root unless they say otherwise. */
  private static final String ROOT_PASSWORD = "cluster-root-password";

  private static PortalClient.Options rootOptions() {
    return PortalClient.Options.defaults().withCredentials("root", ROOT_PASSWORD);
  }

  private static PortalClient client(List<Node> nodes, int retries) {
    return PortalClient.connect(nodes.stream().map(Node::address).toList(), rootOptions()
        .withRequestTimeout(Duration.ofSeconds(3)).withRetries(retries, Duration.ofMillis(300)));
  }

  /** Writes until stopped, recording each acknowledged write (key -> value); counts failures. */
  private static Thread writer(PortalClient client, String prefix, AtomicBoolean running, Map<String, String> acked,
      AtomicLong failures) {
    Thread thread = new Thread(() -> {
      long i = 0;
      while (running.get()) {
        String key = prefix + (i % 200);
        String value = prefix + "#" + i++;
        try {
          client.set(key, value);
          acked.put(key, value);
        } catch (RuntimeException e) {
          failures.incrementAndGet();
        }
      }
    }, "writer-" + prefix);
    thread.start();
    return thread;
  }

  /**
   * A watch that lived through partitions moving: it either still runs and has shown, per key, every acknowledged
   * write in order (a write that failed at the client may show too: it may have been applied), or it ended telling
   * the client to read again (COMPACTED). It never ends silently or loses a write.
   */
  private static void checkWatchAcrossMoves(Map<String, List<String>> watched, Map<String, List<String>> written,
      java.util.concurrent.CompletableFuture<io.portal.protocol.v1.WatchCanceled> ended, long failedWrites)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!ended.isDone() && System.nanoTime() < deadline && !written.entrySet().stream().allMatch(e ->
        watched.getOrDefault(e.getKey(), List.of()).containsAll(e.getValue()))) {
      Thread.sleep(100);
    }
    if (ended.isDone()) {
      io.portal.protocol.v1.WatchCanceled canceled = ended.join();
      System.out.println("ClusterIT: the watch across moves ended: " + canceled.getCode() + " " + canceled.getReason());
      assertEquals(io.portal.protocol.v1.ErrorCode.COMPACTED, canceled.getCode(), canceled.getReason());
      return;
    }
    long events = watched.values().stream().mapToLong(List::size).sum();
    long writes = written.values().stream().mapToLong(List::size).sum();
    System.out.printf("ClusterIT: a watch through node 1 saw %d events for %d acknowledged writes (%d failed) "
        + "while nodes 2 and 3 left and rejoined%n", events, writes, failedWrites);
    written.forEach((key, values) -> {
      List<String> seen = watched.getOrDefault(key, List.of()).stream().filter(values::contains).toList();
      assertEquals(values, seen, "the watch's events of " + key + ", in order");
    });
    if (failedWrites == 0) {
      assertEquals(writes, events, "no event twice");
    }
  }

  private static void verify(PortalClient reader, Map<String, String> acked) {
    for (Map.Entry<String, String> expected : acked.entrySet()) {
      Entry entry = reader.get(expected.getKey()).orElseThrow(
          () -> new AssertionError("acknowledged key " + expected.getKey() + " is missing"));
      assertEquals(expected.getValue(), entry.value().toStringUtf8(), expected.getKey());
    }
  }

  @Test
  void threeNodesServeEveryKeySurviveAKillAndARollingRestart() throws Exception {
    try (Cluster cluster = new Cluster()) {
      Node n1 = cluster.n1;
      Node n2 = cluster.n2;
      Node n3 = cluster.n3;
      assertEquals(200, httpStatus(n1.management, "/ready"));
      assertEquals(200, httpStatus(n3.management, "/alive"));

      // every node serves every key
      List<Node> all = List.of(n1, n2, n3);
      for (int i = 0; i < 300; i++) {
        // the default client's retries: while nodes join, the coordinator moves partitions to them (a hand-off can
        // hold a request for a few seconds on this machine)
        try (PortalClient one = client(List.of(all.get(i % 3)), 3)) {
          assertEquals(1, one.set("spread-" + i, "v" + i));
        }
        if (i % 100 == 99) {
          System.out.println("ClusterIT: " + (i + 1) + " keys written");
        }
      }
      for (Node node : all) {
        try (PortalClient reader = client(List.of(node), 3)) {
          for (int i = 0; i < 300; i++) {
            assertEquals(new Entry(ByteString.copyFromUtf8("v" + i), 1), reader.get("spread-" + i).orElseThrow(),
                "key " + i + " through node " + node.port);
          }
        }
      }

      // a watch through node 1 sees the writes made through nodes 2 and 3, to partitions on every node
      try (PortalClient watching = client(List.of(n1), 3);
          PortalClient via2 = client(List.of(n2), 3);
          PortalClient via3 = client(List.of(n3), 3)) {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        PortalClient.Watch watch = watching.watch(io.portal.protocol.v1.WatchRequest.newBuilder()
            .setKey(ByteString.copyFromUtf8("watched-")).setPrefix(true), new io.portal.client.WatchListener() {
              @Override
              public void onEvents(List<io.portal.protocol.v1.Event> events) {
                events.forEach(e -> seen.add(e.getKey().toStringUtf8() + "=" + e.getValue().toStringUtf8()));
              }

              @Override
              public void onCanceled(io.portal.protocol.v1.WatchCanceled canceled) {
                seen.add("canceled: " + canceled.getReason());
              }
            });
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (watch.positions().size() < PARTITIONS && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(PARTITIONS, watch.positions().size(), "the watch follows every partition, on every node");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          (i % 2 == 0 ? via2 : via3).set("watched-" + i, "w" + i);
          expected.add("watched-" + i + "=w" + i);
        }
        while (seen.size() < 40 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(seen), "every write, once");
        assertEquals(40, seen.size());
        watch.cancel();
      }

      // a scan through any node reads the partitions of all three, in key order
      List<String> spread = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        spread.add("spread-" + i);
      }
      java.util.Collections.sort(spread);
      for (Node node : all) {
        try (PortalClient scanner = client(List.of(node), 3)) {
          List<String> keys = new ArrayList<>();
          for (io.portal.protocol.v1.KeyValue entry : scanner.scanAll(io.portal.protocol.v1.ScanRequest.newBuilder()
              .setPrefix(ByteString.copyFromUtf8("spread-")).setLimit(40))) {
            keys.add(entry.getKey().toStringUtf8());
            assertEquals("v" + entry.getKey().toStringUtf8().substring(7), entry.getValue().toStringUtf8());
          }
          assertEquals(spread, keys, "scan through node " + node.port);
        }
      }

      // a process with a key from another CA tries to join through node 1: refused at the handshake, logged there
      Path intruderCerts = cluster.dataDir.resolve("intruder-tls");
      assertEquals(0, Commands.run("bash", "conf/cluster-certs.sh", intruderCerts.toString(), "intruder"));
      try (JarProcess intruder = JarProcess.start(List.of("-Dportal.server.port=0", "-Dportal.store.mode=memory",
          "-Dpekko.management.http.port=" + freePort(), "-Dportal.store.partitions=" + PARTITIONS,
          "-Dpekko.cluster.seed-nodes.0=pekko://portal@127.0.0.1:" + n1.artery,
          "-Dportal.cluster.tls.key-file=" + intruderCerts.resolve("intruder.key"),
          "-Dportal.cluster.tls.cert-file=" + intruderCerts.resolve("intruder.crt"),
          "-Dportal.cluster.tls.ca-cert-file=" + intruderCerts.resolve("ca.crt")))) {
        n1.process.await(java.util.regex.Pattern.compile("cluster port: refused \\d+ connections? without"), 60);
        assertTrue(intruder.linesMatching(java.util.regex.Pattern.compile("Welcome from")).isEmpty());
        for (Node node : all) {
          try (PortalClient reader = client(List.of(node), 0)) {
            for (int i = 0; i < 300; i++) {
              assertEquals(new Entry(ByteString.copyFromUtf8("v" + i), 1), reader.get("spread-" + i).orElseThrow(),
                  "key " + i + " through node " + node.port + " with an intruder knocking");
            }
          }
        }
        intruder.kill9();
      }

      // users and roles are cluster-wide: made through node 1, used through nodes 3 and 2
      try (PortalClient root = client(List.of(n1), 3)) {
        assertEquals(false, root.roleGrant("carol-role", ByteString.copyFromUtf8("carol/"), true));
        assertEquals(false, root.userAdd("carol", "carol-password", List.of("carol-role")));
      }
      PortalClient.Options carol = PortalClient.Options.defaults().withCredentials("carol", "carol-password");
      try (PortalClient viaN3 = PortalClient.connect(List.of(n3.address()), carol);
          PortalClient viaN2 = PortalClient.connect(List.of(n2.address()), carol)) {
        assertEquals(1L, viaN3.set("carol/1", "c"));
        assertEquals(new Entry(ByteString.copyFromUtf8("c"), 1), viaN2.get("carol/1").orElseThrow());
        PortalException denied = assertThrows(PortalException.class, () -> viaN2.get("spread-1"));
        assertEquals(io.portal.protocol.v1.ErrorCode.PERMISSION_DENIED, denied.code(), denied.getMessage());
      }

      // kill -9 of node 3 under load through every node
      Map<String, String> acked = new ConcurrentHashMap<>();
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicLong failures = new AtomicLong();
      PortalClient c1 = client(List.of(n1, n2), 5);
      PortalClient c2 = client(List.of(n2, n1), 5);
      PortalClient c3 = client(List.of(n3, n1), 5);
      List<Thread> writers = List.of(writer(c1, "a-", running, acked, failures),
          writer(c2, "b-", running, acked, failures), writer(c3, "c-", running, acked, failures));
      Thread.sleep(3000);
      long killedAt = System.nanoTime();
      java.time.LocalTime killedClock = java.time.LocalTime.now();
      n3.process.kill9();
      long recovered = awaitEveryPartitionWritable(n1, killedAt);
      System.out.printf("ClusterIT: after kill -9 of a node, every partition took writes again within %.1f s%n",
          (recovered - killedAt) / 1e9);
      // the failover's timeline, for docs/cluster.md: detection, downing, removal, partitions starting elsewhere
      System.out.printf("ClusterIT: killed at %s; the survivors' log since:%n", killedClock);
      for (Node survivor : List.of(n1, n2)) {
        survivor.process.linesMatching(FAILOVER_EVENTS).stream()
            .filter(line -> line.length() > 23 && line.substring(11, 23).matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3}")
                && !java.time.LocalTime.parse(line.substring(11, 23)).isBefore(killedClock))
            .forEach(line -> System.out.println("  " + survivor.port + " " + line));
      }
      assertTrue(recovered - killedAt < Duration.ofSeconds(30).toNanos(), "failover within 30 s");
      Thread.sleep(2000);

      // node 3 rejoins; then a rolling restart: each node in turn leaves gracefully (SIGTERM) and rejoins, while
      // the writers go on
      cluster.restart(n3);
      long failuresBeforeLeave = failures.get();
      // a watch through node 1 follows its partitions as nodes 2 and 3 leave and come back (partitions move)
      PortalClient watching = client(List.of(n1), 3);
      Map<String, List<String>> watched = new ConcurrentHashMap<>();
      java.util.concurrent.CompletableFuture<io.portal.protocol.v1.WatchCanceled> watchEnded =
          new java.util.concurrent.CompletableFuture<>();
      PortalClient.Watch moving = watching.watch(io.portal.protocol.v1.WatchRequest.newBuilder()
          .setKey(ByteString.copyFromUtf8("m-")).setPrefix(true), new io.portal.client.WatchListener() {
            @Override
            public void onEvents(List<io.portal.protocol.v1.Event> events) {
              events.forEach(e -> watched.computeIfAbsent(e.getKey().toStringUtf8(),
                  k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(e.getValue().toStringUtf8()));
            }

            @Override
            public void onCanceled(io.portal.protocol.v1.WatchCanceled canceled) {
              watchEnded.complete(canceled);
            }
          });
      Map<String, List<String>> written = new ConcurrentHashMap<>();
      AtomicBoolean movingWriter = new AtomicBoolean(true);
      AtomicLong movingFailures = new AtomicLong();
      Thread mWriter = new Thread(() -> {
        for (long i = 0; movingWriter.get(); i++) {
          String key = "m-" + (i % 20);
          try {
            c1.set(key, "m#" + i);
            written.computeIfAbsent(key, k -> new java.util.concurrent.CopyOnWriteArrayList<>()).add("m#" + i);
          } catch (RuntimeException e) {
            movingFailures.incrementAndGet();
          }
        }
      }, "writer-m");
      mWriter.start();
      for (Node node : List.of(n2, n3, n1)) {
        if (node == n1) {
          movingWriter.set(false);
          mWriter.join(30_000);
          checkWatchAcrossMoves(watched, written, watchEnded, movingFailures.get());
          moving.cancel();
          watching.close();
        }
        long leftAt = System.nanoTime();
        node.process.process.toHandle().destroy();
        assertTrue(node.process.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "node left");
        System.out.printf("ClusterIT: node on port %d left gracefully in %.1f s%n", node.port,
            (System.nanoTime() - leftAt) / 1e9);
        Thread.sleep(1000);
        cluster.restart(node);
        Thread.sleep(1000);
      }
      Thread.sleep(2000);
      running.set(false);
      for (Thread thread : writers) {
        thread.join(30_000);
      }
      System.out.printf("ClusterIT: %d keys acknowledged, %d writes failed during the kill, %d during the restarts%n",
          acked.size(), failuresBeforeLeave, failures.get() - failuresBeforeLeave);
      assertEquals(failuresBeforeLeave, failures.get(), "a rolling restart shows clients no error");
      for (Node node : all) {
        try (PortalClient reader = client(List.of(node), 3)) {
          verify(reader, acked);
        }
      }
      c1.close();
      c2.close();
      c3.close();
    }
  }

  /**
   * A node frozen (SIGSTOP) long enough for the others to down it, then thawed with a client still connected to it:
   * the majority has taken its partitions over and written to every one of them; whatever the stale node tries to
   * write afterwards, nothing it acknowledges may be missing from the majority's view, and it must go away.
   */
  @Test
  void anIsolatedNodeNeverForksAPartition() throws Exception {
    try (Cluster cluster = new Cluster()) {
      Node n1 = cluster.n1;
      Node n2 = cluster.n2;
      Node n3 = cluster.n3;
      List<String> keys = keyPerPartition("iso-");
      try (PortalClient majority = client(List.of(n1), 3)) {
        for (String key : keys) {
          assertEquals(1, majority.set(key, "before"));
        }
      }
      PortalClient stale = PortalClient.connect(List.of(n3.address()), rootOptions()
          .withoutSession().withRequestTimeout(Duration.ofSeconds(3)));
      assertEquals(ByteString.EMPTY, stale.ping(ByteString.EMPTY));

      long pid = n3.process.process.pid();
      signal("STOP", pid);
      long frozenAt = System.nanoTime();
      // isolation means the others have downed and removed it; only then may its partitions live elsewhere
      awaitRemoved(List.of(n1, n2), n3);
      awaitEveryPartitionWritable(n1, frozenAt);
      try (PortalClient majority = client(List.of(n1), 3)) {
        for (String key : keys) {
          assertEquals(2, majority.set(key, "majority"), key);
        }
      }
      signal("CONT", pid);
      Map<String, Long> staleAcks = new ConcurrentHashMap<>();
      for (String key : keys) {
        try {
          staleAcks.put(key, stale.set(key, "stale"));
        } catch (RuntimeException refused) {
          // the stale node could not persist (or is gone): nothing acknowledged, nothing to check
        }
      }
      stale.close();
      // the thawed node should find itself downed and exit; that is reported, not asserted: once in about ten
      // runs it was still up a minute later (see docs/cluster.md). What must hold either way is checked below.
      long thawedAt = System.nanoTime();
      boolean exited = n3.process.process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
      System.out.printf("ClusterIT: isolated node acknowledged %d of %d writes after it was thawed; %s%n",
          staleAcks.size(), keys.size(), exited
              ? String.format("it exited %.1f s after the thaw", (System.nanoTime() - thawedAt) / 1e9)
              : "it had not exited 60 s after the thaw");
      try (PortalClient majority = client(List.of(n1, n2), 3)) {
        for (String key : keys) {
          Entry entry = majority.get(key).orElseThrow();
          Long staleVersion = staleAcks.get(key);
          if (staleVersion == null) {
            assertEquals(new Entry(ByteString.copyFromUtf8("majority"), 2), entry, key);
          } else {
            assertEquals(new Entry(ByteString.copyFromUtf8("stale"), staleVersion), entry,
                key + ": a write the isolated node acknowledged is missing");
          }
        }
      }
    }
  }

  /** Waits until the cluster leader (one of {@code survivors}) has removed {@code gone} from the membership. */
  private static void awaitRemoved(List<Node> survivors, Node gone) throws InterruptedException {
    String removal = "is removing unreachable node [pekko://portal@127.0.0.1:" + gone.artery + "]";
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      for (Node node : survivors) {
        synchronized (node.process.lines) {
          if (node.process.lines.stream().anyMatch(line -> line.contains(removal))) {
            return;
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no survivor logged '" + removal + "' within 60 s");
  }

  private static void signal(String name, long pid) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
    assertEquals(0, kill.waitFor(), "kill -" + name + " " + pid);
  }

  /** One key in each partition, partition 0 first. */
  private static List<String> keyPerPartition(String prefix) {
    List<String> keys = new ArrayList<>();
    for (int p = 0, i = 0; p < PARTITIONS; i++) {
      String key = prefix + i;
      if (Partitioner.partitionOf(ByteString.copyFromUtf8(key), PARTITIONS) == p) {
        keys.add(key);
        p++;
        i = -1;
      }
    }
    return keys;
  }

  /**
   * Writes one key of every partition through {@code via}, all partitions at once (as a real load would), each
   * retried every 50 ms until it succeeds; returns when the last did. Every attempt uses a connection of its own:
   * responses come back in request order, so on a shared connection a request lost to the dead node would hold
   * every later one until the server's store timeout (docs/cluster.md), and this measures the partitions.
   */
  private static long awaitEveryPartitionWritable(Node via, long since) throws InterruptedException {
    List<String> probes = keyPerPartition("probe-");
    long deadline = since + Duration.ofSeconds(60).toNanos();
    List<CompletableFuture<Long>> done = probes.stream().map(key -> probe(via, key, deadline)).toList();
    long last = since;
    StringBuilder times = new StringBuilder();
    for (int i = 0; i < done.size(); i++) {
      try {
        long at = done.get(i).get();
        last = Math.max(last, at);
        times.append(String.format(" %d:%.1f", i, (at - since) / 1e9));
      } catch (java.util.concurrent.ExecutionException e) {
        throw new AssertionError(e.getCause().getMessage(), e.getCause());
      }
    }
    System.out.println("ClusterIT: seconds until each partition took a write:" + times);
    return last;
  }

  /** Sets {@code key} through a new connection to {@code via} until it succeeds; completes with when it did. */
  private static CompletableFuture<Long> probe(Node via, String key, long deadline) {
    PortalClient client;
    try {
      client = PortalClient.connect(List.of(via.address()), rootOptions()
          .withoutSession().withRequestTimeout(Duration.ofMillis(500)));
    } catch (RuntimeException e) {
      return retry(via, key, deadline, e);
    }
    return client.setAsync(com.google.protobuf.ByteString.copyFromUtf8(key),
            com.google.protobuf.ByteString.copyFromUtf8("up"))
        .whenComplete((version, failure) -> client.close())
        .thenApply(version -> System.nanoTime())
        .exceptionallyCompose(failure -> retry(via, key, deadline, failure));
  }

  private static CompletableFuture<Long> retry(Node via, String key, long deadline, Throwable failure) {
    if (System.nanoTime() > deadline) {
      return CompletableFuture.failedFuture(
          new AssertionError("partition of " + key + " still not writable 60 s after the kill", failure));
    }
    return CompletableFuture.supplyAsync(() -> probe(via, key, deadline),
        CompletableFuture.delayedExecutor(50, java.util.concurrent.TimeUnit.MILLISECONDS)).thenCompose(f -> f);
  }

}
