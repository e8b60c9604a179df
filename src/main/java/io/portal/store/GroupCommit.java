package io.portal.store;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A partition's writes on their way to the journal: at most one batch in flight; what arrives meanwhile waits and
 * goes as the next batch, up to {@code maxChanges} changes and {@code maxBytes} bytes. Each change carries what to
 * do once it is durable (answer its client); so can a plain callback ({@link #whenDurable}), run once everything
 * queued before it is durable, which keeps answers in the order they were decided. When the journal fails, every
 * change and callback waiting or in flight gets its failure callback instead ({@link #failAll}). Not thread-safe:
 * one actor's.
 */
final class GroupCommit {
  /**
   * Decided changes that go into one batch together (empty: nothing to persist), what to run once they are durable,
   * and what if they never will be.
   */
  private record Waiting(List<Change> changes, Runnable onDurable, Runnable onFailed) {
  }

  private final int maxChanges;
  private final long maxBytes;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private long waitingBytes;
  private int waitingChanges;
  private List<Waiting> inFlight = List.of();
  private boolean persisting;

  GroupCommit(int maxChanges, long maxBytes) {
    this.maxChanges = maxChanges;
    this.maxBytes = maxBytes;
  }

  /** Queues {@code change} for the next batch. */
  void add(Change change, Runnable onDurable, Runnable onFailed) {
    add(List.of(change), onDurable, onFailed);
  }

  /** Queues {@code changes} for the next batch, all in the same one (a transaction's). */
  void add(List<Change> changes, Runnable onDurable, Runnable onFailed) {
    waiting.addLast(new Waiting(List.copyOf(changes), onDurable, onFailed));
    for (Change change : changes) {
      waitingBytes += change.bytes();
    }
    waitingChanges += changes.size();
  }

  /** Runs {@code action} once everything queued so far is durable: now, after the batch in flight, or later. */
  void whenDurable(Runnable action, Runnable onFailed) {
    if (!waiting.isEmpty()) {
      waiting.addLast(new Waiting(List.of(), action, onFailed));
    } else if (persisting) {
      List<Waiting> withThis = new ArrayList<>(inFlight);
      withThis.add(new Waiting(List.of(), action, onFailed));
      inFlight = withThis;
    } else {
      action.run();
    }
  }

  /**
   * The changes of the next batch, now in flight, or an empty list when a batch is already in flight or nothing
   * waits to be persisted (callbacks that only waited for earlier batches run here).
   */
  List<Change> nextBatch() {
    if (persisting || waiting.isEmpty()) {
      return List.of();
    }
    List<Change> changes = new ArrayList<>();
    List<Waiting> batch = new ArrayList<>();
    long bytes = 0;
    while (!waiting.isEmpty()) {
      Waiting next = waiting.peekFirst();
      if (!next.changes().isEmpty()) {
        long size = 0;
        for (Change change : next.changes()) {
          size += change.bytes();
        }
        if (!changes.isEmpty() && (changes.size() + next.changes().size() > maxChanges || bytes + size > maxBytes)) {
          break;
        }
        changes.addAll(next.changes());
        bytes += size;
      }
      batch.add(waiting.pollFirst());
    }
    waitingBytes -= bytes;
    waitingChanges -= changes.size();
    if (changes.isEmpty()) {
      batch.forEach(w -> w.onDurable().run());
      return List.of();
    }
    inFlight = batch;
    persisting = true;
    return changes;
  }

  /** The batch in flight is durable: runs its callbacks, in order. */
  void persisted() {
    List<Waiting> done = inFlight;
    inFlight = List.of();
    persisting = false;
    done.forEach(w -> w.onDurable().run());
  }

  /** The journal failed: runs the failure callback of everything in flight and waiting, in order, and forgets it. */
  void failAll() {
    List<Waiting> failed = new ArrayList<>(inFlight);
    failed.addAll(waiting);
    inFlight = List.of();
    waiting.clear();
    waitingBytes = 0;
    waitingChanges = 0;
    persisting = false;
    failed.forEach(w -> w.onFailed().run());
  }

  /** True while a batch is in flight. */
  boolean persisting() {
    return persisting;
  }

  /** True when nothing waits and nothing is in flight. */
  boolean idle() {
    return !persisting && waiting.isEmpty();
  }

  /** True when nothing waits for the next batch (one may be in flight). */
  boolean nothingWaiting() {
    return waiting.isEmpty();
  }

  /** Changes waiting for the next batch. */
  int waitingChanges() {
    return waitingChanges;
  }

  /** Bytes ({@link Change#bytes}) of the changes waiting for the next batch. */
  long waitingBytes() {
    return waitingBytes;
  }

  /** Changes and callbacks in the batch in flight, for a report. */
  int inFlight() {
    return inFlight.size();
  }
}
