package io.portal;

import io.portal.bench.Bench;
import io.portal.cli.Cli;
import io.portal.server.ServerMain;
import java.util.Arrays;

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
      case "server" -> ServerMain.run();
      case "cli" -> System.exit(Cli.run(rest));
      case "bench" -> System.exit(Bench.run(rest));
      case "help", "-h", "--help" -> System.out.println(usage());
      default -> {
        System.err.println("portal: unknown command '" + command + "'\n" + usage());
        System.exit(2);
      }
    }
  }

  private static String usage() {
    return """
        usage: java -jar portal.jar [server]                 run the server (conf/application.conf, -Dpath=value)
               java -jar portal.jar cli [options] COMMAND    talk to a server: ping | set KEY VALUE | get KEY | del KEY
               java -jar portal.jar cli --help               client options
               java -jar portal.jar bench [options]          load generator (bench --help)""";
  }
}
