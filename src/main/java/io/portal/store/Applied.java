package io.portal.store;

import java.util.List;

/**
 * The event a partition persists: all changes of one group commit, in the order they were decided.
 *
 * @param timestampMillis when the batch was formed; ages the de-duplication records
 */
public record Applied(long timestampMillis, List<Change> changes) {
  public Applied {
    changes = List.copyOf(changes);
  }

  /** The sum of its changes' {@link Change#bytes}. */
  public long bytes() {
    long bytes = 0;
    for (Change change : changes) {
      bytes += change.bytes();
    }
    return bytes;
  }
}
