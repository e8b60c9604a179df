package io.portal.client;

import io.portal.protocol.v1.Event;
import io.portal.protocol.v1.WatchCanceled;
import java.util.List;

/**
 * Where a watch's events go. Called on the client's event-loop thread, one call at a time per connection: it must
 * not block (hand slow work to an executor of your own).
 */
public interface WatchListener {
  /** Changes, in order per partition (so per key in version order). */
  void onEvents(List<Event> events);

  /**
   * The watch ended: the server cancelled it (COMPACTED, WATCH_TOO_SLOW), or its connection was lost (UNAVAILABLE);
   * {@code resume_after} has the positions to watch again from.
   */
  void onCanceled(WatchCanceled canceled);
}
