package io.portal.store;

/** A compare-and-set found another version; nothing was written. */
public final class VersionMismatchException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final long expected;
  private final long actual;

  public VersionMismatchException(long expected, long actual) {
    super("expected version " + expected + " but the key is at version " + actual
        + (actual == 0 ? " (absent)" : ""), null, false, false);
    this.expected = expected;
    this.actual = actual;
  }

  public long expected() {
    return expected;
  }

  /** The key's current version, 0 when it does not exist. */
  public long actual() {
    return actual;
  }
}
