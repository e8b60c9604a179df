package io.portal.cli;

import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The TLS options of the CLI and the bench tool (a picocli mixin). */
public final class TlsOptions {
  @Option(names = "--tls", description = "connect with TLS (the server's certificate must name --host)")
  boolean tls;

  @Option(names = "--cacert", paramLabel = "FILE", description = "PEM file of the CA that signed the server's "
      + "certificate (default: the JDK's trusted authorities); implies --tls")
  Path caCert;

  @Option(names = "--cert", paramLabel = "FILE", description = "PEM certificate to present, for a server that asks "
      + "clients for one; with --key; implies --tls")
  Path cert;

  @Option(names = "--key", paramLabel = "FILE", description = "PEM private key of --cert (unencrypted)")
  Path key;

  /**
   * {@code options} with TLS when asked for.
   *
   * @throws PortalException INVALID_ARGUMENT when --cert and --key do not come together or a file cannot be used
   */
  public PortalClient.Options apply(PortalClient.Options options) {
    if ((cert == null) != (key == null)) {
      throw new PortalException(ErrorCode.INVALID_ARGUMENT, "--cert and --key go together");
    }
    if (!tls && caCert == null && cert == null) {
      return options;
    }
    return options.withTls(PortalClient.tlsContext(caCert, cert, key));
  }
}
