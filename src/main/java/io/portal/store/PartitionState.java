package io.portal.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.util.Iterator;
import java.util.Optional;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.HashMap;
import scala.collection.immutable.HashMap$;
import scala.collection.immutable.Queue;
import scala.collection.immutable.Queue$;
import scala.collection.immutable.TreeMap;
import scala.collection.immutable.TreeMap$;
import scala.collection.mutable.Builder;

/**
 * The data of one partition, immutable: every change makes a new state that shares all but a path with the old
 * one (Scala's red-black tree map, its keys in {@link KeyOrder}, so that a range of keys is read in order without
 * sorting). That makes it safe to hand from the journal actor to the partition actor, to keep
 * a durable and a projected version side by side, and to snapshot without copying.
 *
 * <p>Compact: a key maps to one byte array, its version, expiry time and value ({@link #record}), so a key of 16
 * bytes with a value of 100 takes about 200 bytes of heap (measured in docs/BENCHMARKS.md). The size of keys and
 * values held ({@link #bytes}) is kept as it changes; it decides when to snapshot.
 *
 * <p>{@link #decide} is the whole write logic (versions, compare-and-set, TTL, de-duplication); {@link #apply} is
 * the event handler's. Both are pure.
 */
public final class PartitionState {
  private static final PartitionState EMPTY = new PartitionState(
      TreeMap$.MODULE$.empty(KeyOrder.ORDERING), 0, HashMap$.MODULE$.empty(), Queue$.MODULE$.empty(), 0);
  private static final java.lang.invoke.VarHandle LONG = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
      long[].class, java.nio.ByteOrder.BIG_ENDIAN);
  /** Bytes before the value in a {@link #record}: version and expiry time. */
  private static final int HEADER = 16;

  /** Key to record: version (8 bytes), expiry time (8 bytes), value. Records are never changed once made. */
  private final TreeMap<ByteString, byte[]> entries;
  private final long bytes;
  private final HashMap<Origin, DedupRecord> dedup;
  /** The dedup records, oldest first, for eviction by age and count. */
  private final Queue<DedupRecord> dedupOrder;
  /** Changes applied to this partition since it began: the position of its latest change in its history. */
  private final long revision;

  private PartitionState(TreeMap<ByteString, byte[]> entries, long bytes, HashMap<Origin, DedupRecord> dedup,
      Queue<DedupRecord> dedupOrder, long revision) {
    this.entries = entries;
    this.bytes = bytes;
    this.dedup = dedup;
    this.dedupOrder = dedupOrder;
    this.revision = revision;
  }

  /**
   * How many changes this partition has taken since it began (kept in snapshots): the revision of its latest change.
   * The changes of an event take the revisions after the state's, in order.
   */
  public long revision() {
    return revision;
  }

  public static PartitionState empty() {
    return EMPTY;
  }

  /** The entry as stored, expired or not; null when absent. */
  public Entry raw(ByteString key) {
    Option<byte[]> record = entries.get(key);
    return record.isDefined() ? entryOf(record.get()) : null;
  }

  /** True when {@code other} holds the very same entry for {@code key} (or neither holds one): no change between. */
  public boolean sameEntry(PartitionState other, ByteString key) {
    Option<byte[]> mine = entries.get(key);
    Option<byte[]> theirs = other.entries.get(key);
    return mine.isDefined() ? theirs.isDefined() && mine.get() == theirs.get() : theirs.isEmpty();
  }

  /** Bytes of keys and values held, each with a fixed overhead ({@link Change#bytesOf}). */
  public long bytes() {
    return bytes;
  }

  static byte[] record(ByteString value, long version, long expiresAtMillis) {
    byte[] record = newRecord(version, expiresAtMillis, value.size());
    value.copyTo(record, HEADER);
    return record;
  }

  /** A record with its header written and room for {@code valueLength} bytes of value after it. */
  private static byte[] newRecord(long version, long expiresAtMillis, int valueLength) {
    byte[] record = new byte[HEADER + valueLength];
    LONG.set(record, 0, version);
    LONG.set(record, 8, expiresAtMillis);
    return record;
  }

  private static Entry entryOf(byte[] record) {
    return new Entry(UnsafeByteOperations.unsafeWrap(record, HEADER, record.length - HEADER),
        (long) LONG.get(record, 0), (long) LONG.get(record, 8));
  }

  private static long bytesOf(ByteString key, byte[] record) {
    return Change.bytesOf(key.size(), record.length - HEADER);
  }

  /** The live value of {@code key} at {@code nowMillis}: empty when absent or expired. */
  public Optional<Versioned> read(ByteString key, long nowMillis) {
    Entry entry = raw(key);
    if (entry == null || entry.expiredAt(nowMillis)) {
      return Optional.empty();
    }
    return Optional.of(new Versioned(entry.value(), entry.version(), entry.expiresAtMillis()));
  }

  /**
   * This partition's share of a scan at {@code nowMillis}: its live keys of the query's range in order, at most
   * {@code limit} and {@code maxBytes} of keys and values (at least one key), and whether it has more after them.
   */
  public Scan.Part scan(Scan.Query query, long nowMillis) {
    scala.collection.Iterator<Tuple2<ByteString, byte[]>> it = entries.iteratorFrom(query.from());
    java.util.List<Scan.Item> items = new java.util.ArrayList<>();
    long bytes = 0;
    while (it.hasNext()) {
      Tuple2<ByteString, byte[]> next = it.next();
      if (!query.beforeEnd(next._1())) {
        break;
      }
      Entry entry = entryOf(next._2());
      if (entry.expiredAt(nowMillis)) {
        continue;
      }
      ByteString value = query.keysOnly() ? ByteString.EMPTY : entry.value();
      Scan.Item item = new Scan.Item(next._1(), new Versioned(value, entry.version(), entry.expiresAtMillis()));
      if (query.full(items.size(), bytes, item.bytes())) {
        return new Scan.Part(items, true);
      }
      items.add(item);
      bytes += item.bytes();
    }
    return new Scan.Part(items, false);
  }

  /**
   * A key with a hash tag ({@code {...}}) that {@link Partitioner} places in another partition than {@code partition}
   * of {@code partitions}, or null: such a key was written before keys were placed by their hash tags, and could no
   * longer be reached.
   */
  public ByteString misplacedTaggedKey(int partition, int partitions) {
    scala.collection.Iterator<ByteString> keys = entries.keysIterator();
    while (keys.hasNext()) {
      ByteString key = keys.next();
      for (int i = 0, n = key.size(); i < n; i++) {
        if (key.byteAt(i) == '{') {
          if (Partitioner.partitionOf(key, partitions) != partition) {
            return key;
          }
          break;
        }
      }
    }
    return null;
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
    if (write instanceof Write.Expire expire) {
      if (!live) {
        return new Decision.Repeat(Outcome.set(0)); // nothing to change: version 0 says the key was not there
      }
      long expiresAt = expire.ttlMillis() > 0 ? nowMillis + expire.ttlMillis() : 0;
      return new Decision.Apply(new Change.Put(expire.key(), current.value(), current.version(), expiresAt,
          expire.origin()), Outcome.set(current.version()));
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
    TreeMap<ByteString, byte[]> newEntries = entries;
    long newBytes = bytes;
    HashMap<Origin, DedupRecord> newDedup = dedup;
    Queue<DedupRecord> newOrder = dedupOrder;
    for (Change change : event.changes()) {
      Outcome outcome;
      Option<byte[]> previous = newEntries.get(change.key());
      if (previous.isDefined()) {
        newBytes -= bytesOf(change.key(), previous.get());
      }
      if (change instanceof Change.Put put) {
        newEntries = newEntries.updated(put.key(), record(put.value(), put.version(), put.expiresAtMillis()));
        newBytes += put.bytes();
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
    return new PartitionState(newEntries, newBytes, newDedup, newOrder, revision + event.changes().size());
  }

  /** Builds a state from snapshot contents: {@link #put} every entry, then {@link #build} with the dedup records. */
  public static final class Loader {
    private final Builder<Tuple2<ByteString, byte[]>, TreeMap<ByteString, byte[]>> map =
        TreeMap$.MODULE$.newBuilder(KeyOrder.ORDERING);
    private long bytes;

    public Loader put(ByteString key, ByteString value, long version, long expiresAtMillis) {
      map.addOne(new Tuple2<>(key, record(value, version, expiresAtMillis)));
      bytes += Change.bytesOf(key, value);
      return this;
    }

    /** {@link #put} with the value copied once, from {@code length} bytes of {@code source} at {@code offset}. */
    public Loader put(ByteString key, byte[] source, int offset, int length, long version, long expiresAtMillis) {
      byte[] record = newRecord(version, expiresAtMillis, length);
      System.arraycopy(source, offset, record, HEADER, length);
      map.addOne(new Tuple2<>(key, record));
      bytes += Change.bytesOf(key.size(), length);
      return this;
    }

    /** The state, with {@code dedupOldestFirst} remembered. */
    public PartitionState build(Iterable<DedupRecord> dedupOldestFirst) {
      return build(dedupOldestFirst, 0);
    }

    /** The state at {@code revision}, with {@code dedupOldestFirst} remembered. */
    public PartitionState build(Iterable<DedupRecord> dedupOldestFirst, long revision) {
      return withDedup(map.result(), bytes, dedupOldestFirst, revision);
    }
  }

  private static PartitionState withDedup(TreeMap<ByteString, byte[]> map, long bytes,
      Iterable<DedupRecord> dedupOldestFirst, long revision) {
    HashMap<Origin, DedupRecord> dedupMap = HashMap$.MODULE$.empty();
    Queue<DedupRecord> order = Queue$.MODULE$.empty();
    for (DedupRecord record : dedupOldestFirst) {
      dedupMap = dedupMap.updated(record.origin(), record);
      order = order.enqueue(record);
    }
    return new PartitionState(map, bytes, dedupMap, order, revision);
  }

  /** Calls {@code consumer} with every key that has an expiry time and that time, reading nothing else. */
  public void forEachExpiry(java.util.function.ObjLongConsumer<ByteString> consumer) {
    scala.collection.Iterator<Tuple2<ByteString, byte[]>> it = entries.iterator();
    while (it.hasNext()) {
      Tuple2<ByteString, byte[]> entry = it.next();
      long expiresAt = (long) LONG.get(entry._2(), 8);
      if (expiresAt != 0) {
        consumer.accept(entry._1(), expiresAt);
      }
    }
  }

  /** Every stored entry, expired ones included, in no particular order. */
  public Iterator<java.util.Map.Entry<ByteString, Entry>> entries() {
    scala.collection.Iterator<Tuple2<ByteString, byte[]>> it = entries.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public java.util.Map.Entry<ByteString, Entry> next() {
        Tuple2<ByteString, byte[]> t = it.next();
        return java.util.Map.entry(t._1(), entryOf(t._2()));
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
