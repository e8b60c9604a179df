package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.OptionalLong;

/** A write request as the store takes it. */
public sealed interface Write {
  ByteString key();

  /** Compare-and-set: the version the key must have (0: must not exist); empty for an unconditional write. */
  OptionalLong expectedVersion();

  /** The session request behind it, or null for a write without a session (at most once). */
  Origin origin();

  /** Store {@code value}; {@code ttlMillis} > 0 makes it expire that long after the write, 0 makes it permanent. */
  record Set(ByteString key, ByteString value, long ttlMillis, OptionalLong expectedVersion, Origin origin)
      implements Write {
  }

  /**
   * Change the key's TTL, keeping its value and version: {@code ttlMillis} > 0 makes it expire that long after this
   * write, 0 makes it permanent (Redis's EXPIRE and PERSIST). Nothing happens to an absent key.
   */
  record Expire(ByteString key, long ttlMillis, OptionalLong expectedVersion, Origin origin) implements Write {
  }

  /** Remove the key. */
  record Delete(ByteString key, OptionalLong expectedVersion, Origin origin) implements Write {
  }
}
