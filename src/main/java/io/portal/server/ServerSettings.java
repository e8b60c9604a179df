package io.portal.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.portal.auth.AuthSettings;
import io.portal.config.ConfigValues;
import io.portal.connection.ConnectionSettings;
import io.portal.connection.RequestLimits;
import io.portal.connection.MemorySettings;
import io.portal.store.StoreSettings;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;

/**
 * Everything the server reads from {@code portal.*}, read once at startup. A bad value stops startup with a
 * {@link ConfigException} naming the setting.
 *
 * @param tls makes the client port's TLS engines; null when the port speaks plain TCP
 */
public record ServerSettings(
    String host,
    int port,
    int backlog,
    int maxConnections,
    String nodeId,
    StoreSettings store,
    ConnectionSettings connection,
    MemorySettings memory,
    Supplier<SSLEngine> tls,
    AuthSettings auth,
    RequestLimits limits) {

  public static ServerSettings fromConfig(Config config) {
    String host = config.getString("portal.server.host");
    if (host.isBlank()) {
      throw new ConfigException.BadValue("portal.server.host", "host must not be empty");
    }
    return new ServerSettings(
        host,
        ConfigValues.intIn(config, "portal.server.port", 0, 65535),
        ConfigValues.intIn(config, "portal.server.backlog", 1, 65535),
        ConfigValues.intIn(config, "portal.server.max-connections", 1, Integer.MAX_VALUE),
        config.getString("portal.node-id"),
        StoreSettings.fromConfig(config),
        ConnectionSettings.fromConfig(config),
        MemorySettings.fromConfig(config, Runtime.getRuntime().maxMemory()),
        ClientTls.fromConfig(config),
        AuthSettings.fromConfig(config),
        RequestLimits.fromConfig(config));
  }
}
