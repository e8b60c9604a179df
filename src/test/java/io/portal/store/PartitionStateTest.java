package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PartitionStateTest {
  private static final DedupPolicy POLICY = new DedupPolicy(Duration.ofMinutes(10), 100);
  private static final ByteString K = ByteString.copyFromUtf8("k");

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  private static Write.Set set(String value) {
    return new Write.Set(K, utf8(value), 0, OptionalLong.empty(), null);
  }

  /** Decides and applies one write at {@code now}; returns the new state, asserting it was applied. */
  private static PartitionState applied(PartitionState state, Write write, long now) {
    PartitionState.Decision.Apply apply = assertInstanceOf(PartitionState.Decision.Apply.class,
        state.decide(write, now));
    return state.apply(new Applied(now, List.of(apply.change())), POLICY);
  }

  @Test
  void versionsStartAtOneGrowPerWriteAndRestartAfterDelete() {
    PartitionState s = PartitionState.empty();
    assertEquals(Optional.empty(), s.read(K, 0));
    s = applied(s, set("a"), 1);
    assertEquals(Optional.of(new Versioned(utf8("a"), 1)), s.read(K, 1));
    s = applied(s, set("b"), 2);
    assertEquals(Optional.of(new Versioned(utf8("b"), 2)), s.read(K, 2));
    PartitionState.Decision.Apply delete = assertInstanceOf(PartitionState.Decision.Apply.class,
        s.decide(new Write.Delete(K, OptionalLong.empty(), null), 3));
    assertEquals(Outcome.delete(true), delete.outcome());
    s = s.apply(new Applied(3, List.of(delete.change())), POLICY);
    assertEquals(Optional.empty(), s.read(K, 3));
    assertEquals(new PartitionState.Decision.Repeat(Outcome.delete(false)),
        s.decide(new Write.Delete(K, OptionalLong.empty(), null), 4), "deleting an absent key changes nothing");
    s = applied(s, set("c"), 5);
    assertEquals(1, s.read(K, 5).orElseThrow().version());
  }

  @Test
  void compareAndSet() {
    PartitionState s = PartitionState.empty();
    assertEquals(new PartitionState.Decision.Mismatch(3, 0),
        s.decide(new Write.Set(K, utf8("x"), 0, OptionalLong.of(3), null), 0));
    s = applied(s, new Write.Set(K, utf8("x"), 0, OptionalLong.of(0), null), 0); // 0: must not exist
    assertEquals(new PartitionState.Decision.Mismatch(0, 1),
        s.decide(new Write.Set(K, utf8("y"), 0, OptionalLong.of(0), null), 0));
    s = applied(s, new Write.Set(K, utf8("y"), 0, OptionalLong.of(1), null), 0);
    assertEquals(2, s.read(K, 0).orElseThrow().version());
    assertEquals(new PartitionState.Decision.Mismatch(1, 2),
        s.decide(new Write.Delete(K, OptionalLong.of(1), null), 0));
    s = applied(s, new Write.Delete(K, OptionalLong.of(2), null), 0);
    assertEquals(Optional.empty(), s.read(K, 0));
  }

  @Test
  void ttlExpiresAtAnAbsoluteTimeAndAPlainSetClearsIt() {
    PartitionState s = applied(PartitionState.empty(), new Write.Set(K, utf8("t"), 500, OptionalLong.empty(), null),
        1000);
    assertEquals(1500, s.raw(K).expiresAtMillis());
    assertEquals(Optional.of(new Versioned(utf8("t"), 1, 1500)), s.read(K, 1499));
    assertEquals(Optional.empty(), s.read(K, 1500), "expired keys are never returned, removed or not");
    assertEquals(new PartitionState.Decision.Mismatch(1, 0),
        s.decide(new Write.Set(K, utf8("u"), 0, OptionalLong.of(1), null), 1500), "an expired key is absent");
    PartitionState renewed = applied(s, set("u"), 1600);
    assertEquals(1, renewed.read(K, 1600).orElseThrow().version(), "a key created after expiry starts at 1");

    PartitionState permanent = applied(s, set("p"), 1200);
    assertEquals(0, permanent.raw(K).expiresAtMillis());
    assertEquals(Optional.of(new Versioned(utf8("p"), 2)), permanent.read(K, Long.MAX_VALUE));
  }

  @Test
  void aRepeatedSessionWriteIsAnsweredWithItsFirstOutcome() {
    Origin origin = new Origin("client-a", 7);
    PartitionState s = applied(PartitionState.empty(),
        new Write.Set(K, utf8("first"), 0, OptionalLong.empty(), origin), 10);
    s = applied(s, set("second"), 11);
    assertEquals(new PartitionState.Decision.Repeat(Outcome.set(1)),
        s.decide(new Write.Set(K, utf8("first"), 0, OptionalLong.empty(), origin), 12));
    assertEquals(2, s.read(K, 12).orElseThrow().version(), "the repeat changed nothing");
    // a session's delete of an absent key is recorded, so its retry answers the same even if the key appears
    Origin deleteOrigin = new Origin("client-a", 8);
    PartitionState.Decision.Apply absent = assertInstanceOf(PartitionState.Decision.Apply.class,
        PartitionState.empty().decide(new Write.Delete(K, OptionalLong.empty(), deleteOrigin), 0));
    assertEquals(new Change.Removal(K, false, false, deleteOrigin), absent.change());
  }

  @Test
  void rememberedWritesAreForgottenByAgeAndCount() {
    DedupPolicy small = new DedupPolicy(Duration.ofMillis(100), 3);
    PartitionState s = PartitionState.empty();
    for (int i = 1; i <= 5; i++) {
      Change put = new Change.Put(utf8("k" + i), utf8("v"), 1, 0, new Origin("c", i));
      s = s.apply(new Applied(i, List.of(put)), small);
    }
    assertEquals(3, s.dedupSize(), "count bound");
    assertNull(s.remembered(new Origin("c", 2)));
    assertEquals(Outcome.set(1), s.remembered(new Origin("c", 3)).outcome());
    s = s.apply(new Applied(104, List.of(new Change.Put(utf8("k6"), utf8("v"), 1, 0, new Origin("c", 6)))), small);
    assertNull(s.remembered(new Origin("c", 3)), "older than 100 ms before the newest batch");
    assertEquals(List.of(4L, 5L, 6L), iterate(s).stream().map(r -> r.origin().requestId()).toList());
  }

  private static List<DedupRecord> iterate(PartitionState s) {
    List<DedupRecord> out = new java.util.ArrayList<>();
    s.dedupRecords().forEachRemaining(out::add);
    return out;
  }

  @Test
  void serializerRoundTripsEventsAndSnapshots() throws Exception {
    StoreSerializer serializer = new StoreSerializer(null);
    Applied event = new Applied(42, List.of(
        new Change.Put(K, utf8("v"), 3, 99, new Origin("c", 1)),
        new Change.Put(utf8("k2"), ByteString.EMPTY, 1, 0, null),
        new Change.Removal(utf8("k3"), true, true, null),
        new Change.Removal(utf8("k4"), false, false, new Origin("d", 2))));
    assertEquals("applied-v1", serializer.manifest(event));
    assertEquals(event, serializer.fromBinary(serializer.toBinary(event), "applied-v1"));

    PartitionState state = PartitionState.empty().apply(event, POLICY);
    byte[] snapshot = serializer.toBinary(state);
    PartitionState back = (PartitionState) serializer.fromBinary(snapshot, serializer.manifest(state));
    assertEquals(state.size(), back.size());
    assertEquals(state.raw(K), back.raw(K));
    assertEquals(state.raw(utf8("k2")), back.raw(utf8("k2")));
    assertEquals(iterate(state), iterate(back));
    assertEquals(2, back.dedupSize());
  }
}
