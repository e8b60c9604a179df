package io.portal.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

/** Range-checked reads of single settings; every error names the setting's path and the value found. */
public final class ConfigValues {
  private ConfigValues() {
  }

  /** An integer in {@code min .. max}. */
  public static int intIn(Config config, String path, int min, int max) {
    long value = config.getLong(path);
    if (value < min || value > max) {
      throw new ConfigException.BadValue(path, value + " is outside " + min + ".." + max);
    }
    return (int) value;
  }

  /** A size in bytes ("32MiB", "65536"), at least 1. */
  public static long positiveBytes(Config config, String path) {
    long value = config.getBytes(path);
    if (value < 1) {
      throw new ConfigException.BadValue(path, value + " bytes must be at least 1");
    }
    return value;
  }

  /** A duration ("5s", "300ms") greater than zero. */
  public static Duration positiveDuration(Config config, String path) {
    Duration value = config.getDuration(path);
    if (value.isNegative() || value.isZero()) {
      throw new ConfigException.BadValue(path, value + " must be positive");
    }
    return value;
  }

  /** A positive duration, or {@link Duration#ZERO} when the setting is the word {@code off}. */
  public static Duration durationOrOff(Config config, String path) {
    if ("off".equalsIgnoreCase(config.getValue(path).unwrapped().toString())) {
      return Duration.ZERO;
    }
    return positiveDuration(config, path);
  }
}
