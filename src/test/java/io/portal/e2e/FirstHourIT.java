package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's first-hour walkthrough, run as written: each {@code $ } command of its marked block goes to bash in a
 * fresh folder (where {@code target/} is this build's) against a fresh server, and what it prints is compared with the
 * lines under it. The server runs on free ports, so the commands get {@code --port} and the health port put in.
 * Output lines are compared exactly, except under the commands whose output is a measurement (ping, status, members,
 * the metrics, backup): there numbers and absolute paths are compared by shape. A line {@code ...} ends a comparison
 * early.
 */
class FirstHourIT {
  private static final Pattern VARYING = Pattern.compile("cli ping|cli status|cli members|/metrics|backup ");

  record Step(String command, List<String> expected) {
  }

  @Test
  void readmeWalkthroughPrintsWhatTheReadmeShows() throws Exception {
    List<Step> steps = steps(Files.readString(Path.of("README.md")));
    assertTrue(steps.size() >= 15, "the walkthrough has its commands: " + steps);
    Path folder = Files.createTempDirectory("portal-first-hour");
    Files.createSymbolicLink(folder.resolve("target"), Path.of("target").toAbsolutePath());
    String management = JarProcess.freeManagementPort();
    String managementPort = management.substring(management.indexOf('=') + 1);
    try (JarProcess server = JarProcess.start(List.of("-Dportal.server.port=0", management,
        "-Dportal.store.data-dir=" + folder.resolve("data")))) {
      int port = server.awaitReady();
      for (Step step : steps) {
        String command = step.command()
            .replace("target/portal.jar cli ", "target/portal.jar cli --port " + port + " ")
            .replace("target/portal.jar backup ", "target/portal.jar cli --port " + port + " backup ")
            .replace("target/portal.jar bench ", "target/portal.jar bench --port " + port + " ")
            .replace("127.0.0.1:8558", "127.0.0.1:" + managementPort);
        List<String> actual = bash(folder, command);
        compare(step, actual);
      }
    }
  }

  /** The {@code $ } commands of the block between the first-hour markers, each with the lines printed under it. */
  static List<Step> steps(String readme) {
    int start = readme.indexOf("<!-- first-hour -->");
    int end = readme.indexOf("<!-- /first-hour -->");
    assertTrue(start >= 0 && end > start, "README has the first-hour markers");
    List<Step> steps = new ArrayList<>();
    for (String line : readme.substring(start, end).split("\n")) {
      if (line.startsWith("$ ")) {
        steps.add(new Step(line.substring(2), new ArrayList<>()));
      } else if (!steps.isEmpty() && !line.startsWith("```")) {
        steps.get(steps.size() - 1).expected().add(line);
      }
    }
    return steps;
  }

  private static void compare(Step step, List<String> actual) {
    boolean varying = VARYING.matcher(step.command()).find();
    List<String> expected = step.expected();
    for (int i = 0; i < expected.size(); i++) {
      if (expected.get(i).equals("...")) {
        assertTrue(actual.size() >= i, step.command() + " printed\n" + String.join("\n", actual));
        return;
      }
      assertTrue(i < actual.size(), step.command() + " printed too little:\n" + String.join("\n", actual));
      String want = varying ? shape(expected.get(i)) : expected.get(i);
      String got = varying ? shape(actual.get(i)) : actual.get(i);
      assertEquals(want, got, step.command() + " printed\n" + String.join("\n", actual));
    }
    assertEquals(expected.size(), actual.size(), step.command() + " printed\n" + String.join("\n", actual));
  }

  /** The line with its absolute paths and numbers replaced by placeholders. */
  static String shape(String line) {
    return line.replaceAll("/[^\\s:]+", "PATH").replaceAll("\\d+(\\.\\d+)?", "N");
  }

  /** Runs {@code command} with bash in {@code folder}; its output and errors together, line by line. */
  private static List<String> bash(Path folder, String command) throws Exception {
    Process process = new ProcessBuilder("bash", "-c", command).directory(folder.toFile())
        .redirectErrorStream(true).redirectInput(new File("/dev/null")).start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), command);
    String text = new String(output, StandardCharsets.UTF_8);
    return text.isEmpty() ? List.of() : List.of(text.split("\n"));
  }
}
