package io.portal.store;

import io.portal.store.proto.TxnCommandMessage;
import io.portal.store.proto.TxnCompare;
import io.portal.store.proto.TxnOperation;
import io.portal.store.proto.TxnOperationResult;
import io.portal.store.proto.TxnReplyMessage;
import java.util.ArrayList;
import java.util.List;

/** A {@link Txn} and its result as the messages of proto/partition.proto, for a partition on another node. */
final class TxnMessages {
  private TxnMessages() {
  }

  static TxnCommandMessage command(Txn.Request txn, String replyTo) {
    TxnCommandMessage.Builder builder = TxnCommandMessage.newBuilder().setReplyTo(replyTo);
    for (Txn.Compare compare : txn.compares()) {
      TxnCompare.Builder c = TxnCompare.newBuilder().setKey(compare.key()).setOp(compare.op().ordinal())
          .setVersion(compare.version());
      if (compare.value() != null) {
        c.setValue(compare.value());
      }
      builder.addCompares(c);
    }
    txn.success().forEach(op -> builder.addSuccess(operation(op)));
    txn.failure().forEach(op -> builder.addFailure(operation(op)));
    return builder.build();
  }

  static Txn.Request request(TxnCommandMessage command) {
    List<Txn.Compare> compares = new ArrayList<>();
    for (TxnCompare c : command.getComparesList()) {
      compares.add(new Txn.Compare(c.getKey(), Txn.CompareOp.values()[c.getOp()], c.getVersion(),
          c.hasValue() ? c.getValue() : null));
    }
    return new Txn.Request(compares, ops(command.getSuccessList()), ops(command.getFailureList()));
  }

  static TxnReplyMessage reply(Txn.Result result) {
    TxnReplyMessage.Builder builder = TxnReplyMessage.newBuilder().setSucceeded(result.succeeded());
    for (Txn.OpResult r : result.results()) {
      TxnOperationResult.Builder b = TxnOperationResult.newBuilder();
      if (r instanceof Txn.Got got) {
        b.setKind(TxnOperationResult.Kind.GOT);
        if (got.value() != null) {
          b.setFound(true).setValue(got.value().value()).setVersion(got.value().version())
              .setExpiresAtMillis(got.value().expiresAtMillis());
        }
      } else if (r instanceof Txn.Written written) {
        b.setKind(TxnOperationResult.Kind.WRITTEN).setVersion(written.version());
      } else {
        b.setKind(TxnOperationResult.Kind.DELETED).setFound(((Txn.Deleted) r).existed());
      }
      builder.addResults(b);
    }
    return builder.build();
  }

  static Txn.Result result(TxnReplyMessage reply) {
    List<Txn.OpResult> results = new ArrayList<>();
    for (TxnOperationResult r : reply.getResultsList()) {
      results.add(switch (r.getKind()) {
        case GOT -> new Txn.Got(r.getFound() ? new Versioned(r.getValue(), r.getVersion(), r.getExpiresAtMillis())
            : null);
        case WRITTEN -> new Txn.Written(r.getVersion());
        case DELETED -> new Txn.Deleted(r.getFound());
        case UNRECOGNIZED -> throw new IllegalArgumentException("unknown transaction result kind");
      });
    }
    return new Txn.Result(reply.getSucceeded(), results);
  }

  private static TxnOperation operation(Txn.Op op) {
    TxnOperation.Builder b = TxnOperation.newBuilder().setKey(op.key());
    if (op instanceof Txn.Put put) {
      b.setKind(TxnOperation.Kind.PUT).setValue(put.value()).setTtlMillis(put.ttlMillis());
    } else if (op instanceof Txn.Delete) {
      b.setKind(TxnOperation.Kind.DELETE);
    } else {
      b.setKind(TxnOperation.Kind.GET);
    }
    return b.build();
  }

  private static List<Txn.Op> ops(List<TxnOperation> operations) {
    List<Txn.Op> ops = new ArrayList<>();
    for (TxnOperation o : operations) {
      ops.add(switch (o.getKind()) {
        case PUT -> new Txn.Put(o.getKey(), o.getValue(), o.getTtlMillis());
        case DELETE -> new Txn.Delete(o.getKey());
        case GET -> new Txn.Get(o.getKey());
        case UNRECOGNIZED -> throw new IllegalArgumentException("unknown transaction operation kind");
      });
    }
    return ops;
  }
}
