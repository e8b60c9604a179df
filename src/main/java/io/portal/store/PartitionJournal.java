package io.portal.store;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The durable half of a partition: an event-sourced behavior whose events are group commits ({@link Applied}) and
 * whose state is the partition's {@link PartitionState}. It does no deciding: its partition actor sends it batches
 * of changes already decided, and it answers each with the state after it once the batch is durable. Recovery
 * (snapshot, then events) ends with the recovered state sent to the partition actor.
 *
 * <p>Snapshots follow growth ({@link SnapshotRule}): once the bytes journaled since the last snapshot reach the
 * state's own size, the state is snapshotted and the events and snapshots before it are deleted
 * ({@link JournalCleanup}). So does a partition's checkpoint before it stops (an event with no changes), so that a
 * restart after a clean stop reads snapshots only. The state is immutable, so the snapshot needs no copy.
 */
final class PartitionJournal
    extends EventSourcedBehaviorWithEnforcedReplies<JournalCommand, Applied, PartitionState> {
  private final ActorRef<JournalEvent> partition;
  private final StoreSettings settings;
  private final SnapshotRule.Tracker growth;
  private final JournalCleanup cleanup;

  private PartitionJournal(ActorContext<JournalCommand> context, int partitionId, ActorRef<JournalEvent> partition,
      StoreSettings settings) {
    super(persistenceIdOf(partitionId));
    this.partition = partition;
    this.settings = settings;
    this.growth = settings.snapshots().tracker(partitionId);
    this.cleanup = new JournalCleanup(context, persistenceId().id());
  }

  /** The journal id of partition {@code partitionId}; fixed, so a data folder outlives code changes. */
  static PersistenceId persistenceIdOf(int partitionId) {
    return PersistenceId.ofUniqueId("portal-partition-" + partitionId);
  }

  static Behavior<JournalCommand> create(int partitionId, ActorRef<JournalEvent> partition,
      StoreSettings settings) {
    return Behaviors.setup(context -> new PartitionJournal(context, partitionId, partition, settings));
  }

  @Override
  public PartitionState emptyState() {
    return PartitionState.empty();
  }

  @Override
  public CommandHandlerWithReply<JournalCommand, Applied, PartitionState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(JournalCommand.class, (state, command) -> Effect()
            .persist(command.event())
            .thenReply(command.replyTo(), JournalEvent.Persisted::new))
        .build();
  }

  @Override
  public EventHandler<PartitionState, Applied> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Applied.class, (state, event) -> {
          growth.journaled(event.bytes()); // replayed events count too: they are what a restart reads
          return state.apply(event, settings.dedup());
        })
        .build();
  }

  @Override
  public boolean shouldSnapshot(PartitionState state, Applied event, long sequenceNr) {
    // an event without changes is the partition's checkpoint before it stops
    return event.changes().isEmpty() ? growth.checkpointDue() : growth.snapshotDue(state.bytes());
  }

  @Override
  public SignalHandler<PartitionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> partition.tell(new JournalEvent.Recovered(state)))
        .onSignal(SnapshotCompleted.class, (state, done) -> cleanup.before(done.metadata().sequenceNr()))
        .build();
  }
}
