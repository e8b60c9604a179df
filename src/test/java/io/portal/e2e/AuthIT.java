package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import io.portal.protocol.v1.ErrorCode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Users and roles on the packaged jar: root manages them with the CLI; each way of being refused gets its code
 * (no AUTH, wrong password, unknown user, a read outside the role's prefix, a write with a read-only role, a user who
 * is not root managing users), failures are logged without the secret and slowed down, users survive a restart, and a
 * server listening beyond loopback without authentication says so loudly.
 */
class AuthIT {
  private static final String ROOT_PASSWORD = "root-secret-1234";
  private static final String ALICE_PASSWORD = "alice-secret-5678";
  private static final String WRONG_PASSWORD = "guess-9999-wrong";

  @Test
  void usersAndRolesGateEveryRequestAndEveryRefusalHasItsCode() throws Exception {
    Path dir = Files.createTempDirectory("portal-auth");
    Path rootFile = dir.resolve("root-password");
    Files.writeString(rootFile, ROOT_PASSWORD + "\n");
    List<String> jvm = List.of("-Dportal.server.port=0", JarProcess.freeManagementPort(),
        "-Dportal.store.data-dir=" + dir.resolve("data"), "-Dportal.auth.enabled=on",
        "-Dportal.auth.root-password-file=" + rootFile, "-Dportal.auth.failure-delay=100ms");
    List<String> log = new ArrayList<>();
    try (JarProcess server = JarProcess.start(jvm)) {
      int port = server.awaitReady();
      String p = String.valueOf(port);

      // no AUTH: PING only
      try (PortalClient anonymous = connect(port, null, null)) {
        assertEquals(ByteString.copyFromUtf8("hi"), anonymous.ping(ByteString.copyFromUtf8("hi")));
        PortalException refused = assertThrows(PortalException.class, () -> anonymous.set("app/x", "1"));
        assertEquals(ErrorCode.UNAUTHENTICATED, refused.code());
        assertTrue(refused.getMessage().contains("authenticate first"), refused.getMessage());
      }

      // root sets up roles and users with the CLI
      assertEquals("new role writers: readwrite on keys starting with 'app/'\n",
          cli(null, "--port", p, "--user", "root", "--password-file", rootFile.toString(), "role", "grant", "writers",
              "app/", "readwrite"));
      assertEquals("new role readers: read on keys starting with 'app/'\n",
          cli(null, "--port", p, "--user", "root", "--password-file", rootFile.toString(), "role", "grant", "readers",
              "app/", "read"));
      assertEquals("added user alice with roles writers\n", cli(ALICE_PASSWORD, "--port", p, "--user", "root",
          "--password-file", rootFile.toString(), "user", "add", "alice", "--roles", "writers"));
      try (PortalClient root = connect(port, "root", ROOT_PASSWORD)) {
        assertFalse(root.userAdd("bob", "bob-secret-0000", List.of("readers")));
        PortalException reserved = assertThrows(PortalException.class, () -> root.get("\u0000portal/user/alice"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, reserved.code());
      }

      try (PortalClient alice = connect(port, "alice", ALICE_PASSWORD);
          PortalClient bob = connect(port, "bob", "bob-secret-0000")) {
        assertEquals(1L, alice.set("app/x", "1"));
        assertEquals(new Entry(ByteString.copyFromUtf8("1"), 1), bob.get("app/x").orElseThrow());
        PortalException outside = assertThrows(PortalException.class, () -> alice.set("other/y", "2"));
        assertEquals(ErrorCode.PERMISSION_DENIED, outside.code());
        assertEquals("PERMISSION_DENIED: user 'alice' may not write key 'other/y': its roles grant write access to no "
            + "prefix of it", outside.getMessage());
        PortalException readOutside = assertThrows(PortalException.class, () -> bob.get("other/y"));
        assertEquals(ErrorCode.PERMISSION_DENIED, readOutside.code());
        PortalException readOnly = assertThrows(PortalException.class, () -> bob.set("app/x", "3"));
        assertEquals(ErrorCode.PERMISSION_DENIED, readOnly.code());
        assertTrue(readOnly.getMessage().contains("user 'bob' may not write key 'app/x'"), readOnly.getMessage());
        PortalException notRoot = assertThrows(PortalException.class,
            () -> alice.userAdd("mallory", "mallory-0000", List.of("writers")));
        assertEquals(ErrorCode.PERMISSION_DENIED, notRoot.code());
        assertEquals("PERMISSION_DENIED: user 'alice' may not manage users and roles: only root may",
            notRoot.getMessage());
      }

      // wrong password and unknown user: the same answer; each failure from the same address is answered later
      long[] millis = new long[5];
      for (int i = 0; i < 5; i++) {
        long start = System.nanoTime();
        String user = i % 2 == 0 ? "alice" : "nobody";
        PortalException failed = assertThrows(PortalException.class, () -> {
          try (PortalClient c = connect(port, user, WRONG_PASSWORD)) {
            c.get("app/x");
          }
        });
        millis[i] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(ErrorCode.UNAUTHENTICATED, failed.code());
        assertEquals("UNAUTHENTICATED: AUTH as '" + user + "' failed: unknown user or wrong password",
            failed.getMessage());
      }
      assertTrue(millis[4] >= 1600, "the fifth failure in a row waits 100 ms x 2^4: " + millis[4] + " ms");
      System.out.printf("AuthIT: failed AUTHs answered after %s ms%n", java.util.Arrays.toString(millis));
      // the right password from the same address still gets in (and clears the count)
      try (PortalClient alice = connect(port, "alice", ALICE_PASSWORD)) {
        assertEquals(new Entry(ByteString.copyFromUtf8("1"), 1), alice.get("app/x").orElseThrow());
      }

      server.await(Pattern.compile("authentication failed for user 'alice' from /?127\\.0\\.0\\.1:\\d+: wrong password"),
          5);
      server.await(Pattern.compile("WARN .*refused a request from 127\\.0\\.0\\.1:\\d+ with UNAUTHENTICATED: "
          + "authenticate first"), 5);
      server.await(Pattern.compile("WARN .*refused a request from 127\\.0\\.0\\.1:\\d+ with PERMISSION_DENIED: user "), 5);
      server.await(Pattern.compile("authentication failed for user 'nobody' from .*: no such user \\(2 failures"), 5);
      synchronized (server.lines) {
        log.addAll(server.lines);
      }
    }
    String all = String.join("\n", log);
    for (String secret : List.of(ROOT_PASSWORD, ALICE_PASSWORD, WRONG_PASSWORD, "bob-secret-0000")) {
      assertFalse(all.contains(secret), "a password in the server's log");
    }

    // users and roles are stored like data
    try (JarProcess server = JarProcess.start(jvm);
        PortalClient alice = connect(server.awaitReady(), "alice", ALICE_PASSWORD)) {
      assertEquals(2L, alice.set("app/x", "2"));
    }
  }

  @Test
  void aServerListeningBeyondLoopbackWithoutAuthenticationWarnsLoudly() throws Exception {
    try (JarProcess server = JarProcess.start(List.of("-Dportal.server.port=0", "-Dportal.server.host=0.0.0.0",
        JarProcess.freeManagementPort(), "-Dportal.store.mode=memory"))) {
      String port = server.await(Pattern.compile("ready on \\S+:(\\d+) "), 120).group(1);
      server.await(Pattern.compile("WARN .*THE CLIENT PORT IS OPEN TO ANYONE: it listens on 0\\.0\\.0\\.0 \\(beyond "
          + "loopback\\) with portal.auth.enabled = off, so whoever reaches port " + port + " can read and write"), 5);
    }
  }

  private static PortalClient connect(int port, String user, String password) {
    PortalClient.Options options = PortalClient.Options.defaults().withoutSession();
    return PortalClient.connect("127.0.0.1", port, user == null ? options : options.withCredentials(user, password));
  }

  private static String cli(String stdin, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("cli"));
    command.addAll(List.of(args));
    return JarProcess.runToEnd(stdin, command);
  }
}
