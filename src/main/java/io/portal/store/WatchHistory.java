package io.portal.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A partition's latest changes, by revision, for watchers that start from an earlier revision: at most
 * {@code maxChanges} of them and {@code maxBytes} of heap (keys, values and {@link #ENTRY_OVERHEAD} each), the
 * oldest forgotten first. It covers the
 * revisions after {@link #start()}. Held in memory only: after a restart or a move it starts at the recovered
 * revision. Not thread-safe: one partition actor's.
 */
final class WatchHistory {
  private record Entry(long revision, Change change) {
  }

  /** Heap an entry takes beyond its key and value: the objects that hold them (measured: about 130 bytes). */
  static final long ENTRY_OVERHEAD = 160;

  private final int maxChanges;
  private final long maxBytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;
  private long start;

  WatchHistory(int maxChanges, long maxBytes, long start) {
    this.maxChanges = maxChanges;
    this.maxBytes = maxBytes;
    this.start = start;
  }

  /** The revision after which the history is complete. */
  long start() {
    return start;
  }

  void add(long revision, Change change) {
    entries.addLast(new Entry(revision, change));
    bytes += heapOf(change);
    while (!entries.isEmpty() && (entries.size() > maxChanges || bytes > maxBytes)) {
      Entry oldest = entries.pollFirst();
      bytes -= heapOf(oldest.change());
      start = oldest.revision();
    }
  }

  private static long heapOf(Change change) {
    return change.bytes() - Change.bytesOf(0, 0) + ENTRY_OVERHEAD;
  }

  /**
   * The revision of the latest change in the history that gave {@code key} {@code version}; -1 when there is none.
   */
  long revisionOf(com.google.protobuf.ByteString key, long version) {
    for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); ) {
      Entry entry = it.next();
      if (entry.change() instanceof Change.Put put && put.key().equals(key) && put.version() == version) {
        return entry.revision();
      }
    }
    return -1;
  }

  /** The events after {@code revision} that {@code spec} matches, oldest first; {@code revision} >= {@link #start}. */
  List<Watch.Event> after(long revision, Watch.Spec spec, int partition) {
    List<Watch.Event> events = new ArrayList<>();
    for (Iterator<Entry> it = entries.descendingIterator(); it.hasNext(); ) {
      Entry entry = it.next();
      if (entry.revision() <= revision) {
        break;
      }
      Watch.Event event = spec.matches(entry.change().key())
          ? Watch.Event.of(entry.change(), partition, entry.revision()) : null;
      if (event != null) {
        events.add(event);
      }
    }
    java.util.Collections.reverse(events);
    return events;
  }
}
