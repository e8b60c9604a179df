package io.portal.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.portal.connection.ConnectionSettings;
import java.time.Duration;

/**
 * Everything the server reads from {@code portal.*}, read once at startup. A bad value stops startup with a
 * {@link ConfigException} naming the setting.
 */
public record ServerSettings(
    String host,
    int port,
    int backlog,
    int maxConnections,
    String nodeId,
    int partitions,
    Duration requestTimeout,
    ConnectionSettings connection) {

  public static ServerSettings fromConfig(Config config) {
    String host = config.getString("portal.server.host");
    if (host.isBlank()) {
      throw new ConfigException.BadValue("portal.server.host", "host must not be empty");
    }
    return new ServerSettings(
        host,
        intIn(config, "portal.server.port", 0, 65535),
        intIn(config, "portal.server.backlog", 1, 65535),
        intIn(config, "portal.server.max-connections", 1, Integer.MAX_VALUE),
        config.getString("portal.node-id"),
        intIn(config, "portal.store.partitions", 1, 65536),
        positive(config, "portal.store.request-timeout"),
        ConnectionSettings.fromConfig(config));
  }

  /** This settings with another port; tests bind port 0. */
  public ServerSettings withPort(int newPort) {
    return new ServerSettings(host, newPort, backlog, maxConnections, nodeId, partitions, requestTimeout, connection);
  }

  private static int intIn(Config config, String path, int min, int max) {
    long value = config.getLong(path);
    if (value < min || value > max) {
      throw new ConfigException.BadValue(path, value + " is outside " + min + ".." + max);
    }
    return (int) value;
  }

  private static Duration positive(Config config, String path) {
    Duration value = config.getDuration(path);
    if (value.isNegative() || value.isZero()) {
      throw new ConfigException.BadValue(path, value + " must be positive");
    }
    return value;
  }
}
