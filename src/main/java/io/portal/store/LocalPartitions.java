package io.portal.store;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The durable state of every partition this node hosts, as its {@link PartitionActor} last published it: before it
 * acknowledges a write, after recovery, and withdrawn when the partition stops (it moved, passivated or failed).
 * States are immutable, so any thread may read one without asking the partition: a local read with no actor hop.
 * One instance per store (per actor system), shared by the partitions and the {@link PartitionedKvStore}.
 */
public final class LocalPartitions {
  private final AtomicReferenceArray<PartitionState> states;

  public LocalPartitions(int partitions) {
    this.states = new AtomicReferenceArray<>(partitions);
  }

  /** The partition's latest durable state on this node, or null when it is not hosted here (or not recovered). */
  PartitionState get(int partition) {
    return states.get(partition);
  }

  void publish(int partition, PartitionState state) {
    states.set(partition, state);
  }

  /** Withdraws {@code last} if it is still the published state (a newer incarnation may have replaced it). */
  void withdraw(int partition, PartitionState last) {
    states.compareAndSet(partition, last, null);
  }

  /** Keys in the partitions this node hosts now (expired keys not yet removed included). */
  public long keys() {
    long count = 0;
    for (int i = 0; i < states.length(); i++) {
      PartitionState state = states.get(i);
      if (state != null) {
        count += state.size();
      }
    }
    return count;
  }

  /** How many partitions this node serves reads for now. */
  public int hosted() {
    int count = 0;
    for (int i = 0; i < states.length(); i++) {
      if (states.get(i) != null) {
        count++;
      }
    }
    return count;
  }
}
