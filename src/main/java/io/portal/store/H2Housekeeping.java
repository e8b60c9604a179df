package io.portal.store;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.h2.jdbc.JdbcConnection;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upkeep that H2 skips when it writes every commit at once ({@code WRITE_DELAY=0}, which the journal needs to
 * survive kill -9): H2 runs its file maintenance only on its background writer thread, which exists only with a
 * write delay. Without it the journal file grew without bound under sustained writes (durable SET 50x16: 7 GB
 * after 120 s, a few percent of it live; docs/storage.md), because every commit writes a new chunk and a chunk's
 * space is reused only once none of its pages is live, while most chunks keep a live page or two for a long time.
 *
 * <p>Every {@link Settings#interval} this does what that thread would, on a thread of its own:
 * <ul>
 *   <li>{@code MVStore.sync()}: flushes the file to the disk (fsync), so that a power loss or an operating-system
 *       crash costs at most the writes acknowledged since the last run;
 *   <li>{@code MVStore.compact(fillRate, writeLimit)}: rewrites the live pages of chunks that are mostly dead, up to
 *       {@code writeLimit} bytes, so that those chunks die (H2 frees a dead chunk's space itself, once it is older
 *       than the retention time).
 * </ul>
 * Dead chunks are overwritten only after the URL's {@code RETENTION_TIME}, which must be longer than the interval:
 * then every state that a power loss can leave on the disk is newer than any chunk already overwritten.
 *
 * <p>Every {@link Settings#deleteInterval} (unless zero) it also deletes the events that the partitions' snapshots
 * made unnecessary, for all partitions together ({@link H2EventCleaner}); the partitions then do not delete events
 * themselves ({@link StoreSettings#upkeepDeletesEvents}).
 *
 * <p>Uses H2's own classes (org.h2.mvstore) through the JDBC connection: tied to the H2 version in the pom.
 */
public final class H2Housekeeping {
  private static final Logger LOG = LoggerFactory.getLogger(H2Housekeeping.class);

  /**
   * @param interval        how often a round runs; shorter than the URL's RETENTION_TIME
   * @param fillRate        percent of live data in all chunks below which a round compacts (0: never)
   * @param writeLimitBytes live data rewritten per round at most
   * @param deleteInterval  how often old events are deleted for all partitions together ({@link H2EventCleaner});
   *                        zero: each partition deletes its own after a snapshot instead
   * @param deleteBatchRows row ids one deleting statement (one transaction) covers at most
   * @param compactOnStartFillRate  at start, the file is rewritten when its chunks hold less live data than this
   *                                percentage ({@link H2StartupCompaction}); 0: never
   * @param compactOnStartMinBytes  ... and only when the file is at least this large
   * @param mendCommitLeak  apply {@link H2CommitLeakFix} before the journal opens (only for an H2 file journal)
   */
  public record Settings(Duration interval, int fillRate, int writeLimitBytes, Duration deleteInterval,
      int deleteBatchRows, int compactOnStartFillRate, long compactOnStartMinBytes, boolean mendCommitLeak) {
    /** True when this upkeep, not each partition, deletes the events that snapshots made unnecessary. */
    public boolean deletesEvents() {
      return !deleteInterval.isZero();
    }
  }

  private final String url;
  private final Config config;
  private final Settings settings;
  private final ScheduledExecutorService thread;
  private Connection connection;
  private boolean retentionChecked;

  private H2Housekeeping(Config config, Settings settings) {
    this.config = config;
    this.url = JournalSchema.url(config);
    this.settings = settings;
    this.thread = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread t = new Thread(runnable, "portal-h2-housekeeping");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the upkeep of the journal database when it is an embedded H2 file ({@code jdbc:h2:file:}); returns
   * null and does nothing for any other database. Call {@link #stop} when the journal closes.
   */
  public static H2Housekeeping startIfH2(Config config, Settings settings) {
    if (!JournalSchema.isH2File(config)) {
      return null;
    }
    H2Housekeeping housekeeping = new H2Housekeeping(config, settings);
    long every = settings.interval().toMillis();
    housekeeping.thread.scheduleWithFixedDelay(housekeeping::runOnce, every, every, TimeUnit.MILLISECONDS);
    if (settings.deletesEvents()) {
      long deleteEvery = settings.deleteInterval().toMillis();
      housekeeping.thread.scheduleWithFixedDelay(housekeeping::deleteOldEvents, deleteEvery, deleteEvery,
          TimeUnit.MILLISECONDS);
    }
    return housekeeping;
  }

  /** Stops the thread (waiting for a round in progress) and closes its connection; safe to call twice. */
  public void stop() {
    thread.shutdown();
    try {
      if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }

  /** One round: sync, then compact. Failures are logged and retried at the next round. Runs on its own thread. */
  void runOnce() {
    try {
      MVStore store = store();
      if (!retentionChecked) {
        retentionChecked = true;
        if (store.getRetentionTime() <= settings.interval().toMillis()) {
          LOG.warn("H2 RETENTION_TIME {} ms in {} is not longer than portal.store.h2.upkeep-interval {} ms: a power "
              + "loss may leave the file unreadable", store.getRetentionTime(), url, settings.interval().toMillis());
        }
      }
      store.sync();
      store.compact(settings.fillRate(), settings.writeLimitBytes());
    } catch (SQLException | RuntimeException e) {
      LOG.warn("H2 upkeep of {} failed (retried in {} ms): {}", url, settings.interval().toMillis(), e.toString());
      closeConnection();
    }
  }

  /**
   * Deletes the events that the partitions' snapshots made unnecessary ({@link H2EventCleaner}). Failures are
   * logged and retried at the next round. Runs on the upkeep's thread.
   */
  void deleteOldEvents() {
    try {
      long startNanos = System.nanoTime();
      H2EventCleaner.Round round = H2EventCleaner.runOnce(connection(), settings.deleteBatchRows());
      if (round.rowsDeleted() > 0) {
        LOG.debug("deleted {} old events of {} partitions in {} statements, {} ms", round.rowsDeleted(),
            round.partitions(), round.statements(), (System.nanoTime() - startNanos) / 1_000_000);
      }
    } catch (SQLException | RuntimeException e) {
      LOG.warn("deleting old events from {} failed (retried in {} ms): {}", url,
          settings.deleteInterval().toMillis(), e.toString());
      closeConnection();
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = JournalSchema.connect(config);
    }
    return connection;
  }

  private MVStore store() throws SQLException {
    return mvStore(connection());
  }

  /** The MVStore under an embedded H2 connection: H2's internal classes, so tied to the H2 version in the pom. */
  static MVStore mvStore(Connection connection) throws SQLException {
    var session = (org.h2.engine.SessionLocal) connection.unwrap(JdbcConnection.class).getSession();
    return session.getDatabase().getStore().getMvStore();
  }

  private void closeConnection() {
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // closing after a failure; nothing left to do
    } finally {
      connection = null;
    }
  }
}
