package io.portal.store;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The in-memory {@link KvStore}: {@code partitions} {@link MemoryPartition} actors, a key going to the partition
 * {@link Partitioner} names. Data lives as long as the process. Asks time out after {@code requestTimeout} with
 * {@link StoreTimeoutException}.
 */
public final class MemoryKvStore implements KvStore {
  private final List<ActorRef<MemoryPartition.Command>> partitions;
  private final Scheduler scheduler;
  private final Duration requestTimeout;

  private MemoryKvStore(List<ActorRef<MemoryPartition.Command>> partitions, Scheduler scheduler,
      Duration requestTimeout) {
    this.partitions = List.copyOf(partitions);
    this.scheduler = scheduler;
    this.requestTimeout = requestTimeout;
  }

  /**
   * Starts the partitions.
   *
   * @param spawner        spawns one partition actor under the given name and returns its ref (the server passes
   *                       its guardian's spawn)
   * @param partitionCount number of partitions, at least 1
   */
  public static MemoryKvStore start(Spawner spawner, int partitionCount, Scheduler scheduler,
      Duration requestTimeout) {
    if (partitionCount < 1) {
      throw new IllegalArgumentException("partition count " + partitionCount + " must be at least 1");
    }
    List<ActorRef<MemoryPartition.Command>> refs = new ArrayList<>(partitionCount);
    for (int i = 0; i < partitionCount; i++) {
      refs.add(spawner.spawn(MemoryPartition.create(), "partition-" + i));
    }
    return new MemoryKvStore(refs, scheduler, requestTimeout);
  }

  /** Spawns an actor; lets the caller decide where partitions live in the actor hierarchy. */
  @FunctionalInterface
  public interface Spawner {
    <T> ActorRef<T> spawn(Behavior<T> behavior, String name);
  }

  @Override
  public CompletionStage<Optional<Versioned>> get(ByteString key) {
    return ask("get", key, replyTo -> new MemoryPartition.Get(key, replyTo));
  }

  @Override
  public CompletionStage<Long> set(ByteString key, ByteString value) {
    return ask("set", key, replyTo -> new MemoryPartition.Set(key, value, replyTo));
  }

  @Override
  public CompletionStage<Boolean> delete(ByteString key) {
    return ask("delete", key, replyTo -> new MemoryPartition.Delete(key, replyTo));
  }

  private <R> CompletionStage<R> ask(String operation, ByteString key,
      Function<ActorRef<R>, MemoryPartition.Command> command) {
    int partition = Partitioner.partitionOf(key, partitions.size());
    CompletionStage<R> reply = AskPattern.ask(partitions.get(partition), command::apply, requestTimeout, scheduler);
    return reply.exceptionallyCompose(error -> {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      return CompletableFuture.failedFuture(cause instanceof TimeoutException
          ? new StoreTimeoutException(operation, partition, requestTimeout) : cause);
    });
  }
}
