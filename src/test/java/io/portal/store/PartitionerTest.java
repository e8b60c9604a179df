package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

/** Keys with a hash tag share the partition of the tag; other keys hash whole, as always. */
class PartitionerTest {
  private static int partition(String key) {
    return Partitioner.partitionOf(ByteString.copyFromUtf8(key), 64);
  }

  @Test
  void aHashTagDecidesThePartition() {
    assertEquals(partition("user42"), partition("{user42}:name"));
    assertEquals(partition("user42"), partition("{user42}:email"));
    assertEquals(partition("user42"), partition("profile:{user42}"));
    assertEquals(partition("user42"), partition("x{user42}y{other}"), "the first tag counts");
  }

  @Test
  void keysWithoutATagHashWhole() {
    // FNV-1a 32 of "{}x" differs from that of "x": an empty tag is no tag
    assertNotEquals(partition("x"), partition("{}x"));
    assertEquals(Math.floorMod(fnv("a{b"), 64), partition("a{b"), "an unclosed brace is no tag");
    assertEquals(Math.floorMod(fnv("{}x"), 64), partition("{}x"));
    assertEquals(Math.floorMod(fnv("plain"), 64), partition("plain"));
  }

  private static int fnv(String key) {
    int hash = 0x811c9dc5;
    for (byte b : key.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      hash ^= b & 0xff;
      hash *= 0x01000193;
    }
    return hash;
  }
}
