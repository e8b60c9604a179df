package io.portal.bench;

import com.google.protobuf.ByteString;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Closed-loop load: {@code connections} clients, each keeping {@code pipeline} requests in flight; every response
 * is timed from its send, so the latencies are those of the chosen pipeline depth with nothing skipped.
 */
@Command(name = "portal bench", mixinStandardHelpOptions = true,
    versionProvider = io.portal.cli.Cli.VersionProvider.class, sortOptions = false,
    description = "Drive a Portal server and report throughput and latency.")
public final class Bench implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "server host (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "7777", description = "server port (default: ${DEFAULT-VALUE})")
  int port;

  @picocli.CommandLine.Mixin
  io.portal.cli.TlsOptions tls = new io.portal.cli.TlsOptions();

  @Option(names = "--protocol", defaultValue = "portal",
      description = "portal; resp to drive a Redis server the same way; etcd for etcd over gRPC (etcd's stubs from jetcd; "
          + "only in the jar built with mvn -Petcd package); etcd-json for etcd's JSON gateway (default: ${DEFAULT-VALUE})")
  String protocol;

  @Option(names = "--connections", defaultValue = "50", description = "connections (default: ${DEFAULT-VALUE})")
  int connections;

  @Option(names = "--pipeline", defaultValue = "1",
      description = "requests in flight per connection (default: ${DEFAULT-VALUE})")
  int pipeline;

  @Option(names = "--ops", defaultValue = "set", description = "set, get, del, mixed, txn (a transaction writing "
      + "{KEY}:a and {KEY}:b) or scan (pages of --scan-page keys in order, round and round the key space; Portal "
      + "only) (default: ${DEFAULT-VALUE})")
  String ops;

  @Option(names = "--watchers", defaultValue = "0", description = "connections that each watch the prefix key: "
      + "while the load runs; prints the events delivered to them (Portal only) (default: ${DEFAULT-VALUE})")
  int watchers;

  @Option(names = "--scan-page", defaultValue = "1000", description = "keys per page with --ops scan "
      + "(default: ${DEFAULT-VALUE})")
  int scanPage;

  @Option(names = "--read-ratio", defaultValue = "0.9",
      description = "share of gets in mixed (default: ${DEFAULT-VALUE})")
  double readRatio;

  @Option(names = "--value-size", defaultValue = "100", description = "value bytes (default: ${DEFAULT-VALUE})")
  int valueSize;

  @Option(names = "--keys", defaultValue = "100000", description = "key space (default: ${DEFAULT-VALUE})")
  int keys;

  @Option(names = "--duration", defaultValue = "10s",
      description = "measured run length, e.g. 30s (default: ${DEFAULT-VALUE})")
  String duration;

  @Option(names = "--requests", defaultValue = "0",
      description = "stop after this many measured requests, answered or failed, instead of --duration "
          + "(0: use --duration)")
  long requests;

  @Option(names = "--warmup", defaultValue = "2s", description = "unmeasured run first (default: ${DEFAULT-VALUE})")
  String warmup;

  @Option(names = "--sequential",
      description = "take keys in order (key 0, 1, 2, ...) instead of at random: --requests N with --keys N writes "
          + "every key once")
  boolean sequential;

  @Option(names = "--session", description = "open a session per connection (exactly-once writes)")
  boolean session;

  @Option(names = "--json", description = "also write the results to this file as JSON")
  Path json;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  private static final java.util.concurrent.Executor RETRY_PAUSE =
      CompletableFuture.delayedExecutor(10, java.util.concurrent.TimeUnit.MILLISECONDS);
  private final Recorder recorder = new Recorder(3);
  private final LongAdder completed = new LongAdder();
  private final LongAdder scannedKeys = new LongAdder();
  private final LongAdder watchEvents = new LongAdder();
  private final Map<ErrorCode, LongAdder> errors = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong nextKey = new java.util.concurrent.atomic.AtomicLong();
  private volatile boolean measuring;

  /** Runs the tool; returns the exit status (0 ok, 2 bad arguments or no server). Output goes to stdout/stderr. */
  public static int run(String... args) {
    return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs the tool writing to the given streams; tests use this. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return new CommandLine(new Bench()).setOut(out).setErr(err).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Duration measured = parseDuration(duration);
    Duration warm = parseDuration(warmup);
    if (connections < 1 || pipeline < 1 || keys < 1 || valueSize < 0
        || scanPage < 1 || !List.of("set", "get", "del", "mixed", "txn", "scan").contains(ops)
        || !List.of("portal", "resp", "etcd", "etcd-json").contains(protocol)) {
      spec.commandLine().getErr().println("error: need connections, pipeline, keys, scan-page >= 1, value-size >= 0, "
          + "ops in set|get|del|mixed|txn|scan, protocol portal|resp|etcd|etcd-json");
      return 2;
    }
    if ((ops.equals("txn") || ops.equals("scan") || watchers > 0) && !protocol.equals("portal")) {
      spec.commandLine().getErr().println("error: --ops txn, --ops scan and --watchers are Portal's: use "
          + "--protocol portal");
      return 2;
    }
    if (protocol.equals("etcd") && !hasClass(JETCD_TARGET)) {
      spec.commandLine().getErr().println("error: this jar has no etcd gRPC driver; build target/portal-with-etcd.jar "
          + "with: mvn -B -Petcd package -DskipTests (or use --protocol etcd-json)");
      return 2;
    }
    ByteString[] keySpace = new ByteString[keys];
    for (int i = 0; i < keys; i++) {
      keySpace[i] = ByteString.copyFromUtf8(String.format("key:%010d", i));
    }
    byte[] valueBytes = new byte[valueSize];
    ThreadLocalRandom.current().nextBytes(valueBytes);
    ByteString value = ByteString.copyFrom(valueBytes);

    List<Target> clients = new ArrayList<>();
    try {
      PortalClient.Options options = tls.apply(session ? PortalClient.Options.defaults()
          : PortalClient.Options.defaults().withoutSession());
      for (int i = 0; i < connections; i++) {
        clients.add(switch (protocol) {
          case "resp" -> new RespTarget(host, port);
          case "etcd" -> jetcd(host, port);
          case "etcd-json" -> new EtcdTarget(host, port);
          default -> Target.portal(PortalClient.connect(host, port, options));
        });
      }
    } catch (PortalException | IOException e) {
      spec.commandLine().getErr().println("error: cannot connect to " + host + ":" + port + ": " + e.getMessage());
      clients.forEach(Target::close);
      return 2;
    }
    List<PortalClient> watching = new ArrayList<>();
    try {
      for (int i = 0; i < watchers; i++) {
        PortalClient watcher = PortalClient.connect(host, port, tls.apply(PortalClient.Options.defaults()
            .withoutSession()));
        watching.add(watcher);
        watcher.watch(io.portal.protocol.v1.WatchRequest.newBuilder().setKey(ByteString.copyFromUtf8("key:"))
            .setPrefix(true), new io.portal.client.WatchListener() {
              @Override
              public void onEvents(List<io.portal.protocol.v1.Event> events) {
                if (measuring) {
                  watchEvents.add(events.size());
                }
              }

              @Override
              public void onCanceled(io.portal.protocol.v1.WatchCanceled canceled) {
                if (measuring) { // not when the run closes the watchers
                  errors.computeIfAbsent(canceled.getCode(), c -> new LongAdder()).increment();
                }
              }
            });
      }
    } catch (PortalException e) {
      spec.commandLine().getErr().println("error: cannot open the watchers: " + e.getMessage());
      watching.forEach(PortalClient::close);
      clients.forEach(Target::close);
      return 2;
    }
    out.printf("bench: %s %s, %d connections, pipeline %d, %d-byte values, %d keys, warmup %s, then %s%s%n", protocol,
        ops, connections, pipeline, valueSize, keys, warmup, requests > 0 ? requests + " requests" : duration,
        watchers > 0 ? ", " + watchers + " watchers of key:" : "");

    AtomicBoolean running = new AtomicBoolean(true);
    for (Target client : clients) {
      drive(client, keySpace, value, running);
    }

    Thread.sleep(warm.toMillis());
    measuring = true;
    recorder.reset();
    completed.reset();
    scannedKeys.reset();
    watchEvents.reset();
    errors.clear();
    long cpuStart = processCpuNanos();
    long start = System.nanoTime();
    long lastCount = 0;
    long lastTick = start;
    while (true) {
      Thread.sleep(requests > 0 ? 100 : Math.min(1000, Math.max(1, measured.toMillis())));
      long now = System.nanoTime();
      long count = completed.sum();
      long failed = errorCount();
      // --requests counts failed requests too (as redis-benchmark's -n does), so a server that refuses them all
      // still ends the run
      boolean allSent = requests > 0 && count + failed >= requests;
      if (now - lastTick >= 1_000_000_000L || allSent
          || requests == 0 && now - start >= measured.toNanos()) {
        // the last interval's rate, then the average since measuring began
        out.printf("  %5.1fs  %,10.0f ops/s  (%,.0f so far)  errors %d%n", (now - start) / 1e9,
            (count - lastCount) * 1e9 / (now - lastTick), count * 1e9 / (now - start), failed);
        out.flush();
        lastCount = count;
        lastTick = now;
      }
      if (requests > 0 ? allSent : now - start >= measured.toNanos()) {
        break;
      }
    }
    long elapsed = System.nanoTime() - start;
    Histogram histogram = recorder.getIntervalHistogram();
    long total = completed.sum();
    double cpuShare = (processCpuNanos() - cpuStart) / (double) elapsed
        / Runtime.getRuntime().availableProcessors();
    measuring = false;
    running.set(false);
    Thread.sleep(200); // let the chains see the stop
    clients.forEach(Target::close);
    long delivered = watchEvents.sum();
    watching.forEach(PortalClient::close);

    double throughput = total * 1e9 / elapsed;
    out.printf("%nrequests %,d in %.2f s: %,.0f ops/s%n", total, elapsed / 1e9, throughput);
    out.printf("errors %d %s%n", errorCount(), errorsByCode());
    if (watchers > 0) {
      out.printf("watch events delivered %,d to %d watchers: %,.0f events/s%n", delivered, watchers,
          delivered * 1e9 / elapsed);
    }
    if (ops.equals("scan")) {
      out.printf("keys scanned %,d: %,.0f keys/s%n", scannedKeys.sum(), scannedKeys.sum() * 1e9 / elapsed);
    }
    out.printf("latency ms: p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f%n",
        ms(histogram.getValueAtPercentile(50)), ms(histogram.getValueAtPercentile(90)),
        ms(histogram.getValueAtPercentile(99)), ms(histogram.getValueAtPercentile(99.9)),
        ms(histogram.getMaxValue()));
    out.printf("load generator CPU: %.0f%% of this machine's %d cores%n", cpuShare * 100,
        Runtime.getRuntime().availableProcessors());
    if (json != null) {
      writeJson(throughput, total, elapsed, histogram, cpuShare);
    }
    return 0;
  }

  /**
   * One connection's load: {@code pipeline} chains of requests, each sending its next request from the completion
   * of the previous one (on the client's reader thread), so no thread waits and nothing is queued beyond the
   * pipeline depth.
   */
  private void drive(Target client, ByteString[] keySpace, ByteString value, AtomicBoolean running) {
    for (int chain = 0; chain < pipeline; chain++) {
      ByteString[] cursor = {ByteString.EMPTY}; // where this chain's scan is
      sendNext(client, keySpace, value, running, cursor);
    }
  }

  private void sendNext(Target client, ByteString[] keySpace, ByteString value, AtomicBoolean running,
      ByteString[] cursor) {
    if (!running.get()) {
      return;
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    ByteString key = sequential
        ? keySpace[(int) (nextKey.getAndIncrement() % keySpace.length)]
        : keySpace[random.nextInt(keySpace.length)];
    long sent = System.nanoTime();
    CompletableFuture<?> request = switch (ops) {
      case "get" -> client.get(key);
      case "del" -> client.delete(key);
      case "mixed" -> random.nextDouble() < readRatio ? client.get(key) : client.set(key, value);
      case "txn" -> client.txn(key, value);
      case "scan" -> client.scanPage(cursor, scanPage).thenApply(count -> {
        if (measuring) {
          scannedKeys.add(count);
        }
        return count;
      });
      default -> client.set(key, value);
    };
    request.whenComplete((ignored, failure) -> {
      if (measuring) {
        if (failure == null) {
          recorder.recordValue(System.nanoTime() - sent);
          completed.increment();
        } else {
          Throwable cause = failure instanceof CompletionException ? failure.getCause() : failure;
          ErrorCode code = cause instanceof PortalException p ? p.code() : ErrorCode.INTERNAL;
          errors.computeIfAbsent(code, c -> new LongAdder()).increment();
        }
      }
      if (failure == null) {
        sendNext(client, keySpace, value, running, cursor);
      } else {
        // after an error (a broken connection fails at once) pause, so a chain neither spins nor recurses
        CompletableFuture.runAsync(() -> sendNext(client, keySpace, value, running, cursor), RETRY_PAUSE);
      }
    });
  }

  private static final String JETCD_TARGET = "io.portal.bench.JetcdTarget";

  private static boolean hasClass(String name) {
    try {
      Class.forName(name, false, Bench.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  /** The etcd gRPC driver, compiled only in the etcd profile, so loaded by name. */
  private static Target jetcd(String host, int port) throws IOException {
    try {
      return (Target) Class.forName(JETCD_TARGET).getDeclaredConstructor(String.class, int.class)
          .newInstance(host, port);
    } catch (ReflectiveOperationException e) {
      throw new IOException("cannot start the etcd driver: " + e, e);
    }
  }

  private long errorCount() {
    return errors.values().stream().mapToLong(LongAdder::sum).sum();
  }

  private Map<ErrorCode, Long> errorsByCode() {
    Map<ErrorCode, Long> byCode = new EnumMap<>(ErrorCode.class);
    errors.forEach((code, count) -> byCode.put(code, count.sum()));
    return byCode;
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return 0;
  }

  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase();
    if (t.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
    } else if (t.endsWith("s")) {
      return Duration.ofMillis((long) (Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
    } else if (t.endsWith("m")) {
      return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
    }
    throw new CommandLine.ParameterException(new CommandLine(new Bench()),
        "duration '" + text + "' needs a unit: ms, s or m");
  }

  private void writeJson(double throughput, long total, long elapsedNanos, Histogram h, double cpuShare)
      throws IOException {
    StringBuilder errorsJson = new StringBuilder("{");
    errorsByCode().forEach((code, count) -> errorsJson.append(errorsJson.length() > 1 ? "," : "")
        .append('"').append(code).append("\":").append(count));
    errorsJson.append('}');
    String text = String.format(java.util.Locale.ROOT,
        "{\"protocol\":\"%s\",\"ops\":\"%s\",\"connections\":%d,\"pipeline\":%d,\"value_size\":%d,\"keys\":%d,\"requests\":%d,"
            + "\"seconds\":%.3f,\"ops_per_sec\":%.1f,\"errors\":%s,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
            + "\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"generator_cpu_share\":%.3f}%n",
        protocol, ops, connections, pipeline, valueSize, keys, total, elapsedNanos / 1e9, throughput, errorsJson,
        ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
        ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), cpuShare);
    Files.writeString(json, text, StandardCharsets.UTF_8);
  }
}
