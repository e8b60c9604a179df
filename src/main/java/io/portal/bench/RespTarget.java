package io.portal.bench;

import com.google.protobuf.ByteString;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * A minimal Redis (RESP2) connection for the load generator: SET, GET and DEL, pipelined, replies matched in order
 * by a reader thread, the same way the Portal client works, so both systems are driven alike. Not a Redis client
 * for anything else.
 */
final class RespTarget implements Target {
  private static final byte[] CRLF = {'\r', '\n'};
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  private final ArrayDeque<CompletableFuture<Object>> pending = new ArrayDeque<>();
  private final Object lock = new Object();
  private IOException failed;

  RespTarget(String host, int port) throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), 5000);
    out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    Thread reader = new Thread(this::readLoop, "resp-reader");
    reader.setDaemon(true);
    reader.start();
  }

  @Override
  public CompletableFuture<?> set(ByteString key, ByteString value) {
    return send("SET", key, value);
  }

  @Override
  public CompletableFuture<?> get(ByteString key) {
    return send("GET", key);
  }

  @Override
  public CompletableFuture<?> delete(ByteString key) {
    return send("DEL", key);
  }

  @Override
  public void close() {
    fail(new IOException("closed"));
  }

  private CompletableFuture<?> send(String command, ByteString... args) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    synchronized (lock) {
      if (failed != null) {
        return CompletableFuture.failedFuture(unavailable(failed));
      }
      try {
        header('*', 1 + args.length);
        bulk(command.getBytes(StandardCharsets.US_ASCII));
        for (ByteString arg : args) {
          header('$', arg.size());
          arg.writeTo(out);
          out.write(CRLF);
        }
        out.flush();
        pending.addLast(reply);
      } catch (IOException e) {
        failLocked(e);
        return CompletableFuture.failedFuture(unavailable(e));
      }
    }
    return reply;
  }

  private void header(char type, int n) throws IOException {
    out.write(type);
    out.write(Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
    out.write(CRLF);
  }

  private void bulk(byte[] bytes) throws IOException {
    header('$', bytes.length);
    out.write(bytes);
    out.write(CRLF);
  }

  private void readLoop() {
    try {
      while (true) {
        Object reply = readReply();
        CompletableFuture<Object> next;
        synchronized (lock) {
          next = pending.pollFirst();
        }
        if (next == null) {
          throw new IOException("unsolicited reply " + reply);
        }
        if (reply instanceof RespError error) {
          next.completeExceptionally(new PortalException(ErrorCode.INTERNAL, "redis: " + error.message()));
        } else {
          next.complete(reply);
        }
      }
    } catch (IOException e) {
      fail(e);
    }
  }

  private record RespError(String message) {
  }

  private Object readReply() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new IOException("connection closed");
    }
    String line = readLine();
    return switch (type) {
      case '+' -> line;
      case '-' -> new RespError(line);
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int length = Integer.parseInt(line);
        if (length < 0) {
          yield ByteString.EMPTY;
        }
        byte[] data = in.readNBytes(length);
        in.readNBytes(2);
        yield ByteString.copyFrom(data);
      }
      default -> throw new IOException("unexpected RESP type " + (char) type);
    };
  }

  private String readLine() throws IOException {
    StringBuilder line = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      line.append((char) c);
    }
    in.read(); // '\n'
    return line.toString();
  }

  private void fail(IOException cause) {
    synchronized (lock) {
      failLocked(cause);
    }
  }

  private void failLocked(IOException cause) {
    if (failed == null) {
      failed = cause;
    }
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
    CompletableFuture<Object> p;
    while ((p = pending.pollFirst()) != null) {
      p.completeExceptionally(unavailable(failed));
    }
  }

  private static PortalException unavailable(IOException cause) {
    return new PortalException(ErrorCode.UNAVAILABLE, "redis connection: " + cause.getMessage());
  }
}
