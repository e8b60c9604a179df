package io.portal.store;

/** What a partition's journal tells its partition actor. */
sealed interface JournalEvent {
  /** Recovery finished with this state; the journal takes writes now. */
  record Recovered(PartitionState state) implements JournalEvent {
  }

  /** The batch is durable; this is the state after it. */
  record Persisted(PartitionState state) implements JournalEvent {
  }
}
