package io.portal.connection;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.DeleteRequest;
import io.portal.protocol.v1.GetRequest;
import io.portal.protocol.v1.SetRequest;
import java.util.Optional;

/**
 * Checks requests before they reach the store. Pure functions: each returns the INVALID_ARGUMENT message, with the
 * offending numbers, or empty when the request is acceptable.
 */
final class Validation {
  private Validation() {
  }

  static Optional<String> checkSet(SetRequest request, int maxKeyBytes) {
    Optional<String> key = checkKey(request.getKey(), maxKeyBytes);
    if (key.isPresent()) {
      return key;
    }
    if (request.getTtlMillis() != 0) {
      return Optional.of("ttl_millis " + request.getTtlMillis() + " is not supported yet: leave it 0");
    }
    if (request.hasExpectedVersion()) {
      return Optional.of("expected_version " + request.getExpectedVersion() + " is not supported yet: leave it unset");
    }
    return Optional.empty();
  }

  static Optional<String> checkGet(GetRequest request, int maxKeyBytes) {
    return checkKey(request.getKey(), maxKeyBytes);
  }

  static Optional<String> checkDelete(DeleteRequest request, int maxKeyBytes) {
    Optional<String> key = checkKey(request.getKey(), maxKeyBytes);
    if (key.isPresent()) {
      return key;
    }
    if (request.hasExpectedVersion()) {
      return Optional.of("expected_version " + request.getExpectedVersion() + " is not supported yet: leave it unset");
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
}
