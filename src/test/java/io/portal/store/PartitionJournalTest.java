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
        new DedupPolicy(Duration.ofMinutes(10), 1000), 2, 4096, 4 << 20, 1000, 32L << 20, 64L << 20,
        1000, Duration.ofSeconds(10),
        Duration.ofSeconds(10),
        new H2Housekeeping.Settings(Duration.ofSeconds(1), 80, 16 << 20, Duration.ZERO, 2000, 0, 1, false));
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
    kit.<JournalEvent>runCommand(replyTo -> new JournalCommand(third, replyTo)); // snapshot every 2 events

    var restarted = kit.restart();
    PartitionState state = restarted.state();
    assertEquals(Optional.empty(), state.read(utf8("a"), 20));
    assertEquals(Optional.of(new Versioned(utf8("2"), 1)), state.read(utf8("b"), 20));
    assertEquals(Optional.of(new Versioned(utf8("3"), 1)), state.read(utf8("c"), 20));
    assertEquals(1, state.dedupSize());
  }

  @Test
  void partitionsSnapshotAtStaggeredIntervalsNeverAboveTheSetting() {
    assertEquals(1000, PartitionJournal.snapshotInterval(0, 1000));
    assertEquals(985, PartitionJournal.snapshotInterval(1, 1000));
    assertEquals(766, PartitionJournal.snapshotInterval(15, 1000));
    assertEquals(1000, PartitionJournal.snapshotInterval(16, 1000));
    assertEquals(java.util.stream.IntStream.range(0, 64).map(p -> PartitionJournal.snapshotInterval(p, 1000))
        .distinct().count(), 16);
    assertEquals(2, PartitionJournal.snapshotInterval(15, 2));
    assertEquals(1, PartitionJournal.snapshotInterval(7, 1));
  }
}
