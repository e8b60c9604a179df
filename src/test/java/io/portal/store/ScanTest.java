package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Key order, one partition's share of a scan, and the merge of shares into pages that neither skip nor repeat. */
class ScanTest {
  private static final DedupPolicy DEDUP = new DedupPolicy(java.time.Duration.ofMinutes(1), 100);

  private static ByteString bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return ByteString.copyFrom(b);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void keysCompareAsUnsignedBytesWithAPrefixFirst() {
    assertTrue(KeyOrder.compare(bytes(0x7f), bytes(0x80)) < 0, "0x80 is above 0x7f, not negative");
    assertTrue(KeyOrder.compare(bytes(0xff), bytes(0xff, 0x00)) < 0, "a prefix comes first");
    assertEquals(0, KeyOrder.compare(utf8("ab"), utf8("ab")));
    assertTrue(KeyOrder.compare(utf8("ab"), utf8("b")) < 0);
    assertEquals(utf8("ac"), KeyOrder.prefixEnd(utf8("ab")));
    assertEquals(bytes(0x01), KeyOrder.prefixEnd(bytes(0x00, 0xff, 0xff)));
    assertEquals(ByteString.EMPTY, KeyOrder.prefixEnd(bytes(0xff, 0xff)), "no end above all-0xff");
    assertEquals(ByteString.EMPTY, KeyOrder.prefixEnd(ByteString.EMPTY));
  }

  private static PartitionState stateWith(long now, String... keysAndTtls) {
    PartitionState state = PartitionState.empty();
    List<Change> changes = new ArrayList<>();
    for (String spec : keysAndTtls) {
      String[] parts = spec.split("@");
      long expiresAt = parts.length > 1 ? now + Long.parseLong(parts[1]) : 0;
      changes.add(new Change.Put(utf8(parts[0]), utf8("v-" + parts[0]), 1, expiresAt, null));
    }
    return state.apply(new Applied(now, changes), DEDUP);
  }

  private static List<String> keys(Scan.Part part) {
    return part.items().stream().map(i -> i.key().toStringUtf8()).toList();
  }

  @Test
  void aPartitionReturnsItsLiveKeysOfTheRangeInOrderUpToTheLimit() {
    PartitionState state = stateWith(1000, "d", "a", "c", "b@10", "e", "f", "ab");
    Scan.Part all = state.scan(new Scan.Query(ByteString.EMPTY, ByteString.EMPTY, 100, 1 << 20, false), 2000);
    assertEquals(List.of("a", "ab", "c", "d", "e", "f"), keys(all), "b expired at 1010");
    assertFalse(all.more());
    assertEquals(utf8("v-c"), all.items().get(2).entry().value());

    Scan.Part range = state.scan(new Scan.Query(utf8("ab"), utf8("e"), 2, 1 << 20, true), 2000);
    assertEquals(List.of("ab", "c"), keys(range));
    assertTrue(range.more(), "d is still in [ab, e)");
    assertEquals(ByteString.EMPTY, range.items().get(0).entry().value(), "keys only");

    Scan.Part tail = state.scan(new Scan.Query(utf8("d"), utf8("e"), 2, 1 << 20, false), 2000);
    assertEquals(List.of("d"), keys(tail));
    assertFalse(tail.more(), "e is the end, excluded");

    Scan.Part byBytes = state.scan(new Scan.Query(ByteString.EMPTY, ByteString.EMPTY, 100, 10, false), 2000);
    assertEquals(List.of("a", "ab"), keys(byBytes), "a (1 + 3 bytes) and ab (2 + 4) fill 10 bytes; c would pass it");
    assertTrue(byBytes.more());
    Scan.Part oneAnyway = state.scan(new Scan.Query(ByteString.EMPTY, ByteString.EMPTY, 100, 1, false), 2000);
    assertEquals(List.of("a"), keys(oneAnyway), "one key even over the bytes");
  }

  @Test
  void pagesOfManyPartitionsCoverEveryKeyOnceInOrder() {
    Random random = new Random(42);
    int partitions = 8;
    List<PartitionState> states = new ArrayList<>();
    TreeSet<ByteString> expected = new TreeSet<>(KeyOrder.COMPARATOR);
    List<List<Change>> changes = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      changes.add(new ArrayList<>());
    }
    for (int i = 0; i < 3000; i++) {
      byte[] key = new byte[1 + random.nextInt(4)];
      random.nextBytes(key);
      ByteString k = ByteString.copyFrom(key);
      if (expected.add(k)) {
        changes.get(Partitioner.partitionOf(k, partitions))
            .add(new Change.Put(k, ByteString.copyFrom(new byte[random.nextInt(50)]), 1, 0, null));
      }
    }
    for (int p = 0; p < partitions; p++) {
      states.add(PartitionState.empty().apply(new Applied(0, changes.get(p)), DEDUP));
    }
    for (int limit : new int[] {1, 7, 100, 5000}) {
      for (long pageBytes : new long[] {1, 300, 1 << 20}) {
        List<ByteString> seen = new ArrayList<>();
        Scan.Query query = new Scan.Query(ByteString.EMPTY, ByteString.EMPTY, limit, pageBytes, false);
        int pages = 0;
        while (true) {
          Scan.Query share = query.forPartitionOf(partitions);
          List<Scan.Part> parts = states.stream().map(s -> s.scan(share, 0)).toList();
          Scan.Page page = Scan.merge(parts, query);
          assertTrue(page.items().size() <= limit);
          page.items().forEach(item -> seen.add(item.key()));
          pages++;
          if (!page.more()) {
            break;
          }
          assertEquals(page.items().get(page.items().size() - 1).key(), page.continuation());
          query = query.after(page.continuation());
        }
        assertEquals(new ArrayList<>(expected), seen, "limit " + limit + ", page bytes " + pageBytes + ", " + pages
            + " pages");
      }
    }
  }

  @Test
  void anEmptyRangeIsOnePageWithNothingMore() {
    PartitionState state = stateWith(0, "a", "b");
    Scan.Query query = new Scan.Query(utf8("x"), utf8("y"), 10, 100, false);
    Scan.Page page = Scan.merge(List.of(state.scan(query, 0), PartitionState.empty().scan(query, 0)), query);
    assertEquals(List.of(), page.items());
    assertFalse(page.more());
  }
}
