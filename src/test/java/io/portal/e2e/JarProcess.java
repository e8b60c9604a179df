package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged jar run as a separate process, its output collected line by line. */
final class JarProcess implements AutoCloseable {
  static final Pattern READY = Pattern.compile("Portal (\\S+) ready on 127\\.0\\.0\\.1:(\\d+) .*config (\\S+),");

  final Process process;
  final List<String> lines = new ArrayList<>();

  private JarProcess(Process process) {
    this.process = process;
    Thread drainer = new Thread(() -> {
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          synchronized (lines) {
            lines.add(line);
          }
        }
      } catch (IOException ignored) {
        // the process is gone
      }
    }, "jar-output");
    drainer.setDaemon(true);
    drainer.start();
  }

  static String jar() {
    String jar = System.getProperty("portal.jar", "target/portal.jar");
    assertTrue(new File(jar).isFile(), "packaged jar " + jar + " exists");
    return jar;
  }

  /**
   * The option that puts the server's health checks on a free port instead of the default 8558, so that a test runs
   * beside a server started from the README.
   */
  static String freeManagementPort() throws IOException {
    try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return "-Dpekko.management.http.port=" + free.getLocalPort();
    }
  }

  /** Starts {@code java [jvmArgs] -jar portal.jar [args]} in the project folder. */
  static JarProcess start(List<String> jvmArgs, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
    command.addAll(jvmArgs);
    command.add("-jar");
    command.add(jar());
    command.addAll(List.of(args));
    return new JarProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
  }

  /**
   * Runs {@code java -jar portal.jar args} to its end with {@code stdin} (if not null) as its standard input; returns
   * its output after checking that it exited 0.
   */
  static String runToEnd(String stdin, List<String> args) throws Exception {
    try (JarProcess run = start(List.of(), args.toArray(String[]::new))) {
      if (stdin != null) {
        run.process.getOutputStream().write((stdin + "\n").getBytes(StandardCharsets.UTF_8));
      }
      run.process.getOutputStream().close();
      assertTrue(run.process.waitFor(120, TimeUnit.SECONDS));
      Thread.sleep(100); // let the drainer take the last lines
      synchronized (run.lines) {
        String out = String.join("\n", run.lines) + (run.lines.isEmpty() ? "" : "\n");
        org.junit.jupiter.api.Assertions.assertEquals(0, run.process.exitValue(), out);
        return out;
      }
    }
  }

  /** Waits for a line matching {@code pattern}; fails with the output so far. */
  Matcher await(Pattern pattern, long seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      synchronized (lines) {
        for (String line : lines) {
          Matcher m = pattern.matcher(line);
          if (m.find()) {
            return m;
          }
        }
      }
      if (!process.isAlive()) {
        Thread.sleep(200); // let the drainer take the last lines
        break;
      }
      Thread.sleep(50);
    }
    synchronized (lines) {
      throw new AssertionError("no line matching " + pattern + " in " + lines);
    }
  }

  /** The lines so far that match {@code pattern}. */
  List<String> linesMatching(Pattern pattern) {
    synchronized (lines) {
      return lines.stream().filter(line -> pattern.matcher(line).find()).toList();
    }
  }

  /** Waits for the ready line; returns the port. */
  int awaitReady() throws InterruptedException {
    return Integer.parseInt(await(READY, 120).group(2));
  }

  /** SIGKILL: no shutdown hook, no flush. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.toHandle().destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
