package io.portal.client;

import com.google.protobuf.ByteString;

/** A value read with GET, and its version. */
public record Entry(ByteString value, long version) {
}
