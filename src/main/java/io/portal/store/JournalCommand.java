package io.portal.store;

import org.apache.pekko.actor.typed.ActorRef;

/** What a partition actor asks of its journal: persist one group commit. */
record JournalCommand(Applied event, ActorRef<JournalEvent> replyTo) {
}
