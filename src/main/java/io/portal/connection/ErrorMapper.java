package io.portal.connection;

import io.portal.auth.AuthFailedException;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.ErrorResponse;
import io.portal.store.InvalidRequestException;
import io.portal.store.StorageFullException;
import io.portal.store.StoreTimeoutException;
import io.portal.store.StoreUnavailableException;
import io.portal.store.VersionMismatchException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The one place where internal failures become wire error codes (like etcd's {@code togRPCError}). Anything not
 * named here is INTERNAL; its class name goes to the client, its stack trace only to the log.
 */
final class ErrorMapper {
  private ErrorMapper() {
  }

  static ErrorResponse error(long requestId, ErrorCode code, String message) {
    return ErrorResponse.newBuilder().setRequestId(requestId).setCode(code).setMessage(message).build();
  }

  /** The code for a failure of a store call. */
  static ErrorCode codeOf(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StoreTimeoutException || cause instanceof TimeoutException) {
      return ErrorCode.TIMEOUT;
    }
    if (cause instanceof VersionMismatchException) {
      return ErrorCode.VERSION_MISMATCH;
    }
    if (cause instanceof StoreUnavailableException) {
      return ErrorCode.UNAVAILABLE;
    }
    if (cause instanceof StorageFullException) {
      return ErrorCode.STORAGE_FULL;
    }
    if (cause instanceof AuthFailedException) {
      return ErrorCode.UNAUTHENTICATED;
    }
    if (cause instanceof InvalidRequestException) {
      return ErrorCode.INVALID_ARGUMENT;
    }
    return ErrorCode.INTERNAL;
  }

  static ErrorResponse toError(long requestId, Throwable failure) {
    Throwable cause = unwrap(failure);
    ErrorCode code = codeOf(cause);
    String message = code == ErrorCode.INTERNAL
        ? "internal error: " + cause.getClass().getSimpleName()
        : cause.getMessage();
    return error(requestId, code, message);
  }

  static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
