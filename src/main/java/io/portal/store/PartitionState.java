package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.Iterator;
import java.util.Optional;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;
import scala.collection.immutable.Queue;
import scala.collection.immutable.Queue$;

/**
 * The data of one partition, immutable: every change makes a new state that shares all but a path with the old
 * one (Scala's CHAMP hash map). That makes it safe to hand from the journal actor to the partition actor, to keep
 * a durable and a projected version side by side, and to snapshot without copying.
 *
 * <p>{@link #decide} is the whole write logic (versions, compare-and-set, TTL, de-duplication); {@link #apply} is
 * the event handler's. Both are pure.
 */
public final class PartitionState {
  private static final PartitionState EMPTY = new PartitionState(
      HashMap$.MODULE$.empty(), HashMap$.MODULE$.empty(), Queue$.MODULE$.empty());

  private final HashMap<ByteString, Entry> entries;
  private final HashMap<Origin, DedupRecord> dedup;
  /** The dedup records, oldest first, for eviction by age and count. */
  private final Queue<DedupRecord> dedupOrder;

  private PartitionState(HashMap<ByteString, Entry> entries, HashMap<Origin, DedupRecord> dedup,
      Queue<DedupRecord> dedupOrder) {
    this.entries = entries;
    this.dedup = dedup;
    this.dedupOrder = dedupOrder;
  }

  public static PartitionState empty() {
    return EMPTY;
  }

  /** The entry as stored, expired or not; null when absent. */
  public Entry raw(ByteString key) {
    Option<Entry> entry = entries.get(key);
    return entry.isDefined() ? entry.get() : null;
  }

  /** The live value of {@code key} at {@code nowMillis}: empty when absent or expired. */
  public Optional<Versioned> read(ByteString key, long nowMillis) {
    Entry entry = raw(key);
    if (entry == null || entry.expiredAt(nowMillis)) {
      return Optional.empty();
    }
    return Optional.of(new Versioned(entry.value(), entry.version()));
  }

  public int size() {
    return entries.size();
  }

  public int dedupSize() {
    return dedup.size();
  }

  /** The remembered answer of a session write, or null. */
  public DedupRecord remembered(Origin origin) {
    Option<DedupRecord> record = dedup.get(origin);
    return record.isDefined() ? record.get() : null;
  }

  /** What a write does to this state at {@code nowMillis}. */
  public Decision decide(Write write, long nowMillis) {
    if (write.origin() != null) {
      DedupRecord seen = remembered(write.origin());
      if (seen != null) {
        return new Decision.Repeat(seen.outcome());
      }
    }
    Entry current = raw(write.key());
    boolean live = current != null && !current.expiredAt(nowMillis);
    long currentVersion = live ? current.version() : 0;
    if (write.expectedVersion().isPresent() && write.expectedVersion().getAsLong() != currentVersion) {
      return new Decision.Mismatch(write.expectedVersion().getAsLong(), currentVersion);
    }
    if (write instanceof Write.Set set) {
      long version = currentVersion + 1;
      long expiresAt = set.ttlMillis() > 0 ? nowMillis + set.ttlMillis() : 0;
      return new Decision.Apply(new Change.Put(set.key(), set.value(), version, expiresAt, set.origin()),
          Outcome.set(version));
    }
    if (!live && write.origin() == null) {
      return new Decision.Repeat(Outcome.delete(false)); // nothing to change, nothing to remember
    }
    return new Decision.Apply(new Change.Removal(write.key(), false, live, write.origin()), Outcome.delete(live));
  }

  /** The state after {@code event}; the event handler of the journal and the partition's projection. */
  public PartitionState apply(Applied event, DedupPolicy policy) {
    HashMap<ByteString, Entry> newEntries = entries;
    HashMap<Origin, DedupRecord> newDedup = dedup;
    Queue<DedupRecord> newOrder = dedupOrder;
    for (Change change : event.changes()) {
      Outcome outcome;
      if (change instanceof Change.Put put) {
        newEntries = newEntries.updated(put.key(), new Entry(put.value(), put.version(), put.expiresAtMillis()));
        outcome = Outcome.set(put.version());
      } else {
        Change.Removal removal = (Change.Removal) change;
        newEntries = newEntries.removed(removal.key());
        outcome = Outcome.delete(removal.existed());
      }
      if (change.origin() != null) {
        DedupRecord record = new DedupRecord(change.origin(), event.timestampMillis(), outcome);
        newDedup = newDedup.updated(change.origin(), record);
        newOrder = newOrder.enqueue(record);
      }
    }
    long oldest = event.timestampMillis() - policy.window().toMillis();
    while (!newOrder.isEmpty()
        && (newDedup.size() > policy.maxEntries() || newOrder.head().timestampMillis() < oldest)) {
      Tuple2<DedupRecord, Queue<DedupRecord>> next = newOrder.dequeue();
      DedupRecord evicted = next._1();
      newOrder = next._2();
      Option<DedupRecord> current = newDedup.get(evicted.origin());
      if (current.isDefined() && current.get() == evicted) {
        newDedup = newDedup.removed(evicted.origin());
      }
    }
    return new PartitionState(newEntries, newDedup, newOrder);
  }

  /** A state made of snapshot contents; dedup records oldest first. */
  public static PartitionState of(Iterable<java.util.Map.Entry<ByteString, Entry>> entries,
      Iterable<DedupRecord> dedupOldestFirst) {
    HashMap<ByteString, Entry> map = HashMap$.MODULE$.empty();
    for (java.util.Map.Entry<ByteString, Entry> e : entries) {
      map = map.updated(e.getKey(), e.getValue());
    }
    HashMap<Origin, DedupRecord> dedupMap = HashMap$.MODULE$.empty();
    Queue<DedupRecord> order = Queue$.MODULE$.empty();
    for (DedupRecord record : dedupOldestFirst) {
      dedupMap = dedupMap.updated(record.origin(), record);
      order = order.enqueue(record);
    }
    return new PartitionState(map, dedupMap, order);
  }

  /** Every stored entry, expired ones included, in no particular order. */
  public Iterator<java.util.Map.Entry<ByteString, Entry>> entries() {
    scala.collection.Iterator<Tuple2<ByteString, Entry>> it = entries.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public java.util.Map.Entry<ByteString, Entry> next() {
        Tuple2<ByteString, Entry> t = it.next();
        return java.util.Map.entry(t._1(), t._2());
      }
    };
  }

  /** The remembered session writes that are still live (evicted ones excluded), oldest first. */
  public Iterator<DedupRecord> dedupRecords() {
    scala.collection.Iterator<DedupRecord> it = dedupOrder.iterator();
    return new Iterator<>() {
      private DedupRecord next = advance();

      private DedupRecord advance() {
        while (it.hasNext()) {
          DedupRecord candidate = it.next();
          Option<DedupRecord> current = dedup.get(candidate.origin());
          if (current.isDefined() && current.get() == candidate) {
            return candidate;
          }
        }
        return null;
      }

      @Override
      public boolean hasNext() {
        return next != null;
      }

      @Override
      public DedupRecord next() {
        DedupRecord result = next;
        next = advance();
        return result;
      }
    };
  }

  /** What {@link #decide} concluded. */
  public sealed interface Decision {
    /** Persist {@code change}; then answer {@code outcome}. */
    record Apply(Change change, Outcome outcome) implements Decision {
    }

    /** Nothing to persist: answer {@code outcome} (a retry already applied, or a no-op). */
    record Repeat(Outcome outcome) implements Decision {
    }

    /** Compare-and-set failed: the key is at {@code actual}. */
    record Mismatch(long expected, long actual) implements Decision {
    }
  }
}
