package io.portal.store;

import java.time.Duration;

/** The partition owning a key did not answer within the store's request timeout. */
public final class StoreTimeoutException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreTimeoutException(String operation, int partition, Duration timeout) {
    super(operation + " on partition " + partition + " did not complete within " + timeout.toMillis() + " ms");
  }
}
