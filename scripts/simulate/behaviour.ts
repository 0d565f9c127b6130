import type { TrafficClass } from "../../reports/model.ts";

/**
 * What the k6 drill script (loadtests/drill.ts) does per iteration, reduced to the numbers the
 * simulator needs, so a simulated run offers the venue the same mix as a drill. Kept next to
 * the simulator and checked against the script's constants in test/unit/simulate.test.ts.
 */

/** IP request weight per request (mock-exchange/api/routes.ts; depth at limit=5). */
export const WEIGHT: Record<TrafficClass, number> & { cancel: number } = {
  order: 0, // a new order counts on the order limits, not the IP weight
  cancel: 1,
  position: 5,
  depth: 2,
};

/**
 * Share of order iterations that cancel a resting order. A VU keeps its resting order until it
 * cancels it (probability 0.3 per iteration when it has one); a VU without one gets one from a
 * new order with probability 0.4 (passive LIMIT). The chance r of having one solves
 * r = 0.7 r + 0.4 (1 - r), so r = 0.4 / 0.7 and cancels are 0.3 r of the iterations.
 */
export const CANCEL_SHARE = 0.3 * (0.4 / 0.7);

/**
 * Share of new orders that fill at once: half are MARKET, and a fifth of the LIMIT ones are
 * priced through the touch. Each fill is followed by a read-back of the position (checked for
 * read-your-writes), a position-class request on top of the profile's position rate.
 */
export const FILL_SHARE = 0.5 + 0.5 * 0.2;

/** Between an order's acknowledgement and its read-back leaving the client, ms (loopback k6). */
export const READBACK_DELAY_MS = 0.5;

/**
 * Position changes a fill writes to the replica: the taker's and the maker's (the house ladder
 * or another client's resting order). Orders of 1-10 lots rarely sweep more than one level of
 * the house ladder (5,000 lots per level), so two.
 */
export const WRITES_PER_FILL = 2;

/** Account id the simulator uses for the makers' side of fills (never a client's). */
export const MAKER_ACCOUNT = -1;

/**
 * What a drill's client adds to the server's time: the loopback round trip and k6's own
 * handling. Measured as the median latency of refused (429) requests in default drills, which
 * the server answers at once: 0.5-0.6 ms on this machine. Added to every simulated response so
 * refusals do not show as 0 ms.
 */
export const CLIENT_OVERHEAD_MS = 0.5;
