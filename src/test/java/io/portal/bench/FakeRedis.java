package io.portal.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * A stand-in for redis-server in tests of the load generator's RESP target: SET, GET and DEL over a map, on
 * 127.0.0.1 and a free port, a thread per connection, every command and connection counted.
 *
 * <p>Two knobs make the generator's pipelining visible from the server side: replies are held until
 * {@code batch} commands of a connection are waiting (so a client that keeps fewer than {@code batch} in flight
 * never gets an answer), and each batch of replies is sent {@code delayMillis} late. {@code failSets} answers every
 * SET with a RESP error.
 */
final class FakeRedis implements AutoCloseable {
  final Map<String, byte[]> data = new ConcurrentHashMap<>();
  final LongAdder sets = new LongAdder();
  final LongAdder gets = new LongAdder();
  final LongAdder dels = new LongAdder();
  final AtomicInteger accepted = new AtomicInteger();
  private final int batch;
  private final long delayMillis;
  private final boolean failSets;
  private final ServerSocket listener;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  FakeRedis(int batch, long delayMillis, boolean failSets) throws IOException {
    this.batch = batch;
    this.delayMillis = delayMillis;
    this.failSets = failSets;
    this.listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "fake-redis-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  FakeRedis() throws IOException {
    this(1, 0, false);
  }

  int port() {
    return listener.getLocalPort();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        accepted.incrementAndGet();
        sockets.add(socket);
        Thread serve = new Thread(() -> serve(socket), "fake-redis-conn");
        serve.setDaemon(true);
        serve.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      ByteArrayOutputStream replies = new ByteArrayOutputStream();
      int waiting = 0;
      while (true) {
        replies.writeBytes(answer(readCommand(in)));
        if (++waiting == batch) {
          if (delayMillis > 0) {
            Thread.sleep(delayMillis);
          }
          out.write(replies.toByteArray());
          out.flush();
          replies.reset();
          waiting = 0;
        }
      }
    } catch (IOException | InterruptedException closed) {
      // the client went away, or close()
    }
  }

  private byte[] answer(List<byte[]> command) {
    String name = new String(command.get(0), StandardCharsets.US_ASCII);
    String key = new String(command.get(1), StandardCharsets.US_ASCII);
    String reply = switch (name) {
      case "SET" -> {
        sets.increment();
        if (failSets) {
          yield "-ERR fake refuses SET\r\n";
        }
        data.put(key, command.get(2));
        yield "+OK\r\n";
      }
      case "GET" -> {
        gets.increment();
        byte[] value = data.get(key);
        yield value == null ? "$-1\r\n" : "$" + value.length + "\r\n" + new String(value, StandardCharsets.ISO_8859_1)
            + "\r\n";
      }
      case "DEL" -> {
        dels.increment();
        yield ":" + (data.remove(key) == null ? 0 : 1) + "\r\n";
      }
      default -> "-ERR unknown command '" + name + "'\r\n";
    };
    return reply.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** One RESP array of bulk strings: {@code *N\r\n} then N times {@code $len\r\n<bytes>\r\n}. */
  private static List<byte[]> readCommand(InputStream in) throws IOException {
    int count = Integer.parseInt(readLine(in, '*'));
    List<byte[]> parts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int length = Integer.parseInt(readLine(in, '$'));
      byte[] bytes = in.readNBytes(length);
      if (bytes.length < length || in.read() != '\r' || in.read() != '\n') {
        throw new EOFException("truncated bulk string");
      }
      parts.add(bytes);
    }
    return parts;
  }

  private static String readLine(InputStream in, char type) throws IOException {
    int first = in.read();
    if (first != type) {
      throw new IOException("expected '" + type + "', got " + first);
    }
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != '\r'; c = in.read()) {
      if (c < 0) {
        throw new EOFException();
      }
      line.append((char) c);
    }
    in.read(); // '\n'
    return line.toString();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
