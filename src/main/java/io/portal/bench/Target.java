package io.portal.bench;

import com.google.protobuf.ByteString;
import io.portal.client.PortalClient;
import io.portal.protocol.v1.Compare;
import io.portal.protocol.v1.ScanRequest;
import io.portal.protocol.v1.SetRequest;
import io.portal.protocol.v1.TxnOp;
import io.portal.protocol.v1.TxnRequest;
import java.util.concurrent.CompletableFuture;

/** One connection of the load generator to the system under test; any thread may send. */
interface Target extends AutoCloseable {
  CompletableFuture<?> set(ByteString key, ByteString value);

  CompletableFuture<?> get(ByteString key);

  CompletableFuture<?> delete(ByteString key);

  /** A transaction that writes {key}:a and {key}:b together (Portal only). */
  default CompletableFuture<?> txn(ByteString key, ByteString value) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("txn is Portal's"));
  }

  /**
   * The page of at most {@code limit} keys after {@code cursor[0]}, in order; moves the cursor to the page's end, or
   * back to the start after the last page; completes with the number of keys read (Portal only).
   */
  default CompletableFuture<Integer> scanPage(ByteString[] cursor, int limit) {
    return CompletableFuture.failedFuture(new UnsupportedOperationException("scan is Portal's"));
  }

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
      public CompletableFuture<?> txn(ByteString key, ByteString value) {
        ByteString tag = ByteString.copyFromUtf8("{").concat(key).concat(ByteString.copyFromUtf8("}"));
        ByteString a = tag.concat(ByteString.copyFromUtf8(":a"));
        return client.txnAsync(TxnRequest.newBuilder()
            .addCompares(Compare.newBuilder().setKey(a).setOp(Compare.Op.GREATER).setVersion(-1))
            .addSuccess(TxnOp.newBuilder().setSet(SetRequest.newBuilder().setKey(a).setValue(value)))
            .addSuccess(TxnOp.newBuilder().setSet(SetRequest.newBuilder()
                .setKey(tag.concat(ByteString.copyFromUtf8(":b"))).setValue(value))));
      }

      @Override
      public CompletableFuture<Integer> scanPage(ByteString[] cursor, int limit) {
        return client.scanAsync(ScanRequest.newBuilder().setAfter(cursor[0]).setLimit(limit)).thenApply(page -> {
          cursor[0] = page.getMore() ? page.getContinuation() : ByteString.EMPTY;
          return page.getEntriesCount();
        });
      }

      @Override
      public void close() {
        client.close();
      }
    };
  }
}
