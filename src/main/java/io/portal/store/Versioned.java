package io.portal.store;

import com.google.protobuf.ByteString;

/** A value and its version: 1 when the key was created, +1 for every write since. */
public record Versioned(ByteString value, long version) {
}
