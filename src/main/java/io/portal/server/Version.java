package io.portal.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The server's version, as the build wrote it into {@code portal-version.properties}. */
final class Version {
  private Version() {
  }

  static String current() {
    try (InputStream in = Version.class.getResourceAsStream("/portal-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
