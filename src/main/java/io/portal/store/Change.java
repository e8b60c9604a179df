package io.portal.store;

import com.google.protobuf.ByteString;

/** One change to a partition, decided against its state; the unit a persisted {@link Applied} event carries. */
public sealed interface Change {
  ByteString key();

  /** The session request behind it, or null. */
  Origin origin();

  /** What the change weighs in a batch, in the journal and in the state: {@link #bytesOf} its key and value. */
  default long bytes() {
    return bytesOf(key(), this instanceof Put put ? put.value() : ByteString.EMPTY);
  }

  /** A key and value and a fixed overhead: the measure of batches, pending writes and state sizes. */
  static long bytesOf(ByteString key, ByteString value) {
    return bytesOf(key.size(), value.size());
  }

  /** {@link #bytesOf(ByteString, ByteString)} from the sizes alone. */
  static long bytesOf(int keyBytes, int valueBytes) {
    return keyBytes + 32L + valueBytes;
  }

  /** The key now holds {@code value} at {@code version}. */
  record Put(ByteString key, ByteString value, long version, long expiresAtMillis, Origin origin)
      implements Change {
  }

  /**
   * The key is gone. {@code expired}: removed by the expiry timer. {@code existed} false: a session's delete of an
   * absent key, recorded only so that its retry is answered the same.
   */
  record Removal(ByteString key, boolean expired, boolean existed, Origin origin) implements Change {
  }
}
