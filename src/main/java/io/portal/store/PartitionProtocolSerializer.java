package io.portal.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.portal.store.proto.ApplyCommand;
import io.portal.store.proto.DeleteWrite;
import io.portal.store.proto.ExpireWrite;
import io.portal.store.proto.GetCommand;
import io.portal.store.proto.ScanCommand;
import io.portal.store.proto.ScanItem;
import io.portal.store.proto.ScanPartReply;
import io.portal.store.proto.SetWrite;
import io.portal.store.proto.StopCommand;
import io.portal.store.proto.SubscribeCommand;
import io.portal.store.proto.UnsubscribeCommand;
import io.portal.store.proto.WatchBatchMessage;
import io.portal.store.proto.WatchCompactedMessage;
import io.portal.store.proto.WatchGoneMessage;
import io.portal.store.proto.WatchSubscribedMessage;
import io.portal.store.proto.TxnCommandMessage;
import io.portal.store.proto.TxnReplyMessage;
import io.portal.store.proto.WakeCommand;
import io.portal.store.proto.WriteDone;
import io.portal.store.proto.WriteMismatch;
import java.io.NotSerializableException;
import java.util.OptionalLong;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes the messages that go to and from a partition on another node (commands, and the replies to them) as the
 * protobuf messages of {@code proto/partition.proto}, actor refs as their serialized paths. Bound in
 * portal-pekko.conf; never used for the journal.
 */
public final class PartitionProtocolSerializer extends SerializerWithStringManifest {
  /** Serializer id; ids below 100 belong to Pekko. */
  public static final int IDENTIFIER = 7702;

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;

  public PartitionProtocolSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof PartitionActor.Get) {
      return "get";
    } else if (o instanceof PartitionActor.Apply) {
      return "apply";
    } else if (o instanceof PartitionActor.Wake) {
      return "wake";
    } else if (o instanceof PartitionActor.Stop) {
      return "stop";
    } else if (o instanceof PartitionActor.ReadReply) {
      return "read-reply";
    } else if (o instanceof PartitionActor.WriteReply) {
      return "write-reply";
    } else if (o instanceof PartitionActor.ScanPart) {
      return "scan";
    } else if (o instanceof Scan.Part) {
      return "scan-part";
    } else if (o instanceof PartitionActor.TxnCommand) {
      return "txn";
    } else if (o instanceof PartitionActor.TxnReply) {
      return "txn-reply";
    } else if (o instanceof PartitionActor.Subscribe) {
      return "subscribe";
    } else if (o instanceof PartitionActor.Unsubscribe) {
      return "unsubscribe";
    } else if (o instanceof Watch.Subscribed) {
      return "watch-subscribed";
    } else if (o instanceof Watch.Batch) {
      return "watch-batch";
    } else if (o instanceof Watch.Compacted) {
      return "watch-compacted";
    } else if (o instanceof Watch.Gone) {
      return "watch-gone";
    }
    throw new IllegalArgumentException("PartitionProtocolSerializer cannot write " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof PartitionActor.Get get) {
      return GetCommand.newBuilder().setKey(get.key()).setReplyTo(path(get.replyTo())).build().toByteArray();
    } else if (o instanceof PartitionActor.Apply apply) {
      ApplyCommand.Builder builder = ApplyCommand.newBuilder().setReplyTo(path(apply.replyTo()));
      if (apply.write() instanceof Write.Set set) {
        SetWrite.Builder w = SetWrite.newBuilder().setKey(set.key()).setValue(set.value())
            .setTtlMillis(set.ttlMillis());
        set.expectedVersion().ifPresent(w::setExpectedVersion);
        if (set.origin() != null) {
          w.setOrigin(origin(set.origin()));
        }
        builder.setSet(w);
      } else if (apply.write() instanceof Write.Expire expire) {
        ExpireWrite.Builder w = ExpireWrite.newBuilder().setKey(expire.key()).setTtlMillis(expire.ttlMillis());
        expire.expectedVersion().ifPresent(w::setExpectedVersion);
        if (expire.origin() != null) {
          w.setOrigin(origin(expire.origin()));
        }
        builder.setExpire(w);
      } else {
        Write.Delete delete = (Write.Delete) apply.write();
        DeleteWrite.Builder w = DeleteWrite.newBuilder().setKey(delete.key());
        delete.expectedVersion().ifPresent(w::setExpectedVersion);
        if (delete.origin() != null) {
          w.setOrigin(origin(delete.origin()));
        }
        builder.setDelete(w);
      }
      return builder.build().toByteArray();
    } else if (o instanceof PartitionActor.Wake wake) {
      return WakeCommand.newBuilder().setReplyTo(path(wake.replyTo())).build().toByteArray();
    } else if (o instanceof PartitionActor.Stop) {
      return StopCommand.getDefaultInstance().toByteArray();
    } else if (o instanceof PartitionActor.ReadReply read) {
      var builder = io.portal.store.proto.ReadReply.newBuilder();
      if (read.value() != null) {
        builder.setFound(true).setValue(read.value().value()).setVersion(read.value().version())
            .setExpiresAtMillis(read.value().expiresAtMillis());
      }
      return builder.build().toByteArray();
    } else if (o instanceof PartitionActor.WriteReply reply) {
      return writeReply(reply).toByteArray();
    } else if (o instanceof PartitionActor.TxnCommand command) {
      return TxnMessages.command(command.txn(), path(command.replyTo())).toByteArray();
    } else if (o instanceof PartitionActor.TxnReply reply) {
      if (reply.result() == null) {
        return TxnReplyMessage.newBuilder().setRefused(writeReply(reply.refused())).build().toByteArray();
      }
      return TxnMessages.reply(reply.result()).toByteArray();
    } else if (o instanceof PartitionActor.Subscribe subscribe) {
      return SubscribeCommand.newBuilder().setSpec(WatchMessages.spec(subscribe.spec())).setAfter(subscribe.after())
          .setSubscriber(path(subscribe.subscriber())).build().toByteArray();
    } else if (o instanceof PartitionActor.Unsubscribe unsubscribe) {
      return UnsubscribeCommand.newBuilder().setSubscriber(path(unsubscribe.subscriber())).build().toByteArray();
    } else if (o instanceof Watch.Subscribed subscribed) {
      return WatchSubscribedMessage.newBuilder().setPartition(subscribed.partition())
          .setRevision(subscribed.revision()).setPartitionRef(path(subscribed.partitionRef())).build().toByteArray();
    } else if (o instanceof Watch.Batch batch) {
      return WatchMessages.batch(batch).toByteArray();
    } else if (o instanceof Watch.Compacted compacted) {
      return WatchCompactedMessage.newBuilder().setPartition(compacted.partition())
          .setHistoryStart(compacted.historyStart()).build().toByteArray();
    } else if (o instanceof Watch.Gone gone) {
      return WatchGoneMessage.newBuilder().setPartition(gone.partition()).setRevision(gone.revision())
          .setLastSent(gone.lastSent()).build().toByteArray();
    } else if (o instanceof PartitionActor.ScanPart scan) {
      Scan.Query q = scan.query();
      return ScanCommand.newBuilder().setFrom(q.from()).setEnd(q.end()).setLimit(q.limit())
          .setMaxBytes(q.maxBytes()).setKeysOnly(q.keysOnly()).setReplyTo(path(scan.replyTo())).build()
          .toByteArray();
    } else if (o instanceof Scan.Part part) {
      ScanPartReply.Builder builder = ScanPartReply.newBuilder().setMore(part.more());
      for (Scan.Item item : part.items()) {
        builder.addItems(ScanItem.newBuilder().setKey(item.key()).setValue(item.entry().value())
            .setVersion(item.entry().version()).setExpiresAtMillis(item.entry().expiresAtMillis()));
      }
      return builder.build().toByteArray();
    }
    throw new IllegalArgumentException("PartitionProtocolSerializer cannot write " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case "get" -> {
          GetCommand get = GetCommand.parseFrom(bytes);
          yield new PartitionActor.Get(get.getKey(), ref(get.getReplyTo()));
        }
        case "apply" -> {
          ApplyCommand apply = ApplyCommand.parseFrom(bytes);
          Write write;
          if (apply.hasSet()) {
            SetWrite w = apply.getSet();
            write = new Write.Set(w.getKey(), w.getValue(), w.getTtlMillis(),
                w.hasExpectedVersion() ? OptionalLong.of(w.getExpectedVersion()) : OptionalLong.empty(),
                w.hasOrigin() ? origin(w.getOrigin()) : null);
          } else if (apply.hasExpire()) {
            ExpireWrite w = apply.getExpire();
            write = new Write.Expire(w.getKey(), w.getTtlMillis(),
                w.hasExpectedVersion() ? OptionalLong.of(w.getExpectedVersion()) : OptionalLong.empty(),
                w.hasOrigin() ? origin(w.getOrigin()) : null);
          } else {
            DeleteWrite w = apply.getDelete();
            write = new Write.Delete(w.getKey(),
                w.hasExpectedVersion() ? OptionalLong.of(w.getExpectedVersion()) : OptionalLong.empty(),
                w.hasOrigin() ? origin(w.getOrigin()) : null);
          }
          yield new PartitionActor.Apply(write, ref(apply.getReplyTo()));
        }
        case "wake" -> new PartitionActor.Wake(ref(WakeCommand.parseFrom(bytes).getReplyTo()));
        case "stop" -> PartitionActor.Stop.INSTANCE;
        case "read-reply" -> {
          var read = io.portal.store.proto.ReadReply.parseFrom(bytes);
          yield new PartitionActor.ReadReply(read.getFound()
              ? new Versioned(read.getValue(), read.getVersion(), read.getExpiresAtMillis()) : null);
        }
        case "write-reply" -> writeReply(io.portal.store.proto.WriteReply.parseFrom(bytes));
        case "subscribe" -> {
          SubscribeCommand subscribe = SubscribeCommand.parseFrom(bytes);
          yield new PartitionActor.Subscribe(WatchMessages.spec(subscribe.getSpec()), subscribe.getAfter(),
              ref(subscribe.getSubscriber()));
        }
        case "unsubscribe" -> new PartitionActor.Unsubscribe(ref(UnsubscribeCommand.parseFrom(bytes)
            .getSubscriber()));
        case "watch-subscribed" -> {
          WatchSubscribedMessage subscribed = WatchSubscribedMessage.parseFrom(bytes);
          yield new Watch.Subscribed(subscribed.getPartition(), subscribed.getRevision(),
              ref(subscribed.getPartitionRef()));
        }
        case "watch-batch" -> WatchMessages.batch(WatchBatchMessage.parseFrom(bytes));
        case "watch-compacted" -> {
          WatchCompactedMessage compacted = WatchCompactedMessage.parseFrom(bytes);
          yield new Watch.Compacted(compacted.getPartition(), compacted.getHistoryStart());
        }
        case "watch-gone" -> {
          WatchGoneMessage gone = WatchGoneMessage.parseFrom(bytes);
          yield new Watch.Gone(gone.getPartition(), gone.getRevision(), gone.getLastSent());
        }
        case "txn" -> {
          TxnCommandMessage command = TxnCommandMessage.parseFrom(bytes);
          yield new PartitionActor.TxnCommand(TxnMessages.request(command), ref(command.getReplyTo()));
        }
        case "txn-reply" -> {
          TxnReplyMessage reply = TxnReplyMessage.parseFrom(bytes);
          yield reply.hasRefused() ? new PartitionActor.TxnReply(null, writeReply(reply.getRefused()))
              : new PartitionActor.TxnReply(TxnMessages.result(reply), null);
        }
        case "scan" -> {
          ScanCommand scan = ScanCommand.parseFrom(bytes);
          yield new PartitionActor.ScanPart(new Scan.Query(scan.getFrom(), scan.getEnd(), scan.getLimit(),
              scan.getMaxBytes(), scan.getKeysOnly()), ref(scan.getReplyTo()));
        }
        case "scan-part" -> {
          ScanPartReply part = ScanPartReply.parseFrom(bytes);
          yield new Scan.Part(part.getItemsList().stream().map(item -> new Scan.Item(item.getKey(),
              new Versioned(item.getValue(), item.getVersion(), item.getExpiresAtMillis()))).toList(), part.getMore());
        }
        default -> throw new NotSerializableException("unknown manifest '" + manifest
            + "' for PartitionProtocolSerializer");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("corrupt " + manifest + " of " + bytes.length + " bytes", e);
    }
  }

  private static io.portal.store.proto.WriteReply writeReply(PartitionActor.WriteReply reply) {
    var builder = io.portal.store.proto.WriteReply.newBuilder();
    if (reply instanceof PartitionActor.WriteReply.Done done) {
      builder.setDone(WriteDone.newBuilder().setIsDelete(done.outcome().isDelete())
          .setVersion(done.outcome().version()).setDeleted(done.outcome().deleted()));
    } else if (reply instanceof PartitionActor.WriteReply.Mismatch mismatch) {
      builder.setMismatch(WriteMismatch.newBuilder().setExpected(mismatch.expected())
          .setActual(mismatch.actual()));
    } else if (reply instanceof PartitionActor.WriteReply.StorageFull full) {
      builder.setStorageFull(full.message());
    } else {
      builder.setUnavailable(((PartitionActor.WriteReply.Unavailable) reply).message());
    }
    return builder.build();
  }

  private static PartitionActor.WriteReply writeReply(io.portal.store.proto.WriteReply reply)
      throws NotSerializableException {
    return switch (reply.getReplyCase()) {
      case DONE -> new PartitionActor.WriteReply.Done(new Outcome(reply.getDone().getIsDelete(),
          reply.getDone().getVersion(), reply.getDone().getDeleted()));
      case MISMATCH -> new PartitionActor.WriteReply.Mismatch(reply.getMismatch().getExpected(),
          reply.getMismatch().getActual());
      case UNAVAILABLE -> new PartitionActor.WriteReply.Unavailable(reply.getUnavailable());
      case STORAGE_FULL -> new PartitionActor.WriteReply.StorageFull(reply.getStorageFull());
      case REPLY_NOT_SET -> throw new NotSerializableException("empty write-reply");
    };
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  private String path(ActorRef<?> ref) {
    return resolver().toSerializationFormat(ref);
  }

  private <T> ActorRef<T> ref(String path) {
    return resolver().resolveActorRef(path);
  }

  private static io.portal.store.proto.Origin origin(Origin origin) {
    return StoreSerializer.toProto(origin);
  }

  private static Origin origin(io.portal.store.proto.Origin origin) {
    return StoreSerializer.fromProto(origin);
  }
}
