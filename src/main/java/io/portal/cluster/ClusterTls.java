package io.portal.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The cluster port (Pekko Artery) speaks TLS with mutual authentication, always: a peer must hold a key whose
 * certificate the node's CA signed, or its connection is refused before any message is read.
 *
 * <ul>
 *   <li>A cluster names its PEM files in {@code portal.cluster.tls} (this node's key and certificate, the CA's
 *       certificate); Pekko's rotating-keys engine reads them and reads them again every few minutes, so replaced files
 *       take effect without a restart.</li>
 *   <li>A lone node (no seed nodes) with no files generates a throw-away RSA key and a self-signed certificate at
 *       start, trusted by nothing but itself: no other process can join it or send it a message.</li>
 *   <li>A node with seed nodes and no files refuses to start.</li>
 * </ul>
 */
public final class ClusterTls {
  private static final String ENGINE = "pekko.remote.artery.ssl.rotating-keys-engine.";

  private ClusterTls() {
  }

  /** What the node's cluster port is secured with, for the log. */
  public record Secured(Config config, String description) {
  }

  /**
   * {@code config} with Artery over mutually authenticated TLS.
   *
   * @throws IllegalStateException when the files are set only in part, missing or unreadable, or when a node with
   *                               seed nodes has none
   */
  public static Secured secure(Config config) {
    Config tls = config.getConfig("portal.cluster.tls");
    Map<String, String> files = new LinkedHashMap<>();
    for (String name : List.of("key-file", "cert-file", "ca-cert-file")) {
      files.put(name, tls.getString(name));
    }
    List<String> set = files.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
    boolean seeded = !config.getStringList("pekko.cluster.seed-nodes").isEmpty();
    String description;
    if (set.isEmpty()) {
      if (seeded) {
        throw new IllegalStateException("a node with seed nodes needs the cluster's TLS files: set "
            + "portal.cluster.tls.key-file, cert-file and ca-cert-file (PEM; docs/security.md says how to make them)");
      }
      files = throwAwayKey();
      description = "TLS with a throw-away key trusted by no other process (a lone node: nothing can join it)";
    } else if (set.size() < files.size()) {
      throw new IllegalStateException("portal.cluster.tls sets " + set + " but not all of " + files.keySet()
          + ": the node's key, its certificate and the CA's certificate go together");
    } else {
      for (Map.Entry<String, String> file : files.entrySet()) {
        if (!Files.isReadable(Path.of(file.getValue()))) {
          throw new IllegalStateException("portal.cluster.tls." + file.getKey() + " = " + file.getValue()
              + ": no readable file there");
        }
      }
      description = "TLS, mutual authentication against the CA in " + files.get("ca-cert-file");
    }
    Map<String, Object> pekko = new LinkedHashMap<>();
    pekko.put("pekko.remote.artery.transport", "tls-tcp");
    pekko.put("pekko.remote.artery.ssl.ssl-engine-provider",
        RefusalLoggingSslEngineProvider.class.getName());
    files.forEach((name, path) -> pekko.put(ENGINE + name, path));
    // wraps the keys in memory only; random, so that Pekko's warning about its well-known default does not apply
    pekko.put(ENGINE + "keystore-password", HexFormat.of().formatHex(randomBytes(16)));
    return new Secured(ConfigFactory.parseMap(pekko).withFallback(config), description);
  }

  /** A fresh RSA key and a self-signed certificate, in PEM files in a folder only this user can read. */
  private static Map<String, String> throwAwayKey() {
    try {
      Path dir = Files.createTempDirectory("portal-cluster-key",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      KeyPair pair = generator.generateKeyPair();
      X500Name name = new X500Name("CN=portal-lone-node-" + HexFormat.of().formatHex(randomBytes(8)));
      Instant now = Instant.now();
      X509CertificateHolder cert = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(3650))), name,
          pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
          .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate()));
      dir.toFile().deleteOnExit(); // deleted after the files: deleteOnExit runs in reverse order of registration
      Path key = write(dir.resolve("node.key"), pem(pair.getPrivate()));
      key.toFile().deleteOnExit();
      Path crt = write(dir.resolve("node.crt"), pem(cert));
      crt.toFile().deleteOnExit();
      Map<String, String> files = new LinkedHashMap<>();
      files.put("key-file", key.toString());
      files.put("cert-file", crt.toString());
      files.put("ca-cert-file", crt.toString());
      return files;
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot make the throw-away key that secures the cluster port: " + e, e);
    }
  }

  private static String pem(Object object) throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }

  private static Path write(Path path, String text) throws IOException {
    Files.writeString(path, text);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    return path;
  }

  private static byte[] randomBytes(int count) {
    byte[] bytes = new byte[count];
    new SecureRandom().nextBytes(bytes);
    return bytes;
  }
}
