package io.portal.store;

import com.google.protobuf.ByteString;

/**
 * A stored value: its version (1 on create, +1 per write) and its absolute expiry time in epoch milliseconds, 0
 * for never. An entry past its expiry is never returned, whether or not the expiry timer has removed it yet.
 */
public record Entry(ByteString value, long version, long expiresAtMillis) {

  boolean expiredAt(long nowMillis) {
    return expiresAtMillis != 0 && expiresAtMillis <= nowMillis;
  }
}
