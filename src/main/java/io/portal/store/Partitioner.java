package io.portal.store;

import com.google.protobuf.ByteString;

/**
 * Maps a key to its partition with 32-bit FNV-1a over the key's bytes. The function is fixed: a durable store keeps
 * data per partition, so changing it (or the partition count) moves keys.
 */
public final class Partitioner {
  private static final int FNV_OFFSET = 0x811c9dc5;
  private static final int FNV_PRIME = 0x01000193;

  private Partitioner() {
  }

  /** The partition of {@code key}, in {@code 0 .. partitions - 1}. */
  public static int partitionOf(ByteString key, int partitions) {
    int hash = FNV_OFFSET;
    for (int i = 0, n = key.size(); i < n; i++) {
      hash ^= key.byteAt(i) & 0xff;
      hash *= FNV_PRIME;
    }
    return Math.floorMod(hash, partitions);
  }
}
