package io.portal.store;

import com.google.protobuf.InvalidProtocolBufferException;
import io.portal.store.proto.DedupRecord.Builder;
import io.portal.store.proto.PartitionSnapshot;
import io.portal.store.proto.SnapshotEntry;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes partition events ({@link Applied}) and snapshots ({@link PartitionState}) as the protobuf messages of
 * {@code proto/store.proto}. Manifests are fixed strings, not class names, so classes can move without breaking
 * existing journals; a new format gets a new manifest and both are read. Bound in reference.conf.
 */
public final class StoreSerializer extends SerializerWithStringManifest {
  /** Serializer id; ids below 100 belong to Pekko. Never change it: it is stored beside every event. */
  public static final int IDENTIFIER = 7701;
  static final String APPLIED = "applied-v1";
  static final String SNAPSHOT = "snapshot-v1";

  public StoreSerializer(ExtendedActorSystem system) {
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Applied) {
      return APPLIED;
    } else if (o instanceof PartitionState) {
      return SNAPSHOT;
    }
    throw new IllegalArgumentException("StoreSerializer cannot write " + o.getClass().getName());
  }

  @Override
  public byte[] toBinary(Object o) {
    if (o instanceof Applied applied) {
      return toProto(applied).toByteArray();
    } else if (o instanceof PartitionState state) {
      return toProto(state).toByteArray();
    }
    throw new IllegalArgumentException("StoreSerializer cannot write " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case APPLIED -> fromProto(io.portal.store.proto.Applied.parseFrom(bytes));
        case SNAPSHOT -> fromProto(PartitionSnapshot.parseFrom(bytes));
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "' for StoreSerializer");
      };
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("corrupt " + manifest + " of " + bytes.length + " bytes", e);
    }
  }

  static io.portal.store.proto.Applied toProto(Applied applied) {
    var builder = io.portal.store.proto.Applied.newBuilder().setTimestampMillis(applied.timestampMillis());
    for (Change change : applied.changes()) {
      var protoChange = io.portal.store.proto.Change.newBuilder();
      if (change instanceof Change.Put put) {
        var p = io.portal.store.proto.Put.newBuilder().setKey(put.key()).setValue(put.value())
            .setVersion(put.version()).setExpiresAtMillis(put.expiresAtMillis());
        if (put.origin() != null) {
          p.setOrigin(toProto(put.origin()));
        }
        protoChange.setPut(p);
      } else {
        Change.Removal removal = (Change.Removal) change;
        var r = io.portal.store.proto.Removal.newBuilder().setKey(removal.key()).setExpired(removal.expired())
            .setExisted(removal.existed());
        if (removal.origin() != null) {
          r.setOrigin(toProto(removal.origin()));
        }
        protoChange.setRemoval(r);
      }
      builder.addChanges(protoChange);
    }
    return builder.build();
  }

  static Applied fromProto(io.portal.store.proto.Applied proto) {
    List<Change> changes = new ArrayList<>(proto.getChangesCount());
    for (var change : proto.getChangesList()) {
      switch (change.getChangeCase()) {
        case PUT -> {
          var p = change.getPut();
          changes.add(new Change.Put(p.getKey(), p.getValue(), p.getVersion(), p.getExpiresAtMillis(),
              p.hasOrigin() ? fromProto(p.getOrigin()) : null));
        }
        case REMOVAL -> {
          var r = change.getRemoval();
          changes.add(new Change.Removal(r.getKey(), r.getExpired(), r.getExisted(),
              r.hasOrigin() ? fromProto(r.getOrigin()) : null));
        }
        default -> throw new IllegalArgumentException("change with no content in applied-v1");
      }
    }
    return new Applied(proto.getTimestampMillis(), changes);
  }

  static PartitionSnapshot toProto(PartitionState state) {
    var builder = PartitionSnapshot.newBuilder();
    for (var it = state.entries(); it.hasNext(); ) {
      Map.Entry<com.google.protobuf.ByteString, Entry> e = it.next();
      builder.addEntries(SnapshotEntry.newBuilder().setKey(e.getKey()).setValue(e.getValue().value())
          .setVersion(e.getValue().version()).setExpiresAtMillis(e.getValue().expiresAtMillis()));
    }
    for (var it = state.dedupRecords(); it.hasNext(); ) {
      DedupRecord record = it.next();
      Builder r = io.portal.store.proto.DedupRecord.newBuilder().setOrigin(toProto(record.origin()))
          .setTimestampMillis(record.timestampMillis()).setIsDelete(record.outcome().isDelete())
          .setVersion(record.outcome().version()).setDeleted(record.outcome().deleted());
      builder.addDedup(r);
    }
    return builder.build();
  }

  static PartitionState fromProto(PartitionSnapshot proto) {
    List<Map.Entry<com.google.protobuf.ByteString, Entry>> entries = new ArrayList<>(proto.getEntriesCount());
    for (SnapshotEntry e : proto.getEntriesList()) {
      entries.add(Map.entry(e.getKey(), new Entry(e.getValue(), e.getVersion(), e.getExpiresAtMillis())));
    }
    List<DedupRecord> dedup = new ArrayList<>(proto.getDedupCount());
    for (var d : proto.getDedupList()) {
      dedup.add(new DedupRecord(fromProto(d.getOrigin()), d.getTimestampMillis(),
          new Outcome(d.getIsDelete(), d.getVersion(), d.getDeleted())));
    }
    return PartitionState.of(entries, dedup);
  }

  static io.portal.store.proto.Origin toProto(Origin origin) {
    return io.portal.store.proto.Origin.newBuilder().setClientId(origin.clientId())
        .setRequestId(origin.requestId()).build();
  }

  static Origin fromProto(io.portal.store.proto.Origin origin) {
    return new Origin(origin.getClientId(), origin.getRequestId());
  }
}
