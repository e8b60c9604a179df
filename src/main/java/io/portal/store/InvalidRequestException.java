package io.portal.store;

/** A request the store cannot take as asked (INVALID_ARGUMENT on the wire), such as a transaction over partitions. */
public final class InvalidRequestException extends RuntimeException {
  public InvalidRequestException(String message) {
    super(message);
  }
}
