package io.portal.journal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: one thread takes every write waiting, puts them into one {@link WriteBatch}, writes it with
 * {@code sync = true} (write, then fdatasync of the log) and only then completes their futures. Writes submitted
 * while a batch is being synced go together into the next one, so the cost of a sync is shared by everyone waiting.
 * A batch that fails (disk full, I/O error) fails the futures of its writes only.
 *
 * <p>A failed write leaves RocksDB refusing writes until it is resumed. From then on the writer reports the trouble
 * ({@link #trouble}), fails new batches at once with it, and tries a small write once a second (with or without
 * writes waiting); once that succeeds (RocksDB recovered by itself after space was freed), writes go through again,
 * with no restart.
 *
 * <p>A write that has not returned after the stall timeout (a frozen or failing disk whose fsync hangs) is reported
 * as trouble too, so that partitions refuse new writes at once instead of queueing them behind it; the write itself is
 * left to finish, and the trouble clears when it does. Failing it instead would let its partition restart and recover
 * while the old write could still land under the same sequence numbers.
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

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitWriter.class);
  private static final long RESUME_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final byte[] PROBE_KEY = "m:write-probe".getBytes(java.nio.charset.StandardCharsets.UTF_8);

  private static final io.micrometer.core.instrument.Timer SYNCS = io.micrometer.core.instrument.Timer
      .builder("portal.journal.write").description("one group commit: the batch's write and fsync")
      .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofNanos(20_000))
      .maximumExpectedValue(java.time.Duration.ofSeconds(10))
      .register(io.micrometer.core.instrument.Metrics.globalRegistry);
  private static final io.micrometer.core.instrument.DistributionSummary BATCHES =
      io.micrometer.core.instrument.DistributionSummary.builder("portal.journal.batch.writes")
          .description("writes (partition batches and snapshots) per group commit")
          .register(io.micrometer.core.instrument.Metrics.globalRegistry);

  private final RocksDB db;
  private final String name;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean closed;
  private volatile WriteTrouble trouble;
  private long lastResumeNanos;
  private volatile long stallNanos = TimeUnit.SECONDS.toNanos(5);
  /** When the write under way started (System.nanoTime), valid while {@link #writing}. */
  private volatile long writeStartNanos;
  private volatile boolean writing;
  private final AtomicBoolean stallLogged = new AtomicBoolean();

  GroupCommitWriter(RocksDB db, String name) {
    this.db = db;
    this.name = name;
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
        Pending first = queue.poll(trouble == null ? 1000 : 100, TimeUnit.MILLISECONDS);
        if (trouble != null) {
          tryResume();
        }
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
    WriteTrouble now = trouble;
    if (now != null) { // RocksDB would refuse: fail at once, without touching it
      RocksDBException refused = new RocksDBException(now.message());
      group.forEach(pending -> pending.done().completeExceptionally(refused));
      return;
    }
    try (WriteBatch batch = new WriteBatch()) {
      for (Pending pending : group) {
        pending.ops().fill(batch);
      }
      writeStartNanos = System.nanoTime();
      writing = true;
      try {
        db.write(sync, batch);
      } finally {
        writing = false;
        noteStallEnd();
      }
      SYNCS.record(System.nanoTime() - writeStartNanos, TimeUnit.NANOSECONDS);
      BATCHES.record(group.size());
      group.forEach(pending -> pending.done().complete(null));
    } catch (RocksDBException e) {
      WriteTrouble found = troubleOf(e);
      trouble = found;
      lastResumeNanos = System.nanoTime();
      LOG.error("{}: {}", name, found.message());
      RocksDBException failed = new RocksDBException(found.message());
      group.forEach(pending -> pending.done().completeExceptionally(failed));
    } catch (RuntimeException e) {
      group.forEach(pending -> pending.done().completeExceptionally(e));
    }
  }

  private static WriteTrouble troubleOf(RocksDBException e) {
    String reason = e.getMessage();
    boolean diskFull = (e.getStatus() != null && e.getStatus().getSubCode() == Status.SubCode.NoSpace)
        || (reason != null && reason.contains("No space left on device"));
    return diskFull
        ? new WriteTrouble(true, "the journal's disk is full (" + reason + "): writes are refused until space is "
            + "freed, then taken again by themselves; reads go on")
        : new WriteTrouble(false, "the journal cannot write (" + reason + "): writes are refused until it can; "
            + "reads go on");
  }

  /**
   * At most once a second, a small synced write of a metadata key: it fails at once while RocksDB still refuses
   * writes, and succeeds once RocksDB has recovered by itself (its file manager watches free space); the trouble is
   * then cleared.
   */
  private void tryResume() {
    if (System.nanoTime() - lastResumeNanos < RESUME_INTERVAL_NANOS) {
      return;
    }
    lastResumeNanos = System.nanoTime();
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      db.put(db.getDefaultColumnFamily(), sync, PROBE_KEY, PROBE_KEY);
      LOG.info("{}: writing again ({} before)", name, trouble.message());
      trouble = null;
    } catch (RocksDBException e) {
      // still failing: keep refusing, try again in a second
    }
  }

  /** Why writes fail now, or null when they are taken. */
  WriteTrouble trouble() {
    WriteTrouble failed = trouble;
    if (failed != null || !writing) {
      return failed;
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writeStartNanos);
    if (millis < TimeUnit.NANOSECONDS.toMillis(stallNanos)) {
      return null;
    }
    WriteTrouble stalled = new WriteTrouble(false, "the journal's disk is stalled: its last write and fsync have not "
        + "returned for " + millis + " ms (portal.rocksdb.stall-timeout = " + TimeUnit.NANOSECONDS.toMillis(stallNanos)
        + " ms); writes are refused until it returns, reads go on");
    if (stallLogged.compareAndSet(false, true)) {
      LOG.error("{}: {}", name, stalled.message());
    }
    return stalled;
  }

  /** After a write returns: says so if it had been reported stalled. */
  private void noteStallEnd() {
    if (stallLogged.compareAndSet(true, false)) {
      LOG.warn("{}: the stalled write returned after {} ms; writing again", name,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - writeStartNanos));
    }
  }

  /** How long a write may take before {@link #trouble} reports the disk stalled. */
  void stallTimeout(Duration timeout) {
    stallNanos = timeout.toNanos();
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
