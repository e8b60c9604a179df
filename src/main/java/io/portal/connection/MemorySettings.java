package io.portal.connection;

import static io.portal.config.ConfigValues.intIn;
import static io.portal.config.ConfigValues.positiveBytes;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

/**
 * The server-wide budget for bytes held for clients, read once from {@code portal.memory}; documented in
 * reference.conf.
 *
 * @param clientsBudget bytes all connections may hold together before the largest are closed
 * @param pausePercent  share of the budget over which connections holding more than {@code clientFloor} stop reading
 * @param clientFloor   a connection holding less than this always reads
 */
public record MemorySettings(long clientsBudget, int pausePercent, long clientFloor) {

  /** Bytes over which connections above the floor stop reading. */
  public long pauseLevel() {
    return Math.max(1, clientsBudget / 100 * pausePercent);
  }

  /**
   * Reads the settings; {@code clients-budget = auto} is a quarter of {@code maxHeapBytes}.
   */
  public static MemorySettings fromConfig(Config config, long maxHeapBytes) {
    String path = "portal.memory.clients-budget";
    long budget = "auto".equals(config.getValue(path).unwrapped().toString())
        ? maxHeapBytes / 4 : positiveBytes(config, path);
    if (budget > maxHeapBytes) {
      throw new ConfigException.BadValue(path, budget + " bytes exceeds the maximum heap " + maxHeapBytes
          + " bytes (-Xmx)");
    }
    return new MemorySettings(budget, intIn(config, "portal.memory.clients-pause-percent", 1, 100),
        positiveBytes(config, "portal.memory.client-floor"));
  }
}
