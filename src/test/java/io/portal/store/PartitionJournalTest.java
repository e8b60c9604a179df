package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The event-sourced half of a partition, on Pekko's in-memory test journal, events and state serialized. */
class PartitionJournalTest {
  private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config()
      .withFallback(ConfigFactory.parseString("""
          pekko.actor.provider = local
          pekko.actor.serializers.portal-store = "io.portal.store.StoreSerializer"
          pekko.actor.serialization-bindings {
            "io.portal.store.Applied" = portal-store
            "io.portal.store.PartitionState" = portal-store
          }
          """)));

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void eachBatchIsOneEventAndSurvivesARestart() {
    StoreSettings settings = new StoreSettings(1, Duration.ofSeconds(5), true, Path.of("unused"),
        new DedupPolicy(Duration.ofMinutes(10), 1000), new SnapshotRule(100, 1 << 20), 4096, 4 << 20, 1000, 32L << 20, 64L << 20,
        1000, Duration.ofSeconds(10),
        Duration.ofSeconds(10), 10_000, 1 << 20);
    TestProbe<JournalEvent> partition = testKit.createTestProbe();
    EventSourcedBehaviorTestKit<JournalCommand, Applied, PartitionState> kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), PartitionJournal.create(3, partition.ref(), settings),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
    assertInstanceOf(JournalEvent.Recovered.class, partition.receiveMessage());

    Applied first = new Applied(10, List.of(new Change.Put(utf8("a"), utf8("1"), 1, 0, null),
        new Change.Put(utf8("b"), utf8("2"), 1, 0, new Origin("c", 9))));
    var result = kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(first, replyTo));
    assertEquals(List.of(first), result.events());
    assertEquals(Optional.of(new Versioned(utf8("2"), 1)), result.state().read(utf8("b"), 10));
    assertInstanceOf(JournalEvent.Persisted.class, result.reply());

    Applied second = new Applied(11, List.of(new Change.Removal(utf8("a"), false, true, null)));
    kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(second, replyTo));
    Applied third = new Applied(12, List.of(new Change.Put(utf8("c"), utf8("3"), 1, 0, null)));
    kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(third, replyTo));

    var restarted = kit.restart();
    PartitionState state = restarted.state();
    assertEquals(Optional.empty(), state.read(utf8("a"), 20));
    assertEquals(Optional.of(new Versioned(utf8("2"), 1)), state.read(utf8("b"), 20));
    assertEquals(Optional.of(new Versioned(utf8("3"), 1)), state.read(utf8("c"), 20));
    assertEquals(1, state.dedupSize());
  }

  @Test
  void aSnapshotComesWithGrowthAndDeletesTheEventsAndSnapshotsBeforeIt() throws InterruptedException {
    StoreSettings settings = new StoreSettings(1, Duration.ofSeconds(5), true, Path.of("unused"),
        new DedupPolicy(Duration.ofMinutes(10), 1000), new SnapshotRule(100, 200), 4096, 4 << 20, 1000, 32L << 20,
        64L << 20, 1000, Duration.ofSeconds(10), Duration.ofSeconds(10), 10_000, 1 << 20);
    TestProbe<JournalEvent> partition = testKit.createTestProbe();
    EventSourcedBehaviorTestKit<JournalCommand, Applied, PartitionState> kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), PartitionJournal.create(16, partition.ref(), settings), // 16: no stagger
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false));
    String id = PartitionJournal.persistenceIdOf(16).id();
    for (int i = 0; i < 10; i++) {
      // 35 bytes each (key 2 + value 1 + 32): journaled = state = 35 n, due once both reach the 200-byte floor
      Applied put = new Applied(i, List.of(new Change.Put(utf8("k" + i), utf8("v"), 1, 0, null)));
      kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(put, replyTo));
    }
    assertEquals(350, kit.getState().bytes());
    var snapshots = kit.snapshotTestKit().orElseThrow();
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (kit.persistenceTestKit().persistedInStorage(id).size() > 4 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(4, kit.persistenceTestKit().persistedInStorage(id).size(), "events 7-10 are left");
    var saved = snapshots.persistedInStorage(id);
    assertEquals(1, saved.size());
    assertEquals(6, saved.get(0).first().sequenceNr());
    assertEquals(10, kit.restart().state().size());

    // the checkpoint before a stop: a snapshot of what was journaled since the last one, whatever the threshold
    kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(new Applied(11, List.of()), replyTo));
    assertEquals(11, snapshots.persistedInStorage(id).get(snapshots.persistedInStorage(id).size() - 1).first()
        .sequenceNr());
    kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(new Applied(12, List.of()), replyTo));
    assertEquals(11, snapshots.persistedInStorage(id).get(snapshots.persistedInStorage(id).size() - 1).first()
        .sequenceNr(), "nothing journaled since: no snapshot");
    kit.clear(); // the test journal is the system's, shared with the other tests
  }
}
