package io.portal.store;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One partition of the key space: answers reads at once and commits writes in groups. Spawned by cluster sharding
 * (entity id = partition number); lives until its node leaves or its journal fails.
 *
 * <p>State: {@code durable}, what the journal has confirmed, serves every read, so a read never waits for a persist
 * and never sees a write that is not yet durable; {@code projected}, durable plus the writes decided but not yet
 * confirmed, is what new writes are decided against (versions, compare-and-set, de-duplication). Writes that arrive
 * while a batch is being persisted wait in {@code pending} and go to the journal together as the next event; each
 * is answered only when its batch is durable. Answers that change nothing (a version mismatch, a repeated session
 * write) are held back until every write decided before them is durable too.
 *
 * <p>Expiry: a sorted index of (expiry time, key) over the projected state; a timer at the earliest expiry turns
 * due keys into removals that are committed like any write, whether or not anyone reads them.
 */
public final class PartitionActor extends AbstractBehavior<PartitionActor.Command> {

  /** Messages a partition understands. */
  public sealed interface Command {
  }

  /** Read {@code key}; replies not found when absent or expired. */
  public record Get(ByteString key, ActorRef<ReadReply> replyTo) implements Command {
  }

  /** The answer to a {@link Get}: the live value and version, or null. */
  public record ReadReply(Versioned value) {
    static ReadReply of(Optional<Versioned> value) {
      return new ReadReply(value.orElse(null));
    }

    public Optional<Versioned> asOptional() {
      return Optional.ofNullable(value);
    }
  }

  /** Apply {@code write}; replies when it is durable (or refused). */
  public record Apply(Write write, ActorRef<WriteReply> replyTo) implements Command {
  }

  /** Start (recover) the partition if it is not running; replies once it serves. */
  public record Wake(ActorRef<Done> replyTo) implements Command {
  }

  /** Graceful stop (shard hand-off): finish the writes already accepted, then stop. */
  public enum Stop implements Command {
    INSTANCE
  }

  private record FromJournal(JournalEvent event) implements Command {
  }

  private enum ExpiryTick implements Command {
    INSTANCE
  }

  /** The answer to an {@link Apply}. */
  public sealed interface WriteReply {
    record Done(Outcome outcome) implements WriteReply {
    }

    record Mismatch(long expected, long actual) implements WriteReply {
    }

    record Unavailable(String message) implements WriteReply {
    }
  }

  /**
   * Something waiting for a batch to be durable: a decided change (null when there is nothing to persist) and what
   * to do once it is, typically answering its client.
   */
  private record Pending(Change change, Runnable onDurable) {
  }

  private record Expiry(long atMillis, ByteString key) {
  }

  private static final Comparator<Expiry> EXPIRY_ORDER = Comparator.comparingLong(Expiry::atMillis)
      .thenComparing(Expiry::key, ByteString.unsignedLexicographicalComparator());
  private static final Duration MAX_EXPIRY_DELAY = Duration.ofMinutes(10);

  private final int partitionId;
  private final StoreSettings settings;
  private final StashBuffer<Command> stash;
  private final TimerScheduler<Command> timers;
  private final ActorRef<JournalCommand> journal;
  private final ActorRef<JournalEvent> journalReplies;
  private final LocalPartitions local;

  private boolean recovered;
  private PartitionState durable = PartitionState.empty();
  private PartitionState projected = PartitionState.empty();
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  /** Bytes of the changes in {@code pending}, as {@link #sizeOf} counts them. */
  private long pendingBytes;
  private List<Pending> inFlight = List.of();
  private boolean persisting;
  private boolean stopping;
  private final TreeSet<Expiry> expiries = new TreeSet<>(EXPIRY_ORDER);
  private long expiryTimerAt = Long.MAX_VALUE;

  private PartitionActor(ActorContext<Command> context, StashBuffer<Command> stash, TimerScheduler<Command> timers,
      int partitionId, StoreSettings settings, LocalPartitions local, JournalFactory journals) {
    super(context);
    this.partitionId = partitionId;
    this.local = local;
    this.settings = settings;
    this.stash = stash;
    this.timers = timers;
    this.journalReplies = context.messageAdapter(JournalEvent.class, FromJournal::new);
    this.journal = context.spawn(journals.create(partitionId, journalReplies, settings), "journal");
    context.watch(journal);
  }

  /** Makes the journal child of a partition: it must send {@code Recovered} once, then answer every command. */
  @FunctionalInterface
  interface JournalFactory {
    Behavior<JournalCommand> create(int partitionId, ActorRef<JournalEvent> partition, StoreSettings settings);
  }

  /**
   * The behavior of partition {@code partitionId}, durable or in memory as the settings say; it publishes its
   * durable state to {@code local} for reads without a hop.
   */
  public static Behavior<Command> create(int partitionId, StoreSettings settings, LocalPartitions local) {
    return create(partitionId, settings, local, (id, partition, s) -> s.durable()
        ? PartitionJournal.create(id, partition, s)
        : MemoryJournal.create(partition, s.dedup()));
  }

  static Behavior<Command> create(int partitionId, StoreSettings settings, LocalPartitions local,
      JournalFactory journals) {
    return Behaviors.withStash(settings.maxPendingWrites(), stash -> Behaviors.setup(context ->
        Behaviors.withTimers(timers ->
            new PartitionActor(context, stash, timers, partitionId, settings, local, journals))));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Get.class, this::onGet)
        .onMessage(Apply.class, this::onApply)
        .onMessage(Wake.class, this::onWake)
        .onMessage(FromJournal.class, this::onJournal)
        .onMessageEquals(ExpiryTick.INSTANCE, this::onExpiryTick)
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .onSignal(Terminated.class, this::onJournalStopped)
        .onSignal(PostStop.class, signal -> {
          local.withdraw(partitionId, durable);
          return this;
        })
        .build();
  }

  private Behavior<Command> onGet(Get get) {
    if (!recovered) {
      return stashOrRefuse(get);
    }
    if (projected.raw(get.key()) != durable.raw(get.key())) {
      // a write to this key is on its way to the journal: answer after it, as if the requests were serial
      whenDurable(() -> get.replyTo().tell(ReadReply.of(durable.read(get.key(), System.currentTimeMillis()))));
    } else {
      get.replyTo().tell(ReadReply.of(durable.read(get.key(), System.currentTimeMillis())));
    }
    return this;
  }

  private Behavior<Command> onWake(Wake wake) {
    if (!recovered) {
      return stashOrRefuse(wake);
    }
    wake.replyTo().tell(Done.getInstance());
    return this;
  }

  private Behavior<Command> onApply(Apply apply) {
    if (!recovered) {
      return stashOrRefuse(apply);
    }
    if (pending.size() >= settings.maxPendingWrites()) {
      apply.replyTo().tell(new WriteReply.Unavailable("partition " + partitionId + " has " + pending.size()
          + " writes waiting, limit " + settings.maxPendingWrites()));
      return this;
    }
    if (pendingBytes > 0 && pendingBytes + sizeOf(apply.write()) > settings.maxPendingBytes()) {
      apply.replyTo().tell(new WriteReply.Unavailable("partition " + partitionId + " has " + pendingBytes
          + " bytes of writes waiting, limit " + settings.maxPendingBytes() + " (portal.store.max-pending-bytes)"));
      return this;
    }
    PartitionState.Decision decision = projected.decide(apply.write(), System.currentTimeMillis());
    ActorRef<WriteReply> replyTo = apply.replyTo();
    if (decision instanceof PartitionState.Decision.Apply change) {
      WriteReply done = new WriteReply.Done(change.outcome());
      addChange(change.change(), () -> replyTo.tell(done));
    } else if (decision instanceof PartitionState.Decision.Repeat repeat) {
      WriteReply done = new WriteReply.Done(repeat.outcome());
      whenDurable(() -> replyTo.tell(done));
    } else if (decision instanceof PartitionState.Decision.Mismatch mismatch) {
      WriteReply refused = new WriteReply.Mismatch(mismatch.expected(), mismatch.actual());
      whenDurable(() -> replyTo.tell(refused));
    }
    flush();
    return this;
  }

  private Behavior<Command> onJournal(FromJournal message) {
    if (message.event() instanceof JournalEvent.Recovered recovery) {
      durable = recovery.state();
      projected = recovery.state();
      local.publish(partitionId, durable);
      long now = System.currentTimeMillis();
      for (var it = durable.entries(); it.hasNext(); ) {
        var entry = it.next();
        if (entry.getValue().expiresAtMillis() != 0) {
          expiries.add(new Expiry(entry.getValue().expiresAtMillis(), entry.getKey()));
        }
      }
      recovered = true;
      getContext().getLog().debug("partition {} recovered: {} keys, {} remembered session writes, {} to expire",
          partitionId, durable.size(), durable.dedupSize(), expiries.size());
      scheduleExpiry(now);
      return stash.unstashAll(this);
    }
    JournalEvent.Persisted persisted = (JournalEvent.Persisted) message.event();
    durable = persisted.state();
    local.publish(partitionId, durable); // before anyone hears of the batch: a read after an answer sees it
    persisting = false;
    inFlight.forEach(done -> done.onDurable().run());
    inFlight = List.of();
    if (pending.isEmpty()) {
      projected = durable;
    }
    flush();
    return stopping && !persisting ? Behaviors.stopped() : this;
  }

  private Behavior<Command> onStop() {
    if (!persisting && pending.isEmpty()) {
      return Behaviors.stopped();
    }
    stopping = true;
    return this;
  }

  private Behavior<Command> onExpiryTick() {
    long now = System.currentTimeMillis();
    expiryTimerAt = Long.MAX_VALUE;
    int removed = 0;
    while (!expiries.isEmpty() && expiries.first().atMillis() <= now && removed < settings.expiryBatch()) {
      Expiry due = expiries.pollFirst();
      Entry entry = projected.raw(due.key());
      if (entry != null && entry.expiresAtMillis() == due.atMillis()) {
        addChange(new Change.Removal(due.key(), true, true, null), () -> { });
        removed++;
      }
    }
    flush();
    scheduleExpiry(now);
    return this;
  }

  private Behavior<Command> onJournalStopped(Terminated terminated) {
    getContext().getLog().error("partition {}: journal stopped with {} writes in flight and {} waiting", partitionId,
        inFlight.size(), pending.size());
    // nobody is answered: the store's request timeout tells these clients TIMEOUT, which is the truth (a write in
    // flight may or may not be durable); the next request starts the partition again and it recovers
    return Behaviors.stopped();
  }

  private Behavior<Command> stashOrRefuse(Command command) {
    if (stash.isFull()) {
      if (command instanceof Apply apply) {
        apply.replyTo().tell(new WriteReply.Unavailable("partition " + partitionId + " is recovering and has "
            + stash.size() + " requests waiting"));
      }
      return this; // reads and wakes time out at the caller
    }
    stash.stash(command);
    return this;
  }

  /** Decides {@code change} into the projection and queues it for the next batch. */
  private void addChange(Change change, Runnable onDurable) {
    Entry previous = projected.raw(change.key());
    if (previous != null && previous.expiresAtMillis() != 0) {
      expiries.remove(new Expiry(previous.expiresAtMillis(), change.key()));
    }
    if (change instanceof Change.Put put && put.expiresAtMillis() != 0) {
      expiries.add(new Expiry(put.expiresAtMillis(), put.key()));
      if (put.expiresAtMillis() < expiryTimerAt) {
        scheduleExpiry(System.currentTimeMillis());
      }
    }
    projected = projected.apply(new Applied(System.currentTimeMillis(), List.of(change)), settings.dedup());
    pending.addLast(new Pending(change, onDurable));
    pendingBytes += sizeOf(change);
  }

  /** Runs {@code action} once everything decided so far is durable: now, after the batch in flight, or later. */
  private void whenDurable(Runnable action) {
    if (!pending.isEmpty()) {
      pending.addLast(new Pending(null, action));
    } else if (persisting) {
      List<Pending> withThis = new ArrayList<>(inFlight);
      withThis.add(new Pending(null, action));
      inFlight = withThis;
    } else {
      action.run();
    }
  }

  /** Sends the next batch to the journal unless one is in flight. */
  private void flush() {
    if (persisting || pending.isEmpty()) {
      return;
    }
    List<Change> changes = new ArrayList<>();
    List<Pending> batch = new ArrayList<>();
    long bytes = 0;
    while (!pending.isEmpty()) {
      Pending next = pending.peekFirst();
      if (next.change() != null) {
        long size = sizeOf(next.change());
        if (!changes.isEmpty()
            && (changes.size() >= settings.maxBatchChanges() || bytes + size > settings.maxBatchBytes())) {
          break;
        }
        changes.add(next.change());
        bytes += size;
      }
      batch.add(pending.pollFirst());
    }
    pendingBytes -= bytes;
    inFlight = batch;
    if (changes.isEmpty()) {
      // only answers that waited for earlier batches: nothing to persist
      batch.forEach(p -> p.onDurable().run());
      inFlight = List.of();
      return;
    }
    persisting = true;
    journal.tell(new JournalCommand(new Applied(System.currentTimeMillis(), changes), journalReplies));
  }

  private static long sizeOf(Write write) {
    return sizeOf(write.key(), write instanceof Write.Set set ? set.value() : ByteString.EMPTY);
  }

  private static long sizeOf(Change change) {
    return sizeOf(change.key(), change instanceof Change.Put put ? put.value() : ByteString.EMPTY);
  }

  /** What a change costs in a batch and in the pending bytes: its key and value and a fixed overhead. */
  private static long sizeOf(ByteString key, ByteString value) {
    return key.size() + 32L + value.size();
  }

  private void scheduleExpiry(long nowMillis) {
    if (expiries.isEmpty()) {
      timers.cancel(ExpiryTick.INSTANCE);
      expiryTimerAt = Long.MAX_VALUE;
      return;
    }
    long at = expiries.first().atMillis();
    long delay = Math.min(Math.max(0, at - nowMillis), MAX_EXPIRY_DELAY.toMillis());
    expiryTimerAt = nowMillis + delay;
    timers.startSingleTimer(ExpiryTick.INSTANCE, ExpiryTick.INSTANCE, Duration.ofMillis(delay));
  }
}
