package io.portal.client;

import com.google.protobuf.ByteString;

/**
 * A value read with GET, its version, and its expiry: the absolute time in epoch milliseconds and what was left of
 * it when the server answered (both 0 when the key never expires).
 */
public record Entry(ByteString value, long version, long expiresAtMillis, long ttlMillis) {
  /** An entry that never expires. */
  public Entry(ByteString value, long version) {
    this(value, version, 0, 0);
  }
}
