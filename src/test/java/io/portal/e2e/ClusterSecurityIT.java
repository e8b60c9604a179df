package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Another process on the same machine tries to join a lone Portal node started with the default configuration (the
 * attack that once took its partitions): with no TLS files it cannot even start as a cluster node, with its own CA's
 * key it is refused at the TLS handshake (and the node logs the refusals), and plain bytes on the cluster port are cut
 * off. Throughout, the node keeps every partition: all its keys read back right, during the attempts and after the
 * attacker is killed.
 */
class ClusterSecurityIT {
  static final Pattern ARTERY = Pattern.compile("listening on address \\[(pekko://portal@127\\.0\\.0\\.1:(\\d+))]");
  private static final int KEYS = 200;

  @Test
  void aLoneNodeCannotBeJoinedOrSentAMessageByAnotherProcess() throws Exception {
    Path dir = Files.createTempDirectory("portal-security");
    try (JarProcess node = JarProcess.start(List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(),
        "-Dportal.store.data-dir=" + dir.resolve("data")));
        PortalClient client = PortalClient.connect("127.0.0.1", node.awaitReady())) {
      assertEquals(1, node.linesMatching(Pattern.compile("cluster port: TLS with a throw-away key")).size());
      String address = node.await(ARTERY, 5).group(1);
      for (int i = 0; i < KEYS; i++) {
        assertEquals(1L, client.set(utf8("k" + i), utf8("v" + i)));
      }

      // the same jar, told to join, with no key: refuses to start
      try (JarProcess keyless = JarProcess.start(attacker(dir, address))) {
        assertTrue(keyless.process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, keyless.process.exitValue());
        keyless.await(Pattern.compile("a node with seed nodes needs the cluster's TLS files"), 5);
      }

      // with a key from its own CA: refused at every handshake, never joins
      Path certs = dir.resolve("attacker-certs");
      assertEquals(0, Commands.run("bash", "conf/cluster-certs.sh", certs.toString(), "intruder"));
      List<String> withKey = new ArrayList<>(attacker(dir, address));
      withKey.addAll(List.of("-Dportal.cluster.tls.key-file=" + certs.resolve("intruder.key"),
          "-Dportal.cluster.tls.cert-file=" + certs.resolve("intruder.crt"),
          "-Dportal.cluster.tls.ca-cert-file=" + certs.resolve("ca.crt")));
      try (JarProcess intruder = JarProcess.start(withKey)) {
        intruder.await(Pattern.compile("SSLHandshakeException"), 60);
        node.await(Pattern.compile("cluster port: refused \\d+ connections? without this cluster's key"), 30);
        Thread.sleep(5000); // a few more join attempts
        assertTrue(intruder.linesMatching(Pattern.compile("Welcome from|is JOINING|joined")).isEmpty(),
            String.valueOf(intruder.linesMatching(Pattern.compile("Welcome from|is JOINING|joined"))));
        checkAll(client);
        intruder.kill9();
      }

      // plain bytes where Artery's handshake would go: the connection is closed, nothing else happens
      int port = Integer.parseInt(node.await(ARTERY, 5).group(2));
      try (Socket socket = new Socket("127.0.0.1", port)) {
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write("AKKA\u0001 a join request in clear".getBytes(StandardCharsets.ISO_8859_1));
        assertTrue(readsToEnd(socket.getInputStream()), "the cluster port closed the plaintext connection");
      }

      assertEquals(1, node.linesMatching(Pattern.compile("is JOINING")).size(), "only the node itself joined");
      checkAll(client);
      assertTrue(node.process.isAlive());
    }
  }

  private static List<String> attacker(Path dir, String seed) throws IOException {
    return List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(), "-Dportal.store.mode=memory",
        "-Dportal.store.data-dir=" + dir.resolve("attacker-data"), "-Dpekko.cluster.seed-nodes.0=" + seed);
  }

  /** True when the peer closes (or resets) the connection before the read times out. */
  private static boolean readsToEnd(InputStream in) throws IOException {
    try {
      while (in.read() != -1) {
        // a TLS alert, perhaps
      }
      return true;
    } catch (SocketException reset) {
      return true;
    }
  }

  private static void checkAll(PortalClient client) {
    for (int i = 0; i < KEYS; i++) {
      Entry entry = client.get("k" + i).orElseThrow(AssertionError::new);
      assertEquals(utf8("v" + i), entry.value());
      assertEquals(1, entry.version());
    }
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
