package io.portal.connection;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.ExpireRequest;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.HelloRequest;
import io.portal.protocol.v1.ScanRequest;
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
    return checkTtlWrite(request.getKey(), maxKeyBytes, request.getTtlMillis(), "",
        request.hasExpectedVersion(), request.getExpectedVersion());
  }

  /** A key, a TTL (0: none; {@code zeroMeans} says what 0 does) and an optional expected version. */
  private static Optional<String> checkTtlWrite(ByteString key, int maxKeyBytes, long ttlMillis, String zeroMeans,
      boolean hasExpected, long expected) {
    Optional<String> invalid = checkKey(key, maxKeyBytes);
    if (invalid.isPresent()) {
      return invalid;
    }
    if (ttlMillis < 0) {
      return Optional.of("ttl_millis " + ttlMillis + " is negative" + zeroMeans);
    }
    if (ttlMillis > MAX_TTL_MILLIS) {
      return Optional.of("ttl_millis " + ttlMillis + " exceeds maximum " + MAX_TTL_MILLIS);
    }
    return hasExpected ? checkExpected(expected) : Optional.empty();
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

  static Optional<String> checkScan(ScanRequest request, int maxKeyBytes, int maxLimit) {
    if (!request.getPrefix().isEmpty() && (!request.getStart().isEmpty() || !request.getEnd().isEmpty())) {
      return Optional.of("a scan takes a prefix, or a start and an end, not both");
    }
    if (Integer.toUnsignedLong(request.getLimit()) > maxLimit) {
      return Optional.of("limit " + Integer.toUnsignedLong(request.getLimit()) + " exceeds maximum " + maxLimit
          + " (portal.scan.max-limit)");
    }
    for (ByteString bound : java.util.List.of(request.getPrefix(), request.getStart(), request.getEnd(),
        request.getAfter())) {
      if (bound.size() > maxKeyBytes) {
        return Optional.of("scan bound of " + bound.size() + " bytes exceeds the largest key, " + maxKeyBytes);
      }
    }
    return Optional.empty();
  }

  static Optional<String> checkExpire(ExpireRequest request, int maxKeyBytes) {
    return checkTtlWrite(request.getKey(), maxKeyBytes, request.getTtlMillis(), " (0 removes the TTL)",
        request.hasExpectedVersion(), request.getExpectedVersion());
  }

  /** What is left of a TTL that ends at {@code expiresAtMillis} (0: none), at least 1 ms while it lasts. */
  static long ttlLeft(long expiresAtMillis, long nowMillis) {
    return expiresAtMillis == 0 ? 0 : Math.max(1, expiresAtMillis - nowMillis);
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

}
