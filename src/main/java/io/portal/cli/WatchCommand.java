package io.portal.cli;

import io.portal.client.PortalClient;
import io.portal.client.WatchListener;
import io.portal.protocol.v1.ErrorCode;
import io.portal.protocol.v1.Event;
import io.portal.protocol.v1.WatchCanceled;
import io.portal.protocol.v1.WatchRequest;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cli watch}: prints a key's or a prefix's changes as they happen, until Ctrl-C or the server ends it. */
@Command(name = "watch", description = {"Print the changes of KEY, or of every key starting with --prefix, as they "
    + "happen, until Ctrl-C: PUT KEY VALUE (version N), DELETE KEY, EXPIRE KEY.",
    "When the server ends the watch it says why and how to resume (--after), and exits 2."},
    mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
final class WatchCommand implements Callable<Integer> {
  @ParentCommand
  Cli cli;

  @Parameters(index = "0", paramLabel = "KEY", arity = "0..1", description = "the key (omit with --prefix)")
  String key;

  @Option(names = "--prefix", paramLabel = "P", description = "every key starting with P (\"\": every key)")
  String prefix;

  @Option(names = "--after", paramLabel = "PARTITION:REVISION", split = ",", description = "resume after these "
      + "positions (as a previous watch printed them), e.g. 3:120,17:98")
  List<String> after = List.of();

  @Option(names = "--after-version", paramLabel = "N", description = "with KEY: start after the change that gave "
      + "the key version N")
  Long afterVersion;

  @Option(names = {"-v", "--positions"}, description = "add each event's partition:revision")
  boolean positions;

  @Option(names = "--count", paramLabel = "N", description = "stop after N events (exit 0)")
  Long count;

  /** Completes when the watch ends: the server's reason, or the default instance after --count events. */
  private final CompletableFuture<WatchCanceled> ended = new CompletableFuture<>();
  /** Events printed (the client's event-loop thread only). */
  private long printed;

  @Override
  public Integer call() {
    if ((key == null) == (prefix == null)) {
      cli.spec.commandLine().getErr().println("error: give KEY or --prefix P, one of them");
      return Cli.ERROR;
    }
    WatchRequest.Builder request = WatchRequest.newBuilder()
        .setKey(Cli.utf8(prefix != null ? prefix : key)).setPrefix(prefix != null);
    if (afterVersion != null) {
      request.setAfterVersion(afterVersion);
    }
    for (String position : after) {
      String[] parts = position.split(":");
      if (parts.length != 2 || !parts[0].matches("\\d+") || !parts[1].matches("\\d+")) {
        cli.spec.commandLine().getErr().println("error: --after " + position + " is not PARTITION:REVISION");
        return Cli.ERROR;
      }
      request.putAfter(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
    }
    PrintWriter out = cli.spec.commandLine().getOut();
    return cli.withClient(client -> {
      PortalClient.Watch watch = client.watch(request, new WatchListener() {
        @Override
        public void onEvents(List<Event> events) {
          for (Event e : events) {
            if (ended.isDone()) {
              return;
            }
            String line = switch (e.getKind()) {
              case PUT -> "PUT " + Cli.printable(e.getKey()) + " " + Cli.printable(e.getValue()) + " (version "
                  + e.getVersion() + ")";
              case DELETE -> "DELETE " + Cli.printable(e.getKey());
              case EXPIRE -> "EXPIRE " + Cli.printable(e.getKey());
              case UNRECOGNIZED -> "? " + Cli.printable(e.getKey());
            };
            out.println(positions ? line + " @" + e.getPartition() + ":" + e.getRevision() : line);
            if (count != null && ++printed >= count) {
              ended.complete(WatchCanceled.getDefaultInstance());
            }
          }
          out.flush();
        }

        @Override
        public void onCanceled(WatchCanceled canceled) {
          ended.complete(canceled);
        }
      });
      WatchCanceled canceled = ended.join();
      if (canceled.getCode() == ErrorCode.ERROR_CODE_UNSPECIFIED) { // --count events printed
        watch.cancel();
        return Cli.OK;
      }
      Map<Integer, Long> resume = new TreeMap<>(canceled.getResumeAfterMap());
      StringBuilder positionsText = new StringBuilder();
      resume.forEach((p, r) -> positionsText.append(positionsText.length() == 0 ? "" : ",").append(p).append(':')
          .append(r));
      cli.spec.commandLine().getErr().println("error: " + canceled.getCode() + ": " + canceled.getReason()
          + (resume.isEmpty() ? "" : " (resume with --after " + positionsText + ")"));
      return Cli.ERROR;
    });
  }
}
