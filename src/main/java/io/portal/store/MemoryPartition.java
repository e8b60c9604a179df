package io.portal.store;

import com.google.protobuf.ByteString;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * One partition of the in-memory store. Owns a plain map from key to value and version; it lives as long as the
 * server and its data dies with it. Commands are handled one at a time, so every operation on a key is atomic and
 * ordered.
 */
final class MemoryPartition extends AbstractBehavior<MemoryPartition.Command> {

  sealed interface Command {
  }

  record Get(ByteString key, ActorRef<Optional<Versioned>> replyTo) implements Command {
  }

  record Set(ByteString key, ByteString value, ActorRef<Long> replyTo) implements Command {
  }

  record Delete(ByteString key, ActorRef<Boolean> replyTo) implements Command {
  }

  private final Map<ByteString, Versioned> entries = new HashMap<>();

  static Behavior<Command> create() {
    return Behaviors.setup(MemoryPartition::new);
  }

  private MemoryPartition(ActorContext<Command> context) {
    super(context);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Get.class, this::onGet)
        .onMessage(Set.class, this::onSet)
        .onMessage(Delete.class, this::onDelete)
        .build();
  }

  private Behavior<Command> onGet(Get get) {
    get.replyTo().tell(Optional.ofNullable(entries.get(get.key())));
    return this;
  }

  private Behavior<Command> onSet(Set set) {
    Versioned previous = entries.get(set.key());
    long version = previous == null ? 1 : previous.version() + 1;
    entries.put(set.key(), new Versioned(set.value(), version));
    set.replyTo().tell(version);
    return this;
  }

  private Behavior<Command> onDelete(Delete delete) {
    delete.replyTo().tell(entries.remove(delete.key()) != null);
    return this;
  }
}
