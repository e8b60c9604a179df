package io.portal.connection;

import io.portal.codec.InboundBudget;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server-wide budget for bytes held for clients: what every connection holds (request bytes read ahead or
 * unfinished, requests admitted but not answered, responses produced and not yet taken by the socket) adds up here.
 * One instance per server, shared by the decoders and actors of all connections; thread-safe.
 *
 * <p>Two levels, as Redis's {@code maxmemory-clients}: over the <em>pause level</em> every connection that holds more
 * than the floor stops reading (its decoder pulls nothing more, its actor admits nothing more) until the total falls
 * back; over the <em>budget</em> the connections holding the most are closed, largest first, by whoever listens to
 * {@link #onOverBudget} (the {@link ConnectionManager}).
 */
public final class ClientMemory {
  private final long budget;
  private final long pauseLevel;
  private final long floor;
  /** Striped: every connection adds to it twice per request, and a single counter would be one contended line. */
  private final LongAdder total = new LongAdder();
  private final AtomicBoolean evictionRequested = new AtomicBoolean();
  private volatile Runnable onOverBudget = () -> {
  };

  /**
   * @param budget     bytes all clients may hold together; over it the largest consumers are closed
   * @param pauseLevel over this total, connections holding more than {@code floor} stop reading
   * @param floor      a connection holding less than this always reads, so small requests keep flowing
   */
  public ClientMemory(long budget, long pauseLevel, long floor) {
    if (budget < 1 || pauseLevel < 1 || pauseLevel > budget || floor < 0) {
      throw new IllegalArgumentException("need 0 < pauseLevel " + pauseLevel + " <= budget " + budget
          + " and floor " + floor + " >= 0");
    }
    this.budget = budget;
    this.pauseLevel = pauseLevel;
    this.floor = floor;
  }

  /** The settings' values: {@code portal.memory}, documented in reference.conf. */
  public static ClientMemory of(MemorySettings settings) {
    return new ClientMemory(settings.clientsBudget(), settings.pauseLevel(), settings.clientFloor());
  }

  /** An account for a new connection that stops reading by itself once it holds {@code pauseAt} bytes. */
  public Account open(long pauseAt) {
    return new Account(pauseAt);
  }

  /**
   * Called (on some connection's thread) when the total has gone over the budget; again only after
   * {@link #evictionDone()}. Set once, before connections open.
   */
  void onOverBudget(Runnable listener) {
    this.onOverBudget = listener;
  }

  /** The listener has acted on the last call; the next crossing of the budget calls it again. */
  void evictionDone() {
    evictionRequested.set(false); // the next add that finds the total over the budget calls the listener again
  }

  /** Bytes held for all clients now. */
  public long total() {
    return total.sum();
  }

  public long budget() {
    return budget;
  }

  boolean overPauseLevel() {
    return total.sum() > pauseLevel;
  }

  private void requestEviction() {
    if (evictionRequested.compareAndSet(false, true)) {
      onOverBudget.run();
    }
  }

  /**
   * The bytes held for one connection. Its decoder adds what it buffers; its actor moves request bytes to response
   * bytes and releases what the socket took. {@link #close} releases whatever is left, once, and makes later calls
   * no-ops, so a stream stage that stops after its actor leaves nothing counted.
   */
  public final class Account implements InboundBudget {
    /** {@link #held} once closed. */
    private static final long CLOSED = Long.MIN_VALUE;
    private final long pauseAt;
    /** Bytes held, or {@link #CLOSED}. */
    private final AtomicLong held = new AtomicLong();

    private Account(long pauseAt) {
      this.pauseAt = pauseAt;
    }

    /**
     * Lock-free: an add that races with {@link #close} either lands before it (and close takes it off the total) or
     * is dropped; the total comes out right either way.
     */
    @Override
    public void add(long delta) {
      long before;
      do {
        before = held.get();
        if (before == CLOSED || delta == 0) {
          return;
        }
      } while (!held.compareAndSet(before, before + delta));
      total.add(delta);
      if (delta > 0 && total.sum() > budget) {
        requestEviction();
      }
    }

    /** True while this connection may read more: under its own pause threshold and not paused by the server. */
    @Override
    public boolean mayRead() {
      return mayTake(0);
    }

    /** True when {@code reserved} more bytes on top of what it holds keep it within what it may hold. */
    boolean mayTake(long reserved) {
      long wouldHold = held() + reserved;
      return wouldHold < floor || (wouldHold < pauseAt && !overPauseLevel());
    }

    /** True when it holds more than the floor while the server is over its pause level. */
    boolean pausedByServer() {
      return held() >= floor && overPauseLevel();
    }

    /** Bytes held now (0 once closed). */
    public long held() {
      long now = held.get();
      return now == CLOSED ? 0 : now;
    }

    /** Releases everything this connection holds; later adds are ignored. */
    public void close() {
      long last = held.getAndSet(CLOSED);
      if (last != CLOSED) {
        total.add(-last);
      }
    }
  }
}
