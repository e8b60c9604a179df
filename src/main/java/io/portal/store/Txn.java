package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A transaction over keys of one partition (etcd's txn): if every compare holds, the success ops run, else the
 * failure ops; their writes become durable together, as one journal event, or not at all. Ops see the writes of the
 * ops before them in the same transaction.
 */
public final class Txn {
  private Txn() {
  }

  /** How a compare relates the key's current version or value to its target. */
  public enum CompareOp {
    EQUAL, NOT_EQUAL, LESS, GREATER
  }

  /**
   * A condition on {@code key}: its version (0: absent) against {@code version}, or, when {@code value} is not null,
   * its value (an absent key equals no value) against {@code value} (EQUAL and NOT_EQUAL only).
   */
  public record Compare(ByteString key, CompareOp op, long version, ByteString value) {
    boolean holds(Optional<Versioned> current) {
      if (value != null) {
        boolean equal = current.isPresent() && current.get().value().equals(value);
        return op == CompareOp.NOT_EQUAL ? !equal : equal;
      }
      long actual = current.map(Versioned::version).orElse(0L);
      return switch (op) {
        case EQUAL -> actual == version;
        case NOT_EQUAL -> actual != version;
        case LESS -> actual < version;
        case GREATER -> actual > version;
      };
    }
  }

  /** What a transaction does to one key. */
  public sealed interface Op {
    ByteString key();
  }

  public record Get(ByteString key) implements Op {
  }

  /** Store {@code value}; {@code ttlMillis} > 0: expire that long after the transaction. */
  public record Put(ByteString key, ByteString value, long ttlMillis) implements Op {
  }

  public record Delete(ByteString key) implements Op {
  }

  /** A whole transaction. */
  public record Request(List<Compare> compares, List<Op> success, List<Op> failure) {
    public Request {
      compares = List.copyOf(compares);
      success = List.copyOf(success);
      failure = List.copyOf(failure);
    }

    /** Every key it names, in the order named. */
    public Set<ByteString> keys() {
      Set<ByteString> keys = new LinkedHashSet<>();
      compares.forEach(c -> keys.add(c.key()));
      success.forEach(op -> keys.add(op.key()));
      failure.forEach(op -> keys.add(op.key()));
      return keys;
    }

    /** Bytes of keys and values it may write. */
    long bytes() {
      long bytes = 0;
      for (Op op : success.size() >= failure.size() ? success : failure) {
        bytes += Change.bytesOf(op.key(), op instanceof Put put ? put.value() : ByteString.EMPTY);
      }
      return bytes;
    }
  }

  /** One op's outcome: a read's value (null: absent), a set's new version, or whether a delete found the key. */
  public sealed interface OpResult {
  }

  public record Got(Versioned value) implements OpResult {
  }

  public record Written(long version) implements OpResult {
  }

  public record Deleted(boolean existed) implements OpResult {
  }

  /** Which branch ran and what each of its ops did. */
  public record Result(boolean succeeded, List<OpResult> results) {
  }

  /** The result, and the changes to persist (together) before it may be told. */
  record Decided(Result result, List<Change> changes) {
  }

  /** Runs {@code txn} against {@code state} at {@code nowMillis}. Pure. */
  static Decided decide(PartitionState state, Request txn, long nowMillis, DedupPolicy dedup) {
    boolean succeeded = txn.compares().stream().allMatch(c -> c.holds(state.read(c.key(), nowMillis)));
    PartitionState running = state;
    List<Change> changes = new ArrayList<>();
    List<OpResult> results = new ArrayList<>();
    for (Op op : succeeded ? txn.success() : txn.failure()) {
      Optional<Versioned> current = running.read(op.key(), nowMillis);
      Change change = null;
      if (op instanceof Get) {
        results.add(new Got(current.orElse(null)));
      } else if (op instanceof Put put) {
        long version = current.map(Versioned::version).orElse(0L) + 1;
        change = new Change.Put(put.key(), put.value(), version, put.ttlMillis() > 0 ? nowMillis + put.ttlMillis()
            : 0, null);
        results.add(new Written(version));
      } else {
        results.add(new Deleted(current.isPresent()));
        if (current.isPresent()) {
          change = new Change.Removal(op.key(), false, true, null);
        }
      }
      if (change != null) {
        changes.add(change);
        running = running.apply(new Applied(nowMillis, List.of(change)), dedup);
      }
    }
    return new Decided(new Result(succeeded, results), changes);
  }
}
