package io.portal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The transport over real sockets on loopback: 16 MiB in each direction arrive whole and in order through a client
 * that starts reading late and through a flow slower than its client (so that writes wait for the socket and
 * reading stops and starts again: the backpressure both ways), a client's half-close reaches the flow, a failing
 * handler closes only its socket, and unbind frees the port.
 */
class TcpTransportTest {
  private static final int CHUNK = 8 * 1024;
  private static final int CHUNKS = 2048; // 16 MiB: far more than loopback's socket buffers hold
  private static ActorTestKit testKit;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Byte {@code i} of a stream: a pattern with no period that divides the chunk size, so a moved chunk shows. */
  private static byte patternAt(long i) {
    return (byte) (i % 251);
  }

  private static ByteString chunk(int n) {
    byte[] bytes = new byte[CHUNK];
    for (int i = 0; i < CHUNK; i++) {
      bytes[i] = patternAt((long) n * CHUNK + i);
    }
    return ByteString.fromArrayUnsafe(bytes);
  }

  private static TcpTransport.Binding bind(Flow<ByteString, ByteString, NotUsed> flow) throws Exception {
    return bind(remote -> CompletableFuture.completedFuture(flow));
  }

  private static TcpTransport.Binding bind(
      Function<InetSocketAddress, CompletionStage<Flow<ByteString, ByteString, NotUsed>>> handler) throws Exception {
    return TcpTransport.bind(testKit.system(), "127.0.0.1", 0, 16, null, handler)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void sixteenMebibytesReachAClientThatStartsReadingLateWholeAndInOrder() throws Exception {
    TcpTransport.Binding binding = bind(Flow.fromSinkAndSourceCoupled(Sink.ignore(),
        Source.range(0, CHUNKS - 1).map(TcpTransportTest::chunk)));
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(binding.localAddress());
      socket.setSoTimeout(20_000);
      Thread.sleep(500); // the server fills both socket buffers and has writes refused meanwhile
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[3000];
      long offset = 0;
      for (int read; (read = in.read(buffer)) >= 0; ) {
        for (int i = 0; i < read; i++) {
          if (buffer[i] != patternAt(offset + i)) {
            throw new AssertionError("byte " + (offset + i) + " is " + buffer[i] + ", expected "
                + patternAt(offset + i));
          }
        }
        offset += read;
      }
      assertEquals((long) CHUNKS * CHUNK, offset, "bytes before the server closed");
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void sixteenMebibytesReachASlowFlowWholeAndInOrderAndTheClientsHalfCloseEndsIt() throws Exception {
    // the flow checks every byte against the pattern at its own pace, and answers with what it saw once the
    // client has finished sending (its half-close completes the flow's input)
    Flow<ByteString, ByteString, NotUsed> checker = Flow.<ByteString>create()
        .mapAsync(1, data -> slowly(data))
        .fold(new long[] {0, -1}, (seen, data) -> {
          for (int i = 0; i < data.size(); i++) {
            if (seen[1] < 0 && data.apply(i) != patternAt(seen[0] + i)) {
              seen[1] = seen[0] + i;
            }
          }
          seen[0] += data.size();
          return seen;
        })
        .map(seen -> ByteString.fromString("bytes " + seen[0] + " first-wrong " + seen[1] + "\n"));
    TcpTransport.Binding binding = bind(checker);
    try (Socket socket = new Socket()) {
      socket.connect(binding.localAddress());
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      for (int n = 0; n < CHUNKS; n++) {
        out.write(chunk(n).toArray());
      }
      socket.shutdownOutput();
      String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      assertEquals("bytes " + (long) CHUNKS * CHUNK + " first-wrong -1\n", answer);
    } finally {
      binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Every element waits 1 ms (on the actor system's scheduler): slower than the client writes, so reading is
   * suspended again and again.
   */
  private static CompletionStage<ByteString> slowly(ByteString data) {
    return Patterns.after(Duration.ofMillis(1), testKit.system(), () -> CompletableFuture.completedFuture(data));
  }

  @Test
  void aFailingHandlerClosesOnlyItsSocketAndUnbindFreesThePort() throws Exception {
    boolean[] failNext = {true};
    TcpTransport.Binding binding = bind(remote -> {
      if (failNext[0]) {
        failNext[0] = false;
        return CompletableFuture.failedFuture(new IllegalStateException("setup refused in the test"));
      }
      return CompletableFuture.completedFuture(Flow.<ByteString>create().map(data -> data)); // echo
    });
    try (Socket refused = new Socket()) {
      refused.connect(binding.localAddress());
      refused.setSoTimeout(10_000);
      assertThrowsOrEof(refused.getInputStream());
    }
    try (Socket echo = new Socket()) {
      echo.connect(binding.localAddress());
      echo.setSoTimeout(10_000);
      echo.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      assertEquals("ping", new String(echo.getInputStream().readNBytes(4), StandardCharsets.US_ASCII));
    }
    InetSocketAddress address = binding.localAddress();
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThrows(ConnectException.class, () -> {
      try (Socket late = new Socket()) {
        late.connect(address, (int) Duration.ofSeconds(5).toMillis());
      }
    });
  }

  /** A socket the server aborted: the read ends (-1) or fails with a reset. */
  private static void assertThrowsOrEof(InputStream in) {
    try {
      assertEquals(-1, in.read(), "an aborted socket has nothing to read");
    } catch (IOException reset) {
      // connection reset: the abort arrived as RST
    }
  }
}
