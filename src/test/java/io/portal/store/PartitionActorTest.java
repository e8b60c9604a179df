package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The partition actor with a journal the test drives by hand: it holds each batch until the test says it is
 * durable, which makes group commit, read behaviour and expiry observable step by step.
 */
class PartitionActorTest {
  private static final ActorTestKit testKit = ActorTestKit.create(ConfigFactory.parseString(
      "pekko.actor.provider = local"));
  private static final Duration NONE = Duration.ofMillis(200);

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static StoreSettings settings() {
    return settings(32L << 20);
  }

  private static StoreSettings settings(long maxPendingBytes) {
    return new StoreSettings(1, Duration.ofSeconds(5), true, Path.of("unused"),
        new DedupPolicy(Duration.ofMinutes(10), 1000), new SnapshotRule(100, 1 << 20), 4096, 4 << 20, 1000, maxPendingBytes, 64L << 20,
        1000, Duration.ofSeconds(10),
        Duration.ofSeconds(10), 10_000, 1 << 20);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  /** A partition whose journal forwards every batch to {@link #journal}; {@link #persist} confirms one. */
  private static final class Harness {
    final TestProbe<JournalCommand> journal = testKit.createTestProbe();
    final ActorRef<PartitionActor.Command> partition;
    final LocalPartitions local = new LocalPartitions(1);
    PartitionState state = PartitionState.empty();
    /** What the partition's write gate says; null: writes are taken. */
    final java.util.concurrent.atomic.AtomicReference<WriteGate.Refusal> refusal =
        new java.util.concurrent.atomic.AtomicReference<>();

    Harness() {
      this(settings());
    }

    /** A journal that fails (throws) on a batch holding a change of key "fail". */
    Harness(StoreSettings settings) {
      partition = testKit.spawn(PartitionActor.create(0, settings, local, refusal::get, (id, parent, s) ->
          Behaviors.setup(context -> {
            parent.tell(new JournalEvent.Recovered(PartitionState.empty()));
            return Behaviors.receiveMessage(command -> {
              if (command.event().changes().stream().anyMatch(c -> c.key().equals(utf8("fail")))) {
                throw new IllegalStateException("disk on fire");
              }
              journal.ref().tell(command);
              return Behaviors.same();
            });
          })));
    }

    /** Takes the next batch, confirms it durable, returns it. */
    Applied persist() {
      JournalCommand command = journal.receiveMessage();
      state = state.apply(command.event(), settings().dedup());
      command.replyTo().tell(new JournalEvent.Persisted(state));
      return command.event();
    }

    TestProbe<PartitionActor.WriteReply> set(String key, String value, long ttlMillis) {
      TestProbe<PartitionActor.WriteReply> reply = testKit.createTestProbe();
      partition.tell(new PartitionActor.Apply(
          new Write.Set(utf8(key), utf8(value), ttlMillis, OptionalLong.empty(), null), reply.ref()));
      return reply;
    }

    TestProbe<PartitionActor.ReadReply> get(String key) {
      TestProbe<PartitionActor.ReadReply> reply = testKit.createTestProbe();
      partition.tell(new PartitionActor.Get(utf8(key), reply.ref()));
      return reply;
    }
  }

  @Test
  void writesArrivingDuringAPersistGoIntoTheNextOneTogether() {
    Harness h = new Harness();
    TestProbe<PartitionActor.WriteReply> first = h.set("a", "1", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    assertEquals(1, inFlight.event().changes().size());
    List<TestProbe<PartitionActor.WriteReply>> waiting = new java.util.ArrayList<>();
    for (int i = 0; i < 50; i++) {
      waiting.add(h.set("k" + i, "v" + i, 0));
    }
    h.journal.expectNoMessage(NONE); // one persist at a time
    first.expectNoMessage(Duration.ZERO);
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state));
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), first.receiveMessage());
    waiting.get(0).expectNoMessage(NONE); // not durable yet
    Applied batch = h.persist();
    assertEquals(50, batch.changes().size(), "the 50 writes made one event");
    for (TestProbe<PartitionActor.WriteReply> reply : waiting) {
      assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), reply.receiveMessage());
    }
  }

  @Test
  void writesBeyondThePendingBytesLimitAreRefusedAndTakenAgainOnceItDrains() {
    Harness h = new Harness(settings(1000));
    TestProbe<PartitionActor.WriteReply> first = h.set("a", "1", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    String value = "v".repeat(400); // 1 + 32 + 400 = 433 bytes as the partition counts a change
    TestProbe<PartitionActor.WriteReply> b = h.set("b", value, 0);
    TestProbe<PartitionActor.WriteReply> c = h.set("c", value, 0);
    TestProbe<PartitionActor.WriteReply> d = h.set("d", value, 0);
    assertEquals(new PartitionActor.WriteReply.Unavailable(
        "partition 0 has 866 bytes of writes waiting, limit 1000 (portal.store.max-pending-bytes)"), d.receiveMessage());
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state));
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), first.receiveMessage());
    assertEquals(2, h.persist().changes().size(), "b and c went to the journal together");
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), b.receiveMessage());
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), c.receiveMessage());
    TestProbe<PartitionActor.WriteReply> again = h.set("d", value, 0);
    h.persist();
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), again.receiveMessage());
  }

  @Test
  void theStoreRefusesWritesBeyondItsBytesInFlightAndSaysWhenItHasRoom() {
    TestProbe<PartitionActor.Command> partition = testKit.createTestProbe();
    PartitionedKvStore store = new PartitionedKvStore(i -> partition.ref(), 1, testKit.system().scheduler(),
        Duration.ofSeconds(5), new LocalPartitions(1), 100);
    assertTrue(store.acceptingWrite(1_000), "with nothing in flight one write is always taken");
    var first = store.set(new Write.Set(utf8("k"), utf8("x".repeat(59)), 0, OptionalLong.empty(), null))
        .toCompletableFuture();
    PartitionActor.Apply apply = (PartitionActor.Apply) partition.receiveMessage();
    assertEquals(60, store.writeBytesInFlight());
    assertFalse(store.acceptingWrite(50));
    assertTrue(store.acceptingWrite(40));
    var refused = store.set(new Write.Set(utf8("j"), utf8("y".repeat(49)), 0, OptionalLong.empty(), null))
        .toCompletableFuture();
    var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> refused.get(5,
        java.util.concurrent.TimeUnit.SECONDS));
    assertEquals("writes in flight on this node hold 60 bytes; 50 more would exceed the limit 100 "
        + "(portal.store.max-write-bytes-in-flight): retry later", failure.getCause().getMessage());
    assertTrue(failure.getCause() instanceof StoreUnavailableException);
    apply.replyTo().tell(new PartitionActor.WriteReply.Done(Outcome.set(1)));
    assertEquals(1L, first.join());
    assertEquals(0, store.writeBytesInFlight());
    assertTrue(store.acceptingWrite(1_000));
  }

  @Test
  void readsNeverWaitForOtherKeysButWaitForTheirOwnWrite() {
    Harness h = new Harness();
    h.set("old", "x", 0);
    h.persist();
    TestProbe<PartitionActor.WriteReply> write = h.set("old", "y", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    assertEquals(Optional.empty(), h.get("other").receiveMessage(Duration.ofSeconds(1)).asOptional(),
        "answered at once");
    TestProbe<PartitionActor.ReadReply> sameKey = h.get("old");
    sameKey.expectNoMessage(NONE); // its write is on the way: answer after it, never the stale value
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state));
    write.receiveMessage();
    assertEquals(Optional.of(new Versioned(utf8("y"), 2)), sameKey.receiveMessage().asOptional());
  }

  @Test
  void thePublishedStateHasEveryAnsweredWriteAndNoUndurableOneAndIsWithdrawnAtStop() {
    Harness h = new Harness();
    TestProbe<PartitionActor.WriteReply> write = h.set("p", "1", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    assertEquals(Optional.empty(), h.local.get(0).read(utf8("p"), System.currentTimeMillis()),
        "a write in flight is not published");
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state));
    write.receiveMessage();
    assertEquals(Optional.of(new Versioned(utf8("1"), 1)),
        h.local.get(0).read(utf8("p"), System.currentTimeMillis()), "published before the answer");
    assertEquals(1, h.local.hosted());
    TestProbe<Object> watcher = testKit.createTestProbe();
    h.partition.tell(PartitionActor.Stop.INSTANCE);
    assertEquals(List.of(), h.persist().changes(), "the checkpoint before stopping");
    watcher.expectTerminated(h.partition);
    assertEquals(null, h.local.get(0), "a stopped partition serves no local reads");
    assertEquals(0, h.local.hosted());
  }

  @Test
  void whileTheGateRefusesWritesAreAnsweredAtOnceWithItsReasonAndReadsGoOn() {
    Harness h = new Harness();
    h.set("k", "1", 0);
    h.persist();
    h.refusal.set(new WriteGate.Refusal(true, "the journal's disk is full (test)"));
    assertEquals(new PartitionActor.WriteReply.StorageFull("the journal's disk is full (test)"),
        h.set("k", "2", 0).receiveMessage());
    h.refusal.set(new WriteGate.Refusal(false, "the journal cannot write (test)"));
    assertEquals(new PartitionActor.WriteReply.Unavailable("the journal cannot write (test)"),
        h.set("k", "2", 0).receiveMessage());
    h.journal.expectNoMessage(Duration.ofMillis(100));
    assertEquals(new Versioned(utf8("1"), 1), h.get("k").receiveMessage().value());
    h.refusal.set(null);
    TestProbe<PartitionActor.WriteReply> taken = h.set("k", "3", 0);
    h.persist();
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(2)), taken.receiveMessage());
  }

  @Test
  void aFailedJournalAnswersEveryWriteInFlightAndWaitingWithTheReasonAndThePartitionStops() {
    Harness h = new Harness();
    TestProbe<PartitionActor.WriteReply> first = h.set("a", "1", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    TestProbe<PartitionActor.WriteReply> failing = h.set("fail", "x", 0); // waits for the next batch
    TestProbe<PartitionActor.ReadReply> read = h.get("fail"); // waits for that write
    TestProbe<Object> watcher = testKit.createTestProbe();
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state)); // then the batch with "fail" kills the journal
    assertEquals(new PartitionActor.WriteReply.Done(Outcome.set(1)), first.receiveMessage());
    PartitionActor.WriteReply.Unavailable refused = failing.expectMessageClass(
        PartitionActor.WriteReply.Unavailable.class);
    assertEquals("partition 0: the journal failed to write (disk on fire); a write in flight may or may not have "
        + "been applied", refused.message());
    assertEquals(null, read.receiveMessage().value(), "answered from the durable state, without the failed write");
    watcher.expectTerminated(h.partition);
  }

  @Test
  void aStopCommitsTheAcceptedWritesThenCheckpointsAndRefusesWritesMeanwhile() {
    Harness h = new Harness();
    TestProbe<PartitionActor.WriteReply> first = h.set("a", "1", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    TestProbe<PartitionActor.WriteReply> second = h.set("b", "2", 0); // waits for the next batch
    h.partition.tell(PartitionActor.Stop.INSTANCE);
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state));
    first.receiveMessage();
    assertEquals(1, h.persist().changes().size(), "the write accepted before the stop is committed");
    second.receiveMessage();
    JournalCommand checkpoint = h.journal.receiveMessage();
    assertEquals(List.of(), checkpoint.event().changes());
    TestProbe<PartitionActor.WriteReply> late = h.set("c", "3", 0);
    PartitionActor.WriteReply.Unavailable refused = late.expectMessageClass(PartitionActor.WriteReply.Unavailable.class);
    assertEquals("partition 0 is stopping (moving to another node or shutting down); retry", refused.message());
    TestProbe<Object> watcher = testKit.createTestProbe();
    checkpoint.replyTo().tell(new JournalEvent.Persisted(h.state));
    watcher.expectTerminated(h.partition);
  }

  @Test
  void aVersionMismatchIsAnsweredOnlyAfterTheWritesBeforeItAreDurable() {
    Harness h = new Harness();
    h.set("c", "1", 0);
    JournalCommand inFlight = h.journal.receiveMessage();
    TestProbe<PartitionActor.WriteReply> cas = testKit.createTestProbe();
    h.partition.tell(new PartitionActor.Apply(
        new Write.Set(utf8("c"), utf8("2"), 0, OptionalLong.of(0), null), cas.ref()));
    cas.expectNoMessage(NONE);
    h.state = h.state.apply(inFlight.event(), settings().dedup());
    inFlight.replyTo().tell(new JournalEvent.Persisted(h.state));
    assertEquals(new PartitionActor.WriteReply.Mismatch(0, 1), cas.receiveMessage());
  }

  @Test
  void expiredKeysAreRemovedByTheTimerWithoutAnyRead() {
    Harness h = new Harness();
    h.set("short", "s", 300);
    h.set("long", "l", 60_000);
    h.persist();
    h.persist();
    JournalCommand expiry = h.journal.receiveMessage(Duration.ofSeconds(3));
    assertEquals(List.of(new Change.Removal(utf8("short"), true, true, null)), expiry.event().changes());
  }

  @Test
  void aRestartedPartitionRecoversItsJournalState() {
    TestProbe<JournalCommand> unused = testKit.createTestProbe();
    PartitionState recovered = PartitionState.empty().apply(new Applied(1, List.of(
        new Change.Put(utf8("kept"), utf8("v"), 4, 0, null))), settings().dedup());
    ActorRef<PartitionActor.Command> partition = testKit.spawn(PartitionActor.create(0, settings(),
        new LocalPartitions(1), WriteGate.OPEN,
        (id, parent, s) -> Behaviors.setup(context -> {
          parent.tell(new JournalEvent.Recovered(recovered));
          return Behaviors.receiveMessage(command -> {
            unused.ref().tell(command);
            return Behaviors.same();
          });
        })));
    TestProbe<PartitionActor.ReadReply> reply = testKit.createTestProbe();
    partition.tell(new PartitionActor.Get(utf8("kept"), reply.ref()));
    assertEquals(Optional.of(new Versioned(utf8("v"), 4)), reply.receiveMessage().asOptional());
  }
}
