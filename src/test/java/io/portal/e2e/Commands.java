package io.portal.e2e;

import java.io.IOException;

/** Runs the machine's own commands (mount, openssl, kill) for the tests that set the stage with them. */
final class Commands {
  private Commands() {
  }

  /** Runs {@code command}, discarding its output; its exit status, or 127 when it cannot be started. */
  static int run(String... command) throws InterruptedException {
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
    } catch (IOException e) {
      return 127;
    }
    return process.waitFor();
  }
}
