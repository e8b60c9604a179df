package io.portal.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.portal.codec.Messages;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * One TCP connection of a {@link PortalClient}: writes request frames, and a reader thread matches each response
 * frame to the oldest unanswered request (the server answers in order). Dies on the first I/O error, failing every
 * unanswered request with UNAVAILABLE; the client then opens another.
 */
final class ClientConnection {
  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;
  private final int maxPayloadBytes;
  private final String peer;
  private final Object lock = new Object();
  /** Requests sent and not yet answered, oldest first; guarded by {@link #lock}. */
  private final ArrayDeque<CompletableFuture<MessageLite>> pending = new ArrayDeque<>();
  private PortalException closedBecause;

  private ClientConnection(Socket socket, int maxPayloadBytes) throws IOException {
    this.socket = socket;
    this.maxPayloadBytes = maxPayloadBytes;
    this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 64 * 1024));
    Thread reader = new Thread(this::readLoop, "portal-client-reader-" + peer);
    reader.setDaemon(true);
    reader.start();
  }

  static ClientConnection open(InetSocketAddress address, PortalClient.Options options) {
    Socket socket = new Socket();
    String target = address.getHostString() + ":" + address.getPort();
    try {
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(address.getHostString(), address.getPort()),
          (int) options.connectTimeout().toMillis());
      return new ClientConnection(socket, options.maxPayloadBytes());
    } catch (IOException e) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // nothing to release
      }
      throw new PortalException(ErrorCode.UNAVAILABLE, "cannot connect to " + target + ": " + e, e);
    }
  }

  boolean isOpen() {
    synchronized (lock) {
      return closedBecause == null;
    }
  }

  int pendingCount() {
    synchronized (lock) {
      return pending.size();
    }
  }

  /** Writes {@code request}; the future completes with its response frame's message (possibly an error). */
  CompletableFuture<MessageLite> send(MessageLite request) {
    CompletableFuture<MessageLite> future = new CompletableFuture<>();
    synchronized (lock) {
      if (closedBecause != null) {
        return CompletableFuture.failedFuture(closedBecause);
      }
      try {
        out.write(Messages.frameOf(request));
        out.flush();
      } catch (IOException e) {
        failLocked(new PortalException(ErrorCode.UNAVAILABLE, "write to " + peer + " failed: " + e, e));
        return CompletableFuture.failedFuture(closedBecause);
      }
      pending.addLast(future);
    }
    return future;
  }

  void close(PortalException reason) {
    synchronized (lock) {
      failLocked(reason);
    }
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

  private void readLoop() {
    try {
      while (true) {
        int type = in.readInt();
        int length = in.readInt();
        if (length < 0 || length > maxPayloadBytes) {
          throw new IOException("response frame length " + length + " is outside 0.." + maxPayloadBytes);
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        MessageLite message = parse(type, payload);
        CompletableFuture<MessageLite> next;
        synchronized (lock) {
          next = pending.pollFirst();
        }
        if (next == null) {
          // e.g. the error frame of a refused connection, sent before any request
          String what = message instanceof ErrorResponse e ? e.getCode() + ": " + e.getMessage() : "type " + type;
          throw new IOException("unsolicited frame from server: " + what);
        }
        next.complete(message);
      }
    } catch (EOFException e) {
      close(new PortalException(ErrorCode.UNAVAILABLE, "connection to " + peer + " closed by the server"));
    } catch (IOException e) {
      close(new PortalException(ErrorCode.UNAVAILABLE, "connection to " + peer + " lost: " + e.getMessage(), e));
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

  private void failLocked(PortalException reason) {
    if (closedBecause == null) {
      closedBecause = reason;
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    CompletableFuture<MessageLite> p;
    while ((p = pending.pollFirst()) != null) {
      p.completeExceptionally(closedBecause);
    }
  }
}
