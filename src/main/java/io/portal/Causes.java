package io.portal;

/** Reading failures: the message of the innermost cause, which says what went wrong below the wrapping. */
public final class Causes {
  private Causes() {
  }

  /** The message of {@code failure}'s innermost cause (its description when it has no message). */
  public static String rootMessage(Throwable failure) {
    Throwable root = failure;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }
}
