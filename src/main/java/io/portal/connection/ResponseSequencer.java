package io.portal.connection;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.pekko.util.ByteString;

/**
 * Puts the responses of one connection back in request order. Requests get increasing sequence numbers; a response
 * that completes before an older one waits here until every older one has been released. Not thread-safe: owned by
 * one connection actor.
 */
final class ResponseSequencer {
  /** Sequence number the next request gets. */
  private long next;
  /** Sequence number of the oldest request not yet released. */
  private long head;
  /** Responses that completed before an older one, by sequence number. */
  private final Map<Long, ByteString> early = new HashMap<>();
  private long earlyBytes;

  /** A sequence number for a new request. */
  long register() {
    return next++;
  }

  /** Requests registered and not yet released: in flight, or answered and waiting for an older one. */
  long unreleased() {
    return next - head;
  }

  /** The oldest sequence number not yet released; every request below it has been released. */
  long head() {
    return head;
  }

  /** Bytes of responses waiting for an older one. */
  long earlyBytes() {
    return earlyBytes;
  }

  /**
   * Records the response of request {@code seq}; hands it, and every response that waited for it, to
   * {@code release} in request order.
   *
   * @throws IllegalArgumentException when {@code seq} was not registered or was already completed
   */
  void complete(long seq, ByteString response, Consumer<ByteString> release) {
    if (seq < head || seq >= next || early.containsKey(seq)) {
      throw new IllegalArgumentException("sequence number " + seq + " is not in flight (" + head + ".." + next + ")");
    }
    if (seq != head) {
      early.put(seq, response);
      earlyBytes += response.size();
      return;
    }
    release.accept(response);
    head++;
    ByteString waiting;
    while (!early.isEmpty() && (waiting = early.remove(head)) != null) {
      earlyBytes -= waiting.size();
      release.accept(waiting);
      head++;
    }
  }

  /** Forgets every response waiting (the connection is aborted). */
  void clear() {
    early.clear();
    earlyBytes = 0;
  }
}
