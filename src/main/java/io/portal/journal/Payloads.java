package io.portal.journal;

import com.google.protobuf.ByteString;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/** Pekko serialization of payloads for the journal: the serializer's id and manifest travel with the bytes. */
final class Payloads {
  /** A serialized payload. */
  record Serialized(int serializerId, String manifest, ByteString bytes) {
  }

  private final Serialization serialization;

  Payloads(Serialization serialization) {
    this.serialization = serialization;
  }

  /** Serializes {@code payload} with the serializer bound to its class; throws when none fits or it fails. */
  Serialized serialize(Object payload) {
    Serializer serializer = serialization.findSerializerFor(payload);
    return new Serialized(serializer.identifier(), Serializers.manifestFor(serializer, payload),
        ByteString.copyFrom(serializer.toBinary(payload)));
  }

  /** The payload back; throws when its serializer is unknown or the bytes do not read. */
  Object deserialize(int serializerId, String manifest, ByteString bytes) {
    return serialization.deserialize(bytes.toByteArray(), serializerId, manifest).get();
  }
}
