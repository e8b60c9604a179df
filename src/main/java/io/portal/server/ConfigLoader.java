package io.portal.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.portal.store.JournalSchema;
import java.io.File;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the configuration the way the README says: {@code -Dconfig.file=F} when given, else
 * {@code conf/application.conf} in the working directory when present, over the bundled reference.conf defaults;
 * {@code -Dpath=value} system properties override everything.
 */
public final class ConfigLoader {
  static final String DEFAULT_FILE = "conf/application.conf";
  static final String PEKKO_SETTINGS = "portal-pekko.conf";
  static final String DATA_DIR = "portal.store.data-dir";

  private ConfigLoader() {
  }

  /** A loaded configuration and where it came from, for the ready log line. */
  public record Loaded(Config config, String source) {
  }

  /** Loads it; a missing explicit file or a syntax error throws a {@link ConfigException} naming the file. */
  public static Loaded load() {
    ConfigFactory.invalidateCaches();
    String explicit = System.getProperty("config.file");
    File file = explicit != null ? new File(explicit) : new File(DEFAULT_FILE);
    if (explicit == null && !file.isFile()) {
      return new Loaded(resolve(ConfigFactory.empty()), "defaults (no " + DEFAULT_FILE + ")");
    }
    Config parsed = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
    return new Loaded(resolve(parsed), file.getPath());
  }

  /**
   * The full configuration for {@code userConfig}: system properties over it, over Portal's Pekko settings
   * ({@code portal-pekko.conf}), over every reference.conf. Tests build their configuration with this too.
   */
  /**
   * {@code portal.store.journal = rocksdb} (the default) selects the RocksDB journal and snapshot store plugins over
   * the JDBC ones that portal-pekko.conf names; {@code jdbc} leaves those. Decided on the loaded configuration, so that
   * the default, system properties and the file all count.
   */
  private static Config journalPlugins(Config loaded) {
    if (!JournalSchema.isRocksDb(loaded)) {
      return ConfigFactory.empty();
    }
    return ConfigFactory.parseMap(Map.of(
        "pekko.persistence.journal.plugin", "portal.rocksdb.journal",
        "pekko.persistence.snapshot-store.plugin", "portal.rocksdb.snapshot-store"));
  }

  public static Config resolve(Config userConfig) {
    Config pekkoSettings = ConfigFactory.parseResources(ConfigLoader.class, "/" + PEKKO_SETTINGS,
        ConfigParseOptions.defaults().setAllowMissing(false));
    Config layered = journalPlugins(ConfigFactory.load(userConfig.withFallback(pekkoSettings)))
        .withFallback(userConfig).withFallback(pekkoSettings);
    Config loaded = ConfigFactory.load(layered);
    // the RocksDB folder is built from the data folder: make it absolute, so that messages and logs name it whole
    String dataDir = loaded.getString(DATA_DIR);
    Path absolute = Path.of(dataDir).toAbsolutePath().normalize();
    if (absolute.toString().equals(dataDir)) {
      return loaded;
    }
    Config override = ConfigFactory.parseMap(Map.of(DATA_DIR, absolute.toString()));
    return ConfigFactory.load(override.withFallback(ConfigFactory.defaultOverrides()).withFallback(layered));
  }
}
