package io.portal.store;

import com.google.protobuf.ByteString;

/**
 * A value, its version (1 when the key was created, +1 for every write since) and its absolute expiry time in epoch
 * milliseconds (0: never).
 */
public record Versioned(ByteString value, long version, long expiresAtMillis) {
  /** A value that never expires. */
  public Versioned(ByteString value, long version) {
    this(value, version, 0);
  }
}
