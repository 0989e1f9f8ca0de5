package io.attest402.x402.server;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

/**
 * The work a route sells. Runs on the event loop after the payment verified: return a future (use
 * {@code vertx.executeBlocking} for blocking work). A failed future or a status of 400 or more
 * means no settlement (in the {@link PaymentFlow#UPFRONT upfront} flow the route runs after
 * settlement, and its response is delivered whatever its status).
 */
@FunctionalInterface
public interface PaidRoute {
  Future<PaidResponse> handle(RoutingContext ctx, Payment payment);
}
