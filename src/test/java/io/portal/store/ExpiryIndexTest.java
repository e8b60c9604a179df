package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpiryIndexTest {
  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void keysComeOutInExpiryOrderAtMostABatchAtATime() {
    ExpiryIndex index = new ExpiryIndex();
    index.changed(utf8("c"), 0, 300);
    index.changed(utf8("a"), 0, 100);
    index.changed(utf8("b"), 0, 100);
    index.changed(utf8("never"), 0, 0);
    assertEquals(3, index.size());
    assertEquals(100, index.earliest());
    assertEquals(List.of(new ExpiryIndex.Due(100, utf8("a"))), index.takeDue(200, 1));
    assertEquals(List.of(new ExpiryIndex.Due(100, utf8("b"))), index.takeDue(200, 10), "c is not due");
    assertEquals(300, index.earliest());
    assertEquals(List.of(new ExpiryIndex.Due(300, utf8("c"))), index.takeDue(300, 10));
    assertEquals(Long.MAX_VALUE, index.earliest());
  }

  @Test
  void aNewExpiryReplacesTheOldAndClearingItRemovesTheKey() {
    ExpiryIndex index = new ExpiryIndex();
    index.changed(utf8("k"), 0, 100);
    index.changed(utf8("k"), 100, 500);
    assertEquals(List.of(), index.takeDue(400, 10));
    index.changed(utf8("k"), 500, 0);
    assertEquals(0, index.size());
  }

  @Test
  void aRecoveredStateIsIndexed() {
    PartitionState state = PartitionState.empty().apply(new Applied(1, List.of(
        new Change.Put(utf8("t"), utf8("v"), 1, 50, null),
        new Change.Put(utf8("p"), utf8("v"), 1, 0, null))), new DedupPolicy(java.time.Duration.ofMinutes(1), 10));
    ExpiryIndex index = new ExpiryIndex();
    index.addAll(state);
    assertEquals(1, index.size());
    assertEquals(List.of(new ExpiryIndex.Due(50, utf8("t"))), index.takeDue(50, 10));
  }
}
