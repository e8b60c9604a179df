package io.portal.store;

import io.portal.store.proto.WatchBatchMessage;
import io.portal.store.proto.WatchEventMessage;
import io.portal.store.proto.WatchSpecMessage;
import java.util.ArrayList;
import java.util.List;

/** Watch specs and events as the messages of proto/partition.proto, for a partition or a watcher on another node. */
final class WatchMessages {
  private WatchMessages() {
  }

  static WatchSpecMessage spec(Watch.Spec spec) {
    return WatchSpecMessage.newBuilder().setKey(spec.key()).setPrefix(spec.prefix()).putAllAfter(spec.after())
        .setAfterVersion(spec.afterVersion()).build();
  }

  static Watch.Spec spec(WatchSpecMessage message) {
    return new Watch.Spec(message.getKey(), message.getPrefix(), message.getAfterMap(), message.getAfterVersion());
  }

  static WatchBatchMessage batch(Watch.Batch batch) {
    WatchBatchMessage.Builder builder = WatchBatchMessage.newBuilder().setPartition(batch.partition())
        .setPrevious(batch.previous()).setUpTo(batch.upTo());
    for (Watch.Event e : batch.events()) {
      builder.addEvents(WatchEventMessage.newBuilder().setKind(e.kind().ordinal()).setKey(e.key()).setValue(e.value())
          .setVersion(e.version()).setExpiresAtMillis(e.expiresAtMillis()).setPartition(e.partition())
          .setRevision(e.revision()));
    }
    return builder.build();
  }

  static Watch.Batch batch(WatchBatchMessage message) {
    List<Watch.Event> events = new ArrayList<>(message.getEventsCount());
    for (WatchEventMessage e : message.getEventsList()) {
      events.add(new Watch.Event(Watch.Kind.values()[e.getKind()], e.getKey(), e.getValue(), e.getVersion(),
          e.getExpiresAtMillis(), e.getPartition(), e.getRevision()));
    }
    return new Watch.Batch(message.getPartition(), message.getPrevious(), events, message.getUpTo());
  }
}
