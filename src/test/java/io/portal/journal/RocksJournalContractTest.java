package io.portal.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.DeleteMessagesSuccess;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.SnapshotMetadata;
import org.apache.pekko.persistence.SnapshotProtocol;
import org.apache.pekko.persistence.SnapshotSelectionCriteria;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The cases of Pekko's plugin TCK ({@code JournalSpec} and {@code SnapshotStoreSpec} of pekko-persistence-tck 1.7.0)
 * against the RocksDB plugins, ported to JUnit: the TCK itself runs on ScalaTest. Each test starts from a fresh folder
 * holding events 1-5 of one entity ("a-1" to "a-5", the last two in one atomic write) and snapshots 1-5 of another.
 */
class RocksJournalContractTest {
  private static final String PID = "p-1";
  private static final String SNAPSHOT_PID = "s-1";
  private static final String WRITER = "writer-1";

  private ActorTestKit testKit;
  private ActorRef journal;
  private ActorRef snapshots;
  private TestProbe<Object> probe;
  private ActorRef replyTo;
  private final List<SnapshotMetadata> saved = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    Path dir = Files.createTempDirectory("portal-rocks-contract");
    testKit = ActorTestKit.create(ConfigFactory.parseString(
            "pekko.persistence.journal.plugin = \"portal.rocksdb.journal\"\n"
                + "pekko.persistence.snapshot-store.plugin = \"portal.rocksdb.snapshot-store\"\n"
                + "portal.rocksdb.dir = \"" + dir + "\"\n")
        .withFallback(ConfigFactory.load()));
    Persistence persistence = Persistence.get(Adapter.toClassic(testKit.system()));
    journal = persistence.journalFor("portal.rocksdb.journal", ConfigFactory.empty());
    snapshots = persistence.snapshotStoreFor("portal.rocksdb.snapshot-store", ConfigFactory.empty());
    probe = testKit.createTestProbe();
    replyTo = Adapter.toClassic(probe.ref());
    writeEvents();
    for (int i = 1; i <= 5; i++) {
      snapshots.tell(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(SNAPSHOT_PID, i, 0), "s-" + i),
          replyTo);
      saved.add(assertInstanceOf(org.apache.pekko.persistence.SaveSnapshotSuccess.class, probe.receiveMessage()).metadata());
      Thread.sleep(2); // distinct timestamps, for the timestamp criteria
    }
  }

  @AfterEach
  void stop() {
    testKit.shutdownTestKit();
  }

  private static PersistentRepr event(long sequenceNr) {
    return PersistentRepr.apply("a-" + sequenceNr, sequenceNr, PID, "", false, ActorRef.noSender(), WRITER);
  }

  /** Events 1-3 one write each, 4 and 5 in one atomic write, as the TCK writes them. */
  private void writeEvents() {
    List<Object> writes = new ArrayList<>();
    for (long i = 1; i <= 3; i++) {
      writes.add(AtomicWrite.apply(event(i)));
    }
    writes.add(new AtomicWrite(CollectionConverters.asScala(List.of(event(4), event(5))).toList()));
    journal.tell(new JournalProtocol.WriteMessages(envelopes(writes), replyTo, 1), replyTo);
    assertEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$, probe.receiveMessage());
    for (long i = 1; i <= 5; i++) {
      JournalProtocol.WriteMessageSuccess success = assertInstanceOf(JournalProtocol.WriteMessageSuccess.class,
          probe.receiveMessage());
      assertEquals(i, success.persistent().sequenceNr());
      assertEquals("a-" + i, success.persistent().payload());
      assertEquals(WRITER, success.persistent().writerUuid());
    }
  }

  @SuppressWarnings("unchecked")
  private static scala.collection.immutable.Seq<org.apache.pekko.persistence.PersistentEnvelope> envelopes(
      List<Object> writes) {
    List<org.apache.pekko.persistence.PersistentEnvelope> list = new ArrayList<>();
    writes.forEach(w -> list.add((org.apache.pekko.persistence.PersistentEnvelope) w));
    return CollectionConverters.asScala(list).toList();
  }

  /** Replays and returns the sequence numbers, checking payloads; {@code highest} is what RecoverySuccess says. */
  private List<Long> replay(long from, long to, long max, String pid, long highest) {
    journal.tell(new JournalProtocol.ReplayMessages(from, to, max, pid, replyTo), replyTo);
    List<Long> replayed = new ArrayList<>();
    while (true) {
      Object message = probe.receiveMessage();
      if (message instanceof JournalProtocol.ReplayedMessage event) {
        assertEquals("a-" + event.persistent().sequenceNr(), event.persistent().payload());
        assertEquals(pid, event.persistent().persistenceId());
        assertEquals(WRITER, event.persistent().writerUuid());
        replayed.add(event.persistent().sequenceNr());
      } else {
        assertEquals(highest, assertInstanceOf(JournalProtocol.RecoverySuccess.class, message).highestSequenceNr());
        return replayed;
      }
    }
  }

  private void deleteTo(long sequenceNr) {
    journal.tell(new JournalProtocol.DeleteMessagesTo(PID, sequenceNr, replyTo), replyTo);
    assertEquals(sequenceNr, assertInstanceOf(DeleteMessagesSuccess.class, probe.receiveMessage()).toSequenceNr());
  }

  @Test
  void replayByBoundsAndCount() {
    long max = Long.MAX_VALUE;
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), replay(1, max, max, PID, 5), "all messages");
    assertEquals(List.of(3L, 4L, 5L), replay(3, max, max, PID, 5), "a lower bound");
    assertEquals(List.of(1L, 2L, 3L), replay(1, 3, max, PID, 5), "an upper bound");
    assertEquals(List.of(1L, 2L, 3L), replay(1, max, 3, PID, 5), "a count limit");
    assertEquals(List.of(2L, 3L), replay(2, 3, max, PID, 5), "lower and upper bounds");
    assertEquals(List.of(2L, 3L), replay(2, 5, 2, PID, 5), "bounds and a count limit");
    assertEquals(List.of(2L), replay(2, 2, max, PID, 5), "lower bound equal to upper bound");
    assertEquals(List.of(1L), replay(1, max, 1, PID, 5), "a count limit of 1");
    assertEquals(List.of(), replay(1, max, 0, PID, 5), "a count limit of 0");
    assertEquals(List.of(), replay(3, 2, max, PID, 5), "a lower bound over the upper bound");
    assertEquals(List.of(), replay(0, max, max, "non-existing-pid", 0), "an entity that has written nothing");
  }

  @Test
  void deletedMessagesAreNotReplayedAndTheHighestSequenceNumberStays() {
    long max = Long.MAX_VALUE;
    deleteTo(3);
    assertEquals(List.of(4L, 5L), replay(1, max, max, PID, 5), "range deletion");
    assertEquals(List.of(4L, 5L), replay(3, max, max, PID, 5), "lower bound at the last deleted");
    assertEquals(List.of(), replay(1, 2, max, PID, 5), "upper bound within the deleted prefix");
    assertEquals(List.of(), replay(1, 3, max, PID, 5), "upper bound at the last deleted");
    assertEquals(List.of(4L, 5L), replay(4, max, max, PID, 5), "lower bound at the first surviving");
    assertEquals(List.of(4L), replay(2, 4, max, PID, 5), "a window spanning the deleted prefix");
    deleteTo(Long.MAX_VALUE);
    assertEquals(List.of(), replay(0, max, max, PID, 5), "after cleanup, the highest sequence number stays");
  }

  @Test
  void aNonSerializableEventIsRejectedAloneAndTheOthersAreWritten() {
    Object notSerializable = new Object();
    PersistentRepr bad = PersistentRepr.apply(notSerializable, 6, PID, "", false, ActorRef.noSender(), WRITER);
    journal.tell(new JournalProtocol.WriteMessages(envelopes(List.of(AtomicWrite.apply(bad),
        AtomicWrite.apply(event(7)))), replyTo, 1), replyTo);
    assertEquals(JournalProtocol.WriteMessagesSuccessful$.MODULE$, probe.receiveMessage());
    JournalProtocol.WriteMessageRejected rejected = assertInstanceOf(JournalProtocol.WriteMessageRejected.class,
        probe.receiveMessage());
    assertEquals(6, rejected.message().sequenceNr());
    assertEquals(7, assertInstanceOf(JournalProtocol.WriteMessageSuccess.class, probe.receiveMessage())
        .persistent().sequenceNr());
    assertEquals(List.of(7L), replay(6, Long.MAX_VALUE, Long.MAX_VALUE, PID, 7));
  }

  /** The snapshot loaded for {@code criteria}, or null. */
  private Object load(String pid, SnapshotSelectionCriteria criteria) {
    snapshots.tell(new SnapshotProtocol.LoadSnapshot(pid, criteria, Long.MAX_VALUE), replyTo);
    var result = assertInstanceOf(SnapshotProtocol.LoadSnapshotResult.class, probe.receiveMessage());
    return result.snapshot().isEmpty() ? null : result.snapshot().get().snapshot();
  }

  @Test
  void snapshotsAreLoadedByCriteria() {
    assertEquals(null, load("invalid", SnapshotSelectionCriteria.latest()), "an unknown entity");
    assertEquals(null, load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(Long.MAX_VALUE, 100)),
        "non-matching timestamp criteria");
    assertEquals(null, load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(0, Long.MAX_VALUE)),
        "non-matching sequence number criteria");
    assertEquals("s-5", load(SNAPSHOT_PID, SnapshotSelectionCriteria.latest()), "the most recent");
    assertEquals("s-3", load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(3, Long.MAX_VALUE)),
        "the most recent under an upper sequence number bound");
    assertEquals("s-3", load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(13, saved.get(2).timestamp())),
        "the most recent under upper sequence number and timestamp bounds");
  }

  @Test
  void snapshotsAreDeletedOneByMetadataOrAllByCriteria() {
    snapshots.tell(new SnapshotProtocol.DeleteSnapshot(saved.get(2)), replyTo);
    assertInstanceOf(org.apache.pekko.persistence.DeleteSnapshotSuccess.class, probe.receiveMessage());
    assertEquals("s-2", load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(3, Long.MAX_VALUE)),
        "the one at 3 is gone");

    snapshots.tell(new SnapshotProtocol.DeleteSnapshots(SNAPSHOT_PID,
        SnapshotSelectionCriteria.create(4, saved.get(3).timestamp() - 1)), replyTo);
    assertInstanceOf(org.apache.pekko.persistence.DeleteSnapshotsSuccess.class, probe.receiveMessage());
    assertEquals("s-4", load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(4, Long.MAX_VALUE)),
        "a non-matching upper timestamp bound spares it");
    assertEquals(null, load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(3, Long.MAX_VALUE)),
        "1 and 2 matched both bounds");
    assertEquals("s-5", load(SNAPSHOT_PID, SnapshotSelectionCriteria.latest()));
  }

  @Test
  void aSnapshotIsOverwrittenAtTheSameSequenceNumberAndBigOnesAreKept() {
    snapshots.tell(new SnapshotProtocol.SaveSnapshot(saved.get(4), "s-5 again"), replyTo);
    assertInstanceOf(org.apache.pekko.persistence.SaveSnapshotSuccess.class, probe.receiveMessage());
    assertEquals("s-5 again", load(SNAPSHOT_PID, SnapshotSelectionCriteria.latest()));

    String big = "x".repeat(10_000_000);
    snapshots.tell(new SnapshotProtocol.SaveSnapshot(SnapshotMetadata.apply(SNAPSHOT_PID, 6, 0), big), replyTo);
    assertInstanceOf(org.apache.pekko.persistence.SaveSnapshotSuccess.class, probe.receiveMessage(Duration.ofSeconds(10)));
    assertEquals(big, load(SNAPSHOT_PID, SnapshotSelectionCriteria.latest()));
    assertTrue(load(SNAPSHOT_PID, SnapshotSelectionCriteria.create(5, Long.MAX_VALUE)).equals("s-5 again"));
  }
}
