package io.portal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.OptionalLong;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Every message that crosses nodes to or from a partition survives serialization, with the bindings we ship. */
class PartitionProtocolSerializerTest {
  private static final ActorTestKit testKit = ActorTestKit.create(
      ConfigFactory.parseResources("portal-pekko.conf").withFallback(ConfigFactory.parseString("""
          pekko.actor.provider = local
          portal.store.data-dir = unused
          """)).resolve());

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void commandsAndRepliesRoundTrip() {
    SerializationTestKit serialization = new SerializationTestKit(testKit.system());
    TestProbe<PartitionActor.ReadReply> reads = testKit.createTestProbe();
    TestProbe<PartitionActor.WriteReply> writes = testKit.createTestProbe();
    TestProbe<org.apache.pekko.Done> wakes = testKit.createTestProbe();
    TestProbe<Scan.Part> scans = testKit.createTestProbe();
    TestProbe<PartitionActor.TxnReply> txns = testKit.createTestProbe();
    TestProbe<Watch.Message> watchers = testKit.createTestProbe();
    ByteString key = ByteString.copyFromUtf8("k");
    List<Object> messages = List.of(
        new PartitionActor.Get(key, reads.ref()),
        new PartitionActor.Apply(new Write.Set(key, ByteString.copyFromUtf8("v"), 500, OptionalLong.of(0),
            new Origin("c", 3)), writes.ref()),
        new PartitionActor.Apply(new Write.Set(key, ByteString.EMPTY, 0, OptionalLong.empty(), null), writes.ref()),
        new PartitionActor.Apply(new Write.Delete(key, OptionalLong.of(4), new Origin("d", 9)), writes.ref()),
        new PartitionActor.Wake(wakes.ref()),
        PartitionActor.Stop.INSTANCE,
        new PartitionActor.ReadReply(new Versioned(ByteString.copyFromUtf8("x"), 7)),
        new PartitionActor.ReadReply(null),
        new PartitionActor.WriteReply.Done(new Outcome(false, 5, false)),
        new PartitionActor.WriteReply.Done(new Outcome(true, 0, true)),
        new PartitionActor.WriteReply.Mismatch(2, 3),
        new PartitionActor.WriteReply.Unavailable("partition 1 has 9 writes waiting, limit 9"),
        new PartitionActor.WriteReply.StorageFull("the journal's disk is full (No space left on device)"),
        new PartitionActor.Apply(new Write.Expire(key, 1000, OptionalLong.of(2), new Origin("e", 1)), writes.ref()),
        new PartitionActor.ReadReply(new Versioned(ByteString.copyFromUtf8("t"), 2, 1_800_000_000_000L)),
        new PartitionActor.ScanPart(new Scan.Query(key, ByteString.copyFromUtf8("z"), 10, 4096, true), scans.ref()),
        new Scan.Part(List.of(new Scan.Item(key, new Versioned(ByteString.copyFromUtf8("v"), 3, 99))), true),
        new PartitionActor.TxnCommand(new Txn.Request(
            List.of(new Txn.Compare(key, Txn.CompareOp.GREATER, 1, null),
                new Txn.Compare(key, Txn.CompareOp.EQUAL, 0, ByteString.copyFromUtf8("v"))),
            List.of(new Txn.Put(key, ByteString.copyFromUtf8("w"), 5), new Txn.Get(key)),
            List.of(new Txn.Delete(key))), txns.ref()),
        new PartitionActor.TxnReply(new Txn.Result(true, List.of(new Txn.Written(4), new Txn.Deleted(true),
            new Txn.Got(new Versioned(ByteString.copyFromUtf8("g"), 1, 0)), new Txn.Got(null))), null),
        new PartitionActor.TxnReply(null, new PartitionActor.WriteReply.Unavailable("busy")),
        new PartitionActor.Subscribe(new Watch.Spec(key, true, java.util.Map.of(3, 17L)), 17, watchers.ref()),
        new PartitionActor.Unsubscribe(watchers.ref()),
        new Watch.Batch(3, 17, List.of(new Watch.Event(Watch.Kind.PUT, key, ByteString.copyFromUtf8("v"), 2, 0, 3, 18),
            new Watch.Event(Watch.Kind.EXPIRE, key, ByteString.EMPTY, 0, 0, 3, 19)), 20),
        new Watch.Compacted(3, 40),
        new Watch.Gone(3, 41, 19));
    var extension = SerializationExtension.get(testKit.system());
    for (Object message : messages) {
      assertEquals(PartitionProtocolSerializer.IDENTIFIER, extension.findSerializerFor(message).identifier(),
          message.getClass().getName());
      assertEquals(message, serialization.verifySerialization(message, true));
    }
  }
}
