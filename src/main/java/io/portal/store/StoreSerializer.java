package io.portal.store;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
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
      return snapshotBytes(state);
    }
    throw new IllegalArgumentException("StoreSerializer cannot write " + o.getClass().getName());
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    try {
      return switch (manifest) {
        case APPLIED -> fromProto(io.portal.store.proto.Applied.parseFrom(bytes));
        case SNAPSHOT -> snapshotOf(bytes);
        default -> throw new NotSerializableException("unknown manifest '" + manifest + "' for StoreSerializer");
      };
    } catch (java.io.IOException e) {
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

  /**
   * The snapshot as a {@code PartitionSnapshot} message, written field by field rather than built as one: a
   * partition of a million keys would otherwise need a million message objects on the way.
   */
  static byte[] snapshotBytes(PartitionState state) {
    List<io.portal.store.proto.DedupRecord> dedup = new ArrayList<>(state.dedupSize());
    for (var it = state.dedupRecords(); it.hasNext(); ) {
      DedupRecord record = it.next();
      dedup.add(io.portal.store.proto.DedupRecord.newBuilder().setOrigin(toProto(record.origin()))
          .setTimestampMillis(record.timestampMillis()).setIsDelete(record.outcome().isDelete())
          .setVersion(record.outcome().version()).setDeleted(record.outcome().deleted()).build());
    }
    long total = 0;
    for (var it = state.entries(); it.hasNext(); ) {
      var e = it.next();
      int size = entrySize(e.getKey(), e.getValue());
      total += CodedOutputStream.computeTagSize(1) + CodedOutputStream.computeUInt32SizeNoTag(size) + size;
    }
    for (var record : dedup) {
      total += CodedOutputStream.computeMessageSize(2, record);
    }
    if (state.revision() != 0) {
      total += CodedOutputStream.computeInt64Size(3, state.revision());
    }
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("a snapshot of " + state.size() + " keys would take " + total
          + " bytes, more than one array holds");
    }
    byte[] bytes = new byte[(int) total];
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      for (var it = state.entries(); it.hasNext(); ) {
        var e = it.next();
        Entry entry = e.getValue();
        out.writeTag(1, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(entrySize(e.getKey(), entry));
        out.writeBytes(1, e.getKey());
        out.writeBytes(2, entry.value());
        if (entry.version() != 0) {
          out.writeInt64(3, entry.version());
        }
        if (entry.expiresAtMillis() != 0) {
          out.writeInt64(4, entry.expiresAtMillis());
        }
      }
      for (var record : dedup) {
        out.writeMessage(2, record);
      }
      if (state.revision() != 0) {
        out.writeInt64(3, state.revision());
      }
      out.checkNoSpaceLeft();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("writing a snapshot of " + state.size() + " keys", e);
    }
    return bytes;
  }

  private static int entrySize(ByteString key, Entry entry) {
    return CodedOutputStream.computeBytesSize(1, key) + CodedOutputStream.computeBytesSize(2, entry.value())
        + (entry.version() != 0 ? CodedOutputStream.computeInt64Size(3, entry.version()) : 0)
        + (entry.expiresAtMillis() != 0 ? CodedOutputStream.computeInt64Size(4, entry.expiresAtMillis()) : 0);
  }

  /** Reads what {@link #snapshotBytes} wrote (any {@code PartitionSnapshot}), entry by entry into the state. */
  static PartitionState snapshotOf(byte[] bytes) throws java.io.IOException {
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    in.setSizeLimit(Integer.MAX_VALUE);
    PartitionState.Loader loader = new PartitionState.Loader();
    List<DedupRecord> dedup = new ArrayList<>();
    long revision = 0;
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> {
          int limit = in.pushLimit(in.readRawVarint32());
          ByteString key = ByteString.EMPTY;
          int valueAt = 0;
          int valueLength = 0;
          long version = 0;
          long expiresAt = 0;
          for (int field = in.readTag(); field != 0; field = in.readTag()) {
            switch (WireFormat.getTagFieldNumber(field)) {
              case 1 -> key = in.readBytes();
              case 2 -> { // copied once, straight into the entry's record
                valueLength = in.readRawVarint32();
                valueAt = in.getTotalBytesRead();
                in.skipRawBytes(valueLength);
              }
              case 3 -> version = in.readInt64();
              case 4 -> expiresAt = in.readInt64();
              default -> in.skipField(field);
            }
          }
          in.popLimit(limit);
          loader.put(key, bytes, valueAt, valueLength, version, expiresAt);
        }
        case 2 -> {
          var d = in.readMessage(io.portal.store.proto.DedupRecord.parser(),
              com.google.protobuf.ExtensionRegistryLite.getEmptyRegistry());
          dedup.add(new DedupRecord(fromProto(d.getOrigin()), d.getTimestampMillis(),
              new Outcome(d.getIsDelete(), d.getVersion(), d.getDeleted())));
        }
        case 3 -> revision = in.readInt64();
        default -> in.skipField(tag);
      }
    }
    return loader.build(dedup, revision);
  }

  static io.portal.store.proto.Origin toProto(Origin origin) {
    return io.portal.store.proto.Origin.newBuilder().setClientId(origin.clientId())
        .setRequestId(origin.requestId()).build();
  }

  static Origin fromProto(io.portal.store.proto.Origin origin) {
    return new Origin(origin.getClientId(), origin.getRequestId());
  }
}
