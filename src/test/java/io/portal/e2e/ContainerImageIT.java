package io.portal.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * What of deploy/Dockerfile can be checked without a container engine: its stages and user, that what it copies
 * exists, that its configuration line makes the jar listen on every address, and that its health check command
 * passes against a ready server and fails where nothing answers. (Building the image needs Docker.)
 */
class ContainerImageIT {
  private static final Path DOCKERFILE = Path.of("deploy/Dockerfile");

  @Test
  void dockerfileHasTwoStagesAnUnprivilegedUserAndAHealthCheck() throws Exception {
    String text = Files.readString(DOCKERFILE);
    assertEquals(2, Pattern.compile("(?m)^FROM ").matcher(text).results().count(), "a build and a runtime stage");
    assertTrue(Pattern.compile("(?m)^USER portal$").matcher(text).find(), "runs as portal, not root");
    assertTrue(text.contains("COPY --from=build /src/target/portal.jar "), "the runtime takes the built jar");
    Matcher copies = Pattern.compile("(?m)^COPY (?!--from)(\\S+) ").matcher(text);
    int copied = 0;
    while (copies.find()) {
      assertTrue(Files.exists(Path.of(copies.group(1))), "COPY " + copies.group(1) + " exists");
      copied++;
    }
    assertEquals(3, copied, "pom.xml, proto and src are copied into the build stage");
  }

  @Test
  void theImagesConfigurationListensEverywhereAndItsHealthCheckAsksReady() throws Exception {
    String text = Files.readString(DOCKERFILE);
    Matcher conf = Pattern.compile("RUN printf '([^']*)\\\\n' > /var/lib/portal/conf/application.conf").matcher(text);
    assertTrue(conf.find(), "the image writes its configuration");
    Path folder = Files.createTempDirectory("portal-image");
    Files.createDirectories(folder.resolve("conf"));
    Files.writeString(folder.resolve("conf/application.conf"), conf.group(1) + "\n");
    Matcher health = Pattern.compile("CMD (bash -c '.*')").matcher(text);
    assertTrue(health.find(), "a health check command");
    String management = JarProcess.freeManagementPort();
    String managementPort = management.substring(management.indexOf('=') + 1);

    try (JarProcess server = JarProcess.start(List.of("-Dconfig.file=" + folder.resolve("conf/application.conf"),
        "-Dportal.server.port=0", management, "-Dportal.store.data-dir=" + folder.resolve("data")))) {
      server.await(Pattern.compile("ready on (0\\.0\\.0\\.0|0:0:0:0:0:0:0:0):\\d+"), 120);
      assertEquals(1, server.linesMatching(Pattern.compile("THE CLIENT PORT IS OPEN TO ANYONE")).size());
      assertEquals(0, run(health.group(1).replace("8558", managementPort)), "healthy once ready");
    }
    assertNotEquals(0, run(health.group(1).replace("8558", managementPort)), "unhealthy with nothing answering");
  }

  /** Runs {@code shellCommand} as Docker would, with its 5 s timeout; the exit status (124 when it timed out). */
  private static int run(String shellCommand) throws Exception {
    Process process = new ProcessBuilder("timeout", "5", "bash", "-c", shellCommand).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    return process.exitValue();
  }
}
