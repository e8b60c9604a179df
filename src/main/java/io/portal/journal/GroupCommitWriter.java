package io.portal.journal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Group commit: one thread takes every write waiting, puts them into one {@link WriteBatch}, writes it with
 * {@code sync = true} (write, then fdatasync of the log) and only then completes their futures. Writes submitted
 * while a batch is being synced go together into the next one, so the cost of a sync is shared by everyone waiting.
 * A batch that fails (disk full, I/O error) fails the futures of its writes only; the next batch is tried afresh.
 */
final class GroupCommitWriter implements AutoCloseable {
  /**
   * Fills a batch with one caller's operations. Serialize before submitting: a failure here fails the whole batch it
   * lands in, other callers' writes included.
   */
  @FunctionalInterface
  interface Ops {
    void fill(WriteBatch batch) throws RocksDBException;
  }

  private record Pending(Ops ops, CompletableFuture<Void> done) {
  }

  private static final Pending STOP = new Pending(batch -> { }, new CompletableFuture<>());

  private final RocksDB db;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;

  GroupCommitWriter(RocksDB db, String name) {
    this.db = db;
    this.thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues {@code ops}; the future completes once they are synced to disk, or fails with the reason they are not. */
  CompletableFuture<Void> submit(Ops ops) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (closed) {
      done.completeExceptionally(new IllegalStateException("the journal is closed"));
      return done;
    }
    queue.add(new Pending(ops, done));
    return done;
  }

  private void run() {
    List<Pending> group = new ArrayList<>();
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      while (true) {
        Pending first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        group.add(first);
        queue.drainTo(group);
        boolean stop = group.remove(STOP);
        if (!group.isEmpty()) {
          commit(group, sync);
        }
        group.clear();
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void commit(List<Pending> group, WriteOptions sync) {
    try (WriteBatch batch = new WriteBatch()) {
      for (Pending pending : group) {
        pending.ops().fill(batch);
      }
      db.write(sync, batch);
      group.forEach(pending -> pending.done().complete(null));
    } catch (RocksDBException | RuntimeException e) {
      group.forEach(pending -> pending.done().completeExceptionally(e));
    }
  }

  /** Commits what is queued, then stops; later submissions fail. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    queue.add(STOP);
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Pending left;
    while ((left = queue.poll()) != null) {
      left.done().completeExceptionally(new IllegalStateException("the journal is closed"));
    }
  }
}
