package io.portal.store;

import com.google.protobuf.ByteString;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.portal.server.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.slf4j.LoggerFactory;

/**
 * How many single-event persists per second the journal the store prescribes (pekko-persistence-jdbc on Portal's
 * embedded H2 file, with Portal's settings and tables) allows on this machine with nothing of Portal around it: 64
 * plain event-sourced entities, no sharding, no TCP, no group commit, no snapshots, no deletions and no upkeep
 * (fsync, compaction), and 50 client actors in the same JVM, each asking a random entity to persist one
 * {@link Applied} event with one 100-byte put and waiting for the reply before asking again. That is the shape of
 * durable SET at 50 connections and pipeline 1, where a partition's group commit nearly always holds one write
 * (a 60 s run persisted 344 811 events for 374 531 writes). {@code inmem} runs the same on Pekko's in-memory
 * journal.
 *
 * <p>Not a test: {@code bench/journal-ceiling.sh} runs it beside Portal and etcd (docs/BENCHMARKS.md). Usage:
 * {@code JournalCeilingProbe jdbc|inmem <data folder> <warm-up seconds> <seconds>}; prints persists/s and the
 * process's CPU time per persist over the measured seconds.
 */
public final class JournalCeilingProbe {
  private static final int ENTITIES = 64;
  private static final int CLIENTS = 50;
  private static final ByteString VALUE = ByteString.copyFrom(new byte[100]);

  private JournalCeilingProbe() {
  }

  /** Persist one event and reply when it is written. */
  record Persist(ByteString key, ActorRef<Done> replyTo) {
  }

  public static void main(String[] args) throws Exception {
    LoggerFactory.getLogger(JournalCeilingProbe.class); // SLF4J set up before Pekko logs
    String journal = args[0];
    Path dataDir = Path.of(args[1]).toAbsolutePath();
    int warmupSeconds = Integer.parseInt(args[2]);
    int seconds = Integer.parseInt(args[3]);
    Files.createDirectories(dataDir);
    Map<String, Object> settings = switch (journal) {
      case "jdbc" -> Map.of();
      case "inmem" -> Map.of(
          "pekko.persistence.journal.plugin", "pekko.persistence.journal.inmem",
          "pekko.persistence.snapshot-store.plugin", "pekko.persistence.snapshot-store.local",
          "pekko.persistence.snapshot-store.local.dir", dataDir.resolve("snapshots").toString());
      default -> throw new IllegalArgumentException("journal must be jdbc or inmem, not " + journal);
    };
    Config config = ConfigLoader.resolve(ConfigFactory.parseMap(settings)
        .withFallback(ConfigFactory.parseMap(Map.of(
            "portal.store.data-dir", dataDir.toString(),
            "pekko.actor.provider", "local",
            "pekko.loglevel", "WARNING"))));
    if (journal.equals("jdbc")) {
      H2CommitLeakFix.apply(); // as the server does, before anything opens H2
      JournalSchema.ensure(config, ENTITIES);
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "probe", config);
    List<ActorRef<Persist>> entities = new java.util.ArrayList<>();
    for (int i = 0; i < ENTITIES; i++) {
      entities.add(system.systemActorOf(new Entity(PersistenceId.ofUniqueId("probe-" + i)), "entity-" + i,
          org.apache.pekko.actor.typed.Props.empty()));
    }
    LongAdder done = new LongAdder();
    for (int client = 0; client < CLIENTS; client++) {
      system.systemActorOf(client(entities, done), "client-" + client, org.apache.pekko.actor.typed.Props.empty());
    }
    long start = System.nanoTime();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpuFrom = 0;
    long measureFrom = 0;
    long countFrom = 0;
    for (int second = 1; second <= warmupSeconds + seconds; second++) {
      Thread.sleep(Math.max(0, start + second * 1_000_000_000L - System.nanoTime()) / 1_000_000);
      if (second == warmupSeconds) {
        measureFrom = System.nanoTime();
        countFrom = done.sum();
        cpuFrom = os.getProcessCpuTime();
      }
      if (second % 5 == 0) {
        System.out.printf("%4d s  %,d persisted%n", second, done.sum());
      }
    }
    long persisted = done.sum() - countFrom;
    double rate = persisted / ((System.nanoTime() - measureFrom) / 1e9);
    System.out.printf("journal %s: %,.0f persists/s over %d s after %d s of warm-up, %.0f us of process CPU each%n",
        journal, rate, seconds, warmupSeconds, (os.getProcessCpuTime() - cpuFrom) / 1e3 / persisted);
    Runtime.getRuntime().halt(0); // no shutdown: the journal would fail the persists still in flight, loudly
  }

  /** A client: asks a random entity to persist, and again as soon as the reply is in (one write in flight). */
  private static Behavior<Done> client(List<ActorRef<Persist>> entities, LongAdder done) {
    return Behaviors.setup(context -> {
      Runnable next = () -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        entities.get(random.nextInt(ENTITIES))
            .tell(new Persist(ByteString.copyFromUtf8("key-" + random.nextInt(100_000)), context.getSelf()));
      };
      next.run();
      return Behaviors.receiveMessage(reply -> {
        done.increment();
        next.run();
        return Behaviors.same();
      });
    });
  }

  /** Persists one event per command, replies once it is written; its state is the count of events. */
  private static final class Entity extends EventSourcedBehavior<Persist, Applied, Long> {
    Entity(PersistenceId id) {
      super(id);
    }

    @Override
    public Long emptyState() {
      return 0L;
    }

    @Override
    public CommandHandler<Persist, Applied, Long> commandHandler() {
      return newCommandHandlerBuilder().forAnyState().onCommand(Persist.class, (state, command) -> Effect()
          .persist(new Applied(System.currentTimeMillis(),
              List.of(new Change.Put(command.key(), VALUE, state + 1, 0, null))))
          .thenReply(command.replyTo(), ignored -> Done.getInstance())).build();
    }

    @Override
    public EventHandler<Long, Applied> eventHandler() {
      return newEventHandlerBuilder().forAnyState().onAnyEvent((state, event) -> state + 1);
    }
  }
}
