package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.cli.Cli;
import io.portal.client.PortalClient;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CliTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer("");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private record Result(int status, String out, String err) {
  }

  private static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] full = new String[args.length + 2];
    full[0] = "--port";
    full[1] = String.valueOf(server.port());
    System.arraycopy(args, 0, full, 2, args.length);
    int status = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
    return new Result(status, out.toString(), err.toString());
  }

  @Test
  void setGetDelAndTheirExitStatuses() {
    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cli-key", "hello world"));
    assertEquals(new Result(0, "OK version 2\n", ""), cli("set", "cli-key", "héllo"));
    assertEquals(new Result(0, "héllo\n", ""), cli("get", "cli-key"));
    assertEquals(new Result(0, "héllo\nversion 2\n", ""), cli("get", "-v", "cli-key"));
    assertEquals(new Result(0, "deleted\n", ""), cli("del", "cli-key"));
    assertEquals(new Result(1, "", "(not found) cli-key\n"), cli("get", "cli-key"));
    assertEquals(new Result(1, "", "(not found) cli-key\n"), cli("del", "cli-key"));
  }

  @Test
  void scanPrintsKeysInOrderWithTheirValues() {
    for (String key : List.of("cs:b", "cs:a", "cs:c", "cs:ab", "ct:z")) {
      assertEquals(0, cli("set", key, "v-" + key).status());
    }
    assertEquals(new Result(0, "cs:a\tv-cs:a\ncs:ab\tv-cs:ab\ncs:b\tv-cs:b\ncs:c\tv-cs:c\n", ""),
        cli("scan", "--prefix", "cs:"));
    assertEquals(new Result(0, "cs:a\ncs:ab\n", ""), cli("scan", "--prefix", "cs:", "--keys-only", "--limit", "2"));
    assertEquals(new Result(0, "cs:ab\tv-cs:ab\t1\ncs:b\tv-cs:b\t1\n", ""),
        cli("scan", "--from", "cs:aa", "--to", "cs:c", "-v"));
    assertEquals(new Result(0, "", ""), cli("scan", "--prefix", "nothing-here:"));
    Result both = cli("scan", "--prefix", "cs:", "--from", "a");
    assertEquals(2, both.status());
    assertTrue(both.err().contains("mutually exclusive"), both.err());
  }

  @Test
  void watchPrintsChangesUntilItsCount() throws Exception {
    java.util.concurrent.CompletableFuture<Result> watching = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> cli("watch", "--prefix", "cw:", "--count", "3"));
    Thread.sleep(1500); // the watch follows every partition before the writes
    assertEquals(0, cli("set", "cw:a", "1").status());
    assertEquals(0, cli("set", "cw-not:b", "x").status());
    assertEquals(0, cli("set", "cw:a", "2").status());
    assertEquals(0, cli("del", "cw:a").status());
    assertEquals(new Result(0, "PUT cw:a 1 (version 1)\nPUT cw:a 2 (version 2)\nDELETE cw:a\n", ""),
        watching.get(20, java.util.concurrent.TimeUnit.SECONDS));
    Result neither = cli("watch");
    assertEquals(2, neither.status());
    assertTrue(neither.err().contains("give KEY or --prefix P"), neither.err());
  }

  @Test
  void ttlExpirePersistMgetMsetAndTxn() {
    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cx", "v", "--ttl", "1h"));
    Result ttl = cli("ttl", "cx");
    assertEquals(0, ttl.status());
    assertTrue(ttl.out().matches("35\\d\\d\\.\\d{3}s \\(expires \\S+Z\\)\n"), ttl.out());
    assertEquals(new Result(0, "OK no expiry\n", ""), cli("persist", "cx"));
    assertEquals(new Result(0, "no expiry\n", ""), cli("ttl", "cx"));
    Result expire = cli("expire", "cx", "10s", "--if-version", "1");
    assertTrue(expire.out().startsWith("OK expires "), expire.toString());
    assertTrue(cli("ttl", "cx").out().matches("(9|10)\\.\\d{3}s .*\n"));
    assertEquals(new Result(1, "", "(not found) cx-absent\n"), cli("ttl", "cx-absent"));
    assertEquals(new Result(1, "", "(not found) cx-absent\n"), cli("expire", "cx-absent", "5s"));
    assertEquals(2, cli("expire", "cx", "0s").status());

    assertEquals(new Result(0, "cm1 OK version 1\ncm2 OK version 1\n", ""), cli("mset", "cm1", "one", "cm2", "two"));
    assertEquals(new Result(0, "one\n(not found)\ntwo\n", ""), cli("mget", "cm1", "cm-none", "cm2"));
    assertEquals(2, cli("mset", "cm1", "one", "cm2").status());

    assertEquals(new Result(0, "SUCCEEDED\nOK version 1\nOK version 1\n", ""), cli("txn",
        "--if", "{t}:a version = 0", "--then", "set {t}:a 10", "--then", "set {t}:b 20", "--else", "get {t}:a"));
    assertEquals(new Result(1, "FAILED\n10\n", ""), cli("txn",
        "--if", "{t}:a version = 0", "--then", "set {t}:a 11", "--else", "get {t}:a"));
    assertEquals(new Result(0, "SUCCEEDED\ndeleted\n20\n", ""), cli("txn",
        "--if", "{t}:a value = 10", "--if", "{t}:b version > 0", "--then", "del {t}:a", "--then", "get {t}:b"));
    Result apart = cli("txn", "--then", "set alpha 1", "--then", "set omega 2");
    assertEquals(2, apart.status());
    assertTrue(apart.err().startsWith("error: INVALID_ARGUMENT: a transaction's keys must share a partition"),
        apart.err());
    Result badCompare = cli("txn", "--if", "{t}:a size > 3");
    assertEquals(2, badCompare.status());
    assertTrue(badCompare.err().contains("compare a version or a value, not 'size'"), badCompare.err());
  }

  @Test
  void setTakesATtlACompareAndSetVersionAndAValueFromStandardInputAsBytes() throws Exception {
    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cli-ttl", "soon gone", "--ttl", "300ms"));
    assertEquals(new Result(0, "soon gone\n", ""), cli("get", "cli-ttl"));
    Thread.sleep(600);
    assertEquals(new Result(1, "", "(not found) cli-ttl\n"), cli("get", "cli-ttl"));

    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cli-cas", "a", "--if-version", "0"));
    Result mismatch = cli("set", "cli-cas", "b", "--if-version", "5");
    assertEquals(2, mismatch.status());
    assertTrue(mismatch.err().startsWith("error: VERSION_MISMATCH: expected version 5 but the key is at version 1"),
        mismatch.err());
    assertEquals(new Result(0, "OK version 2\n", ""), cli("set", "cli-cas", "b", "--if-version", "1"));
    assertEquals(2, cli("del", "cli-cas", "--if-version", "1").status());
    assertEquals(new Result(0, "deleted\n", ""), cli("del", "cli-cas", "--if-version", "2"));

    byte[] binary = {(byte) 0xff, 0, (byte) 0xc3, 0x28, 'x'};
    StringWriter err = new StringWriter();
    int status = Cli.run(new java.io.ByteArrayInputStream(binary), new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true), "--port", String.valueOf(server.port()), "set", "cli-bytes", "-");
    assertEquals(0, status, err.toString());
    try (PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      assertEquals(com.google.protobuf.ByteString.copyFrom(binary),
          client.get("cli-bytes").orElseThrow().value(), "the bytes as they came, not text");
    }
    assertEquals(new Result(0, "\\xff\\x00\\xc3(x\n", ""), cli("get", "cli-bytes"),
        "bytes that are not UTF-8 are shown escaped, never replaced");
    java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
    assertEquals(0, Cli.run(new java.io.ByteArrayInputStream(new byte[0]), raw, new PrintWriter(new StringWriter(), true),
        new PrintWriter(new StringWriter(), true), "--port", String.valueOf(server.port()), "get", "--raw",
        "cli-bytes"));
    assertArrayEquals(binary, raw.toByteArray(), "get --raw writes the stored bytes exactly");

    byte[] all = new byte[256]; // every byte value, through --file, --raw and --hex
    for (int i = 0; i < 256; i++) {
      all[i] = (byte) i;
    }
    java.nio.file.Path allFile = java.nio.file.Files.createTempFile("portal-all-bytes", ".bin");
    java.nio.file.Files.write(allFile, all);
    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cli-all", "--file", allFile.toString()));
    java.io.ByteArrayOutputStream allOut = new java.io.ByteArrayOutputStream();
    assertEquals(0, Cli.run(new java.io.ByteArrayInputStream(new byte[0]), allOut,
        new PrintWriter(new StringWriter(), true), new PrintWriter(new StringWriter(), true), "--port",
        String.valueOf(server.port()), "get", "--raw", "cli-all"));
    assertArrayEquals(all, allOut.toByteArray(), "all 256 byte values round trip");
    assertEquals(new Result(0, java.util.HexFormat.of().formatHex(all) + "\n", ""), cli("get", "--hex", "cli-all"));
    assertEquals(2, cli("set", "cli-both", "v", "--file", allFile.toString()).status(), "VALUE and --file: refused");
    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cli-at", "@/etc/hostname"));
    assertEquals(new Result(0, "@/etc/hostname\n", ""), cli("get", "cli-at"), "an @ value is never a file");

    Result badTtl = cli("set", "cli-x", "v", "--ttl", "soon");
    assertEquals(new Result(2, "", "error: --ttl 'soon' is not a duration such as 500ms, 10s, 5m or 2h\n"), badTtl);
    Result help = cli("set", "--help");
    assertEquals(0, help.status());
    assertTrue(help.out().contains("--if-version=N") && help.out().contains("--ttl=DURATION"), help.out());
  }

  @Test
  void statusAndMembersDescribeTheNode() {
    cli("set", "status-key", "v");
    Result status = cli("status");
    assertEquals(0, status.status(), status.err());
    String out = status.out();
    assertTrue(out.startsWith("version: "), out);
    assertTrue(out.contains("\nnode: 127.0.0.1:" + server.port() + "\n"), out);
    assertTrue(out.contains("\nstore: RocksDB journal in "), out);
    assertTrue(out.contains("\npartitions: 64 (64 here)\n"), out);
    java.util.regex.Matcher keys = java.util.regex.Pattern.compile("\nkeys here: (\\d+)\n").matcher(out);
    assertTrue(keys.find() && Long.parseLong(keys.group(1)) >= 1, out);
    assertTrue(out.contains("\nconnections: ") && out.contains("\nmembers: 1 (1 up, 0 unreachable)\n"), out);
    assertTrue(out.contains("\nlimit portal.server.max-connections: 10000\n"), out);
    Result members = cli("members");
    assertEquals(0, members.status());
    assertTrue(members.out().matches("pekko://portal-test@127\\.0\\.0\\.1:\\d+ Up \\(this node\\)\n"),
        members.out());
  }

  @Test
  void pingPrintsPong() {
    Result ping = cli("ping");
    assertEquals(0, ping.status());
    assertTrue(ping.out().matches("PONG \\d+\\.\\d{3} ms\\n"), ping.out());
  }

  @Test
  void errorsExitWithTwo() throws Exception {
    Result empty = cli("set", "", "v");
    assertEquals(2, empty.status());
    assertEquals("error: INVALID_ARGUMENT: key is empty\n", empty.err());

    Result unknown = cli("frob", "x");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().startsWith("error: unknown command 'frob' (commands: ping, set, get, del, user, role, "
        + "status, members, backup, scan, ttl, expire, persist, mget, mset, txn, watch)\n"), unknown.err());

    Result usage = cli("set", "only-a-key");
    assertEquals(2, usage.status());
    assertEquals("error: give the value as VALUE, - (standard input) or --file FILE, one of them\n", usage.err());

    try (java.net.ServerSocket http = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
      java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
      Thread answering = new Thread(() -> {
        try {
          while (true) {
            try (java.net.Socket socket = http.accept()) {
              accepted.incrementAndGet();
              socket.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes());
              socket.getInputStream().read(new byte[64]);
            }
          }
        } catch (java.io.IOException closed) {
          // the test is over
        }
      });
      answering.start();
      StringWriter notPortal = new StringWriter();
      assertEquals(2, Cli.run(new PrintWriter(new StringWriter()), new PrintWriter(notPortal, true), "--port",
          String.valueOf(http.getLocalPort()), "ping"));
      assertEquals("error: MALFORMED_FRAME: the server at 127.0.0.1:" + http.getLocalPort() + " does not speak "
          + "Portal's protocol: it answered 'HTTP/1.1 400 Bad Request' (is this its management port?)\n",
          notPortal.toString());
      // not retried: the connection the HELLO went out on, and at most the one the PING reconnected for
      assertTrue(accepted.get() <= 2, accepted.get() + " connections");
    }

    StringWriter badPort = new StringWriter();
    assertEquals(2, Cli.run(new PrintWriter(new StringWriter()), new PrintWriter(badPort, true), "--port", "99999",
        "ping"));
    assertEquals("error: --port 99999 is outside 1..65535\n", badPort.toString());

    StringWriter err = new StringWriter();
    int status = Cli.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "--port", "1", "ping");
    assertEquals(2, status);
    assertTrue(err.toString().startsWith("error: UNAVAILABLE: cannot connect to 127.0.0.1:1"), err.toString());
  }

  @Test
  void timeoutBoundsTheWholeCommandRetriesIncluded() throws Exception {
    // a peer that accepts and never answers: every attempt times out; four attempts of 2 s each would take 8.6 s
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread accepting = new Thread(() -> {
        java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
        try {
          while (true) {
            held.add(silent.accept());
          }
        } catch (java.io.IOException closed) {
          // the test is over
        }
      });
      accepting.start();
      StringWriter err = new StringWriter();
      long start = System.nanoTime();
      assertEquals(2, Cli.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "--port",
          String.valueOf(silent.getLocalPort()), "--timeout", "2000", "get", "k"));
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(err.toString().startsWith("error: TIMEOUT"), err.toString());
      assertTrue(millis >= 1900 && millis < 5000, "--timeout 2000 took " + millis + " ms");
    }
  }
}
