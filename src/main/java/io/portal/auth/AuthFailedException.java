package io.portal.auth;

/** Authentication failed; the message is for the client and never says which of user or password was wrong. */
public final class AuthFailedException extends RuntimeException {
  public AuthFailedException(String message) {
    super(message);
  }
}
