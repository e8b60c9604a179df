package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The key-value store as the connection layer sees it. Every method may be called from any thread and returns at
 * once; the stage completes when the owning partition has answered, or exceptionally with
 * {@link StoreTimeoutException} when it has not answered within the store's request timeout.
 *
 * <p>Consistency: all operations on one key go through one partition in the order they were called, so a
 * {@link #get} sees every write whose stage completed before the get was called.
 */
public interface KvStore {

  /** The current value and version of {@code key}, or empty when it does not exist. */
  CompletionStage<Optional<Versioned>> get(ByteString key);

  /** Writes {@code value} under {@code key}; completes with the key's new version (1 on create, +1 per write). */
  CompletionStage<Long> set(ByteString key, ByteString value);

  /** Removes {@code key}; completes with true when it existed. A later create starts again at version 1. */
  CompletionStage<Boolean> delete(ByteString key);
}
