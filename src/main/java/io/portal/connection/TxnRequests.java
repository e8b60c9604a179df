package io.portal.connection;

import com.google.protobuf.ByteString;
import io.portal.protocol.v1.Compare;
import io.portal.protocol.v1.DeleteResponse;
import io.portal.protocol.v1.GetResponse;
import io.portal.protocol.v1.SetResponse;
import io.portal.protocol.v1.TxnOp;
import io.portal.protocol.v1.TxnOpResult;
import io.portal.protocol.v1.TxnRequest;
import io.portal.protocol.v1.TxnResponse;
import io.portal.store.Txn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** A TXN request as the store takes it, checked on the way, and the store's result as the wire's TxnResponse. */
final class TxnRequests {
  private TxnRequests() {
  }

  /** The transaction; IllegalArgumentException with the INVALID_ARGUMENT message when the request is not one. */
  static Txn.Request toStore(TxnRequest request, int maxKeyBytes, int maxOps) {
    int count = request.getComparesCount() + request.getSuccessCount() + request.getFailureCount();
    if (count > maxOps) {
      throw new IllegalArgumentException("a transaction of " + count + " compares and ops exceeds the maximum "
          + maxOps + " (portal.protocol.max-txn-ops)");
    }
    List<Txn.Compare> compares = new ArrayList<>();
    for (int i = 0; i < request.getComparesCount(); i++) {
      Compare c = request.getCompares(i);
      checkKey(c.getKey(), maxKeyBytes, "compare " + i);
      Txn.CompareOp op = switch (c.getOp()) {
        case EQUAL -> Txn.CompareOp.EQUAL;
        case NOT_EQUAL -> Txn.CompareOp.NOT_EQUAL;
        case LESS -> Txn.CompareOp.LESS;
        case GREATER -> Txn.CompareOp.GREATER;
        case UNRECOGNIZED -> throw new IllegalArgumentException("compare " + i + " has an unknown op");
      };
      switch (c.getTargetCase()) {
        case VERSION -> compares.add(new Txn.Compare(c.getKey(), op, c.getVersion(), null));
        case VALUE -> {
          if (op == Txn.CompareOp.LESS || op == Txn.CompareOp.GREATER) {
            throw new IllegalArgumentException("compare " + i + " compares a value with " + op
                + ": values are compared with EQUAL and NOT_EQUAL only");
          }
          compares.add(new Txn.Compare(c.getKey(), op, 0, c.getValue()));
        }
        case TARGET_NOT_SET -> throw new IllegalArgumentException("compare " + i + " names no version or value");
      }
    }
    return new Txn.Request(compares, ops(request.getSuccessList(), maxKeyBytes, "success"),
        ops(request.getFailureList(), maxKeyBytes, "failure"));
  }

  private static List<Txn.Op> ops(List<TxnOp> ops, int maxKeyBytes, String branch) {
    List<Txn.Op> result = new ArrayList<>();
    for (int i = 0; i < ops.size(); i++) {
      TxnOp op = ops.get(i);
      String where = branch + " op " + i;
      switch (op.getOpCase()) {
        case GET -> {
          checkKey(op.getGet().getKey(), maxKeyBytes, where);
          result.add(new Txn.Get(op.getGet().getKey()));
        }
        case SET -> {
          Validation.checkSet(op.getSet(), maxKeyBytes).ifPresent(message -> {
            throw new IllegalArgumentException(where + ": " + message);
          });
          refuseExpectedVersion(op.getSet().hasExpectedVersion(), where);
          result.add(new Txn.Put(op.getSet().getKey(), op.getSet().getValue(), op.getSet().getTtlMillis()));
        }
        case DELETE -> {
          checkKey(op.getDelete().getKey(), maxKeyBytes, where);
          refuseExpectedVersion(op.getDelete().hasExpectedVersion(), where);
          result.add(new Txn.Delete(op.getDelete().getKey()));
        }
        case OP_NOT_SET -> throw new IllegalArgumentException(where + " is empty");
      }
    }
    return result;
  }

  private static void refuseExpectedVersion(boolean present, String where) {
    if (present) {
      throw new IllegalArgumentException(where + ": expected_version has no place in a transaction's op; use a "
          + "compare");
    }
  }

  private static void checkKey(ByteString key, int maxKeyBytes, String where) {
    Optional<String> invalid = Validation.checkKey(key, maxKeyBytes);
    if (invalid.isPresent()) {
      throw new IllegalArgumentException(where + ": " + invalid.get());
    }
  }

  static TxnResponse toWire(long id, Txn.Result result, long nowMillis) {
    TxnResponse.Builder response = TxnResponse.newBuilder().setRequestId(id).setSucceeded(result.succeeded());
    for (Txn.OpResult r : result.results()) {
      TxnOpResult.Builder b = TxnOpResult.newBuilder();
      if (r instanceof Txn.Got got) {
        GetResponse.Builder get = GetResponse.newBuilder();
        if (got.value() != null) {
          get.setFound(true).setValue(got.value().value()).setVersion(got.value().version())
              .setExpiresAtMillis(got.value().expiresAtMillis())
              .setTtlMillis(Validation.ttlLeft(got.value().expiresAtMillis(), nowMillis));
        }
        b.setGet(get);
      } else if (r instanceof Txn.Written written) {
        b.setSet(SetResponse.newBuilder().setVersion(written.version()));
      } else {
        b.setDelete(DeleteResponse.newBuilder().setDeleted(((Txn.Deleted) r).existed()));
      }
      response.addResults(b);
    }
    return response.build();
  }
}
