package io.portal.cli;

import io.portal.protocol.v1.Member;
import io.portal.protocol.v1.StatusResponse;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code cli status} (like Redis's INFO) and {@code cli members}. */
final class StatusCommands {
  private StatusCommands() {
  }

  @Command(name = "status", description = "Print the node's state: version, uptime, store, partitions and keys here, "
      + "connections, bytes held for clients, members, limits in force.", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class)
  static final class Status implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Override
    public Integer call() {
      return cli.withClient(client -> {
        StatusResponse status = client.status();
        PrintWriter out = cli.spec.commandLine().getOut();
        out.println("version: " + status.getServerVersion());
        out.println("node: " + status.getNodeId());
        out.println("uptime: " + uptime(status.getUptimeMillis()));
        out.println("store: " + status.getStore());
        out.println("partitions: " + status.getPartitions() + " (" + status.getPartitionsHere() + " here)");
        out.println("keys here: " + status.getKeysHere());
        out.println("connections: " + status.getConnections());
        out.println("bytes held for clients: " + status.getClientBytesHeld() + " of " + status.getClientBytesBudget());
        long up = status.getMembersList().stream().filter(m -> m.getStatus().equals("Up")).count();
        long unreachable = status.getMembersList().stream().filter(m -> !m.getReachable()).count();
        out.println("members: " + status.getMembersCount() + " (" + up + " up, " + unreachable + " unreachable)");
        for (Map.Entry<String, String> limit : new TreeMap<>(status.getLimitsMap()).entrySet()) {
          out.println("limit " + limit.getKey() + ": " + limit.getValue());
        }
        return Cli.OK;
      });
    }

    private static String uptime(long millis) {
      Duration d = Duration.ofMillis(millis);
      return d.toDays() > 0 ? String.format("%dd %dh %dm", d.toDays(), d.toHoursPart(), d.toMinutesPart())
          : String.format("%dh %dm %ds", d.toHours(), d.toMinutesPart(), d.toSecondsPart());
    }
  }

  @Command(name = "members", description = "List the cluster's members as the node sees them: address, status, "
      + "reachability.", mixinStandardHelpOptions = true, versionProvider = Cli.VersionProvider.class)
  static final class Members implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @Override
    public Integer call() {
      return cli.withClient(client -> {
        PrintWriter out = cli.spec.commandLine().getOut();
        for (Member member : client.status().getMembersList()) {
          out.println(member.getAddress() + " " + member.getStatus() + (member.getReachable() ? "" : " UNREACHABLE")
              + (member.getSelf() ? " (this node)" : ""));
        }
        return Cli.OK;
      });
    }
  }

  @Command(name = "backup", description = "Copy the node's journal, consistently and while it serves, into DIR: a new "
      + "folder, absolute, on the server's machine (root only with authentication on). Restore: stop the server, "
      + "put DIR in place of its data folder's journal/ folder, start it.", mixinStandardHelpOptions = true,
      versionProvider = Cli.VersionProvider.class)
  static final class Backup implements Callable<Integer> {
    @ParentCommand
    Cli cli;

    @picocli.CommandLine.Parameters(index = "0", paramLabel = "DIR")
    String dir;

    @Override
    public Integer call() {
      return cli.withClient(client -> {
        io.portal.protocol.v1.BackupResponse done = client.backup(dir);
        cli.spec.commandLine().getOut().println("backup in " + done.getDir() + ": " + done.getFiles() + " files, "
            + done.getBytes() + " bytes, " + done.getMillis() + " ms");
        return Cli.OK;
      });
    }
  }
}
