import {
  type BehaviourMix,
  type BehaviourName,
  classShares,
  HONOURS_RETRY_AFTER,
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
}

/** An iteration: steps sent one after another, each after the previous response. */
export interface SimBehaviour {
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
 * A fill that flattens an open position exactly: the opposite side (1/2) with the position's
 * size in lots, 1-10 drawn uniformly (1/10), for positions of at most 10 lots, which most are
 * between a closer's visits.
 */
const FLATTEN_SHARE = 0.5 / TRADER.maxLots;

/**
 * reduce-only-closer: share of its served position reads that show a position to close. A
 * client's position in a symbol is opened by a fill of the class's other behaviours while flat,
 * and closed by a closer or a fill that flattens it, at rates in the ratio of the behaviours'
 * shares (every behaviour picks its symbol alike): open with probability f / (f + c + f x
 * FLATTEN_SHARE) for f fills and c closes per iteration. Ignored: stops that trigger, and the
 * replica's lag (a closer acting on a stale view sends a close the venue refuses, -2022).
 */
export function closerOpenShare(mix: BehaviourMix | undefined): number {
  let fills = 0;
  let closes = 0;
  for (const [name, share] of classShares(mix, "order")) {
    if (name === "reduce-only-closer") closes += share;
    else fills += share * fillsPerIteration(BASE_BEHAVIOURS[name]);
  }
  return fills > 0 ? fills / (fills + closes + fills * FLATTEN_SHARE) : 0;
}

function fillsPerIteration(b: SimBehaviour): number {
  let fills = 0;
  for (const st of b.steps) for (const o of st.options) fills += o.p * o.request.fillShare;
  return fills;
}

const step = (options: SimStep["options"], onlyIfServed = false): SimStep => ({ options, onlyIfServed });

/**
 * Every behaviour as the requests of one iteration (loadtests/scenarios/<behaviour>.ts); the
 * closer's close is sent with probability 1 here, its share of a mix is `closerOpenShare`.
 */
const BASE_BEHAVIOURS: Readonly<Record<BehaviourName, SimBehaviour>> = {
  trader: {
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
    steps: [
      step([{ p: MAKER_REQUOTE_SHARE, request: CANCEL }]),
      step([{ p: 1, request: newOrder(0, false) }]),
    ],
    honoursRetryAfter: HONOURS_RETRY_AFTER["market-maker"],
  },
  // MARKET orders of 1-10 lots against a house ladder of 5,000 lots per level fill.
  taker: {
    steps: [step([{ p: 1, request: newOrder(1, false) }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER.taker,
  },
  // Stops wait for their trigger: none fills at once.
  "stop-loss-submitter": {
    steps: [
      step([{ p: 1, request: READ }]),
      step([{ p: STOP_REPLACE_SHARE, request: CANCEL }]),
      step([{ p: 1, request: newOrder(0, true) }]),
    ],
    honoursRetryAfter: HONOURS_RETRY_AFTER["stop-loss-submitter"],
  },
  "reduce-only-closer": {
    steps: [step([{ p: 1, request: READ }]), step([{ p: 1, request: newOrder(1, true) }], true)],
    honoursRetryAfter: HONOURS_RETRY_AFTER["reduce-only-closer"],
  },
  "panicked-checker": {
    steps: [step([{ p: 1, request: READ }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER["panicked-checker"],
  },
  "patient-checker": {
    steps: [step([{ p: 1, request: READ }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER["patient-checker"],
  },
  "book-watcher": {
    steps: [step([{ p: 1, request: DEPTH }])],
    honoursRetryAfter: HONOURS_RETRY_AFTER["book-watcher"],
  },
};

/** The read-back after a fill: a position read checked for read-your-writes. */
export const READBACK: SimRequest = READ;

/** A class's behaviours with their shares of its iterations, as the simulator runs them. */
export interface SimClassMix {
  behaviours: SimBehaviour[];
  /** Cumulative shares (the last is 1), as loadtests/lib/behaviours.ts classMix. */
  cumulative: number[];
}

/** A behaviour as the simulator runs it within a profile's mix. */
export function simBehaviour(name: BehaviourName, mix: BehaviourMix | undefined): SimBehaviour {
  const b = BASE_BEHAVIOURS[name];
  if (name !== "reduce-only-closer") return b;
  const [read, close] = b.steps as [SimStep, SimStep];
  const closeOption = close.options[0] as SimStep["options"][number];
  const p = closerOpenShare(mix);
  return { ...b, steps: [read, { ...close, options: [{ ...closeOption, p }] }] };
}

export function simClassMix(mix: BehaviourMix | undefined, cls: TrafficClass): SimClassMix {
  const shares = classShares(mix, cls);
  let acc = 0;
  const cumulative = shares.map(([, share]) => {
    acc += share;
    return acc;
  });
  cumulative[cumulative.length - 1] = 1;
  return { behaviours: shares.map(([name]) => simBehaviour(name, mix)), cumulative };
}

/** Expected requests per iteration of a class, by kind (the aggregate simulator's view of a mix). */
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
   * Priority orders sent only when the read before them was served (the closer's close, at its
   * open share), and those of them that fill; not in priorityOrders / priorityFills.
   */
  closes: number;
  closeFills: number;
}

/**
 * Expected requests per iteration, every step counted as sent except those that need the
 * previous one served (`closes`: the aggregate simulator scales them by the share of reads
 * served).
 */
export function iterationMix(mix: BehaviourMix | undefined, cls: TrafficClass): IterationMix {
  const out: IterationMix = {
    reads: 0,
    depth: 0,
    cancels: 0,
    newOrders: 0,
    priorityOrders: 0,
    newOrderFills: 0,
    priorityFills: 0,
    closes: 0,
    closeFills: 0,
  };
  for (const [name, share] of classShares(mix, cls)) {
    for (const s of simBehaviour(name, mix).steps) {
      for (const { p, request: r } of s.options) {
        const n = share * p;
        if (r.cls === "position") out.reads += n;
        else if (r.cls === "depth") out.depth += n;
        else if (!r.places) out.cancels += n;
        else if (s.onlyIfServed) {
          out.closes += n;
          out.closeFills += n * r.fillShare;
        } else if (r.priority) {
          out.priorityOrders += n;
          out.priorityFills += n * r.fillShare;
        } else {
          out.newOrders += n;
          out.newOrderFills += n * r.fillShare;
        }
      }
    }
  }
  return out;
}
