import {
  type BehaviourMix,
  type BehaviourName,
  classMix,
  clientBehaviour,
  clientShares,
  HONOURS_RETRY_AFTER,
  PANICKED,
  TRADER,
} from "../../loadtests/lib/behaviours.ts";
import type { TrafficClass } from "../../reports/model.ts";

/**
 * What the k6 drill's behaviours (loadtests/scenarios/, deciding with loadtests/lib/behaviours.ts)
 * do per iteration, reduced to the numbers the simulator needs, so a simulated run offers the
 * venue the same mix as a drill. The shares are derived from the decision functions' constants;
 * test/unit/simulate.test.ts runs the decision functions and checks the shares against them.
 */

/** IP request weight per request (mock-exchange/api/routes.ts; depth at limit=5). */
export const WEIGHT: Record<TrafficClass, number> & { cancel: number } = {
  order: 0, // a new order counts on the order limits, not the IP weight
  cancel: 1,
  position: 5,
  depth: 2,
};

/** Share of a trader's new orders that rest: passive LIMIT orders (0.5 x 0.8 = 0.4). */
const PASSIVE_SHARE = (1 - TRADER.marketP) * (1 - TRADER.crossP);

/**
 * Share of trader iterations that cancel a resting order. A session keeps its resting order until
 * it cancels it (probability c = 0.3 per iteration when it has one; a new passive order replaces
 * it); a session without one gets one from a new order with probability q = 0.4 (passive LIMIT).
 * The chance r of having one solves r = (1 - c) r + q (1 - r), so r = q / (c + q) = 0.4 / 0.7,
 * and cancels are c r of the iterations.
 */
export const CANCEL_SHARE = TRADER.cancelP * (PASSIVE_SHARE / (TRADER.cancelP + PASSIVE_SHARE));

/**
 * Share of a trader's new orders that fill at once: half are MARKET, and a fifth of the LIMIT ones
 * are priced through the touch. Each fill is followed by a read-back of the position (checked for
 * read-your-writes), a position-class request on top of the profile's position rate.
 */
export const FILL_SHARE = TRADER.marketP + (1 - TRADER.marketP) * TRADER.crossP;

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

// ---- behaviours as request sequences ------------------------------------------------------------

/** One request as the venue sees it. */
export interface SimRequest {
  cls: TrafficClass;
  /** IP request weight. */
  weight: number;
  /** Passes priority shedding: cancels, reduce-only and closePosition orders (mock-exchange/venue.ts isPriority). */
  priority: boolean;
  /** Places an order: counts on the account's order-rate limits. */
  places: boolean;
  /** Chance it fills at once when served; a fill is followed by a read-back (checked for staleness). */
  fillShare: number;
}

/** One request of an iteration: one of `options` with its probability (the rest: none is sent). */
export interface SimStep {
  options: ReadonlyArray<{ p: number; request: SimRequest }>;
  /** Sent only when the previous step's request was served (the closer needs its position). */
  onlyIfServed: boolean;
  /** Sent only when the previous step's request was refused at once by the limits (429 or 418): a retry. */
  onlyIfLimited: boolean;
}

/** An iteration: steps sent one after another, each after the previous response. */
export interface SimBehaviour {
  name: BehaviourName;
  /** The class whose scenario runs it (its sessions are that class's VUs). */
  cls: TrafficClass;
  steps: readonly SimStep[];
  /** Waits out Retry-After instead of sending (patient-checker). */
  honoursRetryAfter: boolean;
}

const READ: SimRequest = {
  cls: "position",
  weight: WEIGHT.position,
  priority: false,
  places: false,
  fillShare: 0,
};
const DEPTH: SimRequest = {
  cls: "depth",
  weight: WEIGHT.depth,
  priority: false,
  places: false,
  fillShare: 0,
};
const CANCEL: SimRequest = {
  cls: "order",
  weight: WEIGHT.cancel,
  priority: true,
  places: false,
  fillShare: 0,
};
const newOrder = (fillShare: number, priority: boolean): SimRequest => ({
  cls: "order",
  weight: WEIGHT.order,
  priority,
  places: true,
  fillShare,
});

/**
 * market-maker: share of iterations that start by cancelling the previous quote. The maker posts
 * a quote every iteration and cancels it the next, so every iteration but a session's first, and
 * those after a post that was refused or did not rest, cancels: 1 (an upper bound).
 */
export const MAKER_REQUOTE_SHARE = 1;
/** stop-loss-submitter: share of iterations that replace a working stop (as MAKER_REQUOTE_SHARE: 1, an upper bound). */
export const STOP_REPLACE_SHARE = 1;
/**
 * reduce-only-closer: share of its served reads after which it closes (closerOrder,
 * loadtests/lib/behaviours.ts); after the others it is flat and re-enters at market. Its account
 * has no other flow (behaviour belongs to the client), so per symbol it alternates: re-enter,
 * close, re-enter, ...: a half. Ignored: the replica's lag (a read older than the closer's last
 * fill re-enters twice, or sends a close the venue refuses, -2022) and refused orders (which
 * leave the position as it was, so the alternation only waits).
 */
export const CLOSER_CLOSE_SHARE = 0.5;

const step = (options: SimStep["options"], onlyIfServed = false): SimStep => ({
  options,
  onlyIfServed,
  onlyIfLimited: false,
});
const retry = (request: SimRequest): SimStep => ({
  options: [{ p: 1, request }],
  onlyIfServed: false,
  onlyIfLimited: true,
});

/** Every behaviour as the requests of one iteration (loadtests/scenarios/<behaviour>.ts). */
export const SIM_BEHAVIOURS: Readonly<Record<BehaviourName, SimBehaviour>> = {
  trader: {
    name: "trader",
    cls: "order",
    steps: [
      step([
        { p: CANCEL_SHARE, request: CANCEL },
        { p: 1 - CANCEL_SHARE, request: newOrder(FILL_SHARE, false) },
      ]),
    ],
    honoursRetryAfter: HONOURS_RETRY_AFTER.trader,
  },
  // Post-only quotes 1-3 ticks from mid rest: none fills at once.
  "market-maker": {
    name: "market-maker",
    cls: "order",
    steps: [
      step([{ p: MAKER_REQUOTE_SHARE, request: CANCEL }]),
      step([{ p: 1, request: newOrder(0, false) }]),
    ],
    honoursRetryAfter: HONOURS_RETRY_AFTER["market-maker"],
  },
  // MARKET orders of 1-10 lots against a house ladder of 5,000 lots per level fill.
  taker: {
    name: "taker",
    cls: "order",
    steps: [step([{ p: 1, request: newOrder(1, false) }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER.taker,
  },
  // Stops wait for their trigger: none fills at once.
  "stop-loss-submitter": {
    name: "stop-loss-submitter",
    cls: "order",
    steps: [
      step([{ p: 1, request: READ }]),
      step([{ p: STOP_REPLACE_SHARE, request: CANCEL }]),
      step([{ p: 1, request: newOrder(0, true) }]),
    ],
    honoursRetryAfter: HONOURS_RETRY_AFTER["stop-loss-submitter"],
  },
  "reduce-only-closer": {
    name: "reduce-only-closer",
    cls: "order",
    steps: [
      step([{ p: 1, request: READ }]),
      step(
        [
          { p: CLOSER_CLOSE_SHARE, request: newOrder(1, true) },
          { p: 1 - CLOSER_CLOSE_SHARE, request: newOrder(1, false) },
        ],
        true,
      ),
    ],
    honoursRetryAfter: HONOURS_RETRY_AFTER["reduce-only-closer"],
  },
  // A read refused at once is sent again at once (PANICKED.retries).
  "panicked-checker": {
    name: "panicked-checker",
    cls: "position",
    steps: [step([{ p: 1, request: READ }]), ...Array.from({ length: PANICKED.retries }, () => retry(READ))],
    honoursRetryAfter: HONOURS_RETRY_AFTER["panicked-checker"],
  },
  "patient-checker": {
    name: "patient-checker",
    cls: "position",
    steps: [step([{ p: 1, request: READ }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER["patient-checker"],
  },
  "book-watcher": {
    name: "book-watcher",
    cls: "depth",
    steps: [step([{ p: 1, request: DEPTH }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER["book-watcher"],
  },
};

/** The read-back after a fill: a position read checked for read-your-writes. */
export const READBACK: SimRequest = READ;

/** Each client's behaviour in a class as the simulator runs it (clientBehaviour, as the drill assigns it). */
export function clientSimBehaviours(
  mix: BehaviourMix | undefined,
  cls: TrafficClass,
  clients: number,
): SimBehaviour[] {
  const m = classMix(mix, cls);
  return Array.from({ length: clients }, (_, i) => SIM_BEHAVIOURS[clientBehaviour(m, i, clients)]);
}

/** Expected requests per iteration, by kind (the aggregate simulator's view of a behaviour). */
export interface IterationMix {
  /** Position reads that are not read-backs. */
  reads: number;
  depth: number;
  cancels: number;
  /** New orders without priority. */
  newOrders: number;
  /** Reduce-only and closePosition orders (pass priority shedding). */
  priorityOrders: number;
  /** New orders expected to fill at once, of each kind (each followed by a read-back). */
  newOrderFills: number;
  priorityFills: number;
  /**
   * New orders sent only when the read before them was served (the closer's close or
   * re-entry), of them those with priority and those that fill; not in the counts above.
   */
  afterRead: number;
  afterReadPriority: number;
  afterReadFills: number;
  /** Position reads sent again at once after a limit refusal, per refused read (panicked-checker). */
  retriesPerRefusal: number;
}

const emptyIterationMix = (): IterationMix => ({
  reads: 0,
  depth: 0,
  cancels: 0,
  newOrders: 0,
  priorityOrders: 0,
  newOrderFills: 0,
  priorityFills: 0,
  afterRead: 0,
  afterReadPriority: 0,
  afterReadFills: 0,
  retriesPerRefusal: 0,
});

/** Adds `share` iterations of a behaviour to `out`. */
function addBehaviour(out: IterationMix, b: SimBehaviour, share: number): IterationMix {
  for (const s of b.steps) {
    for (const { p, request: r } of s.options) {
      const n = share * p;
      // A retry follows a refusal of the request before (PANICKED: reads only, refused again
      // after a 429 in the same exhausted window or in a ban; the aggregate counts it so).
      if (s.onlyIfLimited) {
        out.retriesPerRefusal += n;
        continue;
      }
      if (r.cls === "position") out.reads += n;
      else if (r.cls === "depth") out.depth += n;
      else if (!r.places) out.cancels += n;
      else if (s.onlyIfServed) {
        out.afterRead += n;
        if (r.priority) out.afterReadPriority += n;
        out.afterReadFills += n * r.fillShare;
      } else if (r.priority) {
        out.priorityOrders += n;
        out.priorityFills += n * r.fillShare;
      } else {
        out.newOrders += n;
        out.newOrderFills += n * r.fillShare;
      }
    }
  }
  return out;
}

/**
 * Expected requests per iteration of one behaviour, every step counted as sent except those
 * that need the previous one served (`afterRead`: the aggregate simulator scales them by the
 * share of reads served) or refused (`retriesPerRefusal`).
 */
export function behaviourIterationMix(name: BehaviourName): IterationMix {
  return addBehaviour(emptyIterationMix(), SIM_BEHAVIOURS[name], 1);
}

/**
 * Expected requests per iteration of a class over its clients: each behaviour weighted by its
 * share of the clients (clientShares; every client gets the same share of the class's iterations).
 */
export function iterationMix(
  mix: BehaviourMix | undefined,
  cls: TrafficClass,
  clients: number,
): IterationMix {
  const out = emptyIterationMix();
  for (const [name, share] of clientShares(classMix(mix, cls), clients))
    addBehaviour(out, SIM_BEHAVIOURS[name], share);
  return out;
}
