package io.portal.client;

import io.portal.protocol.v1.ErrorCode;

/** A request failed: the server answered with an error, or the client timed out or lost its connection. */
public final class PortalException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final ErrorCode code;

  public PortalException(ErrorCode code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public PortalException(ErrorCode code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  /**
   * The wire error code. Client-side failures use TIMEOUT (no response within the request timeout) and UNAVAILABLE
   * (not connected, or the connection closed with the request unanswered).
   */
  public ErrorCode code() {
    return code;
  }
}
