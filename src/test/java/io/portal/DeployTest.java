package io.portal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** deploy/portal.service passes systemd's own check, with nothing to say (a typo only warns, so warnings fail too). */
class DeployTest {
  @Test
  void theSystemdUnitVerifiesCleanly() throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    Assumptions.assumeTrue(Files.isExecutable(analyze), "systemd-analyze is not on this machine");
    Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/java")), "the unit starts /usr/bin/java, absent here");
    Process verify = new ProcessBuilder(analyze.toString(), "verify", "deploy/portal.service")
        .redirectErrorStream(true).start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, verify.waitFor(), output);
    assertEquals("", output.strip());
  }
}
