package io.portal;

import io.portal.bench.Bench;
import io.portal.cli.Cli;
import io.portal.server.ServerMain;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * The jar's entry point: {@code java -jar portal.jar} runs the server; {@code java -jar portal.jar cli ...} runs the
 * command-line client.
 */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) {
    String command = args.length == 0 ? "server" : args[0];
    String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    switch (command) {
      case "server" -> {
        int status = serverArguments(rest, System.out, System.err);
        if (status >= 0) {
          System.exit(status);
        }
        ServerMain.run();
      }
      case "cli" -> System.exit(Cli.run(rest));
      case "backup" -> System.exit(Cli.run(prepend("backup", rest)));
      case "bench" -> System.exit(Bench.run(rest));
      case "help", "-h", "--help" -> System.out.println(usage());
      case "version", "-V", "--version" -> System.out.println("Portal " + Version.current());
      default -> {
        System.err.println("portal: unknown command '" + command + "'\n" + usage());
        System.exit(2);
      }
    }
  }

  /**
   * What the arguments after {@code server} ask for: -1 to start the server (none given), else the exit status
   * after printing the server's help ({@code --help}, 0) or refusing an argument it does not take (2). The server
   * is configured by its file and {@code -Dpath=value}, never by arguments, so nothing else may start it.
   */
  static int serverArguments(String[] rest, PrintStream out, PrintStream err) {
    if (rest.length == 0) {
      return -1;
    }
    if (rest.length == 1 && List.of("-h", "--help", "help").contains(rest[0])) {
      out.println(SERVER_HELP);
      return 0;
    }
    err.println("portal server: unexpected argument '" + rest[0] + "' (the server takes no arguments: settings go in "
        + "the configuration file or as java -Dpath=value before -jar)\n" + SERVER_HELP);
    return 2;
  }

  static final String SERVER_HELP = """
      usage: java [-Dpath=value ...] -jar portal.jar [server]

      Runs the Portal server in the foreground until SIGTERM or Ctrl-C (then it stops accepting, answers what it has
      read, and exits). Configuration: the file named by -Dconfig.file, else conf/application.conf in the working
      directory when present, over the defaults (every setting, with its meaning, is in reference.conf inside the
      jar; the README has the table). Any setting can be given as -Dpath=value before -jar, for example
        java -Dportal.server.port=7000 -Dportal.store.data-dir=/var/lib/portal -jar portal.jar
      Data: portal.store.data-dir (default ./data). Logs go to standard output; PORTAL_LOG_LEVEL sets Portal's level,
      PORTAL_ROOT_LOG_LEVEL everything else's. Exit status: 0 after a clean stop (SIGTERM, Ctrl-C), 1 when it cannot
      start, 2 for a bad setting or argument.""";

  private static String[] prepend(String first, String[] rest) {
    String[] all = new String[rest.length + 1];
    all[0] = first;
    System.arraycopy(rest, 0, all, 1, rest.length);
    return all;
  }

  private static String usage() {
    return """
        usage: java -jar portal.jar [server]                 run the server (server --help: how it is configured)
               java -jar portal.jar cli [options] COMMAND    talk to a server: ping | set KEY VALUE | get KEY | del KEY
                                                             | status | members | backup DIR | user ... | role ...
               java -jar portal.jar cli --help               client options
               java -jar portal.jar backup DIR               the same as cli backup DIR (a consistent copy of the
                                                             local server's journal, taken while it serves)
               java -jar portal.jar bench [options]          load generator (bench --help)
               java -jar portal.jar --version                the version""";
  }
}
