package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MemoryKvStoreTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private static MemoryKvStore store(int partitions, boolean answering, Duration timeout) {
    return MemoryKvStore.start(new MemoryKvStore.Spawner() {
      @Override
      @SuppressWarnings("unchecked")
      public <T> ActorRef<T> spawn(Behavior<T> behavior, String name) {
        return testKit.spawn(answering ? behavior : (Behavior<T>) Behaviors.ignore());
      }
    }, partitions, testKit.system().scheduler(), timeout);
  }

  private static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }

  @Test
  void versionsStartAtOneAndGrowPerWrite() throws Exception {
    MemoryKvStore store = store(8, true, Duration.ofSeconds(5));
    assertEquals(Optional.empty(), get(store.get(utf8("k"))));
    assertEquals(1L, get(store.set(utf8("k"), utf8("a"))));
    assertEquals(2L, get(store.set(utf8("k"), utf8("b"))));
    assertEquals(Optional.of(new Versioned(utf8("b"), 2)), get(store.get(utf8("k"))));
    assertTrue(get(store.delete(utf8("k"))));
    assertFalse(get(store.delete(utf8("k"))));
    assertEquals(Optional.empty(), get(store.get(utf8("k"))));
    assertEquals(1L, get(store.set(utf8("k"), utf8("c"))));
  }

  @Test
  void aPartitionThatDoesNotAnswerTimesOut() {
    MemoryKvStore store = store(4, false, Duration.ofMillis(200));
    ExecutionException failure = assertThrows(ExecutionException.class, () -> get(store.get(utf8("k"))));
    StoreTimeoutException timeout = assertInstanceOf(StoreTimeoutException.class, failure.getCause());
    int partition = Partitioner.partitionOf(utf8("k"), 4);
    assertEquals("get on partition " + partition + " did not complete within 200 ms", timeout.getMessage());
  }

  @Test
  void partitionerIsFnv1aAndStable() {
    // FNV-1a 32-bit of "a" is 0xe40c292c; of "" the offset basis 0x811c9dc5
    assertEquals(Math.floorMod(0xe40c292c, 64), Partitioner.partitionOf(utf8("a"), 64));
    assertEquals(Math.floorMod(0x811c9dc5, 1000), Partitioner.partitionOf(ByteString.EMPTY, 1000));
    int[] counts = new int[16];
    for (int i = 0; i < 16_000; i++) {
      counts[Partitioner.partitionOf(utf8("key-" + i), 16)]++;
    }
    for (int count : counts) {
      assertTrue(count > 800 && count < 1200, "partition sizes are even: " + count);
    }
  }

  @Test
  void rejectsZeroPartitions() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store(0, true, Duration.ofSeconds(1)));
    assertEquals("partition count 0 must be at least 1", e.getMessage());
  }
}
