package io.portal.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.portal.auth.proto.UserRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code portal.auth}: whether clients must authenticate, the administrator's password (read from a file at start and
 * kept only as a hash), the hash's cost, and how failed attempts are slowed down.
 */
public record AuthSettings(boolean enabled, UserRecord root, int iterations, Duration failureDelay,
    Duration maxFailureDelay) {
  /** The administrator's user name. */
  public static final String ROOT = "root";

  public static AuthSettings fromConfig(Config config) {
    Config auth = config.getConfig("portal.auth");
    int iterations = auth.getInt("hash-iterations");
    if (iterations < 10_000) {
      throw new ConfigException.BadValue("portal.auth.hash-iterations", iterations + " is below 10000");
    }
    Duration delay = auth.getDuration("failure-delay");
    Duration max = auth.getDuration("max-failure-delay");
    if (!auth.getBoolean("enabled")) {
      return new AuthSettings(false, null, iterations, delay, max);
    }
    String file = auth.getString("root-password-file");
    if (file.isEmpty()) {
      throw new ConfigException.BadValue("portal.auth.root-password-file",
          "authentication is on: name the file holding the administrator's (root's) password");
    }
    String password;
    try {
      List<String> lines = Files.readAllLines(Path.of(file));
      password = lines.isEmpty() ? "" : lines.get(0).strip();
    } catch (IOException e) {
      throw new ConfigException.BadValue("portal.auth.root-password-file", "cannot read " + file + ": " + e);
    }
    if (password.length() < 8) {
      throw new ConfigException.BadValue("portal.auth.root-password-file",
          "the password in " + file + " has " + password.length() + " characters; at least 8 are needed");
    }
    return new AuthSettings(true, Passwords.record(password, iterations, List.of()), iterations, delay, max);
  }
}
