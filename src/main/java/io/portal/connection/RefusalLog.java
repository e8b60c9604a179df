package io.portal.connection;

import io.portal.protocol.v1.ErrorCode;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs requests refused for want of authentication or permission, at WARN, at most one line a second for the whole
 * server (a client repeating a refused request must not flood the log); the line says how many were not logged
 * since the last one.
 */
final class RefusalLog {
  private static final Logger LOG = LoggerFactory.getLogger(RefusalLog.class);
  private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final AtomicLong lastNanos = new AtomicLong(System.nanoTime() - 2 * INTERVAL_NANOS);
  private final AtomicLong unlogged = new AtomicLong();

  void refused(String remote, ErrorCode code, String message) {
    long now = System.nanoTime();
    long last = lastNanos.get();
    if (now - last < INTERVAL_NANOS || !lastNanos.compareAndSet(last, now)) {
      unlogged.incrementAndGet();
      return;
    }
    long skipped = unlogged.getAndSet(0);
    LOG.warn("refused a request from {} with {}: {}{}", remote, code, message,
        skipped == 0 ? "" : " (and " + skipped + " more refusals since the last line)");
  }
}
