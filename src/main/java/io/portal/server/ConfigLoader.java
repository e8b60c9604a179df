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

  /**
   * One line per {@code portal.*} setting in {@code loaded} that Portal does not have (a misspelling, or a setting of
   * another version), naming where it came from and the nearest real setting: a setting Portal does not know is
   * otherwise silently ignored.
   */
  public static java.util.List<String> unknownSettings(Config loaded) {
    Config reference = ConfigFactory.defaultReferenceUnresolved() // defaultReference() has the system properties too
        .resolve(com.typesafe.config.ConfigResolveOptions.defaults().setAllowUnresolved(true));
    java.util.List<String> known = reference.getConfig("portal").entrySet().stream()
        .map(e -> "portal." + e.getKey()).toList();
    java.util.List<String> unknown = new java.util.ArrayList<>();
    if (!loaded.hasPath("portal")) {
      return unknown;
    }
    for (var entry : loaded.getConfig("portal").entrySet()) {
      String path = "portal." + entry.getKey();
      if (!reference.hasPathOrNull(path)) {
        String nearest = known.stream().min(java.util.Comparator.comparingInt(k -> distance(k, path))).orElse("");
        unknown.add("unknown setting " + path + " (from " + entry.getValue().origin().description()
            + ") is ignored; did you mean " + nearest + "?");
      }
    }
    java.util.Collections.sort(unknown);
    return unknown;
  }

  /** Levenshtein distance, for suggesting the setting meant. */
  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      int[] current = new int[b.length() + 1];
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
      }
      previous = current;
    }
    return previous[b.length()];
  }

  private static final String MANAGEMENT_PORT = "pekko.management.http.port";
  /** The client port's default 7777 plus this is the health port's 8558. */
  static final int MANAGEMENT_OFFSET = 781;

  /**
   * The full configuration for {@code userConfig}: system properties over it, over Portal's Pekko settings
   * ({@code portal-pekko.conf}), over every reference.conf. Tests build their configuration with this too.
   */
  public static Config resolve(Config userConfig) {
    Config pekkoSettings = ConfigFactory.parseResources(ConfigLoader.class, "/" + PEKKO_SETTINGS,
        ConfigParseOptions.defaults().setAllowMissing(false));
    Config layered = journalPlugins(ConfigFactory.load(userConfig.withFallback(pekkoSettings)))
        .withFallback(userConfig).withFallback(pekkoSettings);
    Config loaded = ConfigFactory.load(layered);
    Map<String, Object> overrides = new java.util.HashMap<>();
    // the RocksDB folder is built from the data folder: make it absolute, so that messages and logs name it whole
    String dataDir = loaded.getString(DATA_DIR);
    Path absolute = Path.of(dataDir).toAbsolutePath().normalize();
    if (!absolute.toString().equals(dataDir)) {
      overrides.put(DATA_DIR, absolute.toString());
    }
    // the health port follows the client port unless set: a second server on another client port gets its own
    // (set by Portal's own Pekko settings, not by the operator's file, a system property or an environment variable)
    if (PEKKO_SETTINGS.equals(loaded.getValue(MANAGEMENT_PORT).origin().resource())) {
      int clientPort = loaded.getInt("portal.server.port");
      overrides.put(MANAGEMENT_PORT, clientPort == 0 ? 0 : clientPort + MANAGEMENT_OFFSET);
    }
    if (overrides.isEmpty()) {
      return loaded;
    }
    return ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.defaultOverrides())
        .withFallback(layered));
  }
}
