package io.portal.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.SelectedSnapshot;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The RocksDB journal and snapshot store as Pekko uses them: an event-sourced entity persists, stops and recovers;
 * the plugins' protocol is driven directly for replay ranges, deletes and snapshot selection (the cases of Pekko's
 * plugin TCK that Portal relies on); every acknowledged batch was synced.
 */
class RocksJournalTest {
  private Path dir;
  private ActorTestKit testKit;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("portal-rocks-journal");
    testKit = ActorTestKit.create(ConfigFactory.parseString(
            "pekko.persistence.journal.plugin = \"portal.rocksdb.journal\"\n"
                + "pekko.persistence.snapshot-store.plugin = \"portal.rocksdb.snapshot-store\"\n"
                + "portal.rocksdb.dir = \"" + dir + "\"\n")
        .withFallback(ConfigFactory.load()));
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  /** Commands of the test entity: append an event, or read the state (every event so far, joined). */
  sealed interface Command {
  }

  record Append(String event, ActorRef<String> replyTo) implements Command {
  }

  record Read(ActorRef<String> replyTo) implements Command {
  }

  /** Appends events to a string; snapshots every 3 events, keeping 2, deleting events older than them. */
  static final class Entity extends EventSourcedBehavior<Command, String, String> {
    Entity(String id) {
      super(PersistenceId.ofUniqueId(id));
    }

    @Override
    public String emptyState() {
      return "";
    }

    @Override
    public CommandHandler<Command, String, String> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Append.class, (state, append) -> Effect().persist(append.event())
              .thenReply(append.replyTo(), after -> after))
          .onCommand(Read.class, (state, read) -> Effect().reply(read.replyTo(), state))
          .build();
    }

    @Override
    public EventHandler<String, String> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + event);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
      return RetentionCriteria.snapshotEvery(3, 2);
    }
  }

  private String append(ActorRef<Command> entity, String... events) {
    TestProbe<String> reply = testKit.createTestProbe();
    String state = null;
    for (String event : events) {
      entity.tell(new Append(event, reply.ref()));
      state = reply.receiveMessage();
    }
    return state;
  }

  private String read(ActorRef<Command> entity) {
    TestProbe<String> reply = testKit.createTestProbe();
    entity.tell(new Read(reply.ref()));
    return reply.receiveMessage();
  }

  @Test
  void anEntityRecoversEverythingItPersistedAndEachAcknowledgedBatchWasSynced() {
    long syncsBefore = RocksStores.get(Adapter.toClassic(testKit.system())).store().walSyncs();
    Behavior<Command> behavior = new Entity("e-1");
    ActorRef<Command> entity = testKit.spawn(behavior);
    assertEquals("abcdefg", append(entity, "a", "b", "c", "d", "e", "f", "g"));
    long syncs = RocksStores.get(Adapter.toClassic(testKit.system())).store().walSyncs() - syncsBefore;
    assertTrue(syncs >= 7, "each of the 7 writes, acknowledged one after another, was synced: " + syncs + " syncs");
    testKit.stop(entity);
    ActorRef<Command> again = testKit.spawn(new Entity("e-1"));
    assertEquals("abcdefg", read(again), "recovered from the snapshot at 6 and the event after it");
    assertEquals("abcdefgh", append(again, "h"));
  }

  @Test
  void replayHonoursTheRangeAndMaxAndDeletesNeverLowerTheHighestSequenceNumber() {
    ActorRef<Command> entity = testKit.spawn(new Entity("e-2"));
    append(entity, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    testKit.stop(entity);
    org.apache.pekko.actor.ActorRef journal = Persistence.get(Adapter.toClassic(testKit.system()))
        .journalFor("portal.rocksdb.journal", ConfigFactory.empty());
    TestProbe<Object> probe = testKit.createTestProbe();
    org.apache.pekko.actor.ActorRef replyTo = Adapter.toClassic(probe.ref());

    // snapshots at 3, 6 and 9 deleted the events up to 3 (keeping two snapshots' worth): replay what is left
    assertEquals(List.of(7L, 8L), replay(journal, replyTo, probe, "e-2", 7, 9, 2));
    assertEquals(List.of(9L, 10L), replay(journal, replyTo, probe, "e-2", 9, Long.MAX_VALUE, Long.MAX_VALUE));
    journal.tell(new JournalProtocol.DeleteMessagesTo("e-2", 100, replyTo), replyTo);
    assertInstanceOf(org.apache.pekko.persistence.DeleteMessagesSuccess.class, probe.receiveMessage());
    assertEquals(List.of(), replay(journal, replyTo, probe, "e-2", 1, Long.MAX_VALUE, Long.MAX_VALUE));
    journal.tell(new JournalProtocol.ReplayMessages(1, Long.MAX_VALUE, Long.MAX_VALUE, "e-2", replyTo), replyTo);
    JournalProtocol.RecoverySuccess recovered = assertInstanceOf(JournalProtocol.RecoverySuccess.class,
        probe.receiveMessage());
    assertEquals(10, recovered.highestSequenceNr(), "the highest sequence number survives deleting everything");
    assertEquals(List.of(), replay(journal, replyTo, probe, "e-other", 1, Long.MAX_VALUE, Long.MAX_VALUE));
  }

  /** The sequence numbers replayed for the range, checked to be followed by RecoverySuccess. */
  private static List<Long> replay(org.apache.pekko.actor.ActorRef journal, org.apache.pekko.actor.ActorRef replyTo,
      TestProbe<Object> probe, String id, long from, long to, long max) {
    journal.tell(new JournalProtocol.ReplayMessages(from, to, max, id, replyTo), replyTo);
    List<Long> replayed = new ArrayList<>();
    while (true) {
      Object message = probe.receiveMessage();
      if (message instanceof JournalProtocol.ReplayedMessage event) {
        PersistentRepr repr = event.persistent();
        assertEquals(id, repr.persistenceId());
        assertEquals(String.valueOf((char) ('a' + repr.sequenceNr() - 1)), repr.payload());
        replayed.add(repr.sequenceNr());
      } else {
        assertInstanceOf(JournalProtocol.RecoverySuccess.class, message);
        return replayed;
      }
    }
  }

  @Test
  void theNewestSnapshotThatMeetsTheCriteriaIsLoaded() {
    ActorRef<Command> entity = testKit.spawn(new Entity("e-3"));
    append(entity, "a", "b", "c", "d", "e", "f", "g");
    testKit.stop(entity);
    org.apache.pekko.actor.ActorRef snapshots = Persistence.get(Adapter.toClassic(testKit.system()))
        .snapshotStoreFor("portal.rocksdb.snapshot-store", ConfigFactory.empty());
    TestProbe<Object> probe = testKit.createTestProbe();
    org.apache.pekko.actor.ActorRef replyTo = Adapter.toClassic(probe.ref());
    assertEquals(6, load(snapshots, replyTo, probe, SnapshotSelectionCriteria.latest()).metadata().sequenceNr());
    SelectedSnapshot older = load(snapshots, replyTo, probe, SnapshotSelectionCriteria.create(5, Long.MAX_VALUE));
    assertEquals(3, older.metadata().sequenceNr());
    assertEquals("abc", older.snapshot());
    snapshots.tell(new SnapshotProtocol.DeleteSnapshots("e-3", SnapshotSelectionCriteria.create(4, Long.MAX_VALUE)),
        replyTo);
    probe.receiveMessage();
    assertEquals(6, load(snapshots, replyTo, probe, SnapshotSelectionCriteria.latest()).metadata().sequenceNr());
    snapshots.tell(new SnapshotProtocol.LoadSnapshot("e-3", SnapshotSelectionCriteria.create(5, Long.MAX_VALUE),
        Long.MAX_VALUE), replyTo);
    SnapshotProtocol.LoadSnapshotResult none = assertInstanceOf(SnapshotProtocol.LoadSnapshotResult.class,
        probe.receiveMessage());
    assertTrue(none.snapshot().isEmpty(), "the snapshot at 3 was deleted");
  }

  private static SelectedSnapshot load(org.apache.pekko.actor.ActorRef snapshots,
      org.apache.pekko.actor.ActorRef replyTo, TestProbe<Object> probe, SnapshotSelectionCriteria criteria) {
    snapshots.tell(new SnapshotProtocol.LoadSnapshot("e-3", criteria, Long.MAX_VALUE), replyTo);
    SnapshotProtocol.LoadSnapshotResult result = assertInstanceOf(SnapshotProtocol.LoadSnapshotResult.class,
        probe.receiveMessage());
    return result.snapshot().get();
  }
}
