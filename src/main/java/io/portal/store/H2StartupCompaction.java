package io.portal.store;

import com.typesafe.config.Config;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites the embedded H2 journal file with only its live data, at start and before the journal opens, when most
 * of the file is dead. After heavy writing most of the file is recent chunks that are dead but not yet reused (0.9
 * GB holding 16 MB of live data after 90 s of durable SET 50x16 and kill -9); with an H2 that lacks
 * {@link H2CommitLeakFix} it is also chunks kept for ever by pages H2 lost count of (docs/storage.md has the
 * measurements). Only a full rewrite of the file drops all of that, and H2 does one only while closing the database
 * ({@code SHUTDOWN COMPACT}), which is why Portal does it here, where nothing else has the database open.
 */
public final class H2StartupCompaction {
  private static final Logger LOG = LoggerFactory.getLogger(H2StartupCompaction.class);

  private H2StartupCompaction() {
  }

  /** What a start found and did: file sizes before and after, the chunks' fill rate, and the time spent. */
  record Outcome(long bytesBefore, long bytesAfter, int fillRate, long millis) {
  }

  /**
   * Compacts the journal file when it is an embedded H2 file of at least {@code settings.compactOnStartMinBytes()}
   * whose chunks hold less than {@code settings.compactOnStartFillRate()} percent live data. Blocks the caller for
   * as long as the rewrite takes (proportional to the live data). Does nothing for other databases, a missing file,
   * or a rate of 0.
   *
   * @return what was done, or null when nothing was (also when the compaction failed: that is logged, and the
   *     file is left as it was)
   */
  public static Outcome runIfWasteful(Config config, H2Housekeeping.Settings settings) {
    if (!JournalSchema.isH2File(config) || settings.compactOnStartFillRate() == 0) {
      return null;
    }
    Path file = JournalSchema.h2File(config);
    try {
      if (!Files.exists(file) || Files.size(file) < settings.compactOnStartMinBytes()) {
        return null;
      }
      long startNanos = System.nanoTime();
      long before = Files.size(file);
      int fillRate;
      try (Connection connection = JournalSchema.connect(config)) {
        fillRate = H2Housekeeping.mvStore(connection).getFileStore().getChunksFillRate();
        if (fillRate >= settings.compactOnStartFillRate()) {
          return null;
        }
        LOG.info("compacting the journal file {} ({} MB, {}% of it live); this takes a moment", file, before >> 20,
            fillRate);
        try (Statement statement = connection.createStatement()) {
          statement.execute("SHUTDOWN COMPACT");
        }
      }
      Outcome outcome = new Outcome(before, Files.size(file), fillRate, (System.nanoTime() - startNanos) / 1_000_000);
      LOG.info("compacted the journal file {}: {} MB -> {} MB in {} ms", file, outcome.bytesBefore() >> 20,
          outcome.bytesAfter() >> 20, outcome.millis());
      return outcome;
    } catch (SQLException | IOException e) {
      // H2 rewrites into a temporary file and replaces the original only when that is complete, so a failure
      // (a full disk, typically) leaves the journal as it was: start without the compaction
      LOG.warn("compacting the journal file {} failed; starting without it: {}", file, e.toString());
      return null;
    }
  }
}
