package io.portal.cli;

import io.portal.client.Entry;
import io.portal.protocol.v1.ExpireResponse;
import io.portal.protocol.v1.KeyValue;
import io.portal.protocol.v1.ScanRequest;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * The commands of several keys and of TTLs: {@code scan} (a range or prefix of keys, in order), {@code ttl}, {@code
 * expire}, {@code persist}, {@code mget} and {@code mset}.
 */
final class KeyCommands {
  /** Keys asked for per SCAN request when printing many. */
  static final int PAGE = 1000;

  private KeyCommands() {
  }

  @Command(name = "scan", description = "Print keys in unsigned byte order, with their values (KEY<TAB>VALUE, "
      + "values as get prints them) unless --keys-only; all keys when no range is given.",
      mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
  static final class Scan implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    /** A prefix, or a range: not both. */
    static final class Range {
      @Option(names = "--prefix", paramLabel = "P", required = true, description = "keys starting with P")
      String prefix;

      @ArgGroup(exclusive = false)
      Bounds bounds;
    }

    static final class Bounds {
      @Option(names = "--from", paramLabel = "A", description = "from key A (inclusive)")
      String from;

      @Option(names = "--to", paramLabel = "B", description = "to key B (exclusive; default: to the end)")
      String to;
    }

    @ArgGroup(exclusive = true)
    Range range;

    @Option(names = "--limit", paramLabel = "N", description = "print at most N keys (default: all)")
    Long limit;

    @Option(names = "--keys-only", description = "print the keys alone")
    boolean keysOnly;

    @Option(names = {"-v", "--version-info"}, description = "add each key's version as a last column")
    boolean showVersion;

    @Override
    public Integer call() {
      if (limit != null && limit < 1) {
        cli.spec.commandLine().getErr().println("error: --limit " + limit + " must be at least 1");
        return Cli.ERROR;
      }
      ScanRequest.Builder query = ScanRequest.newBuilder().setKeysOnly(keysOnly)
          .setLimit((int) Math.min(PAGE, limit == null ? PAGE : limit));
      if (range != null && range.prefix != null) {
        query.setPrefix(Cli.utf8(range.prefix));
      } else if (range != null && range.bounds != null) {
        if (range.bounds.from != null) {
          query.setStart(Cli.utf8(range.bounds.from));
        }
        if (range.bounds.to != null) {
          query.setEnd(Cli.utf8(range.bounds.to));
        }
      }
      return cli.withClient(client -> {
        PrintWriter out = cli.spec.commandLine().getOut();
        long printed = 0;
        for (KeyValue entry : client.scanAll(query)) {
          if (limit != null && printed == limit) {
            break;
          }
          String line = Cli.printable(entry.getKey());
          if (!keysOnly) {
            line += "\t" + Cli.printable(entry.getValue());
          }
          out.println(showVersion ? line + "\t" + entry.getVersion() : line);
          printed++;
        }
        return Cli.OK;
      });
    }
  }

  @Command(name = "ttl", description = "Print what is left of KEY's time to live and when it expires, or that it "
      + "never does (exit 1 when the key does not exist).", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class)
  static final class Ttl implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    public Integer call() {
      return cli.withClient(client -> {
        Optional<Entry> entry = client.get(Cli.utf8(key));
        if (entry.isEmpty()) {
          return cli.notFound(key);
        }
        PrintWriter out = cli.spec.commandLine().getOut();
        if (entry.get().expiresAtMillis() == 0) {
          out.println("no expiry");
        } else {
          long ttl = entry.get().ttlMillis();
          out.printf("%d.%03ds (expires %s)%n", ttl / 1000, ttl % 1000,
              Instant.ofEpochMilli(entry.get().expiresAtMillis()));
        }
        return Cli.OK;
      });
    }
  }

  @Command(name = "expire", description = "Set KEY's time to live to DURATION from now, keeping its value and version "
      + "(exit 1 when the key does not exist).", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class)
  static final class Expire implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "DURATION", description = "500ms, 10s, 5m, 2h")
    String duration;

    @Option(names = "--if-version", paramLabel = "N", description = "only if the key is at version N; otherwise "
        + "VERSION_MISMATCH, exit 2")
    Long ifVersion;

    @Override
    public Integer call() {
      long ttlMillis = Cli.millisOf(duration);
      if (ttlMillis == 0) {
        cli.spec.commandLine().getErr().println("error: a TTL of 0 would end at once; use persist to remove one");
        return Cli.ERROR;
      }
      return changeTtl(cli, key, ttlMillis, ifVersion);
    }
  }

  @Command(name = "persist", description = "Remove KEY's time to live: it no longer expires (exit 1 when it does "
      + "not exist).", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
  static final class Persist implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    public Integer call() {
      return changeTtl(cli, key, 0, null);
    }
  }

  private static int changeTtl(Cli cli, String key, long ttlMillis, Long ifVersion) {
    java.util.OptionalLong expected = ifVersion == null ? java.util.OptionalLong.empty()
        : java.util.OptionalLong.of(ifVersion);
    return cli.withClient(client -> {
      ExpireResponse response = client.expire(Cli.utf8(key), ttlMillis, expected);
      if (!response.getFound()) {
        return cli.notFound(key);
      }
      cli.spec.commandLine().getOut().println(ttlMillis == 0 ? "OK no expiry"
          : "OK expires " + Instant.ofEpochMilli(response.getExpiresAtMillis()));
      return Cli.OK;
    });
  }

  @Command(name = "mget", description = "Print the values of several keys, one line each ((not found) for an absent "
      + "one), in one request.", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
  static final class MGet implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Parameters(paramLabel = "KEY", arity = "1..*")
    List<String> keys;

    @Override
    public Integer call() {
      return cli.withClient(client -> {
        List<Optional<Entry>> entries = client.mget(keys.stream().map(Cli::utf8).toList());
        PrintWriter out = cli.spec.commandLine().getOut();
        entries.forEach(entry -> out.println(entry.map(e -> Cli.printable(e.value())).orElse("(not found)")));
        return Cli.OK;
      });
    }
  }

  @Command(name = "mset", description = "Write several keys in one request, each on its own (not atomic: see txn); "
      + "prints each key's new version.", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
  static final class MSet implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Parameters(paramLabel = "KEY VALUE", arity = "2..*", description = "keys and values, in turn")
    List<String> pairs;

    @Override
    public Integer call() {
      if (pairs.size() % 2 != 0) {
        cli.spec.commandLine().getErr().println("error: mset takes KEY VALUE pairs; " + pairs.get(pairs.size() - 1)
            + " has no value");
        return Cli.ERROR;
      }
      java.util.Map<com.google.protobuf.ByteString, com.google.protobuf.ByteString> entries =
          new java.util.LinkedHashMap<>();
      for (int i = 0; i < pairs.size(); i += 2) {
        entries.put(Cli.utf8(pairs.get(i)), Cli.utf8(pairs.get(i + 1)));
      }
      return cli.withClient(client -> {
        List<Long> versions = client.mset(entries);
        PrintWriter out = cli.spec.commandLine().getOut();
        int i = 0;
        for (com.google.protobuf.ByteString key : entries.keySet()) {
          out.println(Cli.printable(key) + " OK version " + versions.get(i++));
        }
        return Cli.OK;
      });
    }
  }
}
