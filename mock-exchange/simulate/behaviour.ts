import {
  BEHAVIOUR_NAMES,
  BEHAVIOURS,
  type BehaviourMix,
  type BehaviourName,
  type BehaviourRequest,
  type BehaviourSend,
  classMix,
  clientBehaviour,
  clientShares,
  READBACK as READBACK_REQUEST,
  REQUEST,
} from "../../loadtests/lib/behaviours.ts";
import type { TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import { Params } from "../api/params.ts";
import { findRoute, type Route, routeWeight } from "../api/routes.ts";

/**
 * The k6 drill's behaviours (the table in loadtests/lib/behaviours.ts, which
 * loadtests/scenarios/ executes) as the simulator runs them: each request resolved to the
 * venue's route and the parameters its weight depends on, so a simulated run offers the venue
 * the same requests as a drill and decideAdmission weighs them as the server does.
 * test/unit/simulate.test.ts runs the scenarios against the venue and checks the table's shares.
 */

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
  /** The venue's route, and the parameters its weight depends on (decideAdmission reads both). */
  route: Route;
  params: Params;
  /** The route's traffic class. */
  cls: TrafficClass;
  /** IP request weight (routeWeight of route and params). */
  weight: number;
  /** Passes priority shedding: cancels, reduce-only and closePosition orders (mock-exchange/venue.ts isPriority). */
  priority: boolean;
  /** Places an order: the route counts on the account's order-rate limits. */
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

/** A behaviour's request on the venue's route table; a table that names a route wrongly fails here, at load. */
function simRequest(r: BehaviourRequest, priority: boolean, fillShare: number): SimRequest {
  const route = findRoute(r.method, r.path);
  if (typeof route !== "object" || route.name !== r.route || route.trafficClass !== r.cls)
    throw new Error(`behaviour request ${r.endpoint} is not the venue's route ${r.route} (${r.cls})`);
  const params = new Params(r.weightQuery);
  return {
    route,
    params,
    cls: r.cls,
    weight: routeWeight(route, params),
    priority,
    places: route.orders !== undefined,
    fillShare,
  };
}

const sendOf = (o: BehaviourSend) => ({ p: o.p, request: simRequest(o.request, o.priority, o.fillShare) });

/** Every behaviour as the requests of one iteration (loadtests/lib/behaviours.ts BEHAVIOURS). */
export const SIM_BEHAVIOURS: Readonly<Record<BehaviourName, SimBehaviour>> = simBehaviours();

function simBehaviours(): Record<BehaviourName, SimBehaviour> {
  const out = {} as Record<BehaviourName, SimBehaviour>;
  for (const name of BEHAVIOUR_NAMES) {
    const b = BEHAVIOURS[name];
    const steps = b.steps.map((s) => ({
      options: s.options.map(sendOf),
      onlyIfServed: s.onlyIfServed,
      onlyIfLimited: s.onlyIfLimited,
    }));
    out[name] = { name, cls: b.cls, steps, honoursRetryAfter: b.honoursRetryAfter };
  }
  return out;
}

/** The read-back after a fill: a position read checked for read-your-writes. */
export const READBACK: SimRequest = simRequest(READBACK_REQUEST, false, 0);

/**
 * IP request weight of each kind the aggregate simulator counts (route table, routeWeight); new
 * orders weigh nothing there (they count on the order limits), which the aggregate relies on.
 */
export const WEIGHT = {
  cancel: simRequest(REQUEST.cancelOrder, true, 0).weight,
  position: READBACK.weight,
  depth: simRequest(REQUEST.depth, false, 0).weight,
} as const;
if (simRequest(REQUEST.newOrder, false, 0).weight !== 0)
  throw new Error("the aggregate simulator counts no IP weight for new orders");

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
