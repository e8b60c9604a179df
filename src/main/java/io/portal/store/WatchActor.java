package io.portal.store;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * One watch, on the node of the connection that opened it: subscribes to the partitions its key or prefix lives in
 * (wherever they run), checks that each partition's events follow on from the last one it delivered, and hands them
 * to its {@link Watch.Sink}. A partition that stops, moves or is lost (its node died) is subscribed to again from
 * the last revision delivered, so the watch goes on without a gap; when the partition's history no longer reaches
 * back that far, the watch ends as compacted and the client re-lists. Stops when its connection stops it.
 */
public final class WatchActor extends AbstractBehavior<Watch.Message> {
  /** Messages a watch sends itself; never leave the node. */
  sealed interface Local extends Watch.Message {
  }

  private record Resubscribe(int partition) implements Local {
  }

  /** How long to wait before subscribing again to a partition that stopped or was lost. */
  static final Duration RESUBSCRIBE_DELAY = Duration.ofMillis(500);

  private final Watch.Spec spec;
  private final Watch.Sink sink;
  private final IntFunction<RecipientRef<PartitionActor.Command>> partitionRef;
  private final TimerScheduler<Watch.Message> timers;
  /**
   * Per partition followed: the revision of the last event delivered (or where the subscription started), which the
   * partition's next batch must follow on from.
   */
  private final Map<Integer, Long> delivered = new HashMap<>();
  /** Per partition followed: the revision up to which every change has been looked at; where to subscribe again. */
  private final Map<Integer, Long> position = new HashMap<>();
  /** The partition actors that confirmed a subscription, to notice them stop. */
  private final Map<ActorRef<PartitionActor.Command>, Integer> following = new HashMap<>();

  private WatchActor(ActorContext<Watch.Message> context, TimerScheduler<Watch.Message> timers, Watch.Spec spec,
      Watch.Sink sink, int partitions, IntFunction<RecipientRef<PartitionActor.Command>> partitionRef) {
    super(context);
    this.timers = timers;
    this.spec = spec;
    this.sink = sink;
    this.partitionRef = partitionRef;
    if (spec.prefix()) {
      for (int p = 0; p < partitions; p++) {
        start(p);
      }
    } else {
      start(Partitioner.partitionOf(spec.key(), partitions));
    }
  }

  static Behavior<Watch.Message> create(Watch.Spec spec, Watch.Sink sink, int partitions,
      IntFunction<RecipientRef<PartitionActor.Command>> partitionRef) {
    return Behaviors.setup(context -> Behaviors.withTimers(timers ->
        new WatchActor(context, timers, spec, sink, partitions, partitionRef)));
  }

  private void start(int partition) {
    long after = spec.after().getOrDefault(partition, -1L);
    subscribe(partition, after);
  }

  private void subscribe(int partition, long after) {
    delivered.remove(partition);
    partitionRef.apply(partition).tell(new PartitionActor.Subscribe(spec, after, getContext().getSelf()));
    if (after >= 0) {
      delivered.put(partition, after);
      position.put(partition, after);
    }
  }

  @Override
  public Receive<Watch.Message> createReceive() {
    return newReceiveBuilder()
        .onMessage(Watch.Subscribed.class, this::onSubscribed)
        .onMessage(Watch.Batch.class, this::onBatch)
        .onMessage(Watch.Compacted.class, this::onCompacted)
        .onMessage(Watch.Gone.class, gone -> {
          if (delivered.containsKey(gone.partition()) && gone.lastSent() == delivered.get(gone.partition())) {
            advance(gone.partition(), gone.revision()); // everything it had was delivered
          }
          return later(gone.partition());
        })
        .onMessage(Resubscribe.class, again -> {
          subscribe(again.partition(), position.getOrDefault(again.partition(), -1L));
          return this;
        })
        .onSignal(Terminated.class, terminated -> {
          Integer partition = following.remove(terminated.getRef());
          return partition == null ? this : later(partition);
        })
        .onSignal(PostStop.class, stop -> {
          following.keySet().forEach(ref -> ref.tell(new PartitionActor.Unsubscribe(getContext().getSelf())));
          return this;
        })
        .build();
  }

  private Behavior<Watch.Message> onSubscribed(Watch.Subscribed subscribed) {
    Long known = delivered.get(subscribed.partition());
    if (known == null) {
      delivered.put(subscribed.partition(), subscribed.revision());
      advance(subscribed.partition(), subscribed.revision());
    }
    following.values().removeIf(p -> p == subscribed.partition());
    following.put(subscribed.partitionRef(), subscribed.partition());
    getContext().watch(subscribed.partitionRef());
    return this;
  }

  private Behavior<Watch.Message> onBatch(Watch.Batch batch) {
    Long last = delivered.get(batch.partition());
    if (last == null || batch.previous() != last) {
      // a batch lost between nodes, or one of a subscription already replaced: follow on from what was delivered
      getContext().getLog().debug("watch: partition {} sent events after {}, last delivered {}: subscribing again",
          batch.partition(), batch.previous(), last);
      return last == null ? this : later(batch.partition());
    }
    List<Watch.Event> events = batch.events();
    if (!events.isEmpty()) {
      delivered.put(batch.partition(), events.get(events.size() - 1).revision());
      position.put(batch.partition(), events.get(events.size() - 1).revision());
      sink.events(events);
    }
    advance(batch.partition(), batch.upTo());
    return this;
  }

  /** Every change of {@code partition} up to {@code revision} has been looked at: the position moves there. */
  private void advance(int partition, long revision) {
    if (revision > position.getOrDefault(partition, -1L)) {
      position.put(partition, revision);
      sink.progress(partition, revision);
    }
  }

  private Behavior<Watch.Message> onCompacted(Watch.Compacted compacted) {
    sink.ended(true, "partition " + compacted.partition() + " keeps changes after revision "
        + compacted.historyStart() + " only, and the watch needs them from revision "
        + (position.getOrDefault(compacted.partition(), -1L) + 1) + " on: read the keys again and watch from now",
        Map.copyOf(position));
    return Behaviors.stopped();
  }

  private Behavior<Watch.Message> later(int partition) {
    timers.startSingleTimer(new Resubscribe(partition), new Resubscribe(partition), RESUBSCRIBE_DELAY);
    return this;
  }
}
