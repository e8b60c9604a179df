package io.portal.connection;

import io.portal.store.Origin;

/**
 * A connection's session: set by HELLO with a non-empty {@code client_id}, it makes the connection's writes
 * exactly-once across retries, by (client_id, request_id). Owned by one connection actor; touched only on its
 * thread.
 */
final class Session {
  static final int MAX_CLIENT_ID_CHARS = 256;
  private String clientId;

  /** Opens the session for {@code id}, or closes it when {@code id} is empty. */
  void open(String id) {
    clientId = id.isEmpty() ? null : id;
  }

  /** The origin of a write with {@code requestId}: null without a session, or for request id 0. */
  Origin originOf(long requestId) {
    return clientId == null || requestId == 0 ? null : new Origin(clientId, requestId);
  }
}
