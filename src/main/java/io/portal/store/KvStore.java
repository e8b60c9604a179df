package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The key-value store as the connection layer sees it. Every method may be called from any thread and returns at
 * once. Stages fail with {@link StoreTimeoutException} when the owning partition has not answered within the
 * store's request timeout (the write may or may not have been applied), {@link VersionMismatchException} when a
 * compare-and-set fails (nothing was written), and {@link StoreUnavailableException} when the partition cannot take
 * the request now.
 *
 * <p>Consistency: a write's stage completes only when the write is durable (in memory mode: applied). A {@link #get}
 * sees every write whose stage completed before the get was called, and never a write that is not yet durable.
 */
public interface KvStore {

  /** The current value and version of {@code key}, or empty when it does not exist or has expired. */
  CompletionStage<Optional<Versioned>> get(ByteString key);

  /**
   * Like {@link #get}, but may answer at once from this node's copy of the partition's durable state instead of
   * asking the partition, so it does not wait for writes still in flight, the caller's own included. Callers with
   * no write of their own in flight lose nothing by it: it still sees every completed write.
   */
  default CompletionStage<Optional<Versioned>> getCommitted(ByteString key) {
    return get(key);
  }

  /**
   * One page of keys in the query's range, in {@link KeyOrder}, across all partitions. Each entry is a value that was
   * durable when its partition was read; partitions are read one after another, not at one instant, so a page is no
   * snapshot of the whole store. The next page is {@code scan(query.after(page.continuation()))}.
   */
  CompletionStage<Scan.Page> scan(Scan.Query query);

  /** Applies a set; completes with the key's new version (1 on create, +1 per write). */
  CompletionStage<Long> set(Write.Set write);

  /**
   * Changes a key's TTL without touching its value or version (0: no TTL any more); completes with the key's version,
   * 0 when it did not exist.
   */
  CompletionStage<Long> expire(Write.Expire write);

  /**
   * Runs a transaction; its keys must all be in one partition (hash tags put them there), else it fails with
   * {@link InvalidRequestException} naming them. Completes once its writes are durable.
   */
  CompletionStage<Txn.Result> txn(Txn.Request txn);

  /**
   * The behavior of one watch ({@link WatchActor}): spawned by its connection, it follows {@code spec}'s keys in
   * every partition concerned and hands their changes to {@code sink} until it is stopped or ends (compacted).
   */
  org.apache.pekko.actor.typed.Behavior<Watch.Message> watcher(Watch.Spec spec, Watch.Sink sink);

  /** Applies a delete; completes with true when the key existed. A later create starts again at version 1. */
  CompletionStage<Boolean> delete(Write.Delete write);

  /**
   * False while the writes in flight leave no room in the store's write budget for one of about {@code bytes}: it
   * would be refused. Callers that can wait (a connection can stop reading) hold such a write back until this is true
   * again, so that a storm of large values is slowed rather than refused over and over.
   */
  default boolean acceptingWrite(long bytes) {
    return true;
  }
}
