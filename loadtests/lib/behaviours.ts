import { TRAFFIC_CLASSES, type TrafficClass } from "../vocabulary/traffic.ts";

/**
 * Trader behaviours, declared once for every runtime: what one iteration of each sends (the
 * behaviour table, BEHAVIOURS: its requests by the venue's route, the steps that follow a
 * response, who waits out Retry-After) and the pure decisions its k6 code draws with (no k6
 * import). The k6 scenarios (loadtests/scenarios/) execute the table against the venue; the
 * simulator (mock-exchange/simulate/behaviour.ts) turns the same table into its request mix,
 * and test/unit/simulate.test.ts runs the scenarios to check that the table says what they do.
 *
 * A profile gives each class a mix of behaviours (weights) that splits the clients: a client's
 * behaviour in a class is fixed (clientBehaviour), whichever of its VUs runs an iteration.
 * Without a mix a class runs its default behaviour, which is the traffic the drill sent before
 * behaviours existed (same requests, same random draws).
 */

// ---- the requests behaviours send ---------------------------------------------------------------

/**
 * A request of the dialect as a behaviour sends it, named by the venue's route
 * (mock-exchange/api/routes.ts, which k6 cannot load; test/unit/behaviours.test.ts checks method,
 * path, class, keys and weight against it).
 */
export interface BehaviourRequest {
  route: "newOrder" | "cancelOrder" | "positionRisk" | "depth";
  method: "GET" | "POST" | "DELETE";
  path: string;
  /** k6's `name` tag, the reporter's per-endpoint row: "METHOD path". */
  endpoint: string;
  /** The class the request counts in (its route's traffic class). */
  cls: TrafficClass;
  /** Sent with key and signature (TRADE / USER_DATA); market data goes unsigned. */
  signed: boolean;
  /** The parameters the route's weight depends on, sent as they are (depth: limit 5, weight 2). */
  weightQuery: string;
}

function request(
  route: BehaviourRequest["route"],
  method: BehaviourRequest["method"],
  path: string,
  cls: TrafficClass,
  signed: boolean,
  weightQuery = "",
): BehaviourRequest {
  return { route, method, path, endpoint: `${method} ${path}`, cls, signed, weightQuery };
}

export const REQUEST = {
  newOrder: request("newOrder", "POST", "/fapi/v1/order", "order", true),
  cancelOrder: request("cancelOrder", "DELETE", "/fapi/v1/order", "order", true),
  positionRisk: request("positionRisk", "GET", "/fapi/v2/positionRisk", "position", true),
  depth: request("depth", "GET", "/fapi/v1/depth", "depth", false, "limit=5"),
} as const satisfies Record<string, BehaviourRequest>;

/** The read after a fill: the position, checked for read-your-writes. */
export const READBACK = REQUEST.positionRisk;

// ---- the shares of what an iteration sends ------------------------------------------------------

/**
 * trader: market and limit orders of 1-10 lots, and cancels of its own resting order. Half the
 * new orders are MARKET; of the LIMIT ones most are passive quotes 1-20 ticks inside the house
 * ladder, a fifth priced 5 ticks through the touch (they fill at once).
 */
export const TRADER = {
  /** Chance of cancelling the resting order, when there is one. */
  cancelP: 0.3,
  marketP: 0.5,
  /** Share of LIMIT orders priced through the touch. */
  crossP: 0.2,
  crossTicks: 5,
  passiveMaxTicks: 20,
  maxLots: 10,
} as const;

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

/**
 * market-maker: share of iterations that start by cancelling the previous quote. The maker posts
 * a quote every iteration and cancels it the next, so every iteration but a session's first, and
 * those after a post that was refused or did not rest, cancels: 1 (an upper bound).
 */
export const MAKER_REQUOTE_SHARE = 1;
/** stop-loss-submitter: share of iterations that replace a working stop (as MAKER_REQUOTE_SHARE: 1, an upper bound). */
export const STOP_REPLACE_SHARE = 1;
/**
 * reduce-only-closer: share of its served reads after which it closes (closerOrder); after the
 * others it is flat and re-enters at market. Its account has no other flow (behaviour belongs to
 * the client), so per symbol it alternates: re-enter, close, re-enter, ...: a half. Ignored: the
 * replica's lag (a read older than the closer's last fill re-enters twice, or sends a close the
 * venue refuses, -2022) and refused orders (which leave the position as it was, so the
 * alternation only waits).
 */
export const CLOSER_CLOSE_SHARE = 0.5;

/**
 * panicked-checker: a read refused at once (429 or 418) is sent again at once, this many times
 * at most: the user hits refresh on the error. Refusals the venue answers late (a queue timeout)
 * are not retried, so a retry never holds its VU: REQUESTS_PER_ITERATION counts the first read.
 */
export const PANICKED = { retries: 1 } as const;

// ---- the behaviour table ------------------------------------------------------------------------

/** One request a step may send, and what the venue does with it. */
export interface BehaviourSend {
  request: BehaviourRequest;
  /** Chance this is the step's request (a step's chances sum to at most 1; the rest: none is sent). */
  p: number;
  /** Passes priority shedding: cancels, reduce-only and closePosition orders (mock-exchange/venue.ts isPriority). */
  priority: boolean;
  /** Chance it fills at once when served; a fill is followed by a READBACK (the iteration's last request). */
  fillShare: number;
}

/** One request of an iteration, sent after the previous one's response. */
export interface BehaviourStep {
  options: readonly BehaviourSend[];
  /** Sent only when the previous step's request was served (the closer needs its position). */
  onlyIfServed: boolean;
  /** Sent only when the previous step's request was refused at once by the limits (429 or 418): a retry. */
  onlyIfLimited: boolean;
}

export interface BehaviourSpec {
  /** The class whose scenario runs it (its sessions are that class's VUs). */
  cls: TrafficClass;
  steps: readonly BehaviourStep[];
  /** Waits out Retry-After (a 429/418), with PATIENT's back-off, instead of sending. */
  honoursRetryAfter: boolean;
}

const READ: BehaviourSend = { request: REQUEST.positionRisk, p: 1, priority: false, fillShare: 0 };
const send = (r: BehaviourRequest, p: number, priority: boolean, fillShare: number): BehaviourSend => ({
  request: r,
  p,
  priority,
  fillShare,
});
const step = (options: readonly BehaviourSend[], onlyIfServed = false): BehaviourStep => ({
  options,
  onlyIfServed,
  onlyIfLimited: false,
});
const retry = (s: BehaviourSend): BehaviourStep => ({
  options: [s],
  onlyIfServed: false,
  onlyIfLimited: true,
});

/**
 * Every behaviour: the requests of one iteration in order (loadtests/scenarios/<behaviour>.ts
 * sends them, with the decisions below picking prices, sizes and sides).
 */
// The table and what is derived from it are built in pure-annotated calls: the k6 bundle
// (scripts/drillBundle.ts) imports this module for its per-request decisions only, and esbuild
// drops unused declarations only when their initializers cannot have effects. Each VU of k6
// evaluates whatever remains (about 20 KB of objects per VU for the table: heap profile, 2026-12-05).
export const BEHAVIOURS = /* @__PURE__ */ (() =>
  ({
    // Cancels its resting order (when it has one) or sends a new one; half MARKET, a fifth of the
    // LIMIT ones through the touch (traderAction).
    trader: {
      cls: "order",
      steps: [
        step([
          send(REQUEST.cancelOrder, CANCEL_SHARE, true, 0),
          send(REQUEST.newOrder, 1 - CANCEL_SHARE, false, FILL_SHARE),
        ]),
      ],
      honoursRetryAfter: false,
    },
    // Post-only quotes 1-3 ticks from mid rest: none fills at once.
    "market-maker": {
      cls: "order",
      steps: [
        step([send(REQUEST.cancelOrder, MAKER_REQUOTE_SHARE, true, 0)]),
        step([send(REQUEST.newOrder, 1, false, 0)]),
      ],
      honoursRetryAfter: false,
    },
    // MARKET orders of 1-10 lots against a house ladder of 5,000 lots per level fill.
    taker: {
      cls: "order",
      steps: [step([send(REQUEST.newOrder, 1, false, 1)])],
      honoursRetryAfter: false,
    },
    // Reads its position, replaces its stop; stops wait for their trigger: none fills at once.
    "stop-loss-submitter": {
      cls: "order",
      steps: [
        step([READ]),
        step([send(REQUEST.cancelOrder, STOP_REPLACE_SHARE, true, 0)]),
        step([send(REQUEST.newOrder, 1, true, 0)]),
      ],
      honoursRetryAfter: false,
    },
    // Reads its position; only when the read was served, closes it (reduce-only) or re-enters.
    "reduce-only-closer": {
      cls: "order",
      steps: [
        step([READ]),
        step(
          [
            send(REQUEST.newOrder, CLOSER_CLOSE_SHARE, true, 1),
            send(REQUEST.newOrder, 1 - CLOSER_CLOSE_SHARE, false, 1),
          ],
          true,
        ),
      ],
      honoursRetryAfter: false,
    },
    // A read refused at once is sent again at once (PANICKED.retries); Retry-After is ignored.
    "panicked-checker": {
      cls: "position",
      steps: [step([READ]), ...Array.from({ length: PANICKED.retries }, () => retry(READ))],
      honoursRetryAfter: false,
    },
    "patient-checker": {
      cls: "position",
      steps: [step([READ])],
      honoursRetryAfter: true,
    },
    "book-watcher": {
      cls: "depth",
      steps: [step([send(REQUEST.depth, 1, false, 0)])],
      honoursRetryAfter: false,
    },
  }) as const satisfies Record<BehaviourName, BehaviourSpec>)();

/**
 * A client behaviour. Spelled out rather than `keyof typeof BEHAVIOURS` so the profile's JSON
 * Schema, generated from the types (scripts/schemas.ts), can name them; `satisfies` above keeps
 * the table and this list the same set.
 */
export type BehaviourName =
  | "trader"
  | "market-maker"
  | "taker"
  | "stop-loss-submitter"
  | "reduce-only-closer"
  | "panicked-checker"
  | "patient-checker"
  | "book-watcher";
export const BEHAVIOUR_NAMES = /* @__PURE__ */ Object.keys(BEHAVIOURS) as BehaviourName[];

function byBehaviour<T>(f: (spec: BehaviourSpec) => T): Record<BehaviourName, T> {
  const out = {} as Record<BehaviourName, T>;
  for (const name of BEHAVIOUR_NAMES) out[name] = f(BEHAVIOURS[name]);
  return out;
}

/** Every behaviour and the class whose scenario runs it. */
export const BEHAVIOUR_CLASS: Readonly<Record<BehaviourName, TrafficClass>> = /* @__PURE__ */ byBehaviour(
  (b) => b.cls,
);

/** Behaviours that wait out a Retry-After (429/418) instead of sending. */
export const HONOURS_RETRY_AFTER: Readonly<Record<BehaviourName, boolean>> = /* @__PURE__ */ byBehaviour(
  (b) => b.honoursRetryAfter,
);

/**
 * Requests one iteration sends one after another, at most (each may wait a queue timeout): the
 * planner sizes a class's VUs by its slowest behaviour. Every step but the retries (sent at once
 * after a refusal, never after a wait), and the read-back when a request may fill: trader and
 * taker 2, market maker 2, stop-loss submitter 3, reduce-only closer 3 (read, order, read-back).
 */
export const REQUESTS_PER_ITERATION: Readonly<Record<BehaviourName, number>> = /* @__PURE__ */ byBehaviour(
  (b) =>
    b.steps.filter((s) => !s.onlyIfLimited).length +
    (b.steps.some((s) => s.options.some((o) => o.fillShare > 0)) ? 1 : 0),
);

/**
 * Requests one iteration sends on average when every request is served: its steps' chances (the
 * retries aside, as above) plus a read-back per fill. The planner sizes VUs by Little's law on
 * it (loadtests/lib/plan.ts): trader 1.50 (at most 2: a fifth of its iterations cancel, and 60%
 * of its new orders fill), the others their maximum.
 */
export const MEAN_REQUESTS_PER_ITERATION: Readonly<Record<BehaviourName, number>> =
  /* @__PURE__ */ byBehaviour((b) => {
    let requests = 0;
    for (const s of b.steps) {
      if (s.onlyIfLimited) continue;
      for (const o of s.options) requests += o.p * (1 + o.fillShare);
    }
    return requests;
  });

/** The liquidation-stream watcher: its own scenario (WebSocket connections), not part of a class mix. */
export const LIQUIDATION_WATCHER = "liquidation-watcher";

/** Weights per class (relative; they need not sum to 1). */
export type BehaviourMix = Partial<Record<TrafficClass, Partial<Record<BehaviourName, BehaviourWeight>>>>;

/**
 * A behaviour's relative weight in its class's mix: its share of the class's clients is its
 * weight over the class's total.
 * @minimum 0
 */
export type BehaviourWeight = number;

/** What a class runs without a mix: the drill's traffic before behaviours (smoke, the calibration). */
export const DEFAULT_BEHAVIOUR: Record<TrafficClass, BehaviourName> = {
  order: "trader",
  position: "panicked-checker",
  depth: "book-watcher",
};

/** A class's behaviours with cumulative normalised weights (the last is 1). */
export interface ClassMix {
  names: BehaviourName[];
  cumulative: number[];
}

/** The class's mix from a (validated) profile mix, or its default behaviour alone. */
export function classMix(mix: BehaviourMix | undefined, cls: TrafficClass): ClassMix {
  const weights = mix?.[cls];
  const names: BehaviourName[] = [];
  const raw: number[] = [];
  for (const name of BEHAVIOUR_NAMES) {
    const w = weights?.[name];
    if (w !== undefined && w > 0) {
      names.push(name);
      raw.push(w);
    }
  }
  if (names.length === 0) return { names: [DEFAULT_BEHAVIOUR[cls]], cumulative: [1] };
  const total = raw.reduce((a, b) => a + b, 0);
  let acc = 0;
  const cumulative = raw.map((w) => {
    acc += w / total;
    return acc;
  });
  cumulative[cumulative.length - 1] = 1;
  return { names, cumulative };
}

/**
 * The behaviour client `index` of `clients` runs in a class: the one whose cumulative-weight
 * interval holds (index + 0.5) / clients, the mix in BEHAVIOUR_NAMES order. Stratified, so N
 * clients split as close to the weights as whole clients allow (each behaviour within one client
 * of its weight x N), the same clients always get the same behaviour, and nothing is drawn: a
 * class with one behaviour gives it to every client, and the default mix leaves the random
 * stream as the drill drew it before behaviours (the same requests for a seed). The order is the
 * same in every class: a mix's first behaviour takes the lowest-numbered clients, so the first
 * behaviours of two classes' mixes fall on the same clients.
 *
 * Behaviour belongs to the client, not to an iteration: a client is one API key and one IP
 * (loadtests/drill.ts), so what the venue does to an IP (429s, a 418 ban) falls on the kind of
 * client that earned it, not on every client some of whose iterations ignored Retry-After.
 */
export function clientBehaviour(m: ClassMix, index: number, clients: number): BehaviourName {
  if (m.names.length === 1 || clients <= 0) return m.names[0] as BehaviourName;
  const u = (index + 0.5) / clients;
  for (let i = 0; i < m.cumulative.length; i++)
    if (u < (m.cumulative[i] as number)) return m.names[i] as BehaviourName;
  return m.names[m.names.length - 1] as BehaviourName;
}

/** How many of `clients` clients run each behaviour of the class (clientBehaviour's split), in `m.names` order. */
export function clientCounts(m: ClassMix, clients: number): number[] {
  const counts = m.names.map(() => 0);
  for (let i = 0; i < clients; i++) {
    const k = m.names.indexOf(clientBehaviour(m, i, clients));
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

/**
 * Each behaviour's share of `clients` clients (clientCounts / clients), which is also its share
 * of the class's iterations: every client gets the same share of them (loadtests/drill.ts).
 */
export function clientShares(m: ClassMix, clients: number): Array<[BehaviourName, number]> {
  const counts = clientCounts(m, clients);
  return m.names.map((name, i) => [name, (counts[i] as number) / Math.max(1, clients)]);
}

/** Requests an iteration of the class may send one after another, over its mix (at least 1). */
export function classRequestsPerIteration(mix: BehaviourMix | undefined, cls: TrafficClass): number {
  return Math.max(1, ...classMix(mix, cls).names.map((n) => REQUESTS_PER_ITERATION[n]));
}

/**
 * Requests an iteration of the class sends on average: MEAN_REQUESTS_PER_ITERATION over the
 * behaviours' shares of the class's iterations (clientShares).
 */
export function classMeanRequestsPerIteration(
  mix: BehaviourMix | undefined,
  cls: TrafficClass,
  clients: number,
): number {
  let mean = 0;
  for (const [name, share] of clientShares(classMix(mix, cls), clients))
    mean += share * MEAN_REQUESTS_PER_ITERATION[name];
  return Math.max(1, mean);
}

/** Problems with a profile's `behaviours`, empty when valid. Messages name the field. */
export function behaviourProblems(mix: unknown): string[] {
  if (mix === undefined) return [];
  if (typeof mix !== "object" || mix === null || Array.isArray(mix))
    return ["behaviours must be an object of traffic class -> { behaviour: weight }"];
  const problems: string[] = [];
  for (const [cls, weights] of Object.entries(mix)) {
    if (!(TRAFFIC_CLASSES as readonly string[]).includes(cls)) {
      problems.push(`behaviours: unknown class "${cls}"; known: ${TRAFFIC_CLASSES.join(", ")}`);
      continue;
    }
    const known = BEHAVIOUR_NAMES.filter((n) => BEHAVIOUR_CLASS[n] === cls);
    if (typeof weights !== "object" || weights === null || Array.isArray(weights)) {
      problems.push(`behaviours.${cls} must be an object of behaviour -> weight; known: ${known.join(", ")}`);
      continue;
    }
    let total = 0;
    for (const [name, w] of Object.entries(weights)) {
      if (!(name in BEHAVIOUR_CLASS)) {
        problems.push(
          `behaviours.${cls}: unknown behaviour "${name}"; known for ${cls}: ${known.join(", ")}`,
        );
        continue;
      }
      const own = BEHAVIOUR_CLASS[name as BehaviourName];
      if (own !== cls) {
        problems.push(
          `behaviours.${cls}: "${name}" is a ${own} behaviour; known for ${cls}: ${known.join(", ")}`,
        );
        continue;
      }
      if (!(typeof w === "number" && Number.isFinite(w) && w >= 0)) {
        problems.push(`behaviours.${cls}["${name}"] must be a number >= 0`);
        continue;
      }
      total += w;
    }
    if (!(total > 0)) problems.push(`behaviours.${cls}: weights must sum to more than 0`);
  }
  return problems;
}

// ---- decisions, one per behaviour ---------------------------------------------------------------

export type Side = "BUY" | "SELL";

/** Lot size of the drill's symbols (BTCUSDT and ETHUSDT stepSize, mock-exchange/defaults.ts). */
export const LOT = 0.001;

/** Quantity parameter for whole lots (3 decimals, the symbols' step). */
export function qtyOf(lots: number): string {
  return (LOT * lots).toFixed(3);
}

/** A limit price `offsetTicks` away from mid on the passive side (negative: through the touch). */
export function limitPrice(mid: number, tick: number, side: Side, offsetTicks: number): number {
  return side === "BUY" ? mid - offsetTicks * tick : mid + offsetTicks * tick;
}

export type TraderAction =
  | { kind: "cancel" }
  | { kind: "new"; symbolIndex: number; side: Side; lots: number; market: boolean; offsetTicks: number };

/** The trader's next step (draws in the drill's historical order: cancel?, symbol, side, size, type, price). */
export function traderAction(rand: () => number, symbolCount: number, hasResting: boolean): TraderAction {
  if (hasResting && rand() < TRADER.cancelP) return { kind: "cancel" };
  const symbolIndex = Math.floor(rand() * symbolCount);
  const side: Side = rand() < 0.5 ? "BUY" : "SELL";
  const lots = 1 + Math.floor(rand() * TRADER.maxLots);
  if (rand() < TRADER.marketP) return { kind: "new", symbolIndex, side, lots, market: true, offsetTicks: 0 };
  const offsetTicks =
    rand() < TRADER.crossP ? -TRADER.crossTicks : 1 + Math.floor(rand() * TRADER.passiveMaxTicks);
  return { kind: "new", symbolIndex, side, lots, market: false, offsetTicks };
}

/**
 * market-maker: every iteration cancels its quote (if it has one) and posts a new one 1-3 ticks
 * from mid, post-only (GTX) mostly, so it rests instead of taking; 1-10 lots.
 */
export const MAKER = { gtxP: 0.8, maxTicks: 3, maxLots: 10 } as const;

export interface MakerQuote {
  symbolIndex: number;
  side: Side;
  lots: number;
  offsetTicks: number;
  timeInForce: "GTX" | "GTC";
}

export function makerQuote(rand: () => number, symbolCount: number): MakerQuote {
  const symbolIndex = Math.floor(rand() * symbolCount);
  const side: Side = rand() < 0.5 ? "BUY" : "SELL";
  const lots = 1 + Math.floor(rand() * MAKER.maxLots);
  const offsetTicks = 1 + Math.floor(rand() * MAKER.maxTicks);
  const timeInForce = rand() < MAKER.gtxP ? "GTX" : "GTC";
  return { symbolIndex, side, lots, offsetTicks, timeInForce };
}

/** taker: a MARKET order of 1-10 lots on a random side (it fills against the book at once). */
export const TAKER = { maxLots: 10 } as const;

export function takerOrder(
  rand: () => number,
  symbolCount: number,
): { symbolIndex: number; side: Side; lots: number } {
  const symbolIndex = Math.floor(rand() * symbolCount);
  const side: Side = rand() < 0.5 ? "BUY" : "SELL";
  const lots = 1 + Math.floor(rand() * TAKER.maxLots);
  return { symbolIndex, side, lots };
}

/** A client's view of its position in one symbol, from GET /fapi/v2/positionRisk. */
export interface PositionView {
  /** Signed, in contracts (positionAmt). */
  amount: number;
  entryPrice: number;
  markPrice: number;
  updateTime: number;
}

/** The row for `symbol` of a positionRisk answer (an array of rows), or undefined. */
export function positionView(rows: unknown, symbol: string): PositionView | undefined {
  if (!Array.isArray(rows)) return undefined;
  for (const r of rows as Array<Record<string, unknown>>) {
    if (r === null || typeof r !== "object" || r.symbol !== symbol) continue;
    const amount = Number(r.positionAmt);
    const entryPrice = Number(r.entryPrice);
    const markPrice = Number(r.markPrice);
    const updateTime = Number(r.updateTime);
    if (![amount, entryPrice, markPrice, updateTime].every(Number.isFinite)) return undefined;
    return { amount, entryPrice, markPrice, updateTime };
  }
  return undefined;
}

/** Whole lots of a signed position amount (positionAmt is a decimal string of lots). */
export function lotsOf(amount: number): number {
  return Math.round(Math.abs(amount) / LOT);
}

/**
 * stop-loss-submitter: after reading its position it replaces its stop: a STOP_MARKET
 * `lossFraction` beyond the entry price, on the closing side. A stop the mark has already passed
 * would trigger at once (the venue refuses it, -2021), so it goes one tick inside the mark
 * instead: where a trader already under water puts it.
 */
export const STOP_LOSS = { lossFraction: 0.02 } as const;

export interface StopLoss {
  side: Side;
  stopTicks: number;
  /** Reduce-only for the position's size; 0 with closePosition (no position known: close whatever is there). */
  lots: number;
}

/**
 * The stop for a position (amount > 0 long, < 0 short); without one (flat, or the read was
 * refused) a closePosition stop on a random side of the mark, `lossFraction` away.
 * @param markTicks the mark in ticks (from the read, or the client's last known mid)
 */
export function stopLoss(
  position: PositionView | undefined,
  markTicks: number,
  tick: number,
  rand: () => number,
): StopLoss {
  const f = STOP_LOSS.lossFraction;
  const lots = position === undefined ? 0 : lotsOf(position.amount);
  if (position !== undefined && lots > 0) {
    const entryTicks = position.entryPrice / tick;
    if (position.amount > 0) {
      const stopTicks = Math.max(1, Math.min(Math.floor(entryTicks * (1 - f)), markTicks - 1));
      return { side: "SELL", stopTicks, lots };
    }
    return { side: "BUY", stopTicks: Math.max(Math.ceil(entryTicks * (1 + f)), markTicks + 1), lots };
  }
  if (rand() < 0.5) return { side: "SELL", stopTicks: Math.max(1, Math.floor(markTicks * (1 - f))), lots: 0 };
  return { side: "BUY", stopTicks: Math.ceil(markTicks * (1 + f)), lots: 0 };
}

/** reduce-only-closer: the MARKET order that closes a position (undefined when flat). */
export function closeOrder(position: PositionView | undefined): { side: Side; lots: number } | undefined {
  if (position === undefined) return undefined;
  const lots = lotsOf(position.amount);
  if (lots === 0) return undefined;
  return { side: position.amount > 0 ? "SELL" : "BUY", lots };
}

/**
 * reduce-only-closer's order after a served read: the reduce-only close of the position it read,
 * or, flat, a MARKET order of 1-10 lots on a random side that re-enters (the position it closes
 * next time). Behaviour belongs to the client (clientBehaviour), so nothing else on the closer's
 * account opens positions: without re-entering, a closer would close once and then only read.
 * Draws (side, size) only when flat.
 */
export function closerOrder(
  position: PositionView | undefined,
  rand: () => number,
): { side: Side; lots: number; reduceOnly: boolean } {
  const close = closeOrder(position);
  if (close !== undefined) return { ...close, reduceOnly: true };
  const side: Side = rand() < 0.5 ? "BUY" : "SELL";
  return { side, lots: 1 + Math.floor(rand() * TAKER.maxLots), reduceOnly: false };
}

// ---- Retry-After --------------------------------------------------------------------------------

/**
 * Wall ms a Retry-After header asks to wait: delay-seconds or an HTTP-date (RFC 9110 10.2.3);
 * undefined when absent or malformed. The mock sends whole seconds already compressed by the
 * time scale (its windows and bans are wall time), so no conversion here.
 */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  // Scanned by hand, not by regular expression: the first regular expression a k6 VU meets
  // builds its RegExp prototype, about 15 KB per VU (heap profile of a drill, 2026-12-05).
  let digits = text.length > 0;
  let letters = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) digits = false;
    const lower = c | 0x20;
    if (lower >= 0x61 && lower <= 0x7a) letters = true;
  }
  if (digits) return Number(text) * 1000;
  const at = Date.parse(text);
  if (!Number.isFinite(at) || !letters) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * A session's "blocked until" (wall ms) after a response: a 429 or 418 with Retry-After moves it
 * to now + Retry-After x 2^min(refusedBefore, PATIENT.maxDoublings) (never earlier than it was);
 * anything else leaves it. `refusedBefore`: the session's refusals in a row before this one (0,
 * the default: Retry-After as sent).
 */
export function blockedUntilMs(
  previousMs: number,
  status: number,
  retryAfter: string | undefined,
  nowMs: number,
  refusedBefore = 0,
): number {
  if (status !== 429 && status !== 418) return previousMs;
  const waitMs = retryAfterMs(retryAfter, nowMs);
  if (waitMs === undefined) return previousMs;
  return Math.max(previousMs, nowMs + waitMs * backoffFactor(refusedBefore));
}

/**
 * patient-checker's back-off: it waits Retry-After, doubled for every refusal in a row before
 * this one, up to 2^maxDoublings times (the exponential back-off clients combine with
 * Retry-After). Retry-After alone would not make it patient in a drill: the weight window is a
 * compressed natural minute (1 wall s at smoke's scale, limits/window.ts), so Retry-After is 1 s,
 * while at a burst's peak a VU's next iteration comes about 0.9 s later anyway (the planner's
 * VUs: peak rate x budget x VU_HEADROOM, loadtests/lib/plan.ts): honouring it would skip nothing, and
 * the client's IP would collect a refusal per session per window like a panicked one.
 */
export const PATIENT = { maxDoublings: 3 } as const;

/** 2^min(refusedBefore, PATIENT.maxDoublings): what a patient session multiplies Retry-After by. */
export function backoffFactor(refusedBefore: number): number {
  return 2 ** Math.min(Math.max(0, refusedBefore), PATIENT.maxDoublings);
}
