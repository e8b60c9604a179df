package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Watches: what a watcher asks for, the events it gets, and the messages between a partition and a watcher (the
 * partition may be on another node). A partition numbers its changes ({@link PartitionState#revision}); a watcher
 * follows each partition by revision and notices a gap, so events of a key arrive in order and none is lost without
 * the watcher being told.
 */
public final class Watch {
  private Watch() {
  }

  /**
   * A key ({@code prefix} false) or every key starting with {@code key}; {@code after}: per partition, the revision
   * after which to start (a resumed watch), the partitions not named starting now; {@code afterVersion} > 0 (a key
   * watch): start after the change that gave the key that version.
   */
  public record Spec(ByteString key, boolean prefix, Map<Integer, Long> after, long afterVersion) {
    public Spec {
      after = Map.copyOf(after);
    }

    public Spec(ByteString key, boolean prefix, Map<Integer, Long> after) {
      this(key, prefix, after, 0);
    }

    boolean matches(ByteString candidate) {
      return prefix ? candidate.startsWith(key) : candidate.equals(key);
    }
  }

  public enum Kind {
    PUT, DELETE, EXPIRE
  }

  /** One change: a put (value, version, expiry), a delete, or an expiry; at {@code revision} of {@code partition}. */
  public record Event(Kind kind, ByteString key, ByteString value, long version, long expiresAtMillis, int partition,
      long revision) {
    /** The event a change makes, or null for a change nobody can see (a session's delete of an absent key). */
    static Event of(Change change, int partition, long revision) {
      if (change instanceof Change.Put put) {
        return new Event(Kind.PUT, put.key(), put.value(), put.version(), put.expiresAtMillis(), partition, revision);
      }
      Change.Removal removal = (Change.Removal) change;
      if (!removal.existed()) {
        return null;
      }
      return new Event(removal.expired() ? Kind.EXPIRE : Kind.DELETE, removal.key(), ByteString.EMPTY, 0, 0,
          partition, revision);
    }

    long bytes() {
      return key.size() + value.size() + 32L;
    }
  }

  /** Where a watch's events and its end go; called on the watch's own actor, one call at a time. */
  public interface Sink {
    /**
     * The watch's position in {@code partition} is {@code revision}: it starts there, or every change up to there has
     * been looked at and the matching ones delivered (progress without events).
     */
    void progress(int partition, long revision);

    void events(List<Event> events);

    /**
     * The watch ended: {@code compacted} when a partition's history no longer reaches back to where it was; otherwise
     * {@code reason} says why. {@code resumeAfter}: per partition, the revision of the last event delivered.
     */
    void ended(boolean compacted, String reason, Map<Integer, Long> resumeAfter);
  }

  /** What a partition tells a watcher. */
  public sealed interface Message permits Subscribed, Batch, Compacted, Gone, WatchActor.Local {
  }

  /** The partition follows the watch from {@code revision} on; {@code partitionRef}, to notice it stop. */
  public record Subscribed(int partition, long revision, ActorRef<PartitionActor.Command> partitionRef)
      implements Message {
  }

  /**
   * Events after {@code previous}, the revision of the last event sent to this watcher (or where it started); every
   * change up to {@code upTo} has been looked at (events may be empty: progress alone).
   */
  public record Batch(int partition, long previous, List<Event> events, long upTo) implements Message {
  }

  /** The partition's history begins after {@code historyStart}, later than where the watcher asked to start. */
  public record Compacted(int partition, long historyStart) implements Message {
  }

  /**
   * The partition stopped here (it moves, or the node stops) at {@code revision}, the last event it sent this
   * watcher being at {@code lastSent}: subscribe again.
   */
  public record Gone(int partition, long revision, long lastSent) implements Message {
  }
}
