package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupCommitTest {
  private static Change put(String key, int valueBytes) {
    return new Change.Put(ByteString.copyFromUtf8(key), ByteString.copyFrom(new byte[valueBytes]), 1, 0, null);
  }

  @Test
  void oneBatchInFlightAndWhatArrivesMeanwhileGoesNextTogether() {
    GroupCommit commits = new GroupCommit(100, 1 << 20);
    List<String> answered = new ArrayList<>();
    commits.add(put("a", 1), () -> answered.add("a"), () -> { });
    assertEquals(1, commits.nextBatch().size());
    assertTrue(commits.persisting());
    commits.add(put("b", 1), () -> answered.add("b"), () -> { });
    commits.add(put("c", 1), () -> answered.add("c"), () -> { });
    assertEquals(List.of(), commits.nextBatch(), "one batch at a time");
    assertEquals(2, commits.waitingChanges());
    assertEquals(2 * (1 + 32 + 1), commits.waitingBytes());
    commits.persisted();
    assertEquals(List.of("a"), answered);
    List<Change> next = commits.nextBatch();
    assertEquals(List.of(put("b", 1), put("c", 1)), next);
    assertEquals(0, commits.waitingBytes());
    commits.persisted();
    assertEquals(List.of("a", "b", "c"), answered);
    assertTrue(commits.idle());
  }

  @Test
  void batchesStopAtTheChangeAndByteLimitsButAlwaysTakeOne() {
    GroupCommit commits = new GroupCommit(2, 1000);
    for (int i = 0; i < 3; i++) {
      commits.add(put("k" + i, 10), () -> { }, () -> { });
    }
    assertEquals(2, commits.nextBatch().size(), "two changes at most");
    commits.persisted();
    assertEquals(1, commits.nextBatch().size());
    commits.persisted();

    commits.add(put("big", 5000), () -> { }, () -> { });
    commits.add(put("small", 1), () -> { }, () -> { });
    assertEquals(1, commits.nextBatch().size(), "one change over the byte limit still goes, alone");
    commits.persisted();
    assertEquals(1, commits.nextBatch().size());
  }

  @Test
  void aCallbackRunsOnceEverythingQueuedBeforeItIsDurableInOrder() {
    GroupCommit commits = new GroupCommit(100, 1 << 20);
    List<String> order = new ArrayList<>();
    commits.whenDurable(() -> order.add("now"), () -> { });
    assertEquals(List.of("now"), order, "nothing before it: at once");
    commits.add(put("a", 1), () -> order.add("a"), () -> { });
    commits.nextBatch();
    commits.whenDurable(() -> order.add("after a"), () -> { });
    commits.add(put("b", 1), () -> order.add("b"), () -> { });
    commits.whenDurable(() -> order.add("after b"), () -> { });
    commits.persisted();
    assertEquals(List.of("now", "a", "after a"), order);
    commits.nextBatch();
    commits.persisted();
    assertEquals(List.of("now", "a", "after a", "b", "after b"), order);
  }

  @Test
  void aCallbackAfterTheLastChangeWaitsForTheBatchInFlight() {
    GroupCommit commits = new GroupCommit(100, 1 << 20);
    List<String> order = new ArrayList<>();
    commits.add(put("a", 1), () -> order.add("a"), () -> { });
    commits.nextBatch();
    commits.add(put("b", 1), () -> order.add("b"), () -> { });
    commits.persisted();
    commits.nextBatch();
    commits.whenDurable(() -> order.add("waits for b"), () -> { });
    assertEquals(List.of("a"), order, "b is in flight");
    commits.persisted();
    assertEquals(List.of("a", "b", "waits for b"), order);
    assertEquals(List.of(), commits.nextBatch());
    assertTrue(commits.idle());
  }

  @Test
  void whenTheJournalFailsEverythingInFlightAndWaitingGetsItsFailureInOrder() {
    GroupCommit commits = new GroupCommit(100, 1 << 20);
    List<String> order = new ArrayList<>();
    commits.add(put("a", 1), () -> order.add("a"), () -> order.add("a failed"));
    commits.nextBatch();
    commits.whenDurable(() -> order.add("read"), () -> order.add("read failed"));
    commits.add(put("b", 1), () -> order.add("b"), () -> order.add("b failed"));
    commits.failAll();
    assertEquals(List.of("a failed", "read failed", "b failed"), order);
    assertTrue(commits.idle());
    assertEquals(0, commits.waitingChanges());
    assertEquals(0, commits.waitingBytes());
  }
}
