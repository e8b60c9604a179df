package io.portal.store;

/**
 * Whether the journal takes writes now. Partitions ask it before they send a batch, so that while the journal's disk
 * is full a write is refused at once, and the partition and its state stay up for reads, instead of the journal
 * failing the batch and the partition stopping. Implemented by the server over the journal it wires in.
 */
@FunctionalInterface
public interface WriteGate {
  /** Writes are taken. */
  WriteGate OPEN = () -> null;

  /** Why writes are refused now, or null when they are taken. */
  Refusal refusal();

  /** Why: {@code storageFull} when the disk is full (STORAGE_FULL on the wire), else another journal failure. */
  record Refusal(boolean storageFull, String message) {
  }
}
