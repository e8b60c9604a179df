package io.portal.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/operations.md's settings tables against reference.conf, both ways: every {@code portal.*} setting has a row
 * with its default, and every row names a real setting with its real default.
 */
class SettingsReferenceTest {
  private static final Pattern ROW = Pattern.compile("(?m)^\\| `(portal\\.[^`]+)` \\| `([^`]*)` \\|");

  @Test
  void operationsGuideListsEverySettingWithItsDefault() throws Exception {
    Map<String, String> reference = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> entry : ConfigFactory.defaultReference().getConfig("portal").entrySet()) {
      reference.put("portal." + entry.getKey(), shown(entry.getValue()));
    }
    Map<String, String> documented = new TreeMap<>();
    Matcher row = ROW.matcher(Files.readString(Path.of("docs/operations.md")));
    while (row.find()) {
      String previous = documented.put(row.group(1), row.group(2));
      assertEquals(null, previous, row.group(1) + " has two rows");
    }
    List<String> differences = new ArrayList<>();
    reference.forEach((path, value) -> {
      if (!value.equals(documented.get(path))) {
        differences.add(path + ": reference.conf " + value + ", docs/operations.md " + documented.get(path));
      }
    });
    documented.keySet().stream().filter(path -> !reference.containsKey(path))
        .forEach(path -> differences.add(path + ": documented, not in reference.conf"));
    assertEquals(List.of(), differences);
    assertEquals(reference.size(), documented.size());
  }

  /** How the guide writes a default: a string bare (an empty one as ""), anything else as HOCON without spaces. */
  private static String shown(ConfigValue value) {
    if (value.valueType() == ConfigValueType.STRING) {
      String text = (String) value.unwrapped();
      return text.isEmpty() ? "\"\"" : text;
    }
    return value.render(ConfigRenderOptions.concise());
  }
}
