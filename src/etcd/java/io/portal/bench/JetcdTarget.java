package io.portal.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Drives etcd over gRPC, its native protocol: put, range and delete-range through the grpc-java stubs of etcd's API
 * that ship with jetcd (etcd's official Java client), as etcd's own benchmark tool does in Go. Only in the jar built
 * with {@code mvn -Petcd package}; {@link Bench} loads it by name. Each target is one channel, so one HTTP/2
 * connection per generator connection; callbacks run on the channel's event loop, as Portal's and RESP's do.
 */
final class JetcdTarget implements Target {
  private final ManagedChannel channel;
  private final KVGrpc.KVStub kv;

  JetcdTarget(String host, int port) {
    channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().directExecutor().build();
    kv = KVGrpc.newStub(channel);
  }

  @Override
  public CompletableFuture<?> set(ByteString key, ByteString value) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    kv.put(PutRequest.newBuilder().setKey(key).setValue(value).build(), observer(reply));
    return reply;
  }

  @Override
  public CompletableFuture<?> get(ByteString key) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    kv.range(RangeRequest.newBuilder().setKey(key).build(), observer(reply));
    return reply;
  }

  @Override
  public CompletableFuture<?> delete(ByteString key) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    kv.deleteRange(DeleteRangeRequest.newBuilder().setKey(key).build(), observer(reply));
    return reply;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<Object> reply) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        reply.complete(value);
      }

      @Override
      public void onError(Throwable failure) {
        reply.completeExceptionally(failure);
      }

      @Override
      public void onCompleted() {
        reply.complete(null);
      }
    };
  }
}
