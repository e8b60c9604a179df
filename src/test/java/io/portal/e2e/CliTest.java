package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.portal.cli.Cli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CliTest {
  private static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer("");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private record Result(int status, String out, String err) {
  }

  private static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] full = new String[args.length + 2];
    full[0] = "--port";
    full[1] = String.valueOf(server.port());
    System.arraycopy(args, 0, full, 2, args.length);
    int status = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
    return new Result(status, out.toString(), err.toString());
  }

  @Test
  void setGetDelAndTheirExitStatuses() {
    assertEquals(new Result(0, "OK version 1\n", ""), cli("set", "cli-key", "hello world"));
    assertEquals(new Result(0, "OK version 2\n", ""), cli("set", "cli-key", "héllo"));
    assertEquals(new Result(0, "héllo\n", ""), cli("get", "cli-key"));
    assertEquals(new Result(0, "héllo\nversion 2\n", ""), cli("get", "-v", "cli-key"));
    assertEquals(new Result(0, "deleted\n", ""), cli("del", "cli-key"));
    assertEquals(new Result(1, "", "(not found) cli-key\n"), cli("get", "cli-key"));
    assertEquals(new Result(1, "", "(not found) cli-key\n"), cli("del", "cli-key"));
  }

  @Test
  void pingPrintsPong() {
    Result ping = cli("ping");
    assertEquals(0, ping.status());
    assertTrue(ping.out().matches("PONG \\d+\\.\\d{3} ms\\n"), ping.out());
  }

  @Test
  void errorsExitWithTwo() {
    Result empty = cli("set", "", "v");
    assertEquals(2, empty.status());
    assertEquals("error: INVALID_ARGUMENT: key is empty\n", empty.err());

    Result unknown = cli("frob", "x");
    assertEquals(2, unknown.status());
    assertTrue(unknown.err().startsWith("error: unknown command 'frob' (commands: ping, set, get, del)\n"),
        unknown.err());

    Result usage = cli("set", "only-a-key");
    assertEquals(2, usage.status());
    assertTrue(usage.err().contains("Missing required parameter: 'VALUE'"), usage.err());

    StringWriter err = new StringWriter();
    int status = Cli.run(new PrintWriter(new StringWriter()), new PrintWriter(err, true), "--port", "1", "ping");
    assertEquals(2, status);
    assertTrue(err.toString().startsWith("error: UNAVAILABLE: cannot connect to 127.0.0.1:1"), err.toString());
  }
}
