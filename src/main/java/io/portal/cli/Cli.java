package io.portal.cli;

import com.google.protobuf.ByteString;
import io.portal.client.Entry;
import io.portal.client.PortalClient;
import io.portal.client.PortalException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The command-line client. Keys and values are taken and printed as UTF-8 text.
 *
 * <pre>
 * java -jar portal.jar cli [--host H] [--port P] [--timeout MS] [--tls] [--cacert F] ping | set KEY VALUE|- [--ttl D] [--if-version N]
 *     | get KEY | del KEY [--if-version N] | scan [--prefix P | --from A --to B] [--limit N] [--keys-only] | ttl KEY
 *     | expire KEY DURATION | persist KEY | mget KEY... | mset KEY VALUE... | txn --if C --then OP --else OP
 *     | watch KEY | watch --prefix P [--after P:R,...] [--count N]
 *     | user add USER [--roles R,...] | user delete USER
 *     | status | members | backup DIR | role grant ROLE PREFIX read|readwrite         (with --user U and PORTAL_PASSWORD or --password-file F)
 * </pre>
 */
@Command(name = "portal cli", mixinStandardHelpOptions = true, description = "Talk to a Portal server.",
    versionProvider = Cli.VersionProvider.class,
    subcommands = {Cli.Ping.class, Cli.Set.class, Cli.Get.class, Cli.Del.class, UserCommands.User.class,
        UserCommands.Role.class, StatusCommands.Status.class, StatusCommands.Members.class,
        StatusCommands.Backup.class, KeyCommands.Scan.class, KeyCommands.Ttl.class, KeyCommands.Expire.class,
        KeyCommands.Persist.class, KeyCommands.MGet.class, KeyCommands.MSet.class, TxnCommand.class,
        WatchCommand.class},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:success", "1:key not found (get, del, ttl, expire, persist), or a txn's compares did not hold",
        "2:error (message on stderr)"})
public final class Cli implements Callable<Integer> {
  static final int OK = 0;
  static final int NOT_FOUND = 1;
  static final int ERROR = 2;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "server host (default: ${DEFAULT-VALUE})")
  String host;

  @Option(names = "--port", defaultValue = "7777", description = "server port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--timeout", defaultValue = "5000", description = "how long a command may take in all, retries "
      + "included, in ms (default: ${DEFAULT-VALUE})")
  long timeoutMillis;

  @CommandLine.Mixin
  TlsOptions tls = new TlsOptions();

  @Option(names = "--user", description = "authenticate as this user; the password comes from --password-file or "
      + "the PORTAL_PASSWORD environment variable")
  String user;

  @Option(names = "--password-file", paramLabel = "FILE", description = "file whose first line is --user's password")
  java.nio.file.Path passwordFile;

  /** The environment, for PORTAL_PASSWORD (tests give their own). */
  java.util.Map<String, String> environment = System.getenv();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Where a value given as {@code -} is read from. */
  java.io.InputStream stdin = System.in;

  /** Where {@code get --raw} writes a value's bytes. */
  java.io.OutputStream stdout = System.out;

  /**
   * A value for the terminal: as text when it is valid UTF-8, otherwise with each byte that is not printable ASCII
   * written as {@code \xHH} (redis-cli's way), so that a binary value is never silently mangled.
   */
  static String printable(ByteString value) {
    if (value.isValidUtf8()) {
      return value.toStringUtf8();
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < value.size(); i++) {
      int b = value.byteAt(i) & 0xff;
      if (b >= 0x20 && b < 0x7f && b != '\\') {
        out.append((char) b);
      } else {
        out.append(String.format("\\x%02x", b));
      }
    }
    return out.toString();
  }

  /** Runs the CLI with {@code args}; returns the exit status. Output goes to stdout and stderr. */
  public static int run(String... args) {
    return run(System.in, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
  }

  /** Runs the CLI writing to the given streams; tests use this. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(System.in, out, err, args);
  }

  /** Runs the CLI with the given streams, {@code in} being where a value of {@code -} comes from. */
  public static int run(java.io.InputStream in, PrintWriter out, PrintWriter err, String... args) {
    return run(in, System.out, out, err, args);
  }

  /** Like {@link #run(java.io.InputStream, PrintWriter, PrintWriter, String...)}, {@code get --raw} writing to
   * {@code rawOut}. */
  public static int run(java.io.InputStream in, java.io.OutputStream rawOut, PrintWriter out, PrintWriter err,
      String... args) {
    Cli cli = new Cli();
    cli.stdin = in;
    cli.stdout = rawOut;
    CommandLine commandLine = new CommandLine(cli);
    commandLine.setExpandAtFiles(false); // a value such as @notes.txt is that text, never a file's contents
    commandLine.setOut(out);
    commandLine.setErr(err);
    commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
      err.println("error: " + e.getMessage());
      return ERROR;
    });
    commandLine.setParameterExceptionHandler((e, args2) -> {
      err.println("error: " + unknownCommand(e).orElse(e.getMessage()));
      e.getCommandLine().usage(err);
      return ERROR;
    });
    return commandLine.execute(args);
  }

  /** "unknown command 'frob'" when the first word where a command belongs is none of them. */
  private static java.util.Optional<String> unknownCommand(CommandLine.ParameterException e) {
    if (e instanceof CommandLine.UnmatchedArgumentException unmatched
        && unmatched.getCommandLine().getCommandSpec().subcommands().size() > 0
        && !unmatched.getUnmatched().isEmpty() && !unmatched.getUnmatched().get(0).startsWith("-")) {
      return java.util.Optional.of("unknown command '" + unmatched.getUnmatched().get(0) + "' (commands: "
          + String.join(", ", unmatched.getCommandLine().getSubcommands().keySet()) + ")");
    }
    return java.util.Optional.empty();
  }

  /** {@code -V}: the version of this jar. */
  public static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"Portal " + io.portal.Version.current()};
    }
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ERROR;
  }

  /** Connects, runs {@code action}, closes; a Portal error becomes exit status 2 with its code on stderr. */
  int withClient(ClientAction action) {
    if (port < 1 || port > 65535) {
      spec.commandLine().getErr().println("error: --port " + port + " is outside 1..65535");
      return ERROR;
    }
    // --timeout bounds the whole command, retries included
    PortalClient.Options options = PortalClient.Options.defaults().withRequestTimeout(Duration.ofMillis(timeoutMillis))
        .withDeadline(Duration.ofMillis(timeoutMillis));
    if (user != null) {
      String password;
      try {
        password = passwordFile != null ? java.nio.file.Files.readAllLines(passwordFile).stream().findFirst()
            .orElse("") : environment.get("PORTAL_PASSWORD");
      } catch (java.io.IOException e) {
        spec.commandLine().getErr().println("error: cannot read --password-file " + passwordFile + ": " + e);
        return ERROR;
      }
      if (password == null) {
        spec.commandLine().getErr().println("error: --user " + user + " needs a password: --password-file FILE or "
            + "the PORTAL_PASSWORD environment variable");
        return ERROR;
      }
      options = options.withCredentials(user, password);
    }
    try (PortalClient client = PortalClient.connect(host, port, tls.apply(options))) {
      return action.run(client);
    } catch (PortalException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return ERROR;
    }
  }

  /** Says on stderr that {@code key} does not exist; the exit status for it. */
  int notFound(String key) {
    spec.commandLine().getErr().println("(not found) " + key);
    return NOT_FOUND;
  }

  @FunctionalInterface
  interface ClientAction {
    int run(PortalClient client);
  }

  /** A duration such as 500ms, 10s, 5m or 2h, in milliseconds; anything else is refused, naming it. */
  static long millisOf(String duration) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h)").matcher(duration.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("--ttl '" + duration + "' is not a duration such as 500ms, 10s, 5m or 2h");
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> amount;
      case "s" -> amount * 1000;
      case "m" -> amount * 60_000;
      default -> amount * 3_600_000;
    };
  }

  static ByteString utf8(String text) {
    return ByteString.copyFromUtf8(text);
  }

  @Command(name = "ping", description = "Check that the server answers; prints PONG and the round trip.",
      mixinStandardHelpOptions = true, versionProvider = VersionProvider.class)
  static final class Ping implements Callable<Integer> {
    @ParentCommand
    Cli parent;

    @Override
    public Integer call() {
      return parent.withClient(client -> {
        long start = System.nanoTime();
        client.ping(ByteString.EMPTY);
        long micros = (System.nanoTime() - start) / 1000;
        parent.spec.commandLine().getOut().printf("PONG %d.%03d ms%n", micros / 1000, micros % 1000);
        return OK;
      });
    }
  }

  @Command(name = "set", description = "Write VALUE under KEY; prints the key's new version.",
      mixinStandardHelpOptions = true, versionProvider = VersionProvider.class)
  static final class Set implements Callable<Integer> {
    @ParentCommand
    Cli parent;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1", description = "the value as text (UTF-8); - "
        + "reads the bytes of standard input instead, as they are")
    String value;

    @Option(names = "--file", paramLabel = "FILE", description = "the value is the bytes of FILE, as they are "
        + "(instead of VALUE)")
    java.nio.file.Path file;

    @Option(names = "--ttl", paramLabel = "DURATION", description = "the key expires this long after the write: "
        + "500ms, 10s, 5m, 2h (default: never)")
    String ttl;

    @Option(names = "--if-version", paramLabel = "N", description = "write only if the key is at version N (0: "
        + "only if it does not exist); otherwise VERSION_MISMATCH, exit 2")
    Long ifVersion;

    @Override
    public Integer call() throws java.io.IOException {
      if ((value == null) == (file == null)) {
        parent.spec.commandLine().getErr().println("error: give the value as VALUE, - (standard input) or --file "
            + "FILE, one of them");
        return ERROR;
      }
      ByteString bytes = file != null ? ByteString.copyFrom(java.nio.file.Files.readAllBytes(file))
          : value.equals("-") ? ByteString.readFrom(parent.stdin) : utf8(value);
      long ttlMillis = ttl == null ? 0 : millisOf(ttl);
      java.util.OptionalLong expected = ifVersion == null ? java.util.OptionalLong.empty()
          : java.util.OptionalLong.of(ifVersion);
      return parent.withClient(client -> {
        long version = client.set(utf8(key), bytes, ttlMillis, expected);
        parent.spec.commandLine().getOut().println("OK version " + version);
        return OK;
      });
    }
  }

  @Command(name = "get", description = "Print the value of KEY (exit 1 when absent).",
      mixinStandardHelpOptions = true, versionProvider = VersionProvider.class)
  static final class Get implements Callable<Integer> {
    @ParentCommand
    Cli parent;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = {"-v", "--version-info"}, description = "also print the key's version on a second line")
    boolean showVersion;

    @Option(names = "--raw", description = "write the value's bytes exactly as stored, with no newline (for "
        + "binary values: get --raw KEY > file)")
    boolean raw;

    @Option(names = "--hex", description = "print the value's bytes in hexadecimal, two digits a byte")
    boolean hex;

    @Override
    public Integer call() {
      return parent.withClient(client -> {
        Optional<Entry> entry = client.get(utf8(key));
        if (entry.isEmpty()) {
          return parent.notFound(key);
        }
        if (raw) {
          parent.spec.commandLine().getOut().flush();
          try {
            entry.get().value().writeTo(parent.stdout);
            parent.stdout.flush();
          } catch (java.io.IOException e) {
            parent.spec.commandLine().getErr().println("error: writing the value: " + e.getMessage());
            return ERROR;
          }
          return OK;
        }
        parent.spec.commandLine().getOut().println(hex ? java.util.HexFormat.of().formatHex(
            entry.get().value().toByteArray()) : printable(entry.get().value()));
        if (showVersion) {
          parent.spec.commandLine().getOut().println("version " + entry.get().version());
        }
        return OK;
      });
    }
  }

  @Command(name = "del", description = "Delete KEY (exit 1 when it did not exist).",
      mixinStandardHelpOptions = true, versionProvider = VersionProvider.class)
  static final class Del implements Callable<Integer> {
    @ParentCommand
    Cli parent;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--if-version", paramLabel = "N", description = "delete only if the key is at version N; "
        + "otherwise VERSION_MISMATCH, exit 2")
    Long ifVersion;

    @Override
    public Integer call() {
      java.util.OptionalLong expected = ifVersion == null ? java.util.OptionalLong.empty()
          : java.util.OptionalLong.of(ifVersion);
      return parent.withClient(client -> {
        if (!client.delete(utf8(key), expected)) {
          return parent.notFound(key);
        }
        parent.spec.commandLine().getOut().println("deleted");
        return OK;
      });
    }
  }
}
