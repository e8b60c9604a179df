package io.portal.jmh;

import com.google.protobuf.ByteString;
import io.portal.codec.FrameDecoder;
import io.portal.codec.FrameEncoder;
import io.portal.codec.Messages;
import io.portal.protocol.v1.MessageType;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.SetResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The codec alone: frames decoded and encoded per second, and (with {@code -prof gc}) bytes allocated per frame.
 * Run with {@code bench/jmh.sh}. Decoding goes through the real stage in a running stream, 1000 frames of a SET with
 * a 100-byte value arriving in 64 KiB chunks per invocation, so the stream's set-up is amortized over 1000 frames.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
  static final int FRAMES = 1000;

  private ActorSystem system;
  private Materializer materializer;
  private List<org.apache.pekko.util.ByteString> chunks;
  private SetResponse response;
  private java.nio.ByteBuffer requestPayload;

  @Setup(Level.Trial)
  public void setUp() {
    system = ActorSystem.create("jmh");
    materializer = Materializer.matFromSystem(system);
    SetRequest request = SetRequest.newBuilder().setRequestId(42).setKey(ByteString.copyFromUtf8("key:0000012345"))
        .setValue(ByteString.copyFrom(new byte[100])).build();
    org.apache.pekko.util.ByteString all = org.apache.pekko.util.ByteString.emptyByteString();
    for (int i = 0; i < FRAMES; i++) {
      all = all.concat(FrameEncoder.encode(MessageType.SET_REQUEST_VALUE, request));
    }
    all = all.compact();
    chunks = new ArrayList<>();
    for (int offset = 0; offset < all.size(); offset += 64 * 1024) {
      chunks.add(all.slice(offset, Math.min(all.size(), offset + 64 * 1024)));
    }
    response = SetResponse.newBuilder().setRequestId(42).setVersion(7).build();
    requestPayload = java.nio.ByteBuffer.wrap(request.toByteArray()).asReadOnlyBuffer();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    system.terminate();
  }

  @Benchmark
  @OperationsPerInvocation(FRAMES)
  public Object decodeThousandFrames() throws Exception {
    return Source.from(chunks)
        .via(FrameDecoder.create(1572864, Messages::isRequestType))
        .runWith(Sink.fold(0, (count, frame) -> count + 1), materializer)
        .toCompletableFuture().get();
  }

  @Benchmark
  public org.apache.pekko.util.ByteString encodeResponse() {
    return FrameEncoder.encode(MessageType.SET_RESPONSE_VALUE, response);
  }

  @Benchmark
  public Object parseRequestPayload() throws Exception {
    return Messages.parseRequest(MessageType.SET_REQUEST_VALUE, requestPayload.duplicate());
  }
}
