package io.portal.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class OutboundBufferTest {
  private static ByteString bytes(int size) {
    return ByteString.fromArray(new byte[size]);
  }

  @Test
  void coalescesUpToTheBatchSizeAndCountsTheBatchUntilTaken() {
    OutboundBuffer buffer = new OutboundBuffer();
    assertTrue(buffer.isIdle());
    buffer.add(bytes(40));
    buffer.add(bytes(50));
    buffer.add(bytes(30));
    assertEquals(120, buffer.held());
    assertEquals(90, buffer.nextBatch(100).size()); // 40 + 50; 30 more would pass 100
    assertNull(buffer.nextBatch(100), "one batch in the stream at a time");
    assertEquals(120, buffer.held(), "the batch in the stream is still held");
    assertFalse(buffer.isIdle());
    assertEquals(90, buffer.taken());
    assertEquals(30, buffer.held());
    assertEquals(30, buffer.nextBatch(100).size());
    assertEquals(30, buffer.taken());
    assertEquals(0, buffer.taken(), "nothing in the stream: nothing taken");
    assertTrue(buffer.isIdle());
    assertEquals(0, buffer.held());
  }

  @Test
  void aResponseLargerThanTheBatchGoesAlone() {
    OutboundBuffer buffer = new OutboundBuffer();
    buffer.add(bytes(500));
    buffer.add(bytes(10));
    assertEquals(500, buffer.nextBatch(100).size());
    buffer.taken();
    assertEquals(10, buffer.nextBatch(100).size());
  }

  @Test
  void clearDropsEverything() {
    OutboundBuffer buffer = new OutboundBuffer();
    buffer.add(bytes(10));
    buffer.nextBatch(100);
    buffer.add(bytes(20));
    buffer.clear();
    assertEquals(0, buffer.held());
    assertTrue(buffer.isIdle());
  }
}
