import { CAPACITY_TICK_MS } from "../capacity/model.ts";
import type { ExchangeInstance } from "./instance.ts";
import type { ExchangeMetrics } from "./metrics.ts";

/**
 * One shared tick moves the venue's clock (Venue.advanceClock: the provisioning loop, market
 * steps no request carried, each wall second of the timeline closed), and hands every closed
 * second to the metrics: no per-request timers. It follows a reset venue (read at each tick).
 * Returns the function that stops it.
 */
export function startVenueTick(
  instance: ExchangeInstance,
  metrics: ExchangeMetrics,
  now: () => number,
): () => void {
  const secondClosed = metrics.second.bind(metrics);
  const tick = setInterval(() => instance.venue.advanceClock(now(), secondClosed), CAPACITY_TICK_MS);
  // The exchange's life is its listener's: a tick alone must not keep the process up.
  tick.unref();
  return () => clearInterval(tick);
}
