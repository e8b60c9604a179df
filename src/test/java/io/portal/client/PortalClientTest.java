package io.portal.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.ErrorCode;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The client against a fake server that reads and never answers, then hangs up. */
class PortalClientTest {

  @Test
  void requestsTimeOutThenFailUnavailableWhenTheConnectionDrops() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
        try {
          Socket socket = listener.accept();
          InputStream in = socket.getInputStream();
          in.readNBytes(8); // take a little, answer nothing
          return socket;
        } catch (Exception e) {
          throw new CompletionException(e);
        }
      });
      PortalClient.Options options = PortalClient.Options.defaults().withoutSession()
          .withRequestTimeout(Duration.ofMillis(300));
      try (PortalClient client = PortalClient.connect("127.0.0.1", listener.getLocalPort(), options)) {
        PortalException timeout = assertThrows(PortalException.class, () -> client.ping(ByteString.EMPTY));
        assertEquals(ErrorCode.TIMEOUT, timeout.code());
        assertTrue(timeout.getMessage().contains("within 300 ms"), timeout.getMessage());
        assertEquals(1, client.pendingCount(), "the timed-out request keeps its place in the response order");

        CompletableFuture<Long> waiting = client.setAsync(ByteString.copyFromUtf8("k"), ByteString.EMPTY);
        listener.close(); // nothing to reconnect to
        accepted.get().close();
        CompletionException failure = assertThrows(CompletionException.class, waiting::join);
        assertEquals(ErrorCode.UNAVAILABLE, assertInstanceOf(PortalException.class, failure.getCause()).code());
        PortalException later = assertThrows(PortalException.class, () -> client.get("k"));
        assertEquals(ErrorCode.UNAVAILABLE, later.code());
        assertTrue(later.getMessage().contains("cannot connect to 127.0.0.1:"), later.getMessage());
      }
    }
  }

  @Test
  void connectingToNothingIsUnavailable() throws Exception {
    int port;
    try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = listener.getLocalPort();
    }
    PortalException e = assertThrows(PortalException.class, () -> PortalClient.connect("127.0.0.1", port));
    assertEquals(ErrorCode.UNAVAILABLE, e.code());
    assertTrue(e.getMessage().contains("cannot connect to 127.0.0.1:" + port), e.getMessage());
  }
}
