package io.portal.store;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.pattern.Patterns;
import org.apache.pekko.persistence.DeleteMessagesFailure;
import org.apache.pekko.persistence.DeleteSnapshotsFailure;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what a new snapshot made unnecessary: the entity's events up to it, then its older snapshots. Pekko's typed
 * API does this by itself only for snapshots taken every N events; for snapshots a predicate decides
 * ({@link SnapshotRule}) this sends the journal and the snapshot store the same requests. A failure is logged and
 * harmless: the next snapshot deletes everything before it again.
 */
final class JournalCleanup {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(JournalCleanup.class);

  private final String persistenceId;
  private final ActorRef journal;
  private final ActorRef snapshots;

  JournalCleanup(ActorContext<?> context, String persistenceId) {
    Persistence persistence = Persistence.get(Adapter.toClassic(context.getSystem()));
    this.persistenceId = persistenceId;
    this.journal = persistence.journalFor("", com.typesafe.config.ConfigFactory.empty());
    this.snapshots = persistence.snapshotStoreFor("", com.typesafe.config.ConfigFactory.empty());
  }

  /** Deletes the events up to {@code snapshotSequenceNr}, then the snapshots before it. */
  void before(long snapshotSequenceNr) {
    CompletionStage<Object> events = Patterns.askWithReplyTo(journal,
        replyTo -> new JournalProtocol.DeleteMessagesTo(persistenceId, snapshotSequenceNr, replyTo), TIMEOUT);
    events.thenCompose(reply -> {
      if (reply instanceof DeleteMessagesFailure failure) {
        throw new IllegalStateException("deleting events", failure.cause());
      }
      return Patterns.ask(snapshots, new SnapshotProtocol.DeleteSnapshots(persistenceId,
          SnapshotSelectionCriteria.create(snapshotSequenceNr - 1, Long.MAX_VALUE)), TIMEOUT);
    }).whenComplete((reply, failure) -> {
      if (failure == null && reply instanceof DeleteSnapshotsFailure snapshotFailure) {
        failure = snapshotFailure.cause();
      }
      if (failure != null) {
        LOG.warn("{}: deleting what the snapshot at {} made unnecessary failed (the next snapshot tries again): {}",
            persistenceId, snapshotSequenceNr, failure.toString());
      }
    });
  }
}
