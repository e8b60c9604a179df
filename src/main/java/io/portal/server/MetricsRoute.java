package io.portal.server;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/** {@code GET /metrics} on the management port: the process's metrics in Prometheus's text format. */
public final class MetricsRoute implements ManagementRouteProvider {
  public MetricsRoute(ExtendedActorSystem system) {
    // the registry is the process's; nothing to keep from the system
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return Directives.path("metrics", () -> Directives.get(() -> Directives.complete(HttpResponse.create()
        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, PortalMetrics.registry().scrape()))));
  }
}
