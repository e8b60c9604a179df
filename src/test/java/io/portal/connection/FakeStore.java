package io.portal.connection;

import com.google.protobuf.ByteString;
import io.portal.store.KvStore;
import io.portal.store.Scan;
import io.portal.store.Versioned;
import io.portal.store.Write;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/** A store whose GETs stay pending until the test completes them, in any order it likes. */
final class FakeStore implements KvStore {
  final Map<String, CompletableFuture<Optional<Versioned>>> gets = new ConcurrentHashMap<>();
  /** Sets to hold unanswered (by key) instead of answering version 1 at once. */
  final Map<String, CompletableFuture<Long>> heldSets = new ConcurrentHashMap<>();
  final java.util.concurrent.atomic.AtomicInteger serialReads = new java.util.concurrent.atomic.AtomicInteger();
  final java.util.concurrent.atomic.AtomicInteger committedReads = new java.util.concurrent.atomic.AtomicInteger();

  CompletableFuture<Optional<Versioned>> pending(String key) {
    return gets.computeIfAbsent(key, k -> new CompletableFuture<>());
  }

  void answer(String key, String value, long version) {
    pending(key).complete(Optional.of(new Versioned(ByteString.copyFromUtf8(value), version)));
  }

  @Override
  public CompletionStage<Optional<Versioned>> get(ByteString key) {
    serialReads.incrementAndGet();
    return pending(key.toStringUtf8());
  }

  @Override
  public CompletionStage<Optional<Versioned>> getCommitted(ByteString key) {
    committedReads.incrementAndGet();
    return pending(key.toStringUtf8());
  }

  /** What {@link #acceptingWrite} answers. */
  volatile boolean acceptingWrites = true;
  final java.util.concurrent.atomic.AtomicInteger sets = new java.util.concurrent.atomic.AtomicInteger();

  @Override
  public boolean acceptingWrite(long bytes) {
    return acceptingWrites;
  }

  @Override
  public CompletionStage<Long> set(Write.Set write) {
    sets.incrementAndGet();
    CompletableFuture<Long> held = heldSets.get(write.key().toStringUtf8());
    return held != null ? held : CompletableFuture.completedFuture(1L);
  }

  @Override
  public CompletionStage<Scan.Page> scan(Scan.Query query) {
    return CompletableFuture.completedFuture(new Scan.Page(java.util.List.of(), false, ByteString.EMPTY));
  }

  @Override
  public CompletionStage<io.portal.store.Txn.Result> txn(io.portal.store.Txn.Request txn) {
    return CompletableFuture.completedFuture(new io.portal.store.Txn.Result(true, java.util.List.of()));
  }

  @Override
  public org.apache.pekko.actor.typed.Behavior<io.portal.store.Watch.Message> watcher(io.portal.store.Watch.Spec spec,
      io.portal.store.Watch.Sink sink) {
    return org.apache.pekko.actor.typed.javadsl.Behaviors.empty();
  }

  @Override
  public CompletionStage<Long> expire(Write.Expire write) {
    return CompletableFuture.completedFuture(0L);
  }

  @Override
  public CompletionStage<Boolean> delete(Write.Delete write) {
    return CompletableFuture.completedFuture(false);
  }
}
