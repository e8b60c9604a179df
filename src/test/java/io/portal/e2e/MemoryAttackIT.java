package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.portal.codec.FrameEncoder;
import io.portal.codec.Messages;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The memory promise, tried as an attacker would, on the packaged jar with a 256 MiB heap. At the same time: 16
 * clients pipelining GETs of a 1 MiB value and never reading, 500 connections each holding an unfinished 1.5 MiB frame,
 * 10 connections writing 1.5 MiB values 16 deep (and reading their answers), and one well-behaved client doing PING,
 * SET and GET in a loop. The server must stay up without an OutOfMemoryError, cut the abusers off (counted by reason),
 * keep answering the well-behaved client within a second, lose no acknowledged write, and serve normally afterwards.
 * Prints the well-behaved client's latency and the server's peak heap and resident memory.
 *
 * <p>The store is the default journal, RocksDB. (The older H2 journal can fail under this storm at this heap by itself:
 * it needs one block of heap of 16-36 MB to write a piece of its file, and a heap fragmented by 1.5 MiB values may not
 * have one; it then closes its database.)
 */
class MemoryAttackIT {
  private static volatile String firstWriteError = "";
  private static final int NEVER_READERS = 16;
  private static final int PARTIAL_FRAMES = 500;
  private static final int WRITERS = 10;
  private static final int WRITE_DEPTH = 16;
  private static final int MAX_PAYLOAD = 1572864;
  private static final int BIG_VALUE = MAX_PAYLOAD - 100;
  private static final long ATTACK_SECONDS = 20;
  private static final Pattern GC_PAUSE = Pattern.compile("Pause (?:Young|Full).* (\\d+)M->(\\d+)M\\((\\d+)M\\)");
  private static final Pattern COUNTERS = Pattern.compile("closedOutboundHard=(\\d+) closedOutboundSoft=(\\d+) "
      + "closedIdle=\\d+ closedOverBudget=(\\d+) closedFrameTimeout=(\\d+)");

  @Test
  void abusersAreCutOffAndEveryoneElseIsServed() throws Exception {
    Path dataDir = TestServer.newDataDir();
    Path gcLog = dataDir.resolveSibling(dataDir.getFileName() + "-gc.log");
    List<String> jvm = List.of("-Xmx256m", "-Xlog:gc:file=" + gcLog, "-Dportal.server.port=0",
        "-Dportal.management.enabled=off", "-Dportal.store.data-dir=" + dataDir,
        "-Dportal.connection.outbound-soft-duration=5s", "-Dportal.protocol.frame-timeout=5s");
    try (JarProcess server = JarProcess.start(jvm)) {
      int port = server.awaitReady();
      byte[] mib = new byte[1 << 20];
      new Random(1).nextBytes(mib);
      try (RawConnection setup = new RawConnection(port)) {
        setup.send(set(1, "mib", mib));
        assertInstanceOf(SetResponse.class, setup.read());
      }

      AtomicBoolean attacking = new AtomicBoolean(true);
      List<Thread> threads = new ArrayList<>();
      Histogram latency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
      AtomicLong goodErrors = new AtomicLong();
      threads.add(start("good-client", () -> goodClient(port, attacking, latency, goodErrors)));
      List<RawConnection> neverReaders = new ArrayList<>();
      for (int i = 0; i < NEVER_READERS; i++) {
        RawConnection reader = new RawConnection(port, 4096);
        neverReaders.add(reader);
        threads.add(start("never-reader-" + i, () -> neverRead(reader, attacking)));
      }
      Map<Integer, long[]> acked = new ConcurrentHashMap<>(); // writer -> {version, sequence} of its last ack
      AtomicLong writeErrors = new AtomicLong();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        threads.add(start("writer-" + w, () -> write(port, writer, attacking, acked, writeErrors)));
      }
      List<Partial> partials = openPartialFrames(port);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ATTACK_SECONDS);
      while (System.nanoTime() < deadline) {
        trickle(partials);
        Thread.sleep(200);
      }
      attacking.set(false);
      long joinDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      for (Thread thread : threads) {
        thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinDeadline - System.nanoTime())));
      }
      String peakRss = peakRss(server.process.pid());

      Path serverLog = dataDir.resolveSibling(dataDir.getFileName() + "-server.log");
      Files.write(serverLog, server.linesMatching(Pattern.compile(""))); // kept for a post-mortem
      assertTrue(server.process.isAlive(), "the server is up");
      assertEquals(List.of(), server.linesMatching(Pattern.compile("OutOfMemoryError")));
      long closedPartials = countClosed(partials);
      long closedReaders = neverReaders.stream().filter(MemoryAttackIT::drainsToClose).count();
      assertEquals(PARTIAL_FRAMES, closedPartials, "every unfinished frame was cut off");
      assertEquals(NEVER_READERS, closedReaders, "every client that never reads was cut off");
      for (Partial partial : partials) {
        partial.channel.close();
      }

      // the well-behaved client: served all along, none of its requests took a second
      assertEquals(0, goodErrors.get(), "the well-behaved client got no error");
      assertTrue(latency.getTotalCount() > 100, "the well-behaved client made progress: " + latency.getTotalCount());
      long worstMillis = TimeUnit.NANOSECONDS.toMillis(latency.getMaxValue());
      assertTrue(worstMillis < 1000, "worst well-behaved request " + worstMillis + " ms");

      // afterwards: answers normally, and every acknowledged big write is there
      try (RawConnection after = new RawConnection(port)) {
        after.send(PingRequest.newBuilder().setRequestId(1).build());
        assertInstanceOf(PingResponse.class, after.read());
        assertTrue(acked.size() > 0, "big writes were acknowledged: " + writeErrors.get() + " refused, the first "
            + firstWriteError);
        for (Map.Entry<Integer, long[]> entry : acked.entrySet()) {
          after.send(GetRequest.newBuilder().setRequestId(2).setKey(utf8("storm-" + entry.getKey())).build());
          GetResponse found = assertInstanceOf(GetResponse.class, after.read());
          long version = entry.getValue()[0];
          assertTrue(found.getVersion() >= version, "writer " + entry.getKey() + ": version " + found.getVersion()
              + " after acknowledged version " + version);
          if (found.getVersion() == version) {
            assertEquals(entry.getValue()[1], found.getValue().asReadOnlyByteBuffer().getLong(0));
          }
          assertEquals(BIG_VALUE, found.getValue().size());
        }
      }
      try (RawConnection after = new RawConnection(port)) { // the store takes a big write as before the attack
        byte[] big = new byte[BIG_VALUE];
        new Random(2).nextBytes(big);
        after.send(set(1, "after", big));
        assertEquals(1, assertInstanceOf(SetResponse.class, after.read()).getVersion());
        after.send(GetRequest.newBuilder().setRequestId(2).setKey(utf8("after")).build());
        assertEquals(ByteString.copyFrom(big), assertInstanceOf(GetResponse.class, after.read()).getValue());
      }
      server.close();
      Matcher counters = server.await(COUNTERS, 30);
      long hard = Long.parseLong(counters.group(1));
      long soft = Long.parseLong(counters.group(2));
      long budget = Long.parseLong(counters.group(3));
      long frameTimeout = Long.parseLong(counters.group(4));
      assertTrue(hard + soft + budget + frameTimeout >= NEVER_READERS + PARTIAL_FRAMES,
          "closed by reason: hard " + hard + ", soft " + soft + ", budget " + budget + ", frame timeout "
              + frameTimeout);
      long[] heap = peakHeap(gcLog);
      System.out.printf("MemoryAttackIT: server -Xmx256m; closed: %d over the hard limit, %d not reading (soft "
              + "limit), %d over the clients' budget, %d unfinished frames; well-behaved client: %d requests, p50 %.1f "
              + "ms, p99 %.1f ms, max %.1f ms; %d big writes acknowledged, %d refused; peak heap before GC %d MiB, "
              + "after GC %d MiB; peak RSS %s%n", hard, soft, budget, frameTimeout, latency.getTotalCount(),
          latency.getValueAtPercentile(50) / 1e6, latency.getValueAtPercentile(99) / 1e6,
          latency.getMaxValue() / 1e6, acked.values().stream().mapToLong(v -> v[0]).sum(), writeErrors.get(),
          heap[0], heap[1], peakRss);
    }
  }

  private static Thread start(String name, ThrowingRunnable body) {
    Thread thread = new Thread(() -> {
      try {
        body.run();
      } catch (Exception e) {
        // the connection was cut: the attack's expected end
      }
    }, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private interface ThrowingRunnable {
    void run() throws Exception;
  }

  private static ByteString utf8(String text) {
    return ByteString.copyFromUtf8(text);
  }

  private static SetRequest set(long id, String key, byte[] value) {
    return SetRequest.newBuilder().setRequestId(id).setKey(utf8(key)).setValue(ByteString.copyFrom(value)).build();
  }

  /** PING, SET and GET in turn, each timed; any error is counted. */
  private static void goodClient(int port, AtomicBoolean attacking, Histogram latency, AtomicLong errors)
      throws IOException {
    try (RawConnection client = new RawConnection(port)) {
      long id = 0;
      while (attacking.get()) {
        id++;
        MessageLite request = switch ((int) (id % 3)) {
          case 0 -> PingRequest.newBuilder().setRequestId(id).build();
          case 1 -> set(id, "good", ("value-" + id).getBytes());
          default -> GetRequest.newBuilder().setRequestId(id).setKey(utf8("good")).build();
        };
        long start = System.nanoTime();
        client.send(request);
        MessageLite response = client.read();
        latency.recordValue(System.nanoTime() - start);
        if (response instanceof ErrorResponse) {
          errors.incrementAndGet();
        }
      }
    }
  }

  /** Pipelines GETs of the 1 MiB value and never reads an answer. */
  private static void neverRead(RawConnection reader, AtomicBoolean attacking) throws IOException {
    for (long id = 1; id <= 4000 && attacking.get(); id++) {
      reader.send(GetRequest.newBuilder().setRequestId(id).setKey(utf8("mib")).build());
    }
  }

  /**
   * Keeps {@code WRITE_DEPTH} SETs of a 1.5 MiB value in flight on one key, reading every answer; when the server
   * cuts the connection it connects again, as a client with retries would. Records the last acknowledged write.
   */
  private static void write(int port, int writer, AtomicBoolean attacking, Map<Integer, long[]> acked,
      AtomicLong errors) throws InterruptedException {
    AtomicLong requestIds = new AtomicLong();
    byte[] value = new byte[BIG_VALUE];
    while (attacking.get()) {
      try (RawConnection connection = new RawConnection(port)) {
        connection.socket.setSoTimeout(60_000);
        AtomicLong sent = new AtomicLong();
        AtomicLong answered = new AtomicLong();
        AtomicBoolean open = new AtomicBoolean(true);
        Thread reader = start("writer-reader-" + writer, () -> {
          try {
            while (attacking.get() || answered.get() < sent.get()) {
              MessageLite response = connection.read();
              answered.incrementAndGet();
              if (response instanceof SetResponse ok) {
                acked.put(writer, new long[] {ok.getVersion(), ok.getRequestId()});
              } else if (errors.incrementAndGet() == 1) {
                firstWriteError = response.toString();
              }
            }
          } finally {
            open.set(false);
          }
        });
        while (attacking.get() && open.get()) {
          if (sent.get() - answered.get() >= WRITE_DEPTH) {
            Thread.sleep(1);
            continue;
          }
          long id = requestIds.incrementAndGet();
          ByteBuffer.wrap(value).putLong(0, id); // the value names its request, to check the one that survives
          connection.send(set(id, "storm-" + writer, value));
          sent.incrementAndGet();
        }
        reader.join(60_000);
      } catch (IOException cut) {
        Thread.sleep(100); // cut off: connect again
      }
    }
  }

  /** A connection holding an unfinished 1.5 MiB frame: it never sends the last 1000 bytes. */
  private static final class Partial {
    final SocketChannel channel;
    long unsent = MAX_PAYLOAD - 1000;
    boolean closed;

    Partial(SocketChannel channel) {
      this.channel = channel;
    }
  }

  /** Connects the unfinished-frame clients: each sends a 1.5 MiB SET header and what its socket takes of the rest. */
  private static List<Partial> openPartialFrames(int port) throws IOException {
    List<Partial> partials = new ArrayList<>();
    for (int i = 0; i < PARTIAL_FRAMES; i++) {
      SocketChannel channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
      channel.configureBlocking(false);
      ByteBuffer header = ByteBuffer.wrap(FrameEncoder.header(MessageType.SET_REQUEST_VALUE, MAX_PAYLOAD));
      while (header.hasRemaining()) {
        channel.write(header);
      }
      partials.add(new Partial(channel));
    }
    trickle(partials);
    return partials;
  }

  /** Sends each unfinished frame what its socket takes now, short of its last 1000 bytes. */
  private static void trickle(List<Partial> partials) {
    ByteBuffer chunk = ByteBuffer.allocate(256 * 1024);
    for (Partial partial : partials) {
      if (partial.closed || partial.unsent == 0) {
        continue;
      }
      try {
        chunk.clear();
        chunk.limit((int) Math.min(chunk.capacity(), partial.unsent));
        partial.unsent -= partial.channel.write(chunk);
      } catch (IOException reset) {
        partial.closed = true;
      }
    }
  }

  /** The process's peak resident memory (VmHWM), as the kernel reports it. */
  private static String peakRss(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return line.substring("VmHWM:".length()).trim();
      }
    }
    return "unknown";
  }

  /** How many of the unfinished frames' connections the server has closed (EOF or reset), waiting up to 20 s. */
  private static long countClosed(List<Partial> partials) throws InterruptedException {
    ByteBuffer sink = ByteBuffer.allocate(4096);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    long closed;
    do {
      closed = 0;
      for (Partial partial : partials) {
        if (partial.closed) {
          closed++;
          continue;
        }
        try {
          sink.clear();
          if (partial.channel.read(sink) < 0) {
            partial.closed = true;
          }
        } catch (IOException reset) {
          partial.closed = true;
        }
      }
      Thread.sleep(50);
    } while (closed < partials.size() && System.nanoTime() < deadline);
    return closed;
  }

  private static boolean drainsToClose(RawConnection connection) {
    try {
      return connection.drainsToClose();
    } catch (IOException e) {
      return true;
    }
  }

  /** The largest heap occupancy before and after a collection in the server's GC log, in MiB. */
  private static long[] peakHeap(Path gcLog) throws IOException {
    long before = 0;
    long after = 0;
    for (String line : Files.readAllLines(gcLog)) {
      Matcher m = GC_PAUSE.matcher(line);
      if (m.find()) {
        before = Math.max(before, Long.parseLong(m.group(1)));
        after = Math.max(after, Long.parseLong(m.group(2)));
      }
    }
    return new long[] {before, after};
  }
}
