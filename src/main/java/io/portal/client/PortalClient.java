package io.portal.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.portal.codec.Messages;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.HelloResponse;
import io.portal.protocol.v1.PingRequest;
import io.portal.protocol.v1.PingResponse;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongFunction;

/**
 * A connection to one Portal server. Requests may be sent from any thread and pipelined without limit by the client
 * (the server bounds what it reads); responses arrive in request order, and a reader thread completes each
 * request's future. Every request fails after the request timeout with a {@link PortalException} of code TIMEOUT;
 * its late response, if any, is discarded. When the connection breaks, every unanswered request fails with
 * UNAVAILABLE and later calls fail at once.
 *
 * <p>The blocking methods ({@link #set}, {@link #get}, ...) wait for the future and throw its
 * {@link PortalException}.
 */
public final class PortalClient implements AutoCloseable {
  /** Client settings. */
  public record Options(Duration connectTimeout, Duration requestTimeout, int maxPayloadBytes) {
    public static Options defaults() {
      return new Options(Duration.ofSeconds(5), Duration.ofSeconds(10), 64 * 1024 * 1024);
    }

    public Options withRequestTimeout(Duration timeout) {
      return new Options(connectTimeout, timeout, maxPayloadBytes);
    }
  }

  private record Pending(long requestId, CompletableFuture<MessageLite> future) {
  }

  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final Options options;
  private final String peer;
  private final Object lock = new Object();
  /** Requests sent and not yet answered, oldest first; guarded by {@link #lock}. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private long nextRequestId = 1;
  private PortalException closedBecause;

  private PortalClient(Socket socket, Options options) throws IOException {
    this.socket = socket;
    this.options = options;
    this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
    Thread reader = new Thread(this::readLoop, "portal-client-reader-" + peer);
    reader.setDaemon(true);
    reader.start();
  }

  /** Connects with default options. */
  public static PortalClient connect(String host, int port) {
    return connect(host, port, Options.defaults());
  }

  /** Connects; throws {@link PortalException} UNAVAILABLE when the server cannot be reached. */
  public static PortalClient connect(String host, int port, Options options) {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(host, port), (int) options.connectTimeout().toMillis());
      return new PortalClient(socket, options);
    } catch (IOException e) {
      closeQuietly(socket);
      throw new PortalException(ErrorCode.UNAVAILABLE, "cannot connect to " + host + ":" + port + ": " + e, e);
    }
  }

  public CompletableFuture<ByteString> pingAsync(ByteString payload) {
    return send(id -> PingRequest.newBuilder().setRequestId(id).setPayload(payload).build(), PingResponse.class)
        .thenApply(PingResponse::getPayload);
  }

  public CompletableFuture<HelloResponse> helloAsync(String clientId) {
    return send(id -> HelloRequest.newBuilder().setRequestId(id).setClientId(clientId).build(), HelloResponse.class);
  }

  /** Completes with the key's new version. */
  public CompletableFuture<Long> setAsync(ByteString key, ByteString value) {
    return send(id -> SetRequest.newBuilder().setRequestId(id).setKey(key).setValue(value).build(),
        SetResponse.class).thenApply(SetResponse::getVersion);
  }

  /** Completes with the entry, or empty when the key does not exist. */
  public CompletableFuture<Optional<Entry>> getAsync(ByteString key) {
    return send(id -> GetRequest.newBuilder().setRequestId(id).setKey(key).build(), GetResponse.class)
        .thenApply(r -> r.getFound() ? Optional.of(new Entry(r.getValue(), r.getVersion())) : Optional.empty());
  }

  /** Completes with true when the key existed. */
  public CompletableFuture<Boolean> deleteAsync(ByteString key) {
    return send(id -> DeleteRequest.newBuilder().setRequestId(id).setKey(key).build(), DeleteResponse.class)
        .thenApply(DeleteResponse::getDeleted);
  }

  public ByteString ping(ByteString payload) {
    return await(pingAsync(payload));
  }

  public HelloResponse hello(String clientId) {
    return await(helloAsync(clientId));
  }

  public long set(ByteString key, ByteString value) {
    return await(setAsync(key, value));
  }

  public long set(String key, String value) {
    return set(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value));
  }

  public Optional<Entry> get(ByteString key) {
    return await(getAsync(key));
  }

  public Optional<Entry> get(String key) {
    return get(ByteString.copyFromUtf8(key));
  }

  public boolean delete(ByteString key) {
    return await(deleteAsync(key));
  }

  public boolean delete(String key) {
    return delete(ByteString.copyFromUtf8(key));
  }

  /** Requests sent and not yet answered (timed-out ones included until their response or the close). */
  public int pendingCount() {
    synchronized (lock) {
      return pending.size();
    }
  }

  /** Closes the socket; unanswered requests fail with UNAVAILABLE. */
  @Override
  public void close() {
    fail(new PortalException(ErrorCode.UNAVAILABLE, "client closed"));
  }

  private <R extends MessageLite> CompletableFuture<R> send(LongFunction<MessageLite> request, Class<R> expected) {
    CompletableFuture<MessageLite> future = new CompletableFuture<>();
    synchronized (lock) {
      if (closedBecause != null) {
        return CompletableFuture.failedFuture(closedBecause);
      }
      long id = nextRequestId++;
      MessageLite message = request.apply(id);
      try {
        out.write(Messages.frameOf(message));
        out.flush();
      } catch (IOException e) {
        PortalException failure = new PortalException(ErrorCode.UNAVAILABLE, "write to " + peer + " failed: " + e, e);
        failLocked(failure);
        return CompletableFuture.failedFuture(failure);
      }
      pending.addLast(new Pending(id, future));
    }
    long timeoutMillis = options.requestTimeout().toMillis();
    return future.orTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
        .handle((response, failure) -> {
          if (failure == null) {
            if (response instanceof ErrorResponse error) {
              throw new PortalException(error.getCode(), error.getMessage());
            }
            if (!expected.isInstance(response)) {
              throw new PortalException(ErrorCode.INTERNAL, "expected " + expected.getSimpleName() + " but got "
                  + response.getClass().getSimpleName());
            }
            return expected.cast(response);
          }
          Throwable cause = failure instanceof CompletionException && failure.getCause() != null
              ? failure.getCause() : failure;
          if (cause instanceof TimeoutException) {
            throw new PortalException(ErrorCode.TIMEOUT, "no response from " + peer + " within " + timeoutMillis
                + " ms");
          }
          throw cause instanceof PortalException p ? p : new CompletionException(cause);
        });
  }

  private void readLoop() {
    try {
      while (true) {
        int type = in.readInt();
        int length = in.readInt();
        if (length < 0 || length > options.maxPayloadBytes()) {
          throw new IOException("response frame length " + length + " is outside 0.." + options.maxPayloadBytes());
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        Pending next;
        synchronized (lock) {
          next = pending.pollFirst();
        }
        if (next == null) {
          // e.g. the error frame of a refused connection, sent before any request
          MessageLite unsolicited = parse(type, payload);
          String what = unsolicited instanceof ErrorResponse e ? e.getCode() + ": " + e.getMessage()
              : "type " + type;
          throw new IOException("unsolicited frame from server: " + what);
        }
        next.future().complete(parse(type, payload));
      }
    } catch (EOFException e) {
      fail(new PortalException(ErrorCode.UNAVAILABLE, "connection to " + peer + " closed by the server"));
    } catch (IOException e) {
      fail(new PortalException(ErrorCode.UNAVAILABLE, "connection to " + peer + " lost: " + e.getMessage(), e));
    }
  }

  private static MessageLite parse(int type, byte[] payload) throws IOException {
    if (!Messages.isResponseType(type)) {
      throw new IOException("unexpected frame type " + type + " from server");
    }
    try {
      return Messages.parseResponse(type, ByteBuffer.wrap(payload));
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("response of type " + type + " does not parse: " + e.getMessage(), e);
    }
  }

  private void fail(PortalException failure) {
    synchronized (lock) {
      failLocked(failure);
    }
  }

  private void failLocked(PortalException failure) {
    if (closedBecause == null) {
      closedBecause = failure;
    }
    closeQuietly(socket);
    Pending p;
    while ((p = pending.pollFirst()) != null) {
      p.future().completeExceptionally(closedBecause);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof PortalException p) {
        throw p;
      }
      throw e;
    }
  }
}
