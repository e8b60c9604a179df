package io.portal.store;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.apache.pekko.persistence.typed.javadsl.SnapshotCountRetentionCriteria;

/**
 * The durable half of a partition: an event-sourced behavior whose events are group commits ({@link Applied}) and
 * whose state is the partition's {@link PartitionState}. It does no deciding: its partition actor sends it batches
 * of changes already decided, and it answers each with the state after it once the batch is durable. Recovery
 * (snapshot, then events) ends with the recovered state sent to the partition actor. Snapshots every
 * {@link #snapshotInterval} events (at most {@code snapshotEveryEvents}), keeping two, with older events deleted
 * (here, or for all partitions together by the H2 journal's upkeep: {@link StoreSettings#upkeepDeletesEvents});
 * the state is immutable, so the snapshot needs no copy.
 */
final class PartitionJournal
    extends EventSourcedBehaviorWithEnforcedReplies<JournalCommand, Applied, PartitionState> {
  private final ActorRef<JournalEvent> partition;
  private final StoreSettings settings;
  private final int snapshotInterval;

  private PartitionJournal(int partitionId, ActorRef<JournalEvent> partition, StoreSettings settings) {
    super(persistenceIdOf(partitionId));
    this.partition = partition;
    this.settings = settings;
    this.snapshotInterval = snapshotInterval(partitionId, settings.snapshotEveryEvents());
  }

  /**
   * Events between snapshots of partition {@code partitionId}: between 3/4 of {@code everyEvents} and all of it,
   * in 16 steps by partition. Under an even load all partitions reach the same sequence numbers together; with one
   * interval for all, every partition snapshotted and deleted its old events in the same second, and the journal's
   * writes stalled behind that work (durable SET 50x16: 2-11k ops/s for seconds, every ~20 s). Staggered intervals
   * spread that work out; a restart still replays at most {@code everyEvents} events per partition.
   */
  static int snapshotInterval(int partitionId, int everyEvents) {
    return Math.max(1, everyEvents - (partitionId % 16) * everyEvents / 64);
  }

  /** The journal id of partition {@code partitionId}; fixed, so a data folder outlives code changes. */
  static PersistenceId persistenceIdOf(int partitionId) {
    return PersistenceId.ofUniqueId("portal-partition-" + partitionId);
  }

  static Behavior<JournalCommand> create(int partitionId, ActorRef<JournalEvent> partition,
      StoreSettings settings) {
    return new PartitionJournal(partitionId, partition, settings);
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
        .onEvent(Applied.class, (state, event) -> state.apply(event, settings.dedup()))
        .build();
  }

  @Override
  public SignalHandler<PartitionState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> partition.tell(new JournalEvent.Recovered(state)))
        .build();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    SnapshotCountRetentionCriteria criteria = RetentionCriteria.snapshotEvery(snapshotInterval, 2);
    // on the embedded H2 journal the upkeep deletes old events for all partitions together (H2EventCleaner)
    return settings.upkeepDeletesEvents() ? criteria : criteria.withDeleteEventsOnSnapshot();
  }
}
