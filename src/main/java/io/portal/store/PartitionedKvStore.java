package io.portal.store;

import com.google.protobuf.ByteString;
import io.portal.KeyText;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The {@link KvStore} over {@link PartitionActor}s: the key's partition is chosen by {@link Partitioner} and asked
 * through whatever reaches it ({@code partitionRef}: a sharding entity ref in the server, a plain actor in tests).
 * Writes are admitted by bytes: while the writes this node has sent and not seen answered hold more than
 * {@code maxWriteBytesInFlight} (keys and values), a new one is refused at once with {@link StoreUnavailableException}
 * (UNAVAILABLE on the wire), so a storm of large values slows down to what the journal takes instead of piling up.
 */
public final class PartitionedKvStore implements KvStore {
  private final IntFunction<RecipientRef<PartitionActor.Command>> partitionRef;
  private final int partitions;
  private final Scheduler scheduler;
  private final Duration requestTimeout;
  private final LocalPartitions local;
  private final long maxWriteBytesInFlight;
  private final AtomicLong writeBytesInFlight = new AtomicLong();

  /**
   * @param local                 the states that this node's partitions publish (the same instance they were created
   *                              with)
   * @param maxWriteBytesInFlight bytes of writes in flight beyond which new writes are refused (one is always let
   *                              through when none is in flight)
   */
  /** The partitions this node hosts, as last published. */
  public LocalPartitions local() {
    return local;
  }

  public PartitionedKvStore(IntFunction<RecipientRef<PartitionActor.Command>> partitionRef, int partitions,
      Scheduler scheduler, Duration requestTimeout, LocalPartitions local, long maxWriteBytesInFlight) {
    this.partitionRef = partitionRef;
    this.maxWriteBytesInFlight = maxWriteBytesInFlight;
    this.local = local;
    this.partitions = partitions;
    this.scheduler = scheduler;
    this.requestTimeout = requestTimeout;
  }

  @Override
  public CompletionStage<Optional<Versioned>> get(ByteString key) {
    return ask("get", key, (ActorRef<PartitionActor.ReadReply> replyTo) -> new PartitionActor.Get(key, replyTo))
        .thenApply(PartitionActor.ReadReply::asOptional);
  }

  /** From the partition's published state when it is hosted on this node; otherwise asks it like {@link #get}. */
  @Override
  public CompletionStage<Optional<Versioned>> getCommitted(ByteString key) {
    PartitionState state = local.get(Partitioner.partitionOf(key, partitions));
    if (state == null) {
      return get(key);
    }
    return CompletableFuture.completedFuture(state.read(key, System.currentTimeMillis()));
  }

  /**
   * Asks every partition for its share (from its published state when hosted here, else through
   * {@code partitionRef}), each with an equal part of the page's bytes, and merges them ({@link Scan#merge}).
   */
  @Override
  public CompletionStage<Scan.Page> scan(Scan.Query query) {
    Scan.Query share = query.forPartitionOf(partitions);
    long now = System.currentTimeMillis();
    java.util.List<CompletableFuture<Scan.Part>> parts = new java.util.ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      PartitionState state = local.get(p);
      parts.add(state != null ? CompletableFuture.completedFuture(state.scan(share, now))
          : askPartition("scan", p, (ActorRef<Scan.Part> replyTo) -> new PartitionActor.ScanPart(share, replyTo))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
        .thenApply(all -> Scan.merge(parts.stream().map(CompletableFuture::join).toList(), query));
  }

  @Override
  public CompletionStage<Long> set(Write.Set write) {
    return apply("set", write, write.key().size() + write.value().size()).thenApply(Outcome::version);
  }

  @Override
  public CompletionStage<Long> expire(Write.Expire write) {
    return apply("expire", write, write.key().size()).thenApply(Outcome::version);
  }

  /** Sends {@code write} to its partition, counting {@code bytes} against the write budget until it is answered. */
  private CompletionStage<Outcome> apply(String operation, Write write, long bytes) {
    return admitted(bytes, () -> ask(operation, write.key(),
        (ActorRef<PartitionActor.WriteReply> replyTo) -> new PartitionActor.Apply(write, replyTo))
        .thenApply(PartitionedKvStore::outcome));
  }

  @Override
  public org.apache.pekko.actor.typed.Behavior<Watch.Message> watcher(Watch.Spec spec, Watch.Sink sink) {
    return WatchActor.create(spec, sink, partitions, partitionRef);
  }

  @Override
  public CompletionStage<Txn.Result> txn(Txn.Request txn) {
    java.util.Iterator<ByteString> keys = txn.keys().iterator();
    if (!keys.hasNext()) {
      return CompletableFuture.completedFuture(new Txn.Result(true, java.util.List.of()));
    }
    ByteString first = keys.next();
    int partition = Partitioner.partitionOf(first, partitions);
    while (keys.hasNext()) {
      ByteString other = keys.next();
      int otherPartition = Partitioner.partitionOf(other, partitions);
      if (otherPartition != partition) {
        return CompletableFuture.failedFuture(new InvalidRequestException("a transaction's keys must share a "
            + "partition, and '" + KeyText.printable(first) + "' is in partition " + partition + ", '"
            + KeyText.printable(other) + "' in " + otherPartition + ": give related keys one hash tag, as in "
            + "{user42}:name and {user42}:email"));
      }
    }
    return admitted(txn.bytes(), () -> askPartition("txn", partition,
        (ActorRef<PartitionActor.TxnReply> replyTo) -> new PartitionActor.TxnCommand(txn, replyTo))
        .thenApply(reply -> {
          if (reply.result() != null) {
            return reply.result();
          }
          outcome(reply.refused()); // throws the refusal's exception
          throw new IllegalStateException("a refused transaction without a reason");
        }));
  }

  @Override
  public CompletionStage<Boolean> delete(Write.Delete write) {
    return apply("delete", write, write.key().size()).thenApply(Outcome::deleted);
  }

  @Override
  public boolean acceptingWrite(long bytes) {
    return fits(writeBytesInFlight.get(), bytes);
  }

  /** One write always fits when none is in flight, so a write larger than the budget is not refused for ever. */
  private boolean fits(long inFlight, long bytes) {
    return inFlight == 0 || inFlight + bytes <= maxWriteBytesInFlight;
  }

  /** Bytes of writes sent to partitions and not answered yet. */
  public long writeBytesInFlight() {
    return writeBytesInFlight.get();
  }

  /** Runs {@code call} if {@code bytes} more fit in the write budget, counting them until it completes. */
  private <R> CompletionStage<R> admitted(long bytes, Supplier<CompletionStage<R>> call) {
    long before = writeBytesInFlight.getAndAdd(bytes);
    if (!fits(before, bytes)) {
      writeBytesInFlight.addAndGet(-bytes);
      return CompletableFuture.failedFuture(new StoreUnavailableException("writes in flight on this node hold "
          + before + " bytes; " + bytes + " more would exceed the limit " + maxWriteBytesInFlight
          + " (portal.store.max-write-bytes-in-flight): retry later"));
    }
    return call.get().whenComplete((result, failure) -> writeBytesInFlight.addAndGet(-bytes));
  }

  /**
   * Wakes every partition and completes when all serve (they recover their journals first), or fails after
   * {@code timeout}. A partition that does not answer is asked again every {@link #WAKE_RETRY}: a partition whose
   * recovery failed has stopped, and only a new message starts it again.
   */
  public CompletionStage<Void> wakeAll(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    CompletableFuture<?>[] wakes = new CompletableFuture<?>[partitions];
    for (int i = 0; i < partitions; i++) {
      wakes[i] = wake(i, deadline, timeout).toCompletableFuture();
    }
    return CompletableFuture.allOf(wakes);
  }

  static final Duration WAKE_RETRY = Duration.ofSeconds(5);

  private CompletionStage<org.apache.pekko.Done> wake(int partition, long deadline, Duration timeout) {
    long left = deadline - System.nanoTime();
    Duration attempt = Duration.ofNanos(Math.max(1, Math.min(left, WAKE_RETRY.toNanos())));
    return AskPattern.<PartitionActor.Command, org.apache.pekko.Done>ask(partitionRef.apply(partition),
            PartitionActor.Wake::new, attempt, scheduler)
        .exceptionallyCompose(failure -> System.nanoTime() < deadline
            ? wake(partition, deadline, timeout)
            : CompletableFuture.failedFuture(new StoreTimeoutException("wake", partition, timeout)));
  }

  private static Outcome outcome(PartitionActor.WriteReply reply) {
    if (reply instanceof PartitionActor.WriteReply.Done done) {
      return done.outcome();
    } else if (reply instanceof PartitionActor.WriteReply.Mismatch mismatch) {
      throw new VersionMismatchException(mismatch.expected(), mismatch.actual());
    }
    if (reply instanceof PartitionActor.WriteReply.StorageFull full) {
      throw new StorageFullException(full.message());
    }
    throw new StoreUnavailableException(((PartitionActor.WriteReply.Unavailable) reply).message());
  }

  private <R> CompletionStage<R> ask(String operation, ByteString key,
      Function<ActorRef<R>, PartitionActor.Command> command) {
    return askPartition(operation, Partitioner.partitionOf(key, partitions), command);
  }

  private <R> CompletionStage<R> askPartition(String operation, int partition,
      Function<ActorRef<R>, PartitionActor.Command> command) {
    CompletionStage<R> reply = AskPattern.ask(partitionRef.apply(partition), command::apply, requestTimeout,
        scheduler);
    return reply.exceptionallyCompose(error -> {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      return CompletableFuture.failedFuture(cause instanceof TimeoutException
          ? new StoreTimeoutException(operation, partition, requestTimeout) : cause);
    });
  }
}
