package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * A range scan over the key space, in {@link KeyOrder}: every partition returns its first keys of the range
 * ({@link Part}), at most {@code limit} of them and about {@code maxBytes}, and {@link #merge} takes the first of their
 * union up to the point where a partition that was cut short may have more. A page therefore never skips a key nor
 * repeats one: the next page starts after the last key of this one ({@link Page#continuation}).
 */
public final class Scan {
  private Scan() {
  }

  /**
   * Keys {@code from} (inclusive) up to {@code end} (exclusive; empty: no end), at most {@code limit} and about
   * {@code maxBytes} of keys and values per page (always at least one key); {@code keysOnly}: values left empty.
   */
  public record Query(ByteString from, ByteString end, int limit, long maxBytes, boolean keysOnly) {
    public Query {
      if (limit < 1 || maxBytes < 1) {
        throw new IllegalArgumentException("limit " + limit + " and maxBytes " + maxBytes + " must be positive");
      }
    }

    /** True when a page (or a partition's part) of {@code count} items and {@code bytes} has no room for the next. */
    boolean full(int count, long bytes, long nextBytes) {
      return count == limit || (count > 0 && bytes + nextBytes > maxBytes);
    }

    boolean beforeEnd(ByteString key) {
      return end.isEmpty() || KeyOrder.compare(key, end) < 0;
    }

    /** The same range after {@code key}, for the next page. */
    public Query after(ByteString key) {
      return new Query(key.concat(ByteString.copyFrom(new byte[] {0})), end, limit, maxBytes, keysOnly);
    }

    /** The share of the page's bytes one of {@code partitions} partitions returns. */
    Query forPartitionOf(int partitions) {
      return new Query(from, end, limit, Math.max(1, maxBytes / partitions), keysOnly);
    }
  }

  /** A key with its value, version and expiry time. */
  public record Item(ByteString key, Versioned entry) {
    long bytes() {
      return key.size() + entry.value().size();
    }
  }

  /** What one partition returned, in key order; {@code more}: it has keys of the range after the last one. */
  public record Part(List<Item> items, boolean more) {
  }

  /**
   * One page: keys in order; {@code more}: the range may hold keys after {@code continuation}, the last key of this
   * page, from which the next page starts.
   */
  public record Page(List<Item> items, boolean more, ByteString continuation) {
  }

  /** The first keys of {@code parts} together, up to where a part cut short may have more, within the query's limits. */
  public static Page merge(List<Part> parts, Query query) {
    ByteString cutoff = null; // the smallest last key among the parts that have more
    boolean partsHaveMore = false;
    PriorityQueue<Item> queue = new PriorityQueue<>((a, b) -> KeyOrder.compare(a.key(), b.key()));
    for (Part part : parts) {
      queue.addAll(part.items());
      if (part.more()) {
        partsHaveMore = true;
        ByteString last = part.items().get(part.items().size() - 1).key();
        if (cutoff == null || KeyOrder.compare(last, cutoff) < 0) {
          cutoff = last;
        }
      }
    }
    List<Item> page = new ArrayList<>();
    long bytes = 0;
    boolean cut = false;
    while (!queue.isEmpty()) {
      Item next = queue.peek();
      if (cutoff != null && KeyOrder.compare(next.key(), cutoff) > 0) {
        break;
      }
      if (query.full(page.size(), bytes, next.bytes())) {
        cut = true;
        break;
      }
      page.add(queue.poll());
      bytes += next.bytes();
    }
    boolean more = partsHaveMore || cut;
    ByteString continuation = more && !page.isEmpty() ? page.get(page.size() - 1).key() : ByteString.EMPTY;
    return new Page(page, more, continuation);
  }
}
