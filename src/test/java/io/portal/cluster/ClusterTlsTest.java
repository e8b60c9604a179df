package io.portal.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.portal.server.ConfigLoader;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;

class ClusterTlsTest {
  private static final String ENGINE = "pekko.remote.artery.ssl.rotating-keys-engine.";

  private static Config config(String settings) {
    return ConfigLoader.resolve(ConfigFactory.parseString(settings));
  }

  @Test
  void aLoneNodeWithoutFilesGetsAThrowAwayKeyOnlyItsUserCanRead() throws Exception {
    ClusterTls.Secured secured = ClusterTls.secure(config(""));
    Config config = secured.config();
    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    assertEquals(RefusalLoggingSslEngineProvider.class.getName(),
        config.getString("pekko.remote.artery.ssl.ssl-engine-provider"));
    Path key = Path.of(config.getString(ENGINE + "key-file"));
    Path cert = Path.of(config.getString(ENGINE + "cert-file"));
    assertEquals(cert, Path.of(config.getString(ENGINE + "ca-cert-file")), "trusts its own certificate alone");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key.getParent())));
    assertTrue(Files.readString(key).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
    X509Certificate x509 = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(cert)));
    x509.verify(x509.getPublicKey()); // self-signed
    assertTrue(x509.getSubjectX500Principal().getName().startsWith("CN=portal-lone-node-"));
    assertNotEquals("changeit", config.getString(ENGINE + "keystore-password"));
    assertTrue(secured.description().contains("throw-away key"));

    String other = ClusterTls.secure(config("")).config().getString(ENGINE + "key-file");
    assertNotEquals(Files.readString(key), Files.readString(Path.of(other)), "a new key at every start");
  }

  @Test
  void aNodeWithSeedNodesAndNoFilesIsRefused() {
    IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ClusterTls.secure(
        config("pekko.cluster.seed-nodes = [\"pekko://portal@127.0.0.1:2551\"]")));
    assertTrue(refused.getMessage().contains("portal.cluster.tls.key-file, cert-file and ca-cert-file"),
        refused.getMessage());
  }

  @Test
  void filesSetInPartOrMissingAreRefusedByName() throws Exception {
    IllegalStateException part = assertThrows(IllegalStateException.class, () -> ClusterTls.secure(
        config("portal.cluster.tls.key-file = /x/node.key")));
    assertTrue(part.getMessage().contains("sets [key-file] but not all of [key-file, cert-file, ca-cert-file]"),
        part.getMessage());

    Path dir = Files.createTempDirectory("portal-tls");
    Files.writeString(dir.resolve("node.key"), "k");
    Files.writeString(dir.resolve("node.crt"), "c");
    IllegalStateException missing = assertThrows(IllegalStateException.class, () -> ClusterTls.secure(config(
        "portal.cluster.tls { key-file = \"" + dir.resolve("node.key") + "\", cert-file = \"" + dir.resolve("node.crt")
            + "\", ca-cert-file = \"" + dir.resolve("ca.crt") + "\" }")));
    assertEquals("portal.cluster.tls.ca-cert-file = " + dir.resolve("ca.crt") + ": no readable file there",
        missing.getMessage());

    Files.writeString(dir.resolve("ca.crt"), "a");
    Config set = ClusterTls.secure(config("portal.cluster.tls { key-file = \"" + dir.resolve("node.key")
        + "\", cert-file = \"" + dir.resolve("node.crt") + "\", ca-cert-file = \"" + dir.resolve("ca.crt") + "\" }"))
        .config();
    assertEquals(dir.resolve("node.key").toString(), set.getString(ENGINE + "key-file"));
    assertEquals(dir.resolve("ca.crt").toString(), set.getString(ENGINE + "ca-cert-file"));
    assertEquals("tls-tcp", set.getString("pekko.remote.artery.transport"));
  }
}
