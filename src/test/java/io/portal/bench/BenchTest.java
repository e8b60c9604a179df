package io.portal.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load generator end to end through its RESP target, against {@link FakeRedis}, which counts from the server
 * side what the generator sent: commands, keys, values, connections, requests in flight.
 */
@Timeout(60) // a run with --requests waits for them all: a generator that stopped sending would wait for ever
class BenchTest {
  private static String[] resp(FakeRedis redis, String... args) {
    String[] full = new String[args.length + 6];
    full[0] = "--protocol";
    full[1] = "resp";
    full[2] = "--port";
    full[3] = String.valueOf(redis.port());
    full[4] = "--warmup";
    full[5] = "0s";
    System.arraycopy(args, 0, full, 6, args.length);
    return full;
  }

  @Test
  void setWritesTheWholeKeySpaceThenGetAndDelReachEveryKey() throws Exception {
    try (FakeRedis redis = new FakeRedis()) {
      BenchRun set = BenchRun.of(resp(redis, "--ops", "set", "--sequential", "--keys", "300", "--requests", "900",
          "--connections", "3", "--pipeline", "4", "--value-size", "37"));
      assertEquals(0, set.status(), set.err());
      assertEquals(3, redis.accepted.get());
      assertTrue(set.number("requests") >= 900, set.json());
      assertTrue(redis.sets.sum() >= set.number("requests"), redis.sets.sum() + " SETs for " + set.json());
      assertEquals(Map.of(), set.errors());
      assertEquals(300, redis.data.size());
      byte[] value = redis.data.get("key:0000000000");
      assertEquals(37, value.length);
      for (int i = 0; i < 300; i++) {
        assertArrayEquals(value, redis.data.get(String.format("key:%010d", i)), "key " + i);
      }
      assertEquals(3, set.number("connections"));
      assertEquals(4, set.number("pipeline"));
      assertEquals(37, set.number("value_size"));

      BenchRun get = BenchRun.of(resp(redis, "--ops", "get", "--keys", "300", "--requests", "500"));
      assertEquals(0, get.status(), get.err());
      assertTrue(redis.gets.sum() >= 500 && redis.gets.sum() >= get.number("requests"), get.json());
      assertEquals(0, redis.dels.sum());

      BenchRun del = BenchRun.of(resp(redis, "--ops", "del", "--sequential", "--keys", "300", "--requests", "300"));
      assertEquals(0, del.status(), del.err());
      assertTrue(redis.dels.sum() >= 300, del.json());
      assertEquals(0, redis.data.size());
      assertEquals(Map.of(), del.errors());
    }
  }

  @Test
  void mixedSendsGetsInTheReadRatio() throws Exception {
    try (FakeRedis redis = new FakeRedis()) {
      BenchRun mixed = BenchRun.of(resp(redis, "--ops", "mixed", "--read-ratio", "0.25", "--requests", "4000",
          "--connections", "4", "--pipeline", "8"));
      assertEquals(0, mixed.status(), mixed.err());
      long gets = redis.gets.sum();
      long sets = redis.sets.sum();
      double share = gets / (double) (gets + sets);
      // 4000+ draws: the share's standard deviation is under 0.007, so 0.05 is more than 7 of them
      assertTrue(Math.abs(share - 0.25) < 0.05, gets + " gets, " + sets + " sets");
    }
    try (FakeRedis redis = new FakeRedis()) {
      assertEquals(0, BenchRun.of(resp(redis, "--ops", "mixed", "--read-ratio", "1", "--requests", "500")).status());
      assertTrue(redis.gets.sum() >= 500);
      assertEquals(0, redis.sets.sum());
    }
  }

  @Test
  void eachConnectionKeepsExactlyThePipelineDepthInFlight() throws Exception {
    // replies come only when 4 commands of a connection wait: a generator keeping 4 in flight goes on...
    try (FakeRedis redis = new FakeRedis(4, 0, false)) {
      BenchRun run = BenchRun.of(resp(redis, "--ops", "set", "--connections", "2", "--pipeline", "4",
          "--duration", "1s"));
      assertEquals(0, run.status(), run.err());
      assertTrue(run.number("requests") >= 400, run.json());
    }
    // ... and one that needs 5 waiting gets nothing: 2 connections x 4 in flight, and not one request more
    try (FakeRedis redis = new FakeRedis(5, 0, false)) {
      BenchRun run = BenchRun.of(resp(redis, "--ops", "set", "--connections", "2", "--pipeline", "4",
          "--duration", "1s"));
      assertEquals(0, run.status(), run.err());
      assertEquals(0, run.number("requests"), run.json());
      assertEquals(8, redis.sets.sum());
    }
  }

  @Test
  void latencyIsTimedFromEachRequestsSend() throws Exception {
    try (FakeRedis redis = new FakeRedis(1, 25, false)) {
      BenchRun run = BenchRun.of(resp(redis, "--ops", "set", "--connections", "1", "--pipeline", "1",
          "--duration", "1s"));
      assertEquals(0, run.status(), run.err());
      assertTrue(run.number("p50") >= 25.0, run.json());
      assertTrue(run.number("ops_per_sec") <= 40.0, run.json()); // one at a time, each 25 ms late
      // the progress line's average so far, at the end, is the final rate
      assertEquals(run.number("ops_per_sec"), run.lastSoFar(), 3.0, run.out());
      assertTrue(run.number("p50") <= run.number("p90") && run.number("p90") <= run.number("p99")
          && run.number("p99") <= run.number("p999") && run.number("p999") <= run.number("max"), run.json());
    }
  }

  @Test
  void failedRequestsAreCountedByCodeAndAProgressLineComesEverySecond() throws Exception {
    try (FakeRedis redis = new FakeRedis(1, 0, true)) {
      BenchRun run = BenchRun.of(resp(redis, "--ops", "set", "--connections", "2", "--duration", "3s"));
      assertEquals(0, run.status(), run.err());
      assertEquals(0, run.number("requests"), run.json());
      Map<String, Long> errors = run.errors();
      assertEquals(Set.of("INTERNAL"), errors.keySet(), run.json());
      long internal = errors.get("INTERNAL");
      assertTrue(internal > 0 && internal <= redis.sets.sum(), internal + " of " + redis.sets.sum());
      assertTrue(run.out().contains("errors " + internal + " {INTERNAL=" + internal + "}"), run.out());
      assertTrue(run.progressLines() >= 3 && run.progressLines() <= 4, run.out());

      // --requests counts the failed ones too, so a run against a server that refuses everything still ends
      BenchRun counted = BenchRun.of(resp(redis, "--ops", "set", "--connections", "2", "--requests", "50"));
      assertEquals(0, counted.status(), counted.err());
      assertEquals(0, counted.number("requests"), counted.json());
      assertTrue(counted.errors().get("INTERNAL") >= 50, counted.json());
    }
  }

  @Test
  void badArgumentsAndAMissingServerExitWithTwo() throws Exception {
    BenchRun zero = BenchRun.of("--connections", "0");
    assertEquals(2, zero.status());
    assertTrue(zero.err().contains("need connections, pipeline, keys, scan-page >= 1"), zero.err());
    BenchRun ops = BenchRun.of("--ops", "frob");
    assertEquals(2, ops.status());
    BenchRun scanOverResp = BenchRun.of("--ops", "scan", "--protocol", "resp");
    assertEquals(2, scanOverResp.status());
    assertTrue(scanOverResp.err().contains("--ops txn, --ops scan and --watchers are Portal's"), scanOverResp.err());
    int freePort;
    try (ServerSocket probe = new ServerSocket(0)) {
      freePort = probe.getLocalPort();
    }
    BenchRun noServer = BenchRun.of("--port", String.valueOf(freePort), "--protocol", "resp");
    assertEquals(2, noServer.status());
    assertTrue(noServer.err().contains("cannot connect to 127.0.0.1:" + freePort), noServer.err());
    assertEquals("", noServer.json());
  }
}
