package io.portal.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ClientMemoryTest {

  @Test
  void accountsAddUpToTheTotalAndCloseReleasesOnce() {
    ClientMemory memory = new ClientMemory(1_000, 500, 10);
    ClientMemory.Account a = memory.open(300);
    ClientMemory.Account b = memory.open(300);
    a.add(100);
    b.add(50);
    a.add(-30);
    assertEquals(70, a.held());
    assertEquals(120, memory.total());
    a.close();
    a.close();
    a.add(40); // a stage that stops after its actor: ignored
    assertEquals(0, a.held());
    assertEquals(50, memory.total());
  }

  @Test
  void readingStopsAtTheConnectionsThresholdOrAboveTheFloorWhenTheServerIsOverItsPauseLevel() {
    ClientMemory memory = new ClientMemory(1_000, 500, 10);
    ClientMemory.Account a = memory.open(300);
    ClientMemory.Account small = memory.open(300);
    a.add(299);
    assertTrue(a.mayRead());
    assertFalse(a.mayTake(1), "299 + 1 reaches its own threshold");
    a.add(1);
    assertFalse(a.mayRead());
    assertFalse(a.pausedByServer());
    ClientMemory.Account other = memory.open(1_000);
    other.add(450); // total 750: over the pause level
    a.add(-200); // total 550: still over
    assertFalse(a.mayRead(), "100 held, above the floor, server over its pause level");
    assertTrue(a.pausedByServer());
    small.add(5);
    assertTrue(small.mayRead(), "under the floor it always reads");
    other.close();
    assertTrue(a.mayRead());
  }

  @Test
  void goingOverTheBudgetCallsTheListenerOnceUntilItIsDone() {
    ClientMemory memory = new ClientMemory(1_000, 500, 10);
    AtomicInteger calls = new AtomicInteger();
    memory.onOverBudget(calls::incrementAndGet);
    ClientMemory.Account a = memory.open(10_000);
    a.add(900);
    assertEquals(0, calls.get());
    a.add(200);
    a.add(200);
    assertEquals(1, calls.get(), "one call until the listener has acted");
    memory.evictionDone();
    a.add(-100);
    assertEquals(1, calls.get(), "a release never calls it");
    a.add(1);
    assertEquals(2, calls.get());
  }

  @Test
  void settingsDefaultToAQuarterOfTheHeapAndRefuseMoreThanTheHeap() {
    MemorySettings auto = MemorySettings.fromConfig(ConfigFactory.parseString(
        "portal.memory { clients-budget = auto, clients-pause-percent = 50, client-floor = 64KiB }"), 4_000_000);
    assertEquals(1_000_000, auto.clientsBudget());
    assertEquals(500_000, auto.pauseLevel());
    assertEquals(65_536, auto.clientFloor());
    MemorySettings fixed = MemorySettings.fromConfig(ConfigFactory.parseString(
        "portal.memory { clients-budget = 1MiB, clients-pause-percent = 25, client-floor = 1KiB }"), 4_000_000);
    assertEquals(1 << 20, fixed.clientsBudget());
    ConfigException.BadValue tooBig = assertThrows(ConfigException.BadValue.class, () -> MemorySettings.fromConfig(
        ConfigFactory.parseString("portal.memory { clients-budget = 8MiB, clients-pause-percent = 50, "
            + "client-floor = 1KiB }"), 4_000_000));
    assertTrue(tooBig.getMessage().contains("8388608 bytes exceeds the maximum heap 4000000 bytes"),
        tooBig.getMessage());
  }
}
