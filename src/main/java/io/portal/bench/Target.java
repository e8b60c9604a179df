package io.portal.bench;

import com.google.protobuf.ByteString;
import io.portal.client.PortalClient;
import java.util.concurrent.CompletableFuture;

/** One connection of the load generator to the system under test; any thread may send. */
interface Target extends AutoCloseable {
  CompletableFuture<?> set(ByteString key, ByteString value);

  CompletableFuture<?> get(ByteString key);

  CompletableFuture<?> delete(ByteString key);

  @Override
  void close();

  /** Portal, through the project's own client. */
  static Target portal(PortalClient client) {
    return new Target() {
      @Override
      public CompletableFuture<?> set(ByteString key, ByteString value) {
        return client.setAsync(key, value);
      }

      @Override
      public CompletableFuture<?> get(ByteString key) {
        return client.getAsync(key);
      }

      @Override
      public CompletableFuture<?> delete(ByteString key) {
        return client.deleteAsync(key);
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }
}
