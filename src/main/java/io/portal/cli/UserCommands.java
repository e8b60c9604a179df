package io.portal.cli;

import com.google.protobuf.ByteString;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cli user add|delete} and {@code cli role grant}: managing who may do what (as root). */
final class UserCommands {
  private UserCommands() {
  }

  @Command(name = "user", description = "Manage users (as root: --user root).", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class, subcommands = {Add.class, Delete.class})
  static final class User implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Override
    public Integer call() {
      cli.spec.commandLine().getSubcommands().get("user").usage(cli.spec.commandLine().getErr());
      return Cli.ERROR;
    }
  }

  @Command(name = "add", description = "Create (or replace) USER; its password is the first line of standard input.",
      mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
  static final class Add implements Callable<Integer> {
    @ParentCommand
    User user;

    @Parameters(index = "0", paramLabel = "USER")
    String name;

    @Option(names = "--roles", split = ",", paramLabel = "ROLE", description = "its roles, comma-separated")
    List<String> roles = List.of();

    @Override
    public Integer call() {
      Cli cli = user.cli;
      String password;
      try {
        password = new BufferedReader(new InputStreamReader(cli.stdin, StandardCharsets.UTF_8)).readLine();
      } catch (IOException e) {
        password = null;
      }
      if (password == null || password.isEmpty()) {
        cli.spec.commandLine().getErr().println("error: give the new user's password on standard input "
            + "(echo \"$PASSWORD\" | ... user add " + name + ")");
        return Cli.ERROR;
      }
      String given = password;
      return cli.withClient(client -> {
        boolean existed = client.userAdd(name, given, roles);
        cli.spec.commandLine().getOut().println((existed ? "replaced" : "added") + " user " + name
            + (roles.isEmpty() ? "" : " with roles " + String.join(", ", roles)));
        return Cli.OK;
      });
    }
  }

  @Command(name = "delete", description = "Delete USER (exit 1 when there was none).", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class)
  static final class Delete implements Callable<Integer> {
    @ParentCommand
    User user;

    @Parameters(index = "0", paramLabel = "USER")
    String name;

    @Override
    public Integer call() {
      Cli cli = user.cli;
      return cli.withClient(client -> {
        if (!client.userDelete(name)) {
          cli.spec.commandLine().getErr().println("(not found) user " + name);
          return Cli.NOT_FOUND;
        }
        cli.spec.commandLine().getOut().println("deleted user " + name);
        return Cli.OK;
      });
    }
  }

  @Command(name = "role", description = "Manage roles (as root: --user root).", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class, subcommands = {Grant.class})
  static final class Role implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Override
    public Integer call() {
      cli.spec.commandLine().getSubcommands().get("role").usage(cli.spec.commandLine().getErr());
      return Cli.ERROR;
    }
  }

  @Command(name = "grant", description = "Let ROLE read (read) or read and write (readwrite) every key starting with "
      + "PREFIX (\"\" for every key); creates the role.", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class)
  static final class Grant implements Callable<Integer> {
    @ParentCommand
    Role role;

    @Parameters(index = "0", paramLabel = "ROLE")
    String name;

    @Parameters(index = "1", paramLabel = "PREFIX")
    String prefix;

    @Parameters(index = "2", paramLabel = "ACCESS", description = "read or readwrite")
    String access;

    @Override
    public Integer call() {
      Cli cli = role.cli;
      if (!access.equals("read") && !access.equals("readwrite")) {
        cli.spec.commandLine().getErr().println("error: ACCESS is read or readwrite, not '" + access + "'");
        return Cli.ERROR;
      }
      return cli.withClient(client -> {
        boolean existed = client.roleGrant(name, ByteString.copyFromUtf8(prefix), access.equals("readwrite"));
        cli.spec.commandLine().getOut().println((existed ? "role " : "new role ") + name + ": " + access
            + " on keys starting with '" + prefix + "'");
        return Cli.OK;
      });
    }
  }
}
