package io.portal.store;

/** What a write did, as its client is told: a set's new version, or whether a delete found the key. */
public record Outcome(boolean isDelete, long version, boolean deleted) {
  static Outcome set(long version) {
    return new Outcome(false, version, false);
  }

  static Outcome delete(boolean deleted) {
    return new Outcome(true, 0, deleted);
  }
}
