package io.portal.store;

/** The session request behind a write: a client's id and its request id, which a retry repeats. */
public record Origin(String clientId, long requestId) {
}
