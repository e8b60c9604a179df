package io.portal.journal;

/** Why the journal refuses writes now: {@code diskFull} when its device has no space left, else an I/O error. */
public record WriteTrouble(boolean diskFull, String message) {
}
