package io.portal.store;

/** The journal's disk is full: the write was not applied; writes resume by themselves once space is freed. */
public final class StorageFullException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageFullException(String message) {
    super(message, null, false, false);
  }
}
