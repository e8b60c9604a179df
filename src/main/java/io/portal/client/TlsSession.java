package io.portal.client;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS over a non-blocking socket of a {@link NioConnection}: the handshake at connect (bounded by the connect
 * timeout), then plaintext in and out through the engine. Reads run on the loop thread; writes under the connection's
 * lock, from any thread (an {@link SSLEngine} takes a wrap and an unwrap at once).
 */
final class TlsSession {
  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SSLEngine engine;
  /** Bytes read from the socket and not yet unwrapped, in write mode; loop thread (and the handshake) only. */
  private ByteBuffer netIn;
  /** Bytes wrapped and not yet written, in write mode; under the connection's lock. */
  private ByteBuffer netOut;
  /** Plaintext unwrapped and not yet handed over, in write mode; loop thread only. */
  private ByteBuffer appIn;
  /** netIn holds no whole record and the socket had nothing more: wait for the socket. */
  private boolean starved;
  /** The engine asked for a wrap while unwrapping (a key update, a close): the next write does it. */
  private volatile boolean needsWrap;

  private TlsSession(SSLEngine engine) {
    this.engine = engine;
    int packet = engine.getSession().getPacketBufferSize();
    netIn = ByteBuffer.allocate(packet);
    netOut = ByteBuffer.allocate(packet);
    appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
  }

  /**
   * Runs the client side of the handshake on the non-blocking {@code channel}, checking that the server's certificate
   * is trusted and names {@code host}.
   *
   * @throws SSLException           the handshake failed (an untrusted or expired certificate, a peer that does not
   *                                speak TLS)
   * @throws SocketTimeoutException it did not finish before {@code deadlineNanos}
   */
  static TlsSession handshake(SocketChannel channel, SSLContext context, String host, int port, long deadlineNanos)
      throws IOException {
    SSLEngine engine = context.createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters parameters = engine.getSSLParameters();
    parameters.setEndpointIdentificationAlgorithm("HTTPS");
    engine.setSSLParameters(parameters);
    TlsSession session = new TlsSession(engine);
    try (Selector selector = Selector.open()) {
      SelectionKey key = channel.register(selector, 0);
      session.shake(channel, key, deadlineNanos);
      key.cancel();
      selector.selectNow(); // deregisters, so the channel can join the event loop's selector
    }
    return session;
  }

  private void shake(SocketChannel channel, SelectionKey key, long deadlineNanos) throws IOException {
    engine.beginHandshake();
    while (true) {
      switch (engine.getHandshakeStatus()) {
        case NEED_TASK -> runTasks();
        case NEED_WRAP -> {
          SSLEngineResult result = engine.wrap(EMPTY, netOut);
          if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
            netOut = grow(netOut, engine.getSession().getPacketBufferSize());
          }
          flushAll(channel, key, deadlineNanos);
          if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("the server closed the TLS session during the handshake");
          }
        }
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          SSLEngineResult result;
          netIn.flip();
          try {
            result = engine.unwrap(netIn, appIn);
          } catch (SSLException e) {
            sendAlert(channel); // tell the server why, as far as the socket takes it now
            throw e;
          } finally {
            netIn.compact();
          }
          switch (result.getStatus()) {
            case BUFFER_UNDERFLOW -> {
              if (!netIn.hasRemaining()) {
                netIn = grow(netIn, engine.getSession().getPacketBufferSize());
              }
              await(key, SelectionKey.OP_READ, deadlineNanos);
              if (channel.read(netIn) < 0) {
                throw new EOFException("the server closed the connection during the TLS handshake");
              }
            }
            case BUFFER_OVERFLOW -> appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
            case CLOSED -> throw new SSLException("the server closed the TLS session during the handshake");
            case OK -> {
              // go on with whatever the engine needs next
            }
          }
        }
        case FINISHED, NOT_HANDSHAKING -> {
          flushAll(channel, key, deadlineNanos);
          return;
        }
      }
    }
  }

  /** Writes the alert the engine queued after a failure, without waiting. */
  private void sendAlert(SocketChannel channel) {
    try {
      engine.closeOutbound();
      engine.wrap(EMPTY, netOut);
      netOut.flip();
      channel.write(netOut);
    } catch (IOException ignored) {
      // the failure being reported matters more
    }
  }

  private void flushAll(SocketChannel channel, SelectionKey key, long deadlineNanos) throws IOException {
    netOut.flip();
    try {
      while (netOut.hasRemaining()) {
        if (channel.write(netOut) == 0) {
          await(key, SelectionKey.OP_WRITE, deadlineNanos);
        }
      }
    } finally {
      netOut.compact();
    }
  }

  private static void await(SelectionKey key, int ops, long deadlineNanos) throws IOException {
    key.interestOps(ops);
    long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    if (left <= 0 || key.selector().select(left) == 0) {
      throw new SocketTimeoutException("the TLS handshake did not finish within the connect timeout");
    }
    key.selector().selectedKeys().clear();
  }

  /**
   * Moves plaintext into {@code app} (write mode): what is left from before, then what the socket has. Returns the
   * bytes added, or -1 once the server closed the connection or the session and nothing was added.
   */
  int read(SocketChannel channel, ByteBuffer app) throws IOException {
    int delivered = drain(app);
    while (appIn.position() == 0) {
      netIn.flip();
      SSLEngineResult result;
      try {
        result = engine.unwrap(netIn, appIn);
      } finally {
        netIn.compact();
      }
      if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
        runTasks();
      }
      if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
        needsWrap = true;
      }
      switch (result.getStatus()) {
        case OK -> delivered += drain(app);
        case BUFFER_OVERFLOW -> appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
        case BUFFER_UNDERFLOW -> {
          if (!netIn.hasRemaining()) {
            netIn = grow(netIn, engine.getSession().getPacketBufferSize());
          }
          int read = channel.read(netIn);
          starved = read == 0;
          if (read < 0) {
            return delivered > 0 ? delivered : -1;
          }
          if (read == 0) {
            return delivered;
          }
        }
        case CLOSED -> {
          return delivered > 0 ? delivered : -1;
        }
      }
    }
    return delivered + drain(app);
  }

  /** Plaintext or whole records are waiting that the socket's readiness would not announce. */
  boolean buffered() {
    return appIn.position() > 0 || (netIn.position() > 0 && !starved);
  }

  /** The engine has something to send of its own (see {@link #write}). */
  boolean needsWrap() {
    return needsWrap;
  }

  /**
   * Encrypts {@code app} (read mode) and writes what the socket takes; returns true once everything, including
   * what was wrapped before, is written. Call under the connection's lock.
   */
  boolean write(SocketChannel channel, ByteBuffer app) throws IOException {
    while (true) {
      if (netOut.position() > 0) {
        netOut.flip();
        channel.write(netOut);
        netOut.compact();
        if (netOut.position() > 0) {
          return false;
        }
      }
      if (!app.hasRemaining() && !needsWrap) {
        return true;
      }
      needsWrap = false;
      SSLEngineResult result = engine.wrap(app, netOut);
      if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw new SSLException("the TLS session is closed");
      }
      if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        netOut = grow(netOut, engine.getSession().getPacketBufferSize());
      }
      if (result.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
        runTasks();
      }
    }
  }

  private int drain(ByteBuffer app) {
    appIn.flip();
    int moved = Math.min(appIn.remaining(), app.remaining());
    ByteBuffer slice = appIn.slice(appIn.position(), moved);
    app.put(slice);
    appIn.position(appIn.position() + moved);
    appIn.compact();
    return moved;
  }

  private void runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
  }

  private static ByteBuffer grow(ByteBuffer buffer, int atLeastMore) {
    ByteBuffer bigger = ByteBuffer.allocate(buffer.capacity() + atLeastMore);
    buffer.flip();
    bigger.put(buffer);
    return bigger;
  }
}
