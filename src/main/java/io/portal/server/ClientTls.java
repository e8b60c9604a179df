package io.portal.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.portal.tls.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * TLS on the client port ({@code portal.server.tls}), read and checked at startup: the files are loaded then, so a
 * missing or unreadable one stops the start naming the setting.
 */
final class ClientTls {
  private ClientTls() {
  }

  /** A maker of server-side engines, or null when TLS is off. */
  static Supplier<SSLEngine> fromConfig(Config config) {
    Config tls = config.getConfig("portal.server.tls");
    if (!tls.getBoolean("enabled")) {
      return null;
    }
    Path cert = file(tls, "cert-file", true);
    Path key = file(tls, "key-file", true);
    Path clientCa = file(tls, "client-ca-file", false);
    SSLContext context;
    try {
      context = TlsFiles.context(cert, key, clientCa);
    } catch (IOException e) {
      throw new ConfigException.BadValue("portal.server.tls", e.getMessage());
    }
    List<String> protocols = tls.getStringList("protocols");
    List<String> ciphers = tls.getStringList("cipher-suites");
    SSLParameters parameters = context.getDefaultSSLParameters();
    try {
      parameters.setProtocols(protocols.toArray(String[]::new));
      if (!ciphers.isEmpty()) {
        parameters.setCipherSuites(ciphers.toArray(String[]::new));
      }
      parameters.setNeedClientAuth(clientCa != null);
      context.createSSLEngine().setSSLParameters(parameters); // refuses unknown protocols or suites now
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue("portal.server.tls", e.getMessage());
    }
    return () -> {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      engine.setSSLParameters(parameters);
      return engine;
    };
  }

  private static Path file(Config tls, String name, boolean required) {
    String value = tls.getString(name);
    if (value.isEmpty()) {
      if (required) {
        throw new ConfigException.BadValue("portal.server.tls." + name, "TLS is enabled: set this PEM file");
      }
      return null;
    }
    return Path.of(value);
  }
}
