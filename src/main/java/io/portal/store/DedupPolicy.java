package io.portal.store;

import java.time.Duration;

/**
 * How long and how many session writes a partition remembers. Records older than {@code window} (measured against
 * the newest batch's timestamp) or beyond {@code maxEntries} per partition, oldest first, are forgotten.
 */
public record DedupPolicy(Duration window, int maxEntries) {
}
