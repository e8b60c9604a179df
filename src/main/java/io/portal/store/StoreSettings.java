package io.portal.store;

import static io.portal.config.ConfigValues.durationOrOff;
import static io.portal.config.ConfigValues.intIn;
import static io.portal.config.ConfigValues.positiveBytes;
import static io.portal.config.ConfigValues.positiveDuration;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The store's settings, read once from {@code portal.store}; each is documented in reference.conf.
 *
 * @param durable          true: partitions persist to the journal; false: memory only (data dies with the process)
 * @param maxPendingBytes  bytes of writes (keys and values) waiting in one partition beyond which it refuses more
 * @param maxWriteBytesInFlight bytes of writes this node has sent to partitions and not seen answered, beyond which
 *                         it refuses more
 */
public record StoreSettings(
    int partitions,
    Duration requestTimeout,
    boolean durable,
    Path dataDir,
    DedupPolicy dedup,
    int snapshotEveryEvents,
    int maxBatchChanges,
    long maxBatchBytes,
    int maxPendingWrites,
    long maxPendingBytes,
    long maxWriteBytesInFlight,
    int expiryBatch,
    Duration recoveryTimeout,
    Duration wakeInterval,
    H2Housekeeping.Settings h2) {

  /**
   * True when the events that snapshots made unnecessary are deleted by the H2 journal's upkeep for all partitions
   * together ({@link H2EventCleaner}), so partitions must not delete their own; false when each partition deletes
   * its own after a snapshot (any other journal, or {@code portal.store.h2.delete-interval = off}).
   */
  public boolean upkeepDeletesEvents() {
    return durable && h2.deletesEvents();
  }

  public static StoreSettings fromConfig(Config config) {
    return fromConfig(config, Runtime.getRuntime().maxMemory());
  }

  /**
   * Reads the settings; {@code max-write-bytes-in-flight = auto} is a sixty-fourth of {@code maxHeapBytes}, and
   * {@code h2.compact-write-limit = auto} a sixty-fourth of it, between 1 and 16 MiB.
   */
  public static StoreSettings fromConfig(Config config, long maxHeapBytes) {
    String mode = config.getString("portal.store.mode");
    if (!mode.equals("durable") && !mode.equals("memory")) {
      throw new ConfigException.BadValue("portal.store.mode", "'" + mode + "' is neither durable nor memory");
    }
    String journal = config.getString(JournalSchema.JOURNAL);
    if (!journal.equals("jdbc") && !journal.equals("rocksdb")) {
      throw new ConfigException.BadValue(JournalSchema.JOURNAL, "'" + journal + "' is neither jdbc nor rocksdb");
    }
    boolean h2File = JournalSchema.isH2File(config); // the H2-only settings are off for any other journal
    return new StoreSettings(
        intIn(config, "portal.store.partitions", 1, 65536),
        positiveDuration(config, "portal.store.request-timeout"),
        mode.equals("durable"),
        Path.of(config.getString("portal.store.data-dir")).toAbsolutePath().normalize(),
        new DedupPolicy(positiveDuration(config, "portal.store.dedup-window"),
            intIn(config, "portal.store.dedup-max-per-partition", 1, Integer.MAX_VALUE)),
        intIn(config, "portal.store.snapshot-every-events", 1, Integer.MAX_VALUE),
        intIn(config, "portal.store.max-batch-changes", 1, Integer.MAX_VALUE),
        positiveBytes(config, "portal.store.max-batch-bytes"),
        intIn(config, "portal.store.max-pending-writes", 1, Integer.MAX_VALUE),
        positiveBytes(config, "portal.store.max-pending-bytes"),
        "auto".equals(config.getValue("portal.store.max-write-bytes-in-flight").unwrapped().toString())
            ? Math.max(1, maxHeapBytes / 64) : positiveBytes(config, "portal.store.max-write-bytes-in-flight"),
        intIn(config, "portal.store.expiry-batch", 1, Integer.MAX_VALUE),
        positiveDuration(config, "portal.store.recovery-timeout"),
        positiveDuration(config, "portal.store.wake-interval"),
        new H2Housekeeping.Settings(positiveDuration(config, "portal.store.h2.upkeep-interval"),
            intIn(config, "portal.store.h2.compact-fill-rate", 0, 100),
            (int) ("auto".equals(config.getValue("portal.store.h2.compact-write-limit").unwrapped().toString())
                ? Math.max(1 << 20, Math.min(16L << 20, maxHeapBytes / 64))
                : Math.min(Integer.MAX_VALUE, positiveBytes(config, "portal.store.h2.compact-write-limit"))),
            h2File ? durationOrOff(config, "portal.store.h2.delete-interval") : Duration.ZERO,
            intIn(config, "portal.store.h2.delete-batch-rows", 1, Integer.MAX_VALUE),
            intIn(config, "portal.store.h2.compact-on-start-fill-rate", 0, 100),
            positiveBytes(config, "portal.store.h2.compact-on-start-min-size"),
            h2File && config.getBoolean("portal.store.h2.mend-commit-page-leak")));
  }
}
