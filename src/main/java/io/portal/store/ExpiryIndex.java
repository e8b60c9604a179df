package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * The keys of a partition that have an expiry time, in the order they expire. Kept over the partition's projected
 * state: every change that sets or clears an expiry passes through {@link #changed}. Not thread-safe: one actor's.
 */
final class ExpiryIndex {
  /** A key and its expiry time. */
  record Due(long atMillis, ByteString key) {
  }

  private static final Comparator<Due> ORDER = Comparator.comparingLong(Due::atMillis)
      .thenComparing(Due::key, ByteString.unsignedLexicographicalComparator());

  private final TreeSet<Due> index = new TreeSet<>(ORDER);

  /** Indexes every entry of {@code state} that has an expiry time. */
  void addAll(PartitionState state) {
    state.forEachExpiry((key, atMillis) -> index.add(new Due(atMillis, key)));
  }

  /** {@code key} went from expiring at {@code before} to expiring at {@code after} (0: never, or absent). */
  void changed(ByteString key, long before, long after) {
    if (before != 0) {
      index.remove(new Due(before, key));
    }
    if (after != 0) {
      index.add(new Due(after, key));
    }
  }

  /** Takes out up to {@code max} keys due at {@code nowMillis}, earliest first. */
  List<Due> takeDue(long nowMillis, int max) {
    List<Due> due = new ArrayList<>();
    while (!index.isEmpty() && index.first().atMillis() <= nowMillis && due.size() < max) {
      due.add(index.pollFirst());
    }
    return due;
  }

  /** The earliest expiry time, or {@code Long.MAX_VALUE} when no key expires. */
  long earliest() {
    return index.isEmpty() ? Long.MAX_VALUE : index.first().atMillis();
  }

  int size() {
    return index.size();
  }
}
