package io.portal.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** One run of the load generator in this JVM: its exit status, what it printed and the JSON it wrote. */
public record BenchRun(int status, String out, String err, String json) {
  private static final Pattern PROGRESS = Pattern.compile("(?m)^ +\\d+\\.\\ds +[\\d,]+ ops/s  \\([\\d,]+ so far\\)  errors \\d+$");

  /** Runs {@code bench} with {@code args} plus {@code --json} to a temporary file. */
  public static BenchRun of(String... args) {
    try {
      Path json = Files.createTempFile("bench-", ".json");
      Files.delete(json);
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      String[] full = Stream.concat(Stream.of(args), Stream.of("--json", json.toString())).toArray(String[]::new);
      int status = Bench.run(new PrintWriter(out, true), new PrintWriter(err, true), full);
      String text = Files.exists(json) ? Files.readString(json) : "";
      Files.deleteIfExists(json);
      return new BenchRun(status, out.toString(), err.toString(), text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A number of the JSON by its field name ({@code "requests"}, {@code "p99"}, ...). */
  public double number(String field) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\":(-?[0-9.]+)").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no field " + field + " in " + json + "\nout: " + out + "\nerr: " + err);
    }
    return Double.parseDouble(m.group(1));
  }

  /** The JSON's errors by code, in its order. */
  public Map<String, Long> errors() {
    Matcher m = Pattern.compile("\"errors\":\\{([^}]*)}").matcher(json);
    if (!m.find()) {
      throw new AssertionError("no errors in " + json);
    }
    Map<String, Long> byCode = new LinkedHashMap<>();
    Matcher entry = Pattern.compile("\"([A-Z_]+)\":(\\d+)").matcher(m.group(1));
    while (entry.find()) {
      byCode.put(entry.group(1), Long.parseLong(entry.group(2)));
    }
    return byCode;
  }

  /** The average rate since measuring began, as the last progress line gives it. */
  public double lastSoFar() {
    Matcher m = Pattern.compile("\\(([\\d,]+) so far\\)").matcher(out);
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    if (last == null) {
      throw new AssertionError("no progress line in " + out);
    }
    return Double.parseDouble(last.replace(",", ""));
  }

  /** The progress lines printed while measuring. */
  public long progressLines() {
    return PROGRESS.matcher(out).results().count();
  }
}
