package io.portal.store;

/**
 * When a partition snapshots: once the bytes journaled since its last snapshot (replayed ones included) reach
 * {@code growthPercent} of its state's size, and at least {@code minBytes}. A snapshot then costs as much as the
 * journaling that preceded it, whatever the data size, so the cost per write stays flat as data grows (Redis's
 * {@code auto-aof-rewrite-percentage}); a restart reads at most about twice the state.
 *
 * <p>Each partition's threshold is scaled by between 3/4 and 1, in 16 steps by partition number: under an even load
 * all partitions grow alike, and with one threshold they would all snapshot in the same moment.
 */
public record SnapshotRule(int growthPercent, long minBytes) {

  /** The running count of one partition. Not thread-safe: used by its journal actor only. */
  public Tracker tracker(int partitionId) {
    return new Tracker(64 - partitionId % 16);
  }

  /** Bytes journaled since the last snapshot, against the threshold. */
  public final class Tracker {
    private final int sixtyFourths;
    private long journaled;

    private Tracker(int sixtyFourths) {
      this.sixtyFourths = sixtyFourths;
    }

    /** Counts an event of {@code bytes}. */
    public void journaled(long bytes) {
      journaled += bytes;
    }

    /** True, and the count starts again, when the state of {@code stateBytes} is due for a snapshot. */
    public boolean snapshotDue(long stateBytes) {
      if (journaled < threshold(stateBytes)) {
        return false;
      }
      journaled = 0;
      return true;
    }

    /**
     * True, and the count starts again, when anything was journaled since the last snapshot: a partition about to
     * stop snapshots it, whatever the threshold, so that its next start replays nothing.
     */
    public boolean checkpointDue() {
      if (journaled == 0) {
        return false;
      }
      journaled = 0;
      return true;
    }

    long threshold(long stateBytes) {
      long grown = Math.max(minBytes, stateBytes * growthPercent / 100);
      return grown * sixtyFourths / 64;
    }
  }
}
