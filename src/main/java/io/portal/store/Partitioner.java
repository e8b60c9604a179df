package io.portal.store;

import com.google.protobuf.ByteString;

/**
 * Maps a key to its partition with 32-bit FNV-1a over the key's bytes, or over its hash tag when it has one: the
 * bytes between its first '{' and the first '}' after it, when there is at least one (Redis Cluster's rule), so that
 * {@code {user42}:name} and {@code {user42}:email} share a partition and can be in one transaction. The function is
 * fixed: a durable store keeps data per partition, so changing it (or the partition count) moves keys.
 */
public final class Partitioner {
  private static final int FNV_OFFSET = 0x811c9dc5;
  private static final int FNV_PRIME = 0x01000193;

  private Partitioner() {
  }

  /** The partition of {@code key}, in {@code 0 .. partitions - 1}. */
  public static int partitionOf(ByteString key, int partitions) {
    int from = 0;
    int to = key.size();
    int open = indexOf(key, '{', 0);
    if (open >= 0) {
      int close = indexOf(key, '}', open + 1);
      if (close > open + 1) {
        from = open + 1;
        to = close;
      }
    }
    int hash = FNV_OFFSET;
    for (int i = from; i < to; i++) {
      hash ^= key.byteAt(i) & 0xff;
      hash *= FNV_PRIME;
    }
    return Math.floorMod(hash, partitions);
  }

  private static int indexOf(ByteString key, char c, int from) {
    for (int i = from, n = key.size(); i < n; i++) {
      if (key.byteAt(i) == c) {
        return i;
      }
    }
    return -1;
  }
}
