package io.portal.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class ResponseSequencerTest {
  private static ByteString bytes(String text) {
    return ByteString.fromString(text);
  }

  @Test
  void releasesInRequestOrderWhateverOrderTheyComplete() {
    ResponseSequencer sequencer = new ResponseSequencer();
    List<String> released = new ArrayList<>();
    long a = sequencer.register();
    long b = sequencer.register();
    long c = sequencer.register();
    assertEquals(3, sequencer.unreleased());
    sequencer.complete(c, bytes("ccc"), r -> released.add(r.utf8String()));
    sequencer.complete(b, bytes("bb"), r -> released.add(r.utf8String()));
    assertEquals(List.of(), released);
    assertEquals(5, sequencer.earlyBytes());
    assertEquals(3, sequencer.unreleased());
    sequencer.complete(a, bytes("a"), r -> released.add(r.utf8String()));
    assertEquals(List.of("a", "bb", "ccc"), released);
    assertEquals(0, sequencer.earlyBytes());
    assertEquals(0, sequencer.unreleased());
    assertEquals(3, sequencer.head());
  }

  @Test
  void refusesASequenceNumberThatIsNotInFlight() {
    ResponseSequencer sequencer = new ResponseSequencer();
    long a = sequencer.register();
    long b = sequencer.register();
    sequencer.complete(b, bytes("b"), r -> { });
    assertThrows(IllegalArgumentException.class, () -> sequencer.complete(b, bytes("b"), r -> { }));
    assertThrows(IllegalArgumentException.class, () -> sequencer.complete(7, bytes("x"), r -> { }));
    sequencer.complete(a, bytes("a"), r -> { });
    assertThrows(IllegalArgumentException.class, () -> sequencer.complete(a, bytes("a"), r -> { }));
  }

  @Test
  void clearForgetsWaitingResponses() {
    ResponseSequencer sequencer = new ResponseSequencer();
    sequencer.register();
    long b = sequencer.register();
    sequencer.complete(b, bytes("bbbb"), r -> { });
    assertEquals(4, sequencer.earlyBytes());
    sequencer.clear();
    assertEquals(0, sequencer.earlyBytes());
  }
}
