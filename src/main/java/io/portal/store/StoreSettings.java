package io.portal.store;

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
    SnapshotRule snapshots,
    int maxBatchChanges,
    long maxBatchBytes,
    int maxPendingWrites,
    long maxPendingBytes,
    long maxWriteBytesInFlight,
    int expiryBatch,
    Duration recoveryTimeout,
    Duration wakeInterval,
    int watchHistoryChanges,
    long watchHistoryBytes) {

  public static StoreSettings fromConfig(Config config) {
    return fromConfig(config, Runtime.getRuntime().maxMemory());
  }

  /**
   * Reads the settings; {@code max-write-bytes-in-flight = auto} is a sixty-fourth of {@code maxHeapBytes}.
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
    return new StoreSettings(
        intIn(config, "portal.store.partitions", 1, 65536),
        positiveDuration(config, "portal.store.request-timeout"),
        mode.equals("durable"),
        Path.of(config.getString("portal.store.data-dir")).toAbsolutePath().normalize(),
        new DedupPolicy(positiveDuration(config, "portal.store.dedup-window"),
            intIn(config, "portal.store.dedup-max-per-partition", 1, Integer.MAX_VALUE)),
        new SnapshotRule(intIn(config, "portal.store.snapshot-growth-percent", 1, 10_000),
            positiveBytes(config, "portal.store.snapshot-min-bytes")),
        intIn(config, "portal.store.max-batch-changes", 1, Integer.MAX_VALUE),
        positiveBytes(config, "portal.store.max-batch-bytes"),
        intIn(config, "portal.store.max-pending-writes", 1, Integer.MAX_VALUE),
        positiveBytes(config, "portal.store.max-pending-bytes"),
        "auto".equals(config.getValue("portal.store.max-write-bytes-in-flight").unwrapped().toString())
            ? Math.max(1, maxHeapBytes / 64) : positiveBytes(config, "portal.store.max-write-bytes-in-flight"),
        intIn(config, "portal.store.expiry-batch", 1, Integer.MAX_VALUE),
        positiveDuration(config, "portal.store.recovery-timeout"),
        positiveDuration(config, "portal.store.wake-interval"),
        intIn(config, "portal.watch.history-changes", 1, Integer.MAX_VALUE),
        "auto".equals(config.getValue("portal.watch.history-bytes").unwrapped().toString())
            ? Math.max(64 * 1024, maxHeapBytes / 64 / intIn(config, "portal.store.partitions", 1, 65536))
            : positiveBytes(config, "portal.watch.history-bytes"));
  }
}
