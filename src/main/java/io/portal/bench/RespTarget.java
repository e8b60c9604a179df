package io.portal.bench;

import com.google.protobuf.ByteString;
import io.portal.client.NioConnection;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * A minimal Redis (RESP2) connection for the load generator: SET, GET and DEL, pipelined, replies matched in order,
 * on the same event loop as the Portal client, so both systems are driven alike. Not a Redis client for anything
 * else.
 */
final class RespTarget extends NioConnection<Object> implements Target {
  private static final byte[] CRLF = {'\r', '\n'};

  RespTarget(String host, int port) throws IOException {
    super(new InetSocketAddress(host, port), 5000);
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
    close(new IOException("closed"));
  }

  private CompletableFuture<?> send(String name, ByteString... args) {
    ByteArrayOutputStream command = new ByteArrayOutputStream(256);
    header(command, '*', 1 + args.length);
    bulk(command, name.getBytes(StandardCharsets.US_ASCII));
    for (ByteString arg : args) {
      bulk(command, arg.toByteArray());
    }
    return request(command.toByteArray());
  }

  private static void header(ByteArrayOutputStream command, char type, int n) {
    command.write(type);
    command.writeBytes(Integer.toString(n).getBytes(StandardCharsets.US_ASCII));
    command.writeBytes(CRLF);
  }

  private static void bulk(ByteArrayOutputStream command, byte[] bytes) {
    header(command, '$', bytes.length);
    command.writeBytes(bytes);
    command.writeBytes(CRLF);
  }

  @Override
  protected int onRead(ByteBuffer in) throws IOException {
    while (true) {
      int start = in.position();
      Object reply = readReply(in);
      if (reply == null) {
        in.position(start);
        return in.remaining() + 1; // a reply longer than the buffer grows it
      }
      CompletableFuture<Object> next = nextUnanswered();
      if (next == null) {
        throw new IOException("unsolicited reply " + reply);
      }
      if (reply instanceof RespError error) {
        next.completeExceptionally(new PortalException(ErrorCode.INTERNAL, "redis: " + error.message()));
      } else {
        next.complete(reply);
      }
    }
  }

  private record RespError(String message) {
  }

  /** One reply, or null if {@code in} does not hold all of it yet. */
  private static Object readReply(ByteBuffer in) throws IOException {
    if (!in.hasRemaining()) {
      return null;
    }
    int type = in.get();
    String line = readLine(in);
    if (line == null) {
      return null;
    }
    return switch (type) {
      case '+' -> line;
      case '-' -> new RespError(line);
      case ':' -> Long.parseLong(line);
      case '$' -> {
        int length = Integer.parseInt(line);
        if (length < 0) {
          yield ByteString.EMPTY;
        }
        if (in.remaining() < length + 2) {
          yield null;
        }
        ByteString data = ByteString.copyFrom(in.slice(in.position(), length));
        in.position(in.position() + length + 2);
        yield data;
      }
      default -> throw new IOException("unexpected RESP type " + (char) type);
    };
  }

  private static String readLine(ByteBuffer in) {
    StringBuilder line = new StringBuilder();
    while (in.hasRemaining()) {
      byte c = in.get();
      if (c == '\r') {
        if (!in.hasRemaining()) {
          return null;
        }
        in.get(); // '\n'
        return line.toString();
      }
      line.append((char) c);
    }
    return null;
  }

  @Override
  protected Throwable failureFor(IOException cause) {
    return unavailable(cause);
  }

  private static PortalException unavailable(IOException cause) {
    return new PortalException(ErrorCode.UNAVAILABLE, "redis connection: " + cause.getMessage());
  }
}
