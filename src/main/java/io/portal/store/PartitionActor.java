package io.portal.store;

import com.google.protobuf.ByteString;
import io.portal.Causes;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
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
 * (entity id = partition number); lives until its node leaves or its journal fails. Two behaviors: recovering
 * (requests wait in a stash while the journal child recovers the state) and running (this class).
 *
 * <p>State: {@code durable}, what the journal has confirmed, serves every read, so a read never waits for a persist
 * and never sees a write that is not yet durable; {@code projected}, durable plus the writes decided but not yet
 * confirmed, is what new writes are decided against (versions, compare-and-set, de-duplication). Writes that arrive
 * while a batch is being persisted wait in the {@link GroupCommit} and go to the journal together as the next event;
 * each is answered only when its batch is durable. Answers that change nothing (a version mismatch, a repeated
 * session write) are held back until every write decided before them is durable too.
 *
 * <p>Expiry: an {@link ExpiryIndex} over the projected state; a timer at the earliest expiry turns due keys into
 * removals that are committed like any write, whether or not anyone reads them.
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

  /** This partition's share of a scan, from its durable state. */
  public record ScanPart(Scan.Query query, ActorRef<Scan.Part> replyTo) implements Command {
  }

  /** Apply {@code write}; replies when it is durable (or refused). */
  public record Apply(Write write, ActorRef<WriteReply> replyTo) implements Command {
  }

  /** Run a transaction over this partition's keys; replies when its writes are durable (or refused). */
  public record TxnCommand(Txn.Request txn, ActorRef<TxnReply> replyTo) implements Command {
  }

  /** The answer to a {@link TxnCommand}: its result, or (result null) why it was refused. */
  public record TxnReply(Txn.Result result, WriteReply refused) {
  }

  /**
   * Follow {@code spec}'s keys in this partition for {@code subscriber}, from revision {@code after} on (-1: from
   * now); replaces the subscriber's earlier subscription. Answered with {@link Watch.Subscribed} (and the events
   * after {@code after} from the history), or {@link Watch.Compacted} when the history does not reach back that far.
   */
  public record Subscribe(Watch.Spec spec, long after, ActorRef<Watch.Message> subscriber) implements Command {
  }

  /** Stop following for {@code subscriber}. */
  public record Unsubscribe(ActorRef<Watch.Message> subscriber) implements Command {
  }

  /** Start (recover) the partition if it is not running; replies once it serves. */
  public record Wake(ActorRef<Done> replyTo) implements Command {
  }

  /**
   * Graceful stop (shard hand-off, shutdown): finish the writes already accepted, snapshot what was journaled since
   * the last snapshot, then stop.
   */
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

    /** The journal's disk is full; nothing was written. */
    record StorageFull(String message) implements WriteReply {
    }
  }

  private static final Duration MAX_EXPIRY_DELAY = Duration.ofMinutes(10);

  /** What a partition is wired to, made once when it starts; the recovering and running behaviors share it. */
  private record Wiring(ActorContext<Command> context, int partitionId, StoreSettings settings, LocalPartitions local,
      WriteGate gate, TimerScheduler<Command> timers, ActorRef<JournalCommand> journal,
      ActorRef<JournalEvent> journalReplies) {
  }

  private final Wiring wiring;
  private final int partitionId;
  private final StoreSettings settings;
  private final LocalPartitions local;
  private final TimerScheduler<Command> timers;

  private PartitionState durable;
  private PartitionState projected;
  private final GroupCommit commits;
  private final ExpiryIndex expiries = new ExpiryIndex();
  /** The changes of the batch in flight, for the watchers once it is durable. */
  private List<Change> persisting = List.of();
  private final WatchHistory history;

  /**
   * A watcher's subscription: what it follows, the revision of the last event sent to it, and when it was last told
   * of progress without events.
   */
  private static final class Subscription {
    final Watch.Spec spec;
    long lastSent;
    long progressAtMillis;

    Subscription(Watch.Spec spec, long lastSent) {
      this.spec = spec;
      this.lastSent = lastSent;
    }
  }

  /** How often a watcher is told of changes it did not match, so that its position keeps up with the partition. */
  private static final long PROGRESS_MILLIS = 1000;

  private final java.util.Map<ActorRef<Watch.Message>, Subscription> subscriptions = new java.util.HashMap<>();
  private boolean stopping;
  /** What writes still waiting are answered once the journal has failed ({@link #onJournalStopped}). */
  private WriteReply failure;
  /** The checkpoint before stopping is in flight: the journal gets nothing else, and writes are refused. */
  private boolean checkpointing;
  private long expiryTimerAt = Long.MAX_VALUE;

  /** Running, from the state the journal recovered. */
  private PartitionActor(Wiring wiring, PartitionState recovered) {
    super(wiring.context());
    this.wiring = wiring;
    this.partitionId = wiring.partitionId();
    this.settings = wiring.settings();
    this.local = wiring.local();
    this.timers = wiring.timers();
    this.commits = new GroupCommit(settings.maxBatchChanges(), settings.maxBatchBytes());
    this.durable = recovered;
    this.projected = recovered;
    this.history = new WatchHistory(settings.watchHistoryChanges(), settings.watchHistoryBytes(),
        recovered.revision());
    local.publish(partitionId, durable);
    expiries.addAll(durable);
    getContext().getLog().debug("partition {} recovered: {} keys, {} remembered session writes, {} to expire",
        partitionId, durable.size(), durable.dedupSize(), expiries.size());
    scheduleExpiry(System.currentTimeMillis());
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
  public static Behavior<Command> create(int partitionId, StoreSettings settings, LocalPartitions local,
      WriteGate gate) {
    return create(partitionId, settings, local, gate, (id, partition, s) -> s.durable()
        ? PartitionJournal.create(id, partition, s)
        : MemoryJournal.create(partition, s.dedup()));
  }

  static Behavior<Command> create(int partitionId, StoreSettings settings, LocalPartitions local, WriteGate gate,
      JournalFactory journals) {
    return Behaviors.withStash(settings.maxPendingWrites(), stash -> Behaviors.setup(context ->
        Behaviors.withTimers(timers -> {
          ActorRef<JournalEvent> replies = context.messageAdapter(JournalEvent.class, FromJournal::new);
          ActorRef<JournalCommand> journal = context.spawn(journals.create(partitionId, replies, settings), "journal");
          context.watch(journal);
          return recovering(new Wiring(context, partitionId, settings, local, gate, timers, journal, replies),
              stash);
        })));
  }

  /** Recovering: everything but a stop waits in the stash until the journal has recovered the state. */
  private static Behavior<Command> recovering(Wiring wiring, StashBuffer<Command> stash) {
    return Behaviors.receive(Command.class)
        .onMessage(FromJournal.class, message -> {
          if (!(message.event() instanceof JournalEvent.Recovered recovered)) {
            throw new IllegalStateException("partition " + wiring.partitionId() + ": " + message.event()
                + " before recovery");
          }
          ByteString misplaced = recovered.state().misplacedTaggedKey(wiring.partitionId(),
              wiring.settings().partitions());
          if (misplaced != null) {
            wiring.context().getLog().error("partition {} holds key '{}', whose hash tag places it in partition {}: "
                + "this data was written by a Portal that placed keys without hash tags, and this one cannot serve it. "
                + "Read it with the version that wrote it and write it into a new data folder", wiring.partitionId(),
                io.portal.KeyText.printable(misplaced),
                Partitioner.partitionOf(misplaced, wiring.settings().partitions()));
            return Behaviors.stopped();
          }
          return stash.unstashAll(new PartitionActor(wiring, recovered.state()));
        })
        .onMessageEquals(Stop.INSTANCE, Behaviors::stopped)
        .onMessage(Command.class, command -> stashOrRefuse(wiring.partitionId(), stash, command))
        .onSignal(Terminated.class, signal -> {
          wiring.context().getLog().error("partition {}: journal stopped while recovering", wiring.partitionId());
          return Behaviors.stopped();
        })
        .build();
  }

  private static Behavior<Command> stashOrRefuse(int partitionId, StashBuffer<Command> stash, Command command) {
    if (stash.isFull()) {
      WriteReply busy = new WriteReply.Unavailable("partition " + partitionId + " is recovering and has "
          + stash.size() + " requests waiting");
      if (command instanceof Apply apply) {
        apply.replyTo().tell(busy);
      } else if (command instanceof TxnCommand txn) {
        txn.replyTo().tell(new TxnReply(null, busy));
      }
      return Behaviors.same(); // reads and wakes time out at the caller
    }
    stash.stash(command);
    return Behaviors.same();
  }

  /** Running: reads answered from the durable state, writes committed in groups, expired keys removed. */
  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Get.class, this::onGet)
        .onMessage(ScanPart.class, scan -> {
          scan.replyTo().tell(durable.scan(scan.query(), System.currentTimeMillis()));
          return this;
        })
        .onMessage(Apply.class, this::onApply)
        .onMessage(TxnCommand.class, this::onTxn)
        .onMessage(Wake.class, wake -> {
          wake.replyTo().tell(Done.getInstance());
          return this;
        })
        .onMessage(FromJournal.class, this::onPersisted)
        .onMessageEquals(ExpiryTick.INSTANCE, this::onExpiryTick)
        .onMessageEquals(Stop.INSTANCE, this::onStop)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(Unsubscribe.class, unsubscribe -> {
          subscriptions.remove(unsubscribe.subscriber());
          getContext().unwatch(unsubscribe.subscriber());
          return this;
        })
        .onSignal(Terminated.class, terminated -> {
          if (terminated.getRef().equals(wiring.journal())) {
            return onJournalStopped(terminated);
          }
          subscriptions.remove(terminated.getRef()); // a watcher stopped, or its node is gone
          return this;
        })
        .onSignal(PostStop.class, signal -> {
          local.withdraw(partitionId, durable);
          subscriptions.forEach((subscriber, subscription) ->
              subscriber.tell(new Watch.Gone(partitionId, durable.revision(), subscription.lastSent)));
          return this;
        })
        .build();
  }

  private Behavior<Command> onGet(Get get) {
    if (!projected.sameEntry(durable, get.key())) {
      // a write to this key is on its way to the journal: answer after it, as if the requests were serial
      Runnable answer = () -> get.replyTo().tell(ReadReply.of(durable.read(get.key(), System.currentTimeMillis())));
      commits.whenDurable(answer, answer); // the write failed: the durable state, without it, is the answer
    } else {
      get.replyTo().tell(ReadReply.of(durable.read(get.key(), System.currentTimeMillis())));
    }
    return this;
  }

  /** Why a write of about {@code bytes} cannot be taken now, or null when it can. */
  private WriteReply refusal(long bytes) {
    if (checkpointing) {
      return new WriteReply.Unavailable("partition " + partitionId + " is stopping (moving to another node or "
          + "shutting down); retry");
    }
    if (commits.waitingChanges() >= settings.maxPendingWrites()) {
      return new WriteReply.Unavailable("partition " + partitionId + " has " + commits.waitingChanges()
          + " writes waiting, limit " + settings.maxPendingWrites());
    }
    WriteGate.Refusal refusal = wiring.gate().refusal();
    if (refusal != null) {
      return refusal.storageFull() ? new WriteReply.StorageFull(refusal.message())
          : new WriteReply.Unavailable(refusal.message());
    }
    long waitingBytes = commits.waitingBytes();
    if (waitingBytes > 0 && waitingBytes + bytes > settings.maxPendingBytes()) {
      return new WriteReply.Unavailable("partition " + partitionId + " has " + waitingBytes
          + " bytes of writes waiting, limit " + settings.maxPendingBytes() + " (portal.store.max-pending-bytes)");
    }
    return null;
  }

  private Behavior<Command> onTxn(TxnCommand command) {
    WriteReply refused = refusal(command.txn().bytes());
    if (refused != null) {
      command.replyTo().tell(new TxnReply(null, refused));
      return this;
    }
    Txn.Decided decided = Txn.decide(projected, command.txn(), System.currentTimeMillis(), settings.dedup());
    TxnReply done = new TxnReply(decided.result(), null);
    Runnable answer = () -> command.replyTo().tell(done);
    Runnable fail = () -> command.replyTo().tell(new TxnReply(null, failure));
    if (decided.changes().isEmpty()) {
      commits.whenDurable(answer, fail); // what it read is answered once what it saw is durable
    } else {
      addChanges(decided.changes(), answer, fail);
    }
    flush();
    return this;
  }

  private Behavior<Command> onApply(Apply apply) {
    WriteReply refused = refusal(sizeOf(apply.write()));
    if (refused != null) {
      apply.replyTo().tell(refused);
      return this;
    }
    PartitionState.Decision decision = projected.decide(apply.write(), System.currentTimeMillis());
    ActorRef<WriteReply> replyTo = apply.replyTo();
    if (decision instanceof PartitionState.Decision.Apply change) {
      WriteReply done = new WriteReply.Done(change.outcome());
      addChange(change.change(), () -> replyTo.tell(done), () -> replyTo.tell(failure));
    } else if (decision instanceof PartitionState.Decision.Repeat repeat) {
      WriteReply done = new WriteReply.Done(repeat.outcome());
      commits.whenDurable(() -> replyTo.tell(done), () -> replyTo.tell(failure));
    } else if (decision instanceof PartitionState.Decision.Mismatch mismatch) {
      WriteReply mismatched = new WriteReply.Mismatch(mismatch.expected(), mismatch.actual());
      commits.whenDurable(() -> replyTo.tell(mismatched), () -> replyTo.tell(failure));
    }
    flush();
    return this;
  }

  private Behavior<Command> onPersisted(FromJournal message) {
    JournalEvent.Persisted persisted = (JournalEvent.Persisted) message.event();
    durable = persisted.state();
    notifyWatchers(persisting, durable.revision());
    persisting = List.of();
    local.publish(partitionId, durable); // before anyone hears of the batch: a read after an answer sees it
    if (checkpointing) {
      return Behaviors.stopped();
    }
    commits.persisted();
    if (commits.nothingWaiting()) {
      projected = durable;
    }
    flush();
    return stopping && commits.idle() ? checkpoint() : this;
  }

  /** Graceful stop (hand-off or shutdown): the writes already accepted are committed, then {@link #checkpoint}. */
  private Behavior<Command> onStop() {
    stopping = true;
    return commits.idle() ? checkpoint() : this;
  }

  /**
   * The last step before stopping: an event with no changes, which lets the journal snapshot everything journaled
   * since its last snapshot ({@link SnapshotRule.Tracker#checkpointDue}), so that the next start reads a snapshot
   * and no events. Stops once it is answered (the journal answers after the snapshot is stored).
   */
  private Behavior<Command> checkpoint() {
    checkpointing = true;
    timers.cancel(ExpiryTick.INSTANCE);
    wiring.journal().tell(new JournalCommand(new Applied(System.currentTimeMillis(), List.of()),
        wiring.journalReplies()));
    return this;
  }

  private Behavior<Command> onExpiryTick() {
    if (checkpointing) {
      return this;
    }
    long now = System.currentTimeMillis();
    expiryTimerAt = Long.MAX_VALUE;
    if (wiring.gate().refusal() != null) { // the removals could not be written: look again in a second
      expiryTimerAt = now + 1000;
      timers.startSingleTimer(ExpiryTick.INSTANCE, ExpiryTick.INSTANCE, Duration.ofSeconds(1));
      return this;
    }
    for (ExpiryIndex.Due due : expiries.takeDue(now, settings.expiryBatch())) {
      Entry entry = projected.raw(due.key());
      if (entry != null && entry.expiresAtMillis() == due.atMillis()) {
        addChange(new Change.Removal(due.key(), true, true, null), () -> { }, () -> { });
      }
    }
    flush();
    scheduleExpiry(now);
    return this;
  }

  /**
   * The journal stopped: it failed to persist a batch (a full disk, an I/O error). Everything in flight and waiting is
   * answered with the reason, and the partition stops; the next request starts it again and it recovers from what the
   * journal holds. A batch in flight may or may not have been written, and the answer says so (except for a full
   * disk, where RocksDB applied nothing).
   */
  private Behavior<Command> onJournalStopped(Terminated terminated) {
    String cause = terminated instanceof ChildFailed failed ? Causes.rootMessage(failed.getCause()) : "stopped";
    WriteGate.Refusal refusal = wiring.gate().refusal();
    failure = refusal != null && refusal.storageFull() ? new WriteReply.StorageFull(refusal.message())
        : new WriteReply.Unavailable("partition " + partitionId + ": the journal failed to write (" + cause
            + "); a write in flight may or may not have been applied");
    getContext().getLog().error("partition {}: journal failed with {} writes in flight and {} waiting, answered: {}",
        partitionId, commits.inFlight(), commits.waitingChanges(), failure);
    commits.failAll();
    return Behaviors.stopped();
  }

  /** Decides {@code change} into the projection and queues it for the next batch. */
  private void addChange(Change change, Runnable onDurable, Runnable onFailed) {
    addChanges(List.of(change), onDurable, onFailed);
  }

  /** Decides {@code changes} into the projection and queues them for the next batch, together. */
  private void addChanges(List<Change> changes, Runnable onDurable, Runnable onFailed) {
    for (Change change : changes) {
      Entry previous = projected.raw(change.key());
      long expiresAt = change instanceof Change.Put put ? put.expiresAtMillis() : 0;
      expiries.changed(change.key(), previous == null ? 0 : previous.expiresAtMillis(), expiresAt);
      if (expiresAt != 0 && expiresAt < expiryTimerAt) {
        scheduleExpiry(System.currentTimeMillis());
      }
    }
    projected = projected.apply(new Applied(System.currentTimeMillis(), changes), settings.dedup());
    commits.add(changes, onDurable, onFailed);
  }

  /** Sends the next batch to the journal unless one is in flight. */
  private Behavior<Command> onSubscribe(Subscribe subscribe) {
    long current = durable.revision();
    long after = subscribe.after() < 0 ? current : subscribe.after();
    ActorRef<Watch.Message> subscriber = subscribe.subscriber();
    Watch.Spec spec = subscribe.spec();
    if (subscribe.after() < 0 && spec.afterVersion() > 0 && !spec.prefix()) {
      // after the change that made the key's version: found in the history, or the key is still at that version
      long found = history.revisionOf(spec.key(), spec.afterVersion());
      Entry now = durable.raw(spec.key());
      after = found >= 0 ? found : now != null && now.version() == spec.afterVersion() ? current : -1;
      if (after < 0) {
        subscriber.tell(new Watch.Compacted(partitionId, history.start()));
        return this;
      }
    }
    if (after < history.start() || after > current) {
      subscriber.tell(new Watch.Compacted(partitionId, history.start()));
      return this;
    }
    Subscription subscription = new Subscription(subscribe.spec(), after);
    subscriptions.put(subscriber, subscription);
    getContext().watch(subscriber);
    subscriber.tell(new Watch.Subscribed(partitionId, after, getContext().getSelf()));
    List<Watch.Event> missed = history.after(after, subscribe.spec(), partitionId);
    subscriber.tell(new Watch.Batch(partitionId, after, missed, current));
    if (!missed.isEmpty()) {
      subscription.lastSent = missed.get(missed.size() - 1).revision();
    }
    subscription.progressAtMillis = System.currentTimeMillis();
    return this;
  }

  /** {@code changes}, now durable, end at {@code revision}: into the history, and to the watchers they concern. */
  private void notifyWatchers(List<Change> changes, long revision) {
    long first = revision - changes.size() + 1;
    for (int i = 0; i < changes.size(); i++) {
      history.add(first + i, changes.get(i));
    }
    if (subscriptions.isEmpty()) {
      return;
    }
    long now = System.currentTimeMillis();
    for (java.util.Map.Entry<ActorRef<Watch.Message>, Subscription> entry : subscriptions.entrySet()) {
      Subscription subscription = entry.getValue();
      List<Watch.Event> events = new java.util.ArrayList<>();
      for (int i = 0; i < changes.size(); i++) {
        Change change = changes.get(i);
        Watch.Event event = subscription.spec.matches(change.key()) ? Watch.Event.of(change, partitionId, first + i)
            : null;
        if (event != null) {
          events.add(event);
        }
      }
      if (!events.isEmpty() || now - subscription.progressAtMillis >= PROGRESS_MILLIS) {
        entry.getKey().tell(new Watch.Batch(partitionId, subscription.lastSent, events, revision));
        subscription.progressAtMillis = now;
        if (!events.isEmpty()) {
          subscription.lastSent = events.get(events.size() - 1).revision();
        }
      }
    }
  }

  private void flush() {
    List<Change> changes = commits.nextBatch();
    if (!changes.isEmpty()) {
      persisting = changes;
      wiring.journal().tell(new JournalCommand(new Applied(System.currentTimeMillis(), changes),
          wiring.journalReplies()));
    }
  }

  private static long sizeOf(Write write) {
    return Change.bytesOf(write.key(), write instanceof Write.Set set ? set.value() : ByteString.EMPTY);
  }

  private void scheduleExpiry(long nowMillis) {
    long at = expiries.earliest();
    if (at == Long.MAX_VALUE) {
      timers.cancel(ExpiryTick.INSTANCE);
      expiryTimerAt = Long.MAX_VALUE;
      return;
    }
    long delay = Math.min(Math.max(0, at - nowMillis), MAX_EXPIRY_DELAY.toMillis());
    expiryTimerAt = nowMillis + delay;
    timers.startSingleTimer(ExpiryTick.INSTANCE, ExpiryTick.INSTANCE, Duration.ofMillis(delay));
  }
}
