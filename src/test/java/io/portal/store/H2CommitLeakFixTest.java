package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mend of H2's commit path ({@link H2CommitLeakFix}): the class it changes, and what it changes in a database
 * that churns like the journal. Each churn runs in a JVM of its own ({@link H2LeakProbe}): whether H2 is mended is
 * decided once per JVM, and this one may have loaded H2 already in another test.
 */
class H2CommitLeakFixTest {
  private static final Pattern RESULT = Pattern.compile(
      "mend=(\\w+) live=(\\d+) chunks=(\\d+) rows=(\\d+)/(\\d+)");

  @Test
  void onlyThreeBytesOfH2sClassChangeAndOnlyForTheVersionItWasWrittenFor() throws Exception {
    byte[] original = H2ClassMend.classFile(H2CommitLeakFix.CLASS_NAME);
    byte[] patched = H2CommitLeakFix.patch(original);
    assertNotNull(patched, "the H2 in the pom is the version the mend was written for");
    assertEquals(original.length, patched.length);
    int first = 0;
    while (first < original.length && original[first] == patched[first]) {
      first++;
    }
    assertTrue(first < original.length, "the mended class differs from H2's");
    // invokevirtual Page.getChildPage, then invokevirtual Page.copy, which becomes nop nop nop
    assertArrayEquals(new byte[] {(byte) 0xb6, 0x00, 0x1f, (byte) 0xb6, 0x00, 0x20},
        Arrays.copyOfRange(original, first - 3, first + 3));
    assertArrayEquals(new byte[] {(byte) 0xb6, 0x00, 0x1f, 0x00, 0x00, 0x00},
        Arrays.copyOfRange(patched, first - 3, first + 3));
    assertArrayEquals(Arrays.copyOfRange(original, first + 3, original.length),
        Arrays.copyOfRange(patched, first + 3, patched.length));

    byte[] other = original.clone();
    other[other.length - 1] ^= 1; // any other class file, e.g. from another H2 version
    assertNull(H2CommitLeakFix.patch(other));
  }

  @Test
  void withTheMendAJournalLikeChurnLeavesNoChunkBehind(@TempDir Path dir) throws Exception {
    Map<String, Long> plain = probe("plain", dir.resolve("plain"));
    Map<String, Long> mended = probe("mend", dir.resolve("mend"));
    long plainBytes = Files.size(dir.resolve("plain.mv.db"));
    long mendedBytes = Files.size(dir.resolve("mend.mv.db"));
    String report = "without the mend: " + plain + ", " + plainBytes + " bytes; with it: " + mended + ", "
        + mendedBytes + " bytes";
    assertTrue(plain.get("deleted") > 0 && mended.get("deleted") > 0, "both churns deleted rows: " + report);
    // H2 2.5.252 as it is: every row deleted, yet chunks stay counted live (the defect this mends)
    assertTrue(plain.get("chunks") >= 10 && plain.get("live") >= 20, report);
    // mended: what is left is what the last few commits wrote
    assertTrue(mended.get("chunks") <= 8 && mended.get("live") <= 12, report);
    assertTrue(mendedBytes * 10 < plainBytes, report);
  }

  /** Runs {@link H2LeakProbe} in a new JVM and returns what it counted. */
  private static Map<String, Long> probe(String mode, Path file) throws Exception {
    String output = FreshJvm.run(H2LeakProbe.class, mode, file.toString(), "30000");
    Matcher result = RESULT.matcher(output);
    assertTrue(result.find(), output);
    assertEquals(mode.equals("mend") ? "APPLIED" : "off", result.group(1), output);
    return Map.of("live", Long.parseLong(result.group(2)), "chunks", Long.parseLong(result.group(3)),
        "inserted", Long.parseLong(result.group(4)), "deleted", Long.parseLong(result.group(5)));
  }
}
