package io.portal.connection;

import static io.portal.config.ConfigValues.intIn;
import static io.portal.config.ConfigValues.positiveBytes;

import com.typesafe.config.Config;

/**
 * Limits on what one request may ask for, from {@code portal.scan} and {@code portal.protocol} (documented in
 * reference.conf).
 *
 * @param scanDefaultLimit keys per SCAN page when the request asks for none
 * @param scanMaxLimit     the most keys a SCAN may ask for
 * @param scanPageBytes    about how many bytes of keys and values a SCAN page holds (always at least one key)
 * @param maxBatchOps      the most ops in one BATCH
 * @param maxTxnOps        the most compares and ops, together, in one TXN
 */
public record RequestLimits(int scanDefaultLimit, int scanMaxLimit, long scanPageBytes, int maxBatchOps,
    int maxTxnOps) {
  /** reference.conf's values, for tests. */
  public static final RequestLimits DEFAULTS = new RequestLimits(1000, 10000, 1 << 20, 1000, 128);

  public static RequestLimits fromConfig(Config config) {
    int scanMaxLimit = intIn(config, "portal.scan.max-limit", 1, Integer.MAX_VALUE);
    return new RequestLimits(intIn(config, "portal.scan.default-limit", 1, scanMaxLimit), scanMaxLimit,
        positiveBytes(config, "portal.scan.page-bytes"),
        intIn(config, "portal.protocol.max-batch-ops", 1, Integer.MAX_VALUE),
        intIn(config, "portal.protocol.max-txn-ops", 1, Integer.MAX_VALUE));
  }
}
