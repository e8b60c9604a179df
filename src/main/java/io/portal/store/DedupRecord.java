package io.portal.store;

/** A remembered session write: its origin, when it was applied, and what it answered. */
public record DedupRecord(Origin origin, long timestampMillis, Outcome outcome) {
}
