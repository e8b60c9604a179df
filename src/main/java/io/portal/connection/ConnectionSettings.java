package io.portal.connection;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.time.Duration;

import static io.portal.config.ConfigValues.durationOrOff;
import static io.portal.config.ConfigValues.intIn;
import static io.portal.config.ConfigValues.positiveBytes;
import static io.portal.config.ConfigValues.positiveDuration;

/**
 * Per-connection limits, read once from {@code portal.connection}, {@code portal.protocol} and
 * {@code portal.server.idle-timeout}. Every field is documented in reference.conf.
 *
 * @param maxInFlight          requests read but not yet answered before the connection stops reading
 * @param outboundHardLimit    bytes held for the client above which the connection is closed at once
 * @param outboundSoftLimit    bytes held for the client that, if exceeded for {@code outboundSoftDuration}, close it
 * @param outboundSoftDuration how long the soft limit may be exceeded continuously
 * @param writeBatchBytes      responses are coalesced into socket writes of up to this many bytes
 * @param idleTimeout          a connection that sends nothing for this long is closed; {@link Duration#ZERO} = never
 * @param closeTimeout         how long a graceful close may wait for the client to take its last responses
 * @param maxPayloadBytes      largest frame payload accepted
 * @param maxKeyBytes          largest key accepted
 * @param readBatchBytes       frames that arrive while the connection actor is busy are handed to it together, up
 *                             to this many bytes
 * @param frameTimeout         how long a frame may stay unfinished while the server waits for its bytes;
 *                             {@link Duration#ZERO} = no limit
 * @param watchMaxPendingBytes bytes held for the client beyond which a watch whose next event arrives is cancelled
 * @param watchMaxOpen         watches open at once on one connection
 */
public record ConnectionSettings(
    int maxInFlight,
    long outboundHardLimit,
    long outboundSoftLimit,
    Duration outboundSoftDuration,
    int writeBatchBytes,
    Duration idleTimeout,
    Duration closeTimeout,
    int maxPayloadBytes,
    int maxKeyBytes,
    int readBatchBytes,
    Duration frameTimeout,
    long watchMaxPendingBytes,
    int watchMaxOpen) {

  /** Reads the settings from the root config (paths start with {@code portal.}); names the setting on error. */
  public static ConnectionSettings fromConfig(Config config) {
    long hard = positiveBytes(config, "portal.connection.outbound-hard-limit");
    long soft = positiveBytes(config, "portal.connection.outbound-soft-limit");
    if (soft > hard) {
      throw new ConfigException.BadValue("portal.connection.outbound-soft-limit",
          "soft limit " + soft + " bytes exceeds the hard limit " + hard + " bytes");
    }
    return new ConnectionSettings(
        intIn(config, "portal.connection.max-in-flight", 1, Integer.MAX_VALUE),
        hard,
        soft,
        positiveDuration(config, "portal.connection.outbound-soft-duration"),
        (int) Math.min(Integer.MAX_VALUE, positiveBytes(config, "portal.connection.write-batch-bytes")),
        durationOrOff(config, "portal.server.idle-timeout"),
        positiveDuration(config, "portal.connection.close-timeout"),
        intIn(config, "portal.protocol.max-payload-bytes", 1, Integer.MAX_VALUE - 8),
        intIn(config, "portal.protocol.max-key-bytes", 1, Integer.MAX_VALUE),
        (int) Math.min(Integer.MAX_VALUE, positiveBytes(config, "portal.connection.read-batch-bytes")),
        durationOrOff(config, "portal.protocol.frame-timeout"),
        positiveBytes(config, "portal.watch.max-pending-bytes"),
        intIn(config, "portal.watch.max-per-connection", 1, Integer.MAX_VALUE));
  }
}
