package io.portal.connection;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters for the connection layer, one instance per server, shared by its connection actors. Every field may be
 * read from any thread; values only grow except {@link #live()}.
 */
public final class ConnectionMetrics {
  final AtomicLong live = new AtomicLong();
  final AtomicLong accepted = new AtomicLong();
  final AtomicLong rejectedTooMany = new AtomicLong();
  final AtomicLong closedOutboundHard = new AtomicLong();
  final AtomicLong closedOutboundSoft = new AtomicLong();
  final AtomicLong closedIdle = new AtomicLong();
  final AtomicLong closedOverBudget = new AtomicLong();
  final AtomicLong closedFrameTimeout = new AtomicLong();
  final AtomicLong frameErrors = new AtomicLong();
  final AtomicLong requests = new AtomicLong();
  final AtomicLong watchesOpened = new AtomicLong();
  final AtomicLong watchesClosed = new AtomicLong();
  final AtomicLong watchesTooSlow = new AtomicLong();
  final AtomicLong watchesCompacted = new AtomicLong();

  /** Watches open now, on every connection. */
  public long watchesOpen() {
    return watchesOpened.get() - watchesClosed.get();
  }

  /** Watches the server cancelled because their client did not take its events. */
  public long watchesTooSlow() {
    return watchesTooSlow.get();
  }

  /** Watches ended because the history they needed was gone. */
  public long watchesCompacted() {
    return watchesCompacted.get();
  }

  /** Connections open right now. */
  public long live() {
    return live.get();
  }

  /** Connections accepted since start (rejected ones not included). */
  public long accepted() {
    return accepted.get();
  }

  /** Connections refused with TOO_MANY_CONNECTIONS. */
  public long rejectedTooMany() {
    return rejectedTooMany.get();
  }

  /** Connections closed because the bytes held for them exceeded the outbound hard limit. */
  public long closedOutboundHard() {
    return closedOutboundHard.get();
  }

  /** Connections closed because the bytes held for them stayed over the soft limit for too long. */
  public long closedOutboundSoft() {
    return closedOutboundSoft.get();
  }

  /** Connections closed by the idle timer. */
  public long closedIdle() {
    return closedIdle.get();
  }

  /** Connections closed because all clients together held more than the server's budget and they held the most. */
  public long closedOverBudget() {
    return closedOverBudget.get();
  }

  /** Connections closed because a frame stayed unfinished longer than the frame timeout. */
  public long closedFrameTimeout() {
    return closedFrameTimeout.get();
  }

  /** Frames answered with a framing error (malformed, too large, unknown type). */
  public long frameErrors() {
    return frameErrors.get();
  }

  /** Requests handled, errors included. */
  public long requests() {
    return requests.get();
  }

  @Override
  public String toString() {
    return "live=" + live() + " accepted=" + accepted() + " rejectedTooMany=" + rejectedTooMany()
        + " closedOutboundHard=" + closedOutboundHard() + " closedOutboundSoft=" + closedOutboundSoft()
        + " closedIdle=" + closedIdle() + " closedOverBudget=" + closedOverBudget()
        + " closedFrameTimeout=" + closedFrameTimeout() + " frameErrors=" + frameErrors() + " requests=" + requests()
        + " watchesTooSlow=" + watchesTooSlow() + " watchesCompacted=" + watchesCompacted();
  }
}
