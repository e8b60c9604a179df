package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import io.portal.tls.TlsFiles;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * TLS on the client port of the packaged jar, with files made by conf/server-cert.sh: the Java client, the CLI and
 * the bench tool over TLS; a plain-TCP client cut off with a hint; a client that does not trust the server's CA, a
 * certificate that has expired, and a TLS client on a plain port, each refused with a clear error and not retried; a
 * server that asks for client certificates refuses a client without one.
 */
class ClientTlsIT {
  @Test
  void clientsCliAndBenchSpeakTlsAndEveryMisfitIsRefusedClearly() throws Exception {
    Path dir = Files.createTempDirectory("portal-client-tls");
    Path tls = dir.resolve("tls");
    assertEquals(0, Commands.run("bash", "conf/server-cert.sh", tls.toString(), "IP:127.0.0.1", "DNS:localhost"));
    Path ca = tls.resolve("ca.crt");
    List<String> jvm = List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(),
        "-Dportal.store.data-dir=" + dir.resolve("data"), "-Dportal.server.tls.enabled=on",
        "-Dportal.server.tls.cert-file=" + tls.resolve("server.crt"),
        "-Dportal.server.tls.key-file=" + tls.resolve("server.key"));
    PortalClient.Options trusting = PortalClient.Options.defaults().withTls(PortalClient.tlsContext(ca, null, null));
    try (JarProcess server = JarProcess.start(jvm)) {
      int port = server.awaitReady();
      try (PortalClient client = PortalClient.connect("127.0.0.1", port, trusting)) {
        for (int i = 0; i < 100; i++) {
          assertEquals(1L, client.set(utf8("k" + i), utf8("v" + i)));
        }
        assertEquals(new Entry(utf8("v42"), 1), client.get("k42").orElseThrow());
        byte[] big = new byte[1 << 20]; // many TLS records each way
        new java.util.Random(7).nextBytes(big);
        assertEquals(1L, client.set(utf8("big"), ByteString.copyFrom(big)));
        assertEquals(ByteString.copyFrom(big), client.get("big").orElseThrow().value());
      }

      // the CLI and the bench tool
      assertEquals("OK version 1\n", cli("--port", "" + port, "--cacert", ca.toString(), "set", "cli-key", "x"));
      assertEquals("x\n", cli("--port", "" + port, "--cacert", ca.toString(), "get", "cli-key"));
      String bench = cli("bench", "--port", "" + port, "--cacert", ca.toString(), "--ops", "set", "--requests",
          "2000", "--connections", "4", "--pipeline", "4", "--warmup", "0s");
      assertTrue(bench.contains("\nerrors 0 "), bench);

      // plain TCP on the TLS port: cut off, with a hint, not retried into a timeout
      PortalException plain = assertThrows(PortalException.class, () -> {
        try (PortalClient client = PortalClient.connect("127.0.0.1", port, PortalClient.Options.defaults()
            .withoutSession())) {
          client.get("k1");
        }
      });
      assertEquals(ErrorCode.UNAVAILABLE, plain.code());
      assertTrue(plain.getMessage().contains("closed by the server before any answer (if its client port uses TLS, "
          + "connect with --tls)"), plain.getMessage());

      // a client trusting only the JDK's authorities: UNAUTHENTICATED, saying what to do
      PortalException untrusted = assertThrows(PortalException.class, () -> connectAndGet(port,
          PortalClient.Options.defaults().withTls(PortalClient.tlsContext(null, null, null))));
      assertEquals(ErrorCode.UNAUTHENTICATED, untrusted.code());
      assertTrue(untrusted.getMessage().contains("is not signed by a CA this client trusts: pass that CA with "
          + "--cacert"), untrusted.getMessage());

      try (PortalClient client = PortalClient.connect("127.0.0.1", port, trusting)) {
        assertEquals(new Entry(utf8("v7"), 1), client.get("k7").orElseThrow(), "the server is unaffected");
      }
    }

    // an expired certificate (signed by the same CA)
    Path expired = expiredCertificate(tls);
    List<String> expiredJvm = jvm.stream().map(o -> o.replace(tls.resolve("server.crt").toString(), expired.toString())
        .replace(tls.resolve("server.key").toString(), tls.resolve("expired.key").toString())).toList();
    try (JarProcess server = JarProcess.start(expiredJvm)) {
      int port = server.awaitReady();
      PortalException refused = assertThrows(PortalException.class, () -> connectAndGet(port, trusting));
      assertEquals(ErrorCode.UNAUTHENTICATED, refused.code());
      assertTrue(refused.getMessage().contains("NotAfter"), refused.getMessage());
    }

    // a server asking for client certificates, and a TLS client on a plain port
    List<String> mutual = new java.util.ArrayList<>(jvm);
    mutual.add("-Dportal.server.tls.client-ca-file=" + ca);
    try (JarProcess server = JarProcess.start(mutual);
        JarProcess plainServer = JarProcess.start(List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(),
            "-Dportal.store.mode=memory"))) {
      int port = server.awaitReady();
      PortalException noCert = assertThrows(PortalException.class, () -> connectAndGet(port, trusting));
      assertEquals(ErrorCode.UNAUTHENTICATED, noCert.code(), noCert.getMessage());
      // the server's own key and certificate serve as a client's here: signed by the CA the server asks for
      PortalClient.Options withCert = PortalClient.Options.defaults().withTls(PortalClient.tlsContext(ca,
          tls.resolve("server.crt"), tls.resolve("server.key")));
      assertEquals(new Entry(utf8("v3"), 1), connectAndGet(port, withCert, "k3"));

      PortalException notTls = assertThrows(PortalException.class, () -> connectAndGet(plainServer.awaitReady(),
          trusting));
      assertEquals(ErrorCode.MALFORMED_FRAME, notTls.code());
      assertTrue(notTls.getMessage().contains("does not speak TLS"), notTls.getMessage());
    }
  }

  private static Entry connectAndGet(int port, PortalClient.Options options) {
    return connectAndGet(port, options, "k1");
  }

  private static Entry connectAndGet(int port, PortalClient.Options options, String key) {
    try (PortalClient client = PortalClient.connect("127.0.0.1", port, options.withRequestTimeout(
        Duration.ofSeconds(5)))) {
      return client.get(key).orElseThrow();
    }
  }

  private static String cli(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(args));
    if (!command.get(0).equals("bench")) {
      command.add(0, "cli");
    }
    return JarProcess.runToEnd(null, command);
  }


  /**
   * A server certificate for 127.0.0.1 signed by the CA in {@code tls}, whose validity ended yesterday, in
   * expired.crt, its key in expired.key.
   */
  private static Path expiredCertificate(Path tls) throws Exception {
    X509Certificate caCert = TlsFiles.certificates(tls.resolve("ca.crt")).get(0);
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    Instant now = Instant.now();
    X509Certificate cert = new org.bouncycastle.cert.jcajce.JcaX509CertificateConverter().getCertificate(
        new JcaX509v3CertificateBuilder(caCert, BigInteger.valueOf(now.toEpochMilli()),
            Date.from(now.minus(Duration.ofDays(30))), Date.from(now.minus(Duration.ofDays(1))),
            new X500Name("CN=portal-server"), pair.getPublic())
            .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName(
                GeneralName.iPAddress, InetAddress.getLoopbackAddress().getHostAddress())))
            .build(new JcaContentSignerBuilder("SHA256withRSA").build(TlsFiles.privateKey(tls.resolve("ca.key")))));
    Path crt = tls.resolve("expired.crt");
    Files.writeString(crt, pem(cert));
    Files.writeString(tls.resolve("expired.key"), pem(pair.getPrivate()));
    return crt;
  }

  private static String pem(Object object) throws Exception {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(object);
    }
    return out.toString();
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
