package io.portal.store;

/** The partition cannot take the request now (its journal failed, or too many writes are waiting); retry later. */
public final class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreUnavailableException(String message) {
    super(message, null, false, false);
  }
}
