package io.portal.connection;

import io.portal.codec.Decoded;
import io.portal.codec.FrameDecoder;
import io.portal.codec.InboundBudget;
import io.portal.codec.Messages;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.CompletionStrategy;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSink;
import org.apache.pekko.stream.typed.javadsl.ActorSource;
import org.apache.pekko.util.ByteString;

/**
 * The byte flow of one connection, wired to its {@link ConnectionActor}: inbound bytes go through the
 * {@link FrameDecoder} into the actor with backpressure; the actor's {@link Outbound} messages become outbound bytes.
 * Buffers between the socket and the actor are one element deep, and the decoder counts what it buffers in the same
 * account as the actor, so what is counted as held for the client is all of it but the transport's one read chunk
 * and the kernel's socket buffers.
 */
final class ConnectionFlow {
  private ConnectionFlow() {
  }

  static Flow<ByteString, ByteString, NotUsed> of(ActorRef<ConnectionActor.Command> actor,
      ConnectionSettings settings, InboundBudget budget) {
    Sink<List<Decoded>, NotUsed> toActor = ActorSink.actorRefWithBackpressure(
        actor,
        (ActorRef<StreamAck> ackTo, List<Decoded> elements) -> new ConnectionActor.InboundElement(elements, ackTo),
        ConnectionActor.InboundStarted::new,
        StreamAck.ACK,
        ConnectionActor.InboundCompleted.INSTANCE,
        ConnectionActor.InboundFailed::new);
    Sink<ByteString, NotUsed> inbound = Flow.<ByteString>create()
        .viaMat(KillSwitches.single(), Keep.right())
        .via(FrameDecoder.create(settings.maxPayloadBytes(), Messages::isRequestType, budget,
            settings.frameTimeout()))
        // while the actor has not acked, the frames decoded meanwhile are gathered into one message
        .batchWeighted(settings.readBatchBytes(), Decoded::wireBytes, ConnectionFlow::firstOfBatch,
            ConnectionFlow::addToBatch)
        .to(toActor)
        .mapMaterializedValue(killSwitch -> {
          actor.tell(new ConnectionActor.InboundSwitch(killSwitch));
          return NotUsed.getInstance();
        });

    Source<ByteString, NotUsed> outbound = ActorSource.<Outbound, ConnectionActor.OutboundAck>actorRefWithBackpressure(
            actor.narrow(),
            ConnectionActor.OutboundAck.INSTANCE,
            message -> message instanceof Outbound.Finish
                ? Optional.of(CompletionStrategy.draining()) : Optional.empty(),
            message -> message instanceof Outbound.Abort abort
                ? Optional.of(new ConnectionAbortedException(abort.reason())) : Optional.empty())
        .mapMaterializedValue(ref -> {
          actor.tell(new ConnectionActor.OutboundStarted(ref));
          return NotUsed.getInstance();
        })
        .collectType(Outbound.Bytes.class)
        .map(Outbound.Bytes::bytes);

    return Flow.fromSinkAndSource(inbound, outbound)
        .addAttributes(Attributes.inputBuffer(1, 1))
        .named("portalConnection");
  }

  private static List<Decoded> firstOfBatch(Decoded decoded) {
    List<Decoded> batch = new ArrayList<>();
    batch.add(decoded);
    return batch;
  }

  private static List<Decoded> addToBatch(List<Decoded> batch, Decoded decoded) {
    batch.add(decoded);
    return batch;
  }

  /** Fails the outbound stream so that the transport resets the socket instead of flushing it. */
  static final class ConnectionAbortedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConnectionAbortedException(String reason) {
      super(reason, null, false, false);
    }
  }
}
