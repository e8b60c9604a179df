package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SnapshotRuleTest {
  @Test
  void dueOnceTheJournaledBytesReachTheStateSizeOrTheFloor() {
    SnapshotRule.Tracker tracker = new SnapshotRule(100, 1000).tracker(0);
    tracker.journaled(999);
    assertFalse(tracker.snapshotDue(10), "under the floor");
    tracker.journaled(1);
    assertTrue(tracker.snapshotDue(10), "the floor reached");
    assertFalse(tracker.snapshotDue(10), "counting starts again");
    tracker.journaled(5000);
    assertFalse(tracker.snapshotDue(5001), "under the state's size");
    tracker.journaled(1);
    assertTrue(tracker.snapshotDue(5001));
  }

  @Test
  void thePercentageScalesTheThreshold() {
    assertEquals(50_000, new SnapshotRule(50, 1).tracker(0).threshold(100_000));
    assertEquals(300_000, new SnapshotRule(300, 1).tracker(16).threshold(100_000));
  }

  @Test
  void partitionsUseBetweenThreeQuartersOfTheThresholdAndAllOfIt() {
    SnapshotRule rule = new SnapshotRule(100, 1);
    assertEquals(64_000, rule.tracker(0).threshold(64_000));
    assertEquals(63_000, rule.tracker(1).threshold(64_000));
    assertEquals(49_000, rule.tracker(15).threshold(64_000));
    assertEquals(64_000, rule.tracker(16).threshold(64_000));
    assertEquals(16, java.util.stream.IntStream.range(0, 64)
        .mapToLong(p -> rule.tracker(p).threshold(64_000)).distinct().count());
  }
}
