package io.portal.connection;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.SetRequest;
import java.util.Optional;

/**
 * Checks requests before they reach the store. Pure functions: each returns the INVALID_ARGUMENT message, with the
 * offending numbers, or empty when the request is acceptable.
 */
final class Validation {
  /** Longest TTL accepted: 100 years, far beyond any use, far from overflowing an epoch-millisecond deadline. */
  static final long MAX_TTL_MILLIS = 100L * 365 * 24 * 3600 * 1000;

  private Validation() {
  }

  static Optional<String> checkSet(SetRequest request, int maxKeyBytes) {
    Optional<String> key = checkKey(request.getKey(), maxKeyBytes);
    if (key.isPresent()) {
      return key;
    }
    if (request.getTtlMillis() < 0) {
      return Optional.of("ttl_millis " + request.getTtlMillis() + " is negative");
    }
    if (request.getTtlMillis() > MAX_TTL_MILLIS) {
      return Optional.of("ttl_millis " + request.getTtlMillis() + " exceeds maximum " + MAX_TTL_MILLIS);
    }
    return request.hasExpectedVersion() ? checkExpected(request.getExpectedVersion()) : Optional.empty();
  }

  static Optional<String> checkGet(GetRequest request, int maxKeyBytes) {
    return checkKey(request.getKey(), maxKeyBytes);
  }

  static Optional<String> checkDelete(DeleteRequest request, int maxKeyBytes) {
    Optional<String> key = checkKey(request.getKey(), maxKeyBytes);
    if (key.isPresent()) {
      return key;
    }
    return request.hasExpectedVersion() ? checkExpected(request.getExpectedVersion()) : Optional.empty();
  }

  static Optional<String> checkHello(HelloRequest request) {
    int length = request.getClientId().length();
    if (length > Session.MAX_CLIENT_ID_CHARS) {
      return Optional.of("client_id length " + length + " exceeds maximum " + Session.MAX_CLIENT_ID_CHARS);
    }
    return Optional.empty();
  }

  static Optional<String> checkKey(ByteString key, int maxKeyBytes) {
    if (key.isEmpty()) {
      return Optional.of("key is empty");
    }
    if (key.size() > maxKeyBytes) {
      return Optional.of("key length " + key.size() + " exceeds maximum " + maxKeyBytes);
    }
    return Optional.empty();
  }

  private static Optional<String> checkExpected(long expected) {
    return expected < 0 ? Optional.of("expected_version " + expected + " is negative") : Optional.empty();
  }

  /** {@code key} for a message: UTF-8 text with anything unprintable as '?', at most 64 characters. */
  static String printable(ByteString key) {
    String text = key.toStringUtf8();
    String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
    return cut.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
