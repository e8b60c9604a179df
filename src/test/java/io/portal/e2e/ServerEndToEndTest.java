package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.codec.Messages;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real server on a real socket, driven by the real client and by raw sockets. */
class ServerEndToEndTest {
  private static TestServer shared;

  @BeforeAll
  static void start() {
    shared = new TestServer("");
  }

  @AfterAll
  static void stop() {
    shared.close();
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static void await(String what, LongSupplier actual, long expected, Duration within)
      throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (actual.getAsLong() != expected && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(expected, actual.getAsLong(), what);
  }

  @Test
  void pipelinedSetsGetsAndDeletesKeepTheirOrderAndVersions() {
    try (PortalClient client = PortalClient.connect("127.0.0.1", shared.port())) {
      List<CompletableFuture<Long>> sets = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        sets.add(client.setAsync(utf8("pipe-" + (i % 100)), utf8("v" + i)));
      }
      for (int i = 0; i < 1000; i++) {
        assertEquals(i / 100 + 1, sets.get(i).join(), "version of write " + i);
      }
      List<CompletableFuture<Optional<Entry>>> gets = new ArrayList<>();
      for (int k = 0; k < 100; k++) {
        gets.add(client.getAsync(utf8("pipe-" + k)));
      }
      for (int k = 0; k < 100; k++) {
        Entry entry = gets.get(k).join().orElseThrow();
        assertEquals("v" + (900 + k), entry.value().toStringUtf8());
        assertEquals(10, entry.version());
      }
      List<CompletableFuture<Boolean>> deletes = new ArrayList<>();
      for (int k = 0; k < 100; k++) {
        deletes.add(client.deleteAsync(utf8("pipe-" + k)));
        deletes.add(client.deleteAsync(utf8("pipe-" + k)));
      }
      for (int k = 0; k < 100; k++) {
        assertTrue(deletes.get(2 * k).join(), "first delete of key " + k);
        assertFalse(deletes.get(2 * k + 1).join(), "second delete of key " + k);
      }
      assertEquals(Optional.empty(), client.get("pipe-5"));
      assertEquals(1, client.set("pipe-5", "again"), "a key created after a delete starts at version 1");
    }
  }

  @Test
  void aClientSendingOneByteAtATimeIsServed() throws IOException {
    try (RawConnection raw = new RawConnection(shared.port())) {
      raw.socket.setTcpNoDelay(true);
      byte[] set = Messages.frameOf(SetRequest.newBuilder().setRequestId(11).setKey(utf8("bytewise"))
          .setValue(utf8("slowly")).build());
      byte[] get = Messages.frameOf(GetRequest.newBuilder().setRequestId(12).setKey(utf8("bytewise")).build());
      for (byte[] frame : List.of(set, get)) {
        for (byte b : frame) {
          raw.out.write(b);
          raw.out.flush();
        }
      }
      SetResponse setResponse = assertInstanceOf(SetResponse.class, raw.read());
      assertEquals(11, setResponse.getRequestId());
      assertEquals(1, setResponse.getVersion());
      GetResponse getResponse = assertInstanceOf(GetResponse.class, raw.read());
      assertEquals(12, getResponse.getRequestId());
      assertEquals("slowly", getResponse.getValue().toStringUtf8());
    }
  }

  @Test
  void recoverableErrorsAreAnsweredAndTheConnectionStaysUsable() throws IOException {
    try (RawConnection raw = new RawConnection(shared.port())) {
      raw.sendRaw(42, new byte[] {1, 2, 3});
      ErrorResponse unknown = assertInstanceOf(ErrorResponse.class, raw.read());
      assertEquals(ErrorCode.UNKNOWN_MESSAGE_TYPE, unknown.getCode());
      assertEquals("unknown message type 42 (3 payload bytes skipped)", unknown.getMessage());
      assertEquals(0, unknown.getRequestId());

      raw.sendRaw(MessageType.GET_REQUEST_VALUE, new byte[] {(byte) 0xff, (byte) 0xff});
      ErrorResponse malformed = assertInstanceOf(ErrorResponse.class, raw.read());
      assertEquals(ErrorCode.MALFORMED_PAYLOAD, malformed.getCode());
      assertTrue(malformed.getMessage().startsWith("GET_REQUEST payload of 2 bytes does not parse"),
          malformed.getMessage());

      raw.send(SetRequest.newBuilder().setRequestId(21).setValue(utf8("v")).build());
      assertError(raw.read(), 21, ErrorCode.INVALID_ARGUMENT, "key is empty");

      raw.send(GetRequest.newBuilder().setRequestId(22).setKey(ByteString.copyFrom(new byte[4097])).build());
      assertError(raw.read(), 22, ErrorCode.INVALID_ARGUMENT, "key length 4097 exceeds maximum 4096");

      raw.send(SetRequest.newBuilder().setRequestId(23).setKey(utf8("k")).setTtlMillis(-1000).build());
      assertError(raw.read(), 23, ErrorCode.INVALID_ARGUMENT, "ttl_millis -1000 is negative");

      raw.send(DeleteRequest.newBuilder().setRequestId(24).setKey(utf8("never-written")).setExpectedVersion(3)
          .build());
      assertError(raw.read(), 24, ErrorCode.VERSION_MISMATCH,
          "expected version 3 but the key is at version 0 (absent)");

      raw.send(PingRequest.newBuilder().setRequestId(25).setPayload(utf8("still here")).build());
      PingResponse pong = assertInstanceOf(PingResponse.class, raw.read());
      assertEquals(25, pong.getRequestId());
      assertEquals("still here", pong.getPayload().toStringUtf8());
    }
  }

  private static void assertError(MessageLite response, long requestId, ErrorCode code, String message) {
    ErrorResponse error = assertInstanceOf(ErrorResponse.class, response);
    assertEquals(requestId, error.getRequestId());
    assertEquals(code, error.getCode());
    assertEquals(message, error.getMessage());
  }

  @Test
  void negativeLengthIsReportedThenTheConnectionCloses() throws IOException {
    try (RawConnection raw = new RawConnection(shared.port())) {
      raw.send(PingRequest.newBuilder().setRequestId(1).build());
      raw.sendHeader(MessageType.PING_REQUEST_VALUE, -1);
      assertInstanceOf(PingResponse.class, raw.read());
      assertError(raw.read(), 0, ErrorCode.MALFORMED_FRAME, "frame length -1 is negative");
      assertTrue(raw.closedByServer());
    }
  }

  @Test
  void oversizedFrameIsRejectedOnItsHeaderThenTheConnectionCloses() throws IOException {
    try (RawConnection raw = new RawConnection(shared.port())) {
      raw.sendHeader(MessageType.SET_REQUEST_VALUE, 1572865); // and never the payload
      assertError(raw.read(), 0, ErrorCode.FRAME_TOO_LARGE, "frame payload length 1572865 exceeds maximum 1572864");
      assertTrue(raw.closedByServer());
    }
    try (PortalClient other = PortalClient.connect("127.0.0.1", shared.port())) {
      assertEquals(utf8("ok"), other.ping(utf8("ok")), "the server is still serving");
    }
  }

  @Test
  void aOneMebibyteValueFits() {
    byte[] value = new byte[1 << 20];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 7);
    }
    try (PortalClient client = PortalClient.connect("127.0.0.1", shared.port())) {
      assertEquals(1, client.set(utf8("one-mebibyte"), ByteString.copyFrom(value)));
      assertArrayEquals(value, client.get("one-mebibyte").orElseThrow().value().toByteArray());
    }
  }

  @Test
  void helloReportsTheServerVersionAndNode() {
    try (PortalClient client = PortalClient.connect("127.0.0.1", shared.port())) {
      HelloResponse hello = client.hello("e2e");
      assertEquals("0.1.0-SNAPSHOT", hello.getServerVersion());
      assertEquals("127.0.0.1:" + shared.port(), hello.getNodeId());
    }
  }

  @Test
  void aClientThatNeverReadsIsHeldBackThenCutOffWhileOthersAreServed() throws Exception {
    try (TestServer server = new TestServer("""
        portal.connection.outbound-hard-limit = 1MiB
        portal.connection.outbound-soft-limit = 512KiB
        portal.connection.outbound-soft-duration = 2s
        """);
        PortalClient good = PortalClient.connect("127.0.0.1", server.port());
        RawConnection reader = new RawConnection(server.port(), 4096)) {
      good.set(utf8("big"), ByteString.copyFrom(new byte[256 * 1024]));
      long peak = 0;
      try {
        for (int i = 0; i < 400; i++) { // 100 MiB of responses asked for, none read
          reader.send(GetRequest.newBuilder().setRequestId(i + 1).setKey(utf8("big")).build());
          peak = Math.max(peak, server.server.clientMemory().total());
        }
        for (int i = 0; i < 100 && server.server.metrics().closedOutboundSoft() == 0; i++) {
          peak = Math.max(peak, server.server.clientMemory().total());
          Thread.sleep(50);
        }
      } catch (java.net.SocketException reset) {
        // the server reset the connection before this loop saw the counter: the expected outcome
      }
      // the server stopped reading it at the soft limit: never near the 100 MiB asked for, nor the hard limit
      assertTrue(peak > 512 * 1024 && peak < 1024 * 1024, "peak bytes held " + peak);
      await("connections closed for not reading", () -> server.server.metrics().closedOutboundSoft(), 1,
          Duration.ofSeconds(10));
      assertEquals(0, server.server.metrics().closedOutboundHard());
      assertEquals(utf8("alive"), good.ping(utf8("alive")));
      assertEquals(256 * 1024, good.get("big").orElseThrow().value().size());
      await("live connections", () -> server.server.metrics().live(), 1, Duration.ofSeconds(5));
    }
  }

  @Test
  void aReadingClientPipeliningLargeGetsIsSlowedNotReset() throws Exception {
    try (TestServer server = new TestServer("");
        PortalClient writer = PortalClient.connect("127.0.0.1", server.port());
        RawConnection reader = new RawConnection(server.port())) {
      byte[] value = new byte[1 << 20];
      new java.util.Random(7).nextBytes(value);
      writer.set(utf8("mib"), ByteString.copyFrom(value));
      for (int i = 1; i <= 64; i++) { // 64 MiB of answers, twice the hard limit, asked for at once
        reader.send(GetRequest.newBuilder().setRequestId(i).setKey(utf8("mib")).build());
      }
      for (int i = 1; i <= 64; i++) {
        GetResponse response = (GetResponse) reader.read();
        assertEquals(i, response.getRequestId());
        assertEquals(ByteString.copyFrom(value), response.getValue());
      }
      assertEquals(0, server.server.metrics().closedOutboundHard());
      assertEquals(0, server.server.metrics().closedOutboundSoft());
      await("bytes held once all is read", () -> server.server.clientMemory().total(), 0, Duration.ofSeconds(5));
    }
  }

  @Test
  void aFrameLeftUnfinishedIsAnErrorAfterTheFrameTimeout() throws Exception {
    try (TestServer server = new TestServer("portal.protocol.frame-timeout = 1s");
        RawConnection trickler = new RawConnection(server.port())) {
      trickler.sendHeader(MessageType.SET_REQUEST_VALUE, 1000);
      trickler.out.write(new byte[10]);
      trickler.out.flush();
      assertError(trickler.read(), 0, ErrorCode.MALFORMED_FRAME,
          "frame not received whole within 1000 ms: 10 of 1000 payload bytes received");
      assertTrue(trickler.closedByServer());
      assertEquals(1, server.server.metrics().closedFrameTimeout());
      await("bytes held", () -> server.server.clientMemory().total(), 0, Duration.ofSeconds(5));
    }
  }

  @Test
  void overTheServersBudgetTheLargestConsumerIsClosed() throws Exception {
    try (TestServer server = new TestServer("""
        portal.memory.clients-budget = 12MiB
        portal.memory.clients-pause-percent = 100
        portal.connection.outbound-soft-limit = 16MiB
        """);
        PortalClient good = PortalClient.connect("127.0.0.1", server.port());
        RawConnection big = new RawConnection(server.port(), 4096);
        RawConnection small = new RawConnection(server.port(), 4096)) {
      good.set(utf8("mib"), ByteString.copyFrom(new byte[1 << 20]));
      good.set(utf8("kib"), ByteString.copyFrom(new byte[100 << 10]));
      for (int i = 1; i <= 60; i++) {
        small.send(GetRequest.newBuilder().setRequestId(i).setKey(utf8("kib")).build()); // 6 MiB, never read
      }
      // what the kernel's socket buffers do not take stays held for it
      await("the small reader holds bytes", () -> server.server.clientMemory().total() > 1 << 20 ? 1 : 0, 1,
          Duration.ofSeconds(5));
      for (int i = 1; i <= 24; i++) {
        big.send(GetRequest.newBuilder().setRequestId(i).setKey(utf8("mib")).build()); // 24 MiB, never read
      }
      await("connections closed over the budget", () -> server.server.metrics().closedOverBudget(), 1,
          Duration.ofSeconds(10));
      assertTrue(big.drainsToClose(), "the largest consumer is the one closed");
      assertEquals(utf8("alive"), good.ping(utf8("alive")));
      long total = server.server.clientMemory().total();
      assertTrue(total < 12 << 20, "back under the budget: " + total);
      assertEquals(1, server.server.metrics().closedOverBudget(), "the small reader was not closed");
      assertEquals(2, server.server.metrics().live(), "the good client and the small reader are still connected");
    }
  }

  @Test
  void connectionsOverTheLimitAreRefusedUntilASlotFrees() throws Exception {
    try (TestServer server = new TestServer("portal.server.max-connections = 3")) {
      List<PortalClient> clients = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        PortalClient client = PortalClient.connect("127.0.0.1", server.port());
        client.ping(ByteString.EMPTY);
        clients.add(client);
      }
      try (RawConnection fourth = new RawConnection(server.port())) {
        assertError(fourth.read(), 0, ErrorCode.TOO_MANY_CONNECTIONS, "too many connections: 3 open, limit 3");
        assertTrue(fourth.closedByServer());
      }
      assertEquals(1, server.server.metrics().rejectedTooMany());
      clients.remove(0).close();
      await("live connections", () -> server.server.metrics().live(), 2, Duration.ofSeconds(5));
      try (PortalClient again = PortalClient.connect("127.0.0.1", server.port())) {
        assertEquals(utf8("in"), again.ping(utf8("in")));
      }
      clients.forEach(PortalClient::close);
    }
  }

  @Test
  void idleConnectionsAreClosedButBusyOnesAreNot() throws Exception {
    try (TestServer server = new TestServer("portal.server.idle-timeout = 400ms");
        PortalClient busy = PortalClient.connect("127.0.0.1", server.port())) {
      try (RawConnection idle = new RawConnection(server.port())) {
        for (int i = 0; i < 10; i++) {
          busy.ping(ByteString.EMPTY);
          Thread.sleep(100);
        }
        long start = System.nanoTime();
        assertTrue(idle.closedByServer());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos());
      }
      assertEquals(1, server.server.metrics().closedIdle());
      assertEquals(utf8("busy"), busy.ping(utf8("busy")), "1 s of pings kept this one open");
    }
  }

  @Test
  void aThousandConnectionsLeaveNothingBehind() throws Exception {
    try (TestServer server = new TestServer("")) {
      for (int i = 0; i < 1000; i++) {
        try (RawConnection raw = new RawConnection(server.port())) {
          switch (i % 4) {
            case 0 -> {
              raw.send(PingRequest.newBuilder().setRequestId(i).build());
              assertEquals(i, assertInstanceOf(PingResponse.class, raw.read()).getRequestId());
            }
            case 1 -> raw.out.write(new byte[] {0, 0, 0, 1, 0, 0}); // half a header
            case 2 -> raw.send(GetRequest.newBuilder().setRequestId(i).setKey(utf8("k" + i)).build()); // unread
            default -> {
              // connect and go
            }
          }
        }
      }
      await("live connections", () -> server.server.metrics().live(), 0, Duration.ofSeconds(20));
      await("accepted connections", () -> server.server.metrics().accepted(), 1000, Duration.ofSeconds(5));
    }
  }

  @Test
  void shutdownAnswersAPrefixOfThePipelineAndFailsTheRestCleanly() throws Exception {
    TestServer server = new TestServer("");
    try (PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      List<CompletableFuture<Long>> sets = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        sets.add(client.setAsync(utf8("drain"), utf8("v" + i)));
      }
      sets.get(0).join(); // the server is reading the pipeline (closing before it read a byte would answer nothing)
      server.close();
      int answered = 0;
      boolean failed = false;
      for (CompletableFuture<Long> set : sets) {
        try {
          long version = set.join();
          assertFalse(failed, "an answer after a failure would break the order");
          answered++;
          assertEquals(answered, version);
        } catch (CompletionException e) {
          failed = true;
          assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(PortalException.class, e.getCause()).code());
        }
      }
      assertTrue(answered > 0, "requests read before the drain are answered");
    }
    PortalException refused = assertThrows(PortalException.class,
        () -> PortalClient.connect("127.0.0.1", server.port()).ping(ByteString.EMPTY));
    assertEquals(ErrorCode.UNAVAILABLE, refused.code());
  }

  @Test
  void healthChecksReportReadyAndAlive() throws Exception {
    int managementPort;
    try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
      managementPort = free.getLocalPort();
    }
    try (TestServer server = new TestServer("portal.management.enabled = on\n"
        + "pekko.management.http.port = " + managementPort);
        PortalClient client = PortalClient.connect("127.0.0.1", server.port())) {
      assertEquals(200, status(managementPort, "/ready"));
      assertEquals(200, status(managementPort, "/alive"));
      assertEquals(utf8("x"), client.ping(utf8("x")));
    }
    assertEquals(-1, status(managementPort, "/ready"), "gone with the server");
  }

  private static int status(int port, String path) {
    try {
      java.net.HttpURLConnection http = (java.net.HttpURLConnection) java.net.URI.create(
          "http://127.0.0.1:" + port + path).toURL().openConnection();
      http.setConnectTimeout(2000);
      http.setReadTimeout(5000);
      return http.getResponseCode();
    } catch (IOException e) {
      return -1;
    }
  }
}
