package io.portal.connection;

import io.portal.auth.Permissions;
import io.portal.store.Origin;
import java.util.concurrent.CompletableFuture;

/**
 * A connection's session: set by HELLO with a non-empty {@code client_id}, it makes the connection's writes
 * exactly-once across retries, by (client_id, request_id); set by AUTH, it says what the connection may do. Owned by
 * one connection actor; touched only on its thread (AUTH's answer is applied there too).
 */
final class Session {
  static final int MAX_CLIENT_ID_CHARS = 256;
  private final String remote;
  private String clientId;
  /** The last AUTH's outcome (what it granted, or why not); null before any. */
  private CompletableFuture<Permissions> permissions;
  private final Watches watches;

  Session(String remote) {
    this(remote, Watches.NONE);
  }

  Session(String remote, Watches watches) {
    this.remote = remote;
    this.watches = watches;
  }

  /** The connection's watches. */
  Watches watches() {
    return watches;
  }

  /** The client's address. */
  String remote() {
    return remote;
  }

  /**
   * What the last AUTH grants, once it is checked (requests after an AUTH wait for it, so that a pipelined request
   * is judged by the AUTH before it); null before any AUTH.
   */
  CompletableFuture<Permissions> permissions() {
    return permissions;
  }

  void authenticating(CompletableFuture<Permissions> outcome) {
    permissions = outcome;
  }

  /** Opens the session for {@code id}, or closes it when {@code id} is empty. */
  void open(String id) {
    clientId = id.isEmpty() ? null : id;
  }

  /** The origin of a write with {@code requestId}: null without a session, or for request id 0. */
  Origin originOf(long requestId) {
    return clientId == null || requestId == 0 ? null : new Origin(clientId, requestId);
  }
}
