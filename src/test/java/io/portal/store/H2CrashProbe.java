package io.portal.store;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.h2.mvstore.MVStore;

/**
 * H2 alone under the journal's load, killed with SIGKILL again and again; after each kill every acknowledged commit
 * is looked for. No Pekko and no Portal server: Portal's H2 URL, tables ({@code schema/portal-h2.sql}), event
 * cleaner and upkeep (fsync and compaction every second), with journal-shaped commits on two connections and
 * snapshots on a third. This is how H2's crash recovery was found to drop complete commits ({@link H2CrashRecovery}).
 * Run by {@code bench/h2-crash.sh}; not part of the test suite (a run takes minutes).
 *
 * <p>Usage: {@code H2CrashProbe <kills> <mend on|off> <recovery on|off>}. Each kill lands 0.5-3 s after the
 * child process is ready; the next child first checks, for each of 16 persistence ids, that its highest
 * acknowledged sequence number is there and that none between its newest snapshot and that number is missing.
 * A fresh folder every 5 kills. Prints a line per kill and a summary line.
 */
public final class H2CrashProbe {
  private static final int IDS = 16;
  private static final int WRITERS = 2;
  private static final int KILLS_PER_FOLDER = 5;
  private static final String MISSING = "MISSING";

  private H2CrashProbe() {
  }

  public static void main(String[] args) throws Exception {
    if (args[0].equals("child")) {
      child(Path.of(args[1]), args[2].equals("on"), args[3].equals("on"), Path.of(args[4]));
    } else {
      parent(Integer.parseInt(args[0]), args[1], args[2]);
    }
  }

  private static void parent(int kills, String mend, String recovery) throws Exception {
    Path base = Files.createTempDirectory("h2-crash-probe-");
    Random random = new Random();
    Map<String, Long> acked = new ConcurrentHashMap<>();
    Path dir = base;
    long acknowledged = 0;
    int killsWithLoss = 0;
    int recoveriesThatKept = 0;
    for (int kill = 0; kill <= kills; kill++) {
      if (kill % KILLS_PER_FOLDER == 0) {
        dir = Files.createTempDirectory(base, "folder-");
        acked.clear();
      }
      Path expected = dir.resolve("acknowledged.txt");
      try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(expected))) {
        acked.forEach((id, sequence) -> out.println(id + " " + sequence));
      }
      Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx512m", "-cp", System.getProperty("java.class.path"), H2CrashProbe.class.getName(), "child",
          dir.toString(), mend, recovery, expected.toString())
          .redirectError(ProcessBuilder.Redirect.appendTo(base.resolve("stderr.log").toFile())).start();
      CountDownLatch ready = new CountDownLatch(1);
      AtomicInteger missing = new AtomicInteger();
      AtomicInteger kept = new AtomicInteger();
      AtomicLong acks = new AtomicLong();
      List<String> report = new ArrayList<>();
      Thread reader = new Thread(() -> {
        try (BufferedReader lines = new BufferedReader(
            new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = lines.readLine()) != null) {
            if (line.startsWith("A ")) {
              String[] fields = line.split(" ");
              acked.merge(fields[1], Long.parseLong(fields[2]), Math::max);
              acks.incrementAndGet();
              continue;
            }
            if (line.startsWith(MISSING)) {
              missing.incrementAndGet();
            } else if (line.contains("newer commits kept")) {
              kept.incrementAndGet();
            } else if (line.equals("READY")) {
              ready.countDown();
              continue;
            }
            synchronized (report) {
              report.add(line.replaceFirst("^.* - ", ""));
            }
          }
        } catch (IOException e) {
          synchronized (report) {
            report.add("reading the child: " + e);
          }
        }
      });
      reader.start();
      if (!ready.await(120, TimeUnit.SECONDS)) {
        report.add("not ready within 120 s");
      }
      if (kill == kills) {
        child.destroy(); // the last child only checked the last kill
      } else {
        Thread.sleep(500 + random.nextInt(2500));
        child.toHandle().destroyForcibly(); // SIGKILL; unlike Process.destroyForcibly, keeps what is in the pipe
      }
      child.waitFor();
      reader.join();
      acknowledged += acks.get();
      if (missing.get() > 0) {
        killsWithLoss++;
      }
      recoveriesThatKept += kept.get();
      synchronized (report) {
        System.out.printf("start %d: %s; then %d commits acknowledged%n", kill, String.join("; ", report),
            acks.get());
      }
    }
    System.out.printf("mend %s, recovery %s: %d kills, %d commits acknowledged, %d kills after which acknowledged "
        + "commits were missing, %d recoveries that kept commits H2 alone would have dropped (folders in %s)%n",
        mend, recovery, kills, acknowledged, killsWithLoss, recoveriesThatKept, base);
  }

  private static void child(Path dir, boolean mend, boolean recovery, Path expected) throws Exception {
    if (mend && H2CommitLeakFix.apply() != H2ClassMend.Outcome.APPLIED) {
      throw new IllegalStateException("the H2 mend did not apply");
    }
    if (recovery) {
      H2CrashRecovery.recoverIfUnclean(dir.resolve("portal.mv.db"));
    }
    String url = "jdbc:h2:file:" + dir + "/portal;WRITE_DELAY=0;RETENTION_TIME=5000";
    Map<String, Long> next = new HashMap<>();
    try (Connection connection = DriverManager.getConnection(url, "", "")) {
      try (Statement statement = connection.createStatement()) {
        for (String sql : JournalSchema.statements("/schema/portal-h2.sql")) {
          statement.execute(sql);
        }
      }
      check(connection, expected, next);
    }
    BlockingQueue<Snapshot> snapshots = new LinkedBlockingQueue<>();
    for (int writer = 0; writer < WRITERS; writer++) {
      int first = writer;
      daemon("writer-" + writer, () -> write(url, first, next, snapshots));
    }
    daemon("snapshots", () -> snapshot(url, snapshots));
    daemon("cleaner", () -> {
      try (Connection connection = DriverManager.getConnection(url, "", "")) {
        while (true) {
          Thread.sleep(100);
          H2EventCleaner.runOnce(connection, 2000);
        }
      }
    });
    daemon("upkeep", () -> {
      try (Connection connection = DriverManager.getConnection(url, "", "")) {
        MVStore store = H2Housekeeping.mvStore(connection);
        while (true) {
          Thread.sleep(1000);
          store.sync();
          store.compact(80, 16 << 20);
        }
      }
    });
    System.out.println("READY");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  /** Looks for every acknowledged commit of the kill before; sets each id's next sequence number. */
  private static void check(Connection connection, Path expected, Map<String, Long> next) throws Exception {
    Map<String, Long> acked = new HashMap<>();
    for (String line : Files.readAllLines(expected)) {
      String[] fields = line.split(" ");
      acked.put(fields[0], Long.parseLong(fields[1]));
    }
    int missing = 0;
    for (int id = 0; id < IDS; id++) {
      String pid = "p-" + id;
      long highest = single(connection, "SELECT MAX(\"sequence_number\") FROM \"event_journal\" "
          + "WHERE \"persistence_id\" = ?", pid);
      long snapshot = single(connection, "SELECT MAX(\"sequence_number\") FROM \"snapshot\" "
          + "WHERE \"persistence_id\" = ?", pid);
      long want = acked.getOrDefault(pid, 0L);
      long present = single(connection, "SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? "
          + "AND \"sequence_number\" > " + snapshot + " AND \"sequence_number\" <= " + want, pid);
      if (highest < want || (want > snapshot && present != want - snapshot)) {
        System.out.printf("%s %s: acknowledged up to %d, found up to %d, %d of the %d after the snapshot at %d%n",
            MISSING, pid, want, highest, present, Math.max(0, want - snapshot), snapshot);
        missing++;
      }
      next.put(pid, Math.max(highest, want) + 1);
    }
    System.out.println("ids with acknowledged commits missing: " + missing);
  }

  private static long single(Connection connection, String sql, String pid) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      statement.setString(1, pid);
      try (ResultSet rows = statement.executeQuery()) {
        rows.next();
        return rows.getLong(1);
      }
    }
  }

  private record Snapshot(String pid, long sequence) {
  }

  /** Commits 1-4 events of the writer's ids at a time, then prints {@code A <id> <sequence>} for each. */
  private static void write(String url, int writer, Map<String, Long> next, BlockingQueue<Snapshot> snapshots)
      throws Exception {
    try (Connection connection = DriverManager.getConnection(url, "", "")) {
      connection.setAutoCommit(false);
      PreparedStatement insert = connection.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", "
          + "\"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\", "
          + "\"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, 'w', ?, '', ?, 1, 'A')");
      Random random = new Random();
      while (true) {
        List<String> acks = new ArrayList<>();
        List<Snapshot> due = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (int i = 1 + random.nextInt(4); i > 0; i--) {
          int id = writer + WRITERS * random.nextInt(IDS / WRITERS);
          if (!ids.add(id)) {
            continue;
          }
          String pid = "p-" + id;
          long sequence;
          synchronized (next) {
            sequence = next.get(pid);
            next.put(pid, sequence + 1);
          }
          byte[] payload = new byte[100 + random.nextInt(400)];
          random.nextBytes(payload);
          insert.setString(1, pid);
          insert.setLong(2, sequence);
          insert.setLong(3, System.currentTimeMillis());
          insert.setBytes(4, payload);
          insert.addBatch();
          acks.add("A " + pid + " " + sequence);
          if (sequence % 20 == 0) {
            due.add(new Snapshot(pid, sequence));
          }
        }
        insert.executeBatch();
        connection.commit();
        snapshots.addAll(due); // after the events, as Pekko snapshots after a persist
        synchronized (System.out) {
          acks.forEach(System.out::println);
          System.out.flush();
        }
      }
    }
  }

  /** Saves snapshots (0.5-4 KB, H2 LOB storage) and keeps the newest two per id, as Pekko's retention does. */
  private static void snapshot(String url, BlockingQueue<Snapshot> snapshots) throws Exception {
    try (Connection connection = DriverManager.getConnection(url, "", "")) {
      PreparedStatement merge = connection.prepareStatement("MERGE INTO \"snapshot\" (\"persistence_id\", "
          + "\"sequence_number\", \"created\", \"snapshot_ser_id\", \"snapshot_ser_manifest\", \"snapshot_payload\") "
          + "KEY (\"persistence_id\", \"sequence_number\") VALUES (?, ?, ?, 1, 'S', ?)");
      PreparedStatement delete = connection.prepareStatement("DELETE FROM \"snapshot\" WHERE \"persistence_id\" = ? "
          + "AND \"sequence_number\" <= ?");
      Random random = new Random();
      while (true) {
        Snapshot snapshot = snapshots.take();
        byte[] payload = new byte[500 + random.nextInt(3500)];
        random.nextBytes(payload);
        merge.setString(1, snapshot.pid());
        merge.setLong(2, snapshot.sequence());
        merge.setLong(3, System.currentTimeMillis());
        merge.setBytes(4, payload);
        merge.executeUpdate();
        delete.setString(1, snapshot.pid());
        delete.setLong(2, snapshot.sequence() - 40);
        delete.executeUpdate();
      }
    }
  }

  @FunctionalInterface
  private interface Task {
    void run() throws Exception;
  }

  private static void daemon(String name, Task task) {
    Thread thread = new Thread(() -> {
      try {
        task.run();
      } catch (Exception e) {
        System.out.println(name + " failed: " + e);
        System.out.flush();
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
  }
}
