package io.portal.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys of the events and snapshots column families: {@code [length of id: int32][persistence id: UTF-8][sequence
 * number: int64]}, big-endian, so that RocksDB's byte order keeps one entity's records together, in sequence order,
 * and a replay is one bounded iteration. The length prefix keeps an id from being a prefix of another's range.
 */
final class Keys {
  private Keys() {
  }

  /** The key of record {@code sequenceNr} of {@code persistenceId}; sequence numbers are never negative. */
  static byte[] of(String persistenceId, long sequenceNr) {
    byte[] id = persistenceId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(4 + id.length + 8).putInt(id.length).put(id).putLong(sequenceNr).array();
  }

  /** The metadata key holding the highest sequence number ever written for {@code persistenceId}. */
  static byte[] highest(String persistenceId) {
    byte[] id = persistenceId.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(1 + id.length).put((byte) 'h').put(id).array();
  }

  /** True when {@code key} belongs to {@code persistenceId} (made by {@link #of} with the same id). */
  static boolean belongsTo(byte[] key, String persistenceId) {
    byte[] id = persistenceId.getBytes(StandardCharsets.UTF_8);
    if (key.length != 4 + id.length + 8 || ByteBuffer.wrap(key).getInt() != id.length) {
      return false;
    }
    for (int i = 0; i < id.length; i++) {
      if (key[4 + i] != id[i]) {
        return false;
      }
    }
    return true;
  }

  /** The persistence id in a key made by {@link #of}. */
  static String persistenceId(byte[] key) {
    return new String(key, 4, ByteBuffer.wrap(key).getInt(), StandardCharsets.UTF_8);
  }

  /** The sequence number in a key made by {@link #of}. */
  static long sequenceNr(byte[] key) {
    return ByteBuffer.wrap(key, key.length - 8, 8).getLong();
  }

  static byte[] longValue(long value) {
    return ByteBuffer.allocate(8).putLong(value).array();
  }

  static long longOf(byte[] value) {
    return ByteBuffer.wrap(value).getLong();
  }
}
