package io.portal.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One selector thread serving many {@link NioConnection}s: reads whatever is ready, lets each connection decode it
 * (callbacks run here), then flushes in one write per connection everything those callbacks sent, so a pipelined
 * connection answers a batch of responses with a batch of requests. A daemon thread; the loops are shared by every
 * client in the JVM (like Netty's event-loop group), {@code portal.client.io-threads} of them (default: one per two
 * cores, at least one).
 */
final class EventLoop implements Runnable {
  private static final EventLoop[] SHARED = start(Integer.getInteger("portal.client.io-threads",
      Math.max(1, Runtime.getRuntime().availableProcessors() / 2)));
  private static final AtomicInteger NEXT = new AtomicInteger();

  private final Selector selector;
  private final Thread thread;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  /** Connections written to by callbacks on this thread, flushed at the end of the iteration; loop thread only. */
  private final List<NioConnection<?>> toFlush = new ArrayList<>();

  private EventLoop(int index) {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open a selector", e);
    }
    thread = new Thread(this, "portal-client-io-" + index);
    thread.setDaemon(true);
  }

  private static EventLoop[] start(int count) {
    EventLoop[] loops = new EventLoop[Math.max(1, count)];
    for (int i = 0; i < loops.length; i++) {
      loops[i] = new EventLoop(i);
      loops[i].thread.start();
    }
    return loops;
  }

  /** The shared loops in turn. */
  static EventLoop next() {
    return SHARED[Math.floorMod(NEXT.getAndIncrement(), SHARED.length)];
  }

  boolean inLoop() {
    return Thread.currentThread() == thread;
  }

  /** Runs {@code task} on the loop thread (at once if already there). */
  void execute(Runnable task) {
    if (inLoop()) {
      task.run();
    } else {
      tasks.add(task);
      selector.wakeup();
    }
  }

  /** Registers a connected non-blocking channel of {@code connection}; call from the loop thread. */
  SelectionKey register(NioConnection<?> connection) throws ClosedChannelException {
    return connection.channel().register(selector, SelectionKey.OP_READ, connection);
  }

  /** Flushes {@code connection} at the end of this iteration; loop thread only. */
  void flushLater(NioConnection<?> connection) {
    toFlush.add(connection);
  }

  private static void report(Throwable e) {
    Thread current = Thread.currentThread();
    current.getUncaughtExceptionHandler().uncaughtException(current, e);
  }

  @Override
  public void run() {
    while (true) {
      try {
        selector.select();
      } catch (IOException e) {
        continue; // the selector itself failed this once; the connections are untouched
      }
      Runnable task;
      while ((task = tasks.poll()) != null) {
        try {
          task.run();
        } catch (RuntimeException | Error e) {
          report(e); // the loop serves every connection of the JVM: one failure must not stop it
        }
      }
      for (SelectionKey key : selector.selectedKeys()) {
        NioConnection<?> connection = (NioConnection<?>) key.attachment();
        try {
          if (key.isValid() && key.isWritable()) {
            connection.onWritable();
          }
          if (key.isValid() && key.isReadable()) {
            connection.onReadable();
          }
        } catch (RuntimeException | Error e) {
          report(e);
          connection.close(new java.io.IOException("the client failed while handling this connection: " + e, e));
        }
      }
      selector.selectedKeys().clear();
      for (int i = 0; i < toFlush.size(); i++) {
        toFlush.get(i).flushScheduled();
      }
      toFlush.clear();
    }
  }
}
