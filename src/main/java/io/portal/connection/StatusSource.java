package io.portal.connection;

import io.portal.protocol.v1.StatusResponse;

/** What STATUS reports about this node, filled in by the server (which knows the cluster, the store and the limits). */
@FunctionalInterface
public interface StatusSource {
  /** The node's state now, without the request id. */
  StatusResponse.Builder status();
}
