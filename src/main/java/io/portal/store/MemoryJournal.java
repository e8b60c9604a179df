package io.portal.store;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The journal of {@code portal.store.mode = memory}: applies each batch at once and keeps nothing beyond the
 * process. Same protocol as {@link PartitionJournal}, so the partition actor cannot tell them apart.
 */
final class MemoryJournal {
  private MemoryJournal() {
  }

  static Behavior<JournalCommand> create(ActorRef<JournalEvent> partition, DedupPolicy policy) {
    return Behaviors.setup(context -> {
      partition.tell(new JournalEvent.Recovered(PartitionState.empty()));
      return running(PartitionState.empty(), policy);
    });
  }

  private static Behavior<JournalCommand> running(PartitionState state, DedupPolicy policy) {
    return Behaviors.receiveMessage(command -> {
      PartitionState next = state.apply(command.event(), policy);
      command.replyTo().tell(new JournalEvent.Persisted(next));
      return running(next, policy);
    });
  }
}
