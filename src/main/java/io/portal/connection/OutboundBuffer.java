package io.portal.connection;

import java.util.ArrayDeque;
import org.apache.pekko.util.ByteString;

/**
 * Encoded responses on their way to one client's socket: a queue, and at most one batch handed to the outbound
 * stream and not yet taken by it. Responses are coalesced into batches of up to a byte size (a larger single response
 * goes alone). Not thread-safe: owned by one connection actor.
 */
final class OutboundBuffer {
  private final ArrayDeque<ByteString> queue = new ArrayDeque<>();
  private long queuedBytes;
  /** Size of the batch handed to the stream and not yet taken; 0 when none. */
  private long inStreamBytes;
  private boolean batchInStream;

  void add(ByteString response) {
    queue.addLast(response);
    queuedBytes += response.size();
  }

  /**
   * The next batch for the stream, up to {@code maxBytes} (or one larger response), or null when a batch is still
   * in the stream or nothing is queued. The batch counts as held until {@link #taken()}.
   */
  ByteString nextBatch(int maxBytes) {
    if (batchInStream || queue.isEmpty()) {
      return null;
    }
    ByteString batch = queue.pollFirst();
    while (!queue.isEmpty() && batch.size() + queue.peekFirst().size() <= maxBytes) {
      batch = batch.concat(queue.pollFirst());
    }
    queuedBytes -= batch.size();
    inStreamBytes = batch.size();
    batchInStream = true;
    return batch;
  }

  /** The stream took the batch; returns its size, now no longer held (0 when no batch was in the stream). */
  long taken() {
    long bytes = inStreamBytes;
    batchInStream = false;
    inStreamBytes = 0;
    return bytes;
  }

  /** Bytes queued plus the batch in the stream. */
  long held() {
    return queuedBytes + inStreamBytes;
  }

  /** True when nothing is queued and no batch is in the stream. */
  boolean isIdle() {
    return queue.isEmpty() && !batchInStream;
  }

  /** Drops everything (the connection is aborted). */
  void clear() {
    queue.clear();
    queuedBytes = 0;
    inStreamBytes = 0;
    batchInStream = false;
  }
}
