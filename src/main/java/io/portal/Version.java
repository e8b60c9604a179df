package io.portal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Portal's version, as the build wrote it into {@code portal-version.properties}: the server's, the CLI's, the
 * bench's.
 */
public final class Version {
  private Version() {
  }

  public static String current() {
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
