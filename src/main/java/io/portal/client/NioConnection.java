package io.portal.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * A non-blocking TCP connection on a shared {@link EventLoop} for a protocol that answers requests in order. Any
 * thread may send a {@link #request} (its bytes are queued and written without blocking; a request sent from a
 * callback on the loop is flushed at the end of the loop's iteration, with the others of that iteration) and gets
 * a future for its reply; the loop hands what it reads to {@link #onRead}, which completes the oldest unanswered
 * request with each reply ({@link #nextUnanswered}). The first I/O error closes the connection and fails every
 * unanswered request. Subclasses speak a protocol: Portal's frames ({@code ClientConnection}) or RESP for the load
 * generator.
 *
 * @param <R> what a reply decodes to
 */
public abstract class NioConnection<R> {
  private static final int INITIAL_BUFFER = 64 * 1024;

  private final SocketChannel channel;
  /** TLS over the socket; null for plain TCP. */
  private final TlsSession tls;
  private final EventLoop loop;
  private final String peer;
  private final Object lock = new Object();
  /** Bytes queued for the socket, in write mode; guarded by {@link #lock}. */
  private ByteBuffer outbound = ByteBuffer.allocate(INITIAL_BUFFER);
  /** Bytes read and not yet decoded, in write mode; loop thread only. */
  private ByteBuffer inbound = ByteBuffer.allocate(INITIAL_BUFFER);
  private SelectionKey key;
  private boolean flushPending;
  /** Requests written and not yet answered, oldest first; guarded by {@link #lock}. */
  private final ArrayDeque<CompletableFuture<R>> unanswered = new ArrayDeque<>();
  /** What requests fail with once closed, null while open; guarded by {@link #lock}. */
  private Throwable failure;

  /** Connects (blocking, at most {@code connectTimeoutMillis}) and registers with a shared loop. */
  protected NioConnection(InetSocketAddress address, int connectTimeoutMillis) throws IOException {
    this(address, connectTimeoutMillis, null);
  }

  /**
   * Connects and, with {@code tls}, runs the TLS handshake (both within {@code connectTimeoutMillis}), then registers
   * with a shared loop.
   *
   * @throws javax.net.ssl.SSLException the handshake failed: the server's certificate is not trusted, has expired or
   *                                    does not name the host; or the server does not speak TLS
   */
  protected NioConnection(InetSocketAddress address, int connectTimeoutMillis, SSLContext tls) throws IOException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(connectTimeoutMillis);
    channel = SocketChannel.open();
    try {
      channel.socket().setTcpNoDelay(true);
      channel.socket().connect(new InetSocketAddress(address.getHostString(), address.getPort()),
          connectTimeoutMillis);
      channel.configureBlocking(false);
      this.tls = tls == null ? null
          : TlsSession.handshake(channel, tls, address.getHostString(), address.getPort(), deadline);
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    peer = address.getHostString() + ":" + address.getPort();
    loop = EventLoop.next();
    CompletableFuture<Void> registered = new CompletableFuture<>();
    loop.execute(() -> {
      try {
        synchronized (lock) {
          key = loop.register(this);
          if (outbound.position() > 0) {
            key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
          }
        }
        registered.complete(null);
      } catch (IOException e) {
        registered.completeExceptionally(e);
      }
    });
    try {
      registered.join();
    } catch (RuntimeException e) {
      channel.close();
      throw new IOException("cannot register the connection to " + peer + ": " + e.getMessage(), e);
    }
  }

  /** host:port of the other end. */
  public final String peer() {
    return peer;
  }

  /**
   * Decodes what was read: {@code in} is in read mode; consume every complete message and leave the rest. Return how
   * many bytes the next message needs in all (0 if unknown), so a larger one gets a large enough buffer. Runs on
   * the loop thread; throw to close the connection.
   */
  protected abstract int onRead(ByteBuffer in) throws IOException;

  /** What the unanswered requests fail with when the connection closes because of {@code cause}; not null. */
  protected abstract Throwable failureFor(IOException cause);

  /**
   * Sends one request; the future completes with its reply, or fails with {@link #failureFor} the cause if the
   * connection is or becomes closed first.
   */
  protected final CompletableFuture<R> request(byte[] bytes) {
    CompletableFuture<R> reply = new CompletableFuture<>();
    IOException writeFailure;
    synchronized (lock) {
      if (failure != null) {
        return CompletableFuture.failedFuture(failure);
      }
      if (outbound.remaining() < bytes.length) {
        outbound = grow(outbound, outbound.position() + bytes.length);
      }
      outbound.put(bytes);
      unanswered.addLast(reply);
      if (flushPending || key == null) {
        return reply;
      }
      if (loop.inLoop()) {
        flushPending = true;
        loop.flushLater(this);
        return reply;
      }
      writeFailure = flushLocked();
    }
    if (writeFailure != null) {
      close(writeFailure); // fails reply with the others
    }
    return reply;
  }

  /** The oldest unanswered request, for the reply just decoded; null if none is waiting. */
  protected final CompletableFuture<R> nextUnanswered() {
    synchronized (lock) {
      return unanswered.pollFirst();
    }
  }

  /** Requests sent and not yet answered. */
  public final int unansweredCount() {
    synchronized (lock) {
      return unanswered.size();
    }
  }

  /** True until the connection failed or was closed. */
  public final boolean isOpen() {
    synchronized (lock) {
      return failure == null;
    }
  }

  /** Closes the connection, unless already closed; unanswered requests fail with {@link #failureFor} the cause. */
  public final void close(IOException cause) {
    close(cause, null);
  }

  /** Like {@link #close(IOException)}, with the failure for the unanswered requests given (null: failureFor). */
  protected final void close(IOException cause, Throwable failWith) {
    List<CompletableFuture<R>> failed;
    Throwable reason;
    synchronized (lock) {
      if (failure != null) {
        return;
      }
      failure = failWith != null ? failWith : failureFor(cause);
      reason = failure;
      failed = new ArrayList<>(unanswered);
      unanswered.clear();
      if (key != null) {
        key.cancel();
      }
      try {
        channel.close();
      } catch (IOException ignored) {
        // nothing left to release
      }
    }
    failed.forEach(request -> request.completeExceptionally(reason));
    onClosed(reason);
  }

  /** Called once, after the connection closed and its unanswered requests failed with {@code reason}. */
  protected void onClosed(Throwable reason) {
  }

  final SocketChannel channel() {
    return channel;
  }

  final void flushScheduled() {
    IOException writeFailure = null;
    synchronized (lock) {
      flushPending = false;
      if (failure == null) {
        writeFailure = flushLocked();
      }
    }
    if (writeFailure != null) {
      close(writeFailure);
    }
  }

  final void onWritable() {
    flushScheduled();
  }

  final void onReadable() {
    try {
      while (true) {
        int read = tls == null ? channel.read(inbound) : tls.read(channel, inbound);
        if (read < 0) {
          throw new EOFException("closed by " + peer);
        }
        inbound.flip();
        int needed = onRead(inbound);
        inbound.compact();
        if (needed > inbound.capacity()) {
          inbound = grow(inbound, needed);
        }
        if (tls != null && tls.needsWrap()) {
          flushScheduled(); // the engine's own message (a key update, a close)
        }
        if ((read == 0 || inbound.hasRemaining()) && (tls == null || !tls.buffered())) {
          return; // drained the socket (a full buffer means there may be more)
        }
      }
    } catch (IOException e) {
      close(e);
    } catch (RuntimeException e) {
      // a reply the protocol could not make sense of: this connection is unusable, the loop and the others are not
      close(new IOException("cannot decode what " + peer + " sent: " + e, e));
    }
  }

  /** Writes what the socket takes now and asks for OP_WRITE if something is left; returns the failure, if any. */
  private IOException flushLocked() {
    try {
      outbound.flip();
      boolean left;
      if (tls == null) {
        channel.write(outbound);
        left = outbound.hasRemaining();
      } else {
        left = !tls.write(channel, outbound);
      }
      outbound.compact();
      int interest = left ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
      if (key.interestOps() != interest) {
        key.interestOps(interest);
        if (!loop.inLoop()) {
          key.selector().wakeup();
        }
      }
      return null;
    } catch (IOException e) {
      return e;
    }
  }

  private static ByteBuffer grow(ByteBuffer buffer, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, buffer.capacity() * 2));
    buffer.flip();
    bigger.put(buffer);
    return bigger;
  }
}
