package io.portal.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.portal.Causes;
import io.portal.codec.Messages;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.protocol.v1.WatchCanceled;
import io.portal.protocol.v1.WatchEvent;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * One TCP connection of a {@link PortalClient}, on a shared event loop: writes request frames, and matches each
 * response frame to the oldest unanswered request (the server answers in order); response callbacks run on the
 * loop thread. Dies on the first I/O error, failing every unanswered request with UNAVAILABLE; the client then
 * opens another.
 */
final class ClientConnection extends NioConnection<MessageLite> {
  private static final int HEADER_BYTES = 8;
  private final int maxPayloadBytes;
  private final boolean tls;
  /** A frame has come back on this connection (loop thread only). */
  private boolean answered;
  /** The open watches on this connection, by id: where their pushed frames go. */
  private final java.util.Map<Long, Pushed> watches = new java.util.concurrent.ConcurrentHashMap<>();

  /** Where the frames the server pushes for one watch go. */
  interface Pushed {
    void event(WatchEvent event);

    void canceled(WatchCanceled canceled);
  }

  private ClientConnection(InetSocketAddress address, PortalClient.Options options) throws IOException {
    super(address, (int) options.connectTimeout().toMillis(), options.tls());
    this.tls = options.tls() != null;
    this.maxPayloadBytes = options.maxPayloadBytes();
  }

  static ClientConnection open(InetSocketAddress address, PortalClient.Options options) {
    try {
      return new ClientConnection(address, options);
    } catch (SSLException e) {
      throw tlsFailure(address.getHostString() + ":" + address.getPort(), e);
    } catch (IOException e) {
      throw new PortalException(ErrorCode.UNAVAILABLE,
          "cannot connect to " + address.getHostString() + ":" + address.getPort() + ": " + e, e);
    }
  }

  /**
   * A failed TLS handshake, which trying again would not mend: a peer that does not speak TLS is MALFORMED_FRAME, a
   * certificate refused (by either side) is UNAUTHENTICATED; neither is retried.
   */
  static PortalException tlsFailure(String peer, SSLException e) {
    String reason = rootMessage(e);
    if (reason.contains("Unsupported or unrecognized SSL message") || reason.contains("plaintext")) {
      return new PortalException(ErrorCode.MALFORMED_FRAME, "the server at " + peer + " does not speak TLS (" + reason
          + "); is TLS off there (portal.server.tls.enabled)?", e);
    }
    return new PortalException(ErrorCode.UNAUTHENTICATED, "TLS with " + peer + " failed: " + reason
        + (reason.contains("PKIX") || reason.contains("certification path")
        ? " (the server's certificate is not signed by a CA this client trusts: pass that CA with --cacert)" : ""), e);
  }

  /** {@code e}'s message, and its innermost cause's when that says more. */
  private static String rootMessage(Throwable e) {
    String message = String.valueOf(e.getMessage());
    String root = Causes.rootMessage(e);
    return message.contains(root) ? message : message + ": " + root;
  }


  /** Routes the events pushed for watch {@code id} to {@code listener} until it ends. */
  void addWatch(long id, Pushed listener) {
    watches.put(id, listener);
  }

  /** Stops routing watch {@code id}'s events; the listener it had, or null. */
  Pushed removeWatch(long id) {
    return watches.remove(id);
  }

  /** The connection is gone: every open watch ends, UNAVAILABLE, with the positions it reached. */
  @Override
  protected void onClosed(Throwable reason) {
    if (watches == null) {
      return; // closed while NioConnection's constructor ran, before this class's fields were set
    }
    for (java.util.Map.Entry<Long, Pushed> entry : watches.entrySet()) {
      if (watches.remove(entry.getKey()) != null) {
        entry.getValue().canceled(WatchCanceled.newBuilder().setWatchId(entry.getKey())
            .setCode(ErrorCode.UNAVAILABLE).setReason("the connection was lost: " + reason.getMessage()
                + "; watch again with the positions reached").build());
      }
    }
  }

  /** Writes {@code request}; the future completes with its response frame's message (possibly an error). */
  CompletableFuture<MessageLite> send(MessageLite request) {
    return request(Messages.frameOf(request));
  }

  /** Closes the connection; unanswered requests fail with {@code reason}. */
  void close(PortalException reason) {
    close(new IOException(reason.getMessage()), reason);
  }

  /** Maps a response or failure to the caller's result type, or throws the {@link PortalException}. */
  static <R extends MessageLite> R interpret(MessageLite reply, Throwable failure, Class<R> expected,
      long timeoutMillis) {
    if (failure == null) {
      if (reply instanceof ErrorResponse error) {
        throw new PortalException(error.getCode(), error.getMessage());
      }
      if (!expected.isInstance(reply)) {
        throw new PortalException(ErrorCode.INTERNAL, "expected " + expected.getSimpleName() + " but got "
            + reply.getClass().getSimpleName());
      }
      return expected.cast(reply);
    }
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (cause instanceof TimeoutException) {
      throw new PortalException(ErrorCode.TIMEOUT, "no response within " + timeoutMillis + " ms");
    }
    throw cause instanceof PortalException p ? p : new CompletionException(cause);
  }

  @Override
  protected int onRead(ByteBuffer in) throws IOException {
    while (in.remaining() >= HEADER_BYTES) {
      int type = in.getInt(in.position());
      int length = in.getInt(in.position() + 4);
      if (length < 0 || length > maxPayloadBytes) {
        throw new NotPortalException(describe(in, length));
      }
      if (in.remaining() < HEADER_BYTES + length) {
        return HEADER_BYTES + length;
      }
      ByteBuffer payload = in.slice(in.position() + HEADER_BYTES, length);
      in.position(in.position() + HEADER_BYTES + length);
      MessageLite message = parse(type, payload);
      answered = true;
      if (message instanceof WatchEvent event) {
        Pushed listener = watches.get(event.getWatchId());
        if (listener != null) {
          listener.event(event);
        }
        continue;
      }
      if (message instanceof WatchCanceled canceled) {
        Pushed listener = watches.remove(canceled.getWatchId());
        if (listener != null) {
          listener.canceled(canceled);
        }
        continue;
      }
      CompletableFuture<MessageLite> next = nextUnanswered();
      if (next == null) {
        // e.g. the error frame of a refused connection, sent before any request
        String what = message instanceof ErrorResponse e ? e.getCode() + ": " + e.getMessage() : "type " + type;
        throw new IOException("unsolicited frame from server: " + what);
      }
      next.complete(message);
    }
    return 0;
  }

  /** What the peer sent instead of a frame: its first line when it is text (an HTTP server, say), else the length. */
  private String describe(ByteBuffer in, int length) {
    int end = Math.min(in.limit(), in.position() + 80);
    StringBuilder text = new StringBuilder();
    for (int i = in.position(); i < end; i++) {
      int b = in.get(i) & 0xff;
      if (b == '\r' || b == '\n') {
        break;
      }
      if (b < 0x20 || b > 0x7e) {
        return "a response frame length of " + length + ", outside 0.." + maxPayloadBytes;
      }
      text.append((char) b);
    }
    return "it answered '" + text + "'";
  }

  /** The peer is not a Portal server: nothing to retry. */
  static final class NotPortalException extends IOException {
    private static final long serialVersionUID = 1L;

    NotPortalException(String message) {
      super(message);
    }
  }

  @Override
  protected Throwable failureFor(IOException cause) {
    if (cause instanceof NotPortalException) {
      return new PortalException(ErrorCode.MALFORMED_FRAME, "the server at " + peer() + " does not speak Portal's "
          + "protocol: " + cause.getMessage() + " (is this its management port?)");
    }
    if (cause instanceof SSLException tls) {
      return tlsFailure(peer(), tls);
    }
    return cause instanceof EOFException
        ? new PortalException(ErrorCode.UNAVAILABLE, "connection to " + peer() + " closed by the server"
            + (answered || tls ? "" : " before any answer (if its client port uses TLS, connect with --tls)"))
        : new PortalException(ErrorCode.UNAVAILABLE, "connection to " + peer() + " lost: " + cause.getMessage(), cause);
  }

  private static MessageLite parse(int type, ByteBuffer payload) throws IOException {
    if (!Messages.isResponseType(type)) {
      throw new IOException("unexpected frame type " + type + " from server");
    }
    try {
      return Messages.parseResponse(type, payload);
    } catch (InvalidProtocolBufferException e) {
      throw new IOException("response of type " + type + " does not parse: " + e.getMessage(), e);
    }
  }
}
