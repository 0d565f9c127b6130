import type { RefinedResponse, ResponseType } from "k6/http";
import { describe, expect, it, vi } from "vitest";
import {
  type BehaviourMix,
  type BehaviourName,
  classMix,
  pickBehaviour,
} from "../../loadtests/lib/behaviours.ts";
import { planDrill } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { RUN_BEHAVIOUR } from "../../loadtests/scenarios/index.ts";
import {
  DRILL_SYMBOLS,
  ENDPOINT,
  type Session,
  type SessionState,
} from "../../loadtests/scenarios/session.ts";
import { ApiError, errorBody } from "../../mock-exchange/api/errors.ts";
import { Params } from "../../mock-exchange/api/params.ts";
import { findRoute, type Route } from "../../mock-exchange/api/routes.ts";
import { seededRandom } from "../../mock-exchange/random.ts";
import { Venue } from "../../mock-exchange/venue.ts";
import type { Ingested } from "../../reports/ingest.ts";
import {
  type RejectReason,
  type TimelinePoint,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../reports/model.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";
import { simulateAggregate } from "../../scripts/simulate/aggregate.ts";
import {
  CANCEL_SHARE,
  closerOpenShare,
  FILL_SHARE,
  iterationMix,
  MAKER_REQUOTE_SHARE,
  STOP_REPLACE_SHARE,
  simBehaviour,
} from "../../scripts/simulate/behaviour.ts";
import { simulatePerRequest } from "../../scripts/simulate/perRequest.ts";
import { SimulationRecorder } from "../../scripts/simulate/recorder.ts";
import type { SimulationSink } from "../../scripts/simulate/types.ts";

// The drill's behaviours are k6 code: their metrics module is replaced by no-op metrics here, so
// the very scenario functions k6 runs can be run against the venue in-process.
vi.mock("k6/metrics", () => {
  class Metric {
    add(): void {}
  }
  return { Counter: Metric, Rate: Metric, Trend: Metric };
});

/**
 * The two simulators on the smoke profile at drill size and time scale 60 (one wall minute,
 * ~62-70k requests; ~0.2 s per-request, ~0.05 s aggregate). Tolerances are from seeds 1-5 of
 * the per-request simulator against the (seed-independent) aggregate one:
 *
 *   strategy            rejected fraction        overall p99 (ms)        cost (instance-min)
 *                       requests    aggregate    requests   aggregate    requests    aggregate
 *   fixed               .912-.914   .918         345-346    344          300/305     300
 *   overprovisioned     .684-.688   .690         131-137    141          3000/3050   3000
 *   reactive            .728-.730   .737         303-308    303          1689-1728   1690
 *   priority-shedding   .931-.933   .928         334-335    337          300/305     300
 *
 * (with the per-account order-count limits; drills run with IP bans out of reach,
 * scripts/exchangeConfig.ts) so: rejected fractions within 0.04 (worst seen 0.009), p99 within 8%
 * (worst seen 7.6%, the overprovisioned read tier, where the rush at each rate-limit window's
 * start decides the tail), cost within 4% (worst seen 2.2%: a per-request run can bill one more
 * drain second, and reactive's third scale-out hangs on utilisation hovering at its 0.6 target).
 */

const profile = PROFILES.smoke as Profile;
const TIME_SCALE = 60;
const plan = planDrill(profile, { timeScale: TIME_SCALE, iterationBudgetS: 0 });
const STRATEGIES = ["fixed", "overprovisioned", "reactive", "priority-shedding"] as const;
type Method = "requests" | "aggregate";

/** Latency of every refusal, by reason, next to the recorder (the histograms do not keep reasons). */
class Tee implements SimulationSink {
  readonly rejectLatencyMs: Partial<Record<RejectReason, { min: number; max: number }>> = {};
  constructor(readonly recorder: SimulationRecorder) {}
  record(
    tMs: number,
    cls: TrafficClass,
    latencyMs: number,
    n: number,
    reason: RejectReason | undefined,
  ): void {
    this.recorder.record(tMs, cls, latencyMs, n, reason);
    if (reason === undefined || n <= 0) return;
    const r = this.rejectLatencyMs[reason] ?? { min: Number.POSITIVE_INFINITY, max: 0 };
    r.min = Math.min(r.min, latencyMs);
    r.max = Math.max(r.max, latencyMs);
    this.rejectLatencyMs[reason] = r;
  }
  stale(tMs: number, checked: number, stale: number, ageMs: number): void {
    this.recorder.stale(tMs, checked, stale, ageMs);
  }
  timeline(point: TimelinePoint): void {
    this.recorder.timeline(point);
  }
}

interface Result {
  ingested: Ingested;
  timeline: TimelinePoint[];
  rejectLatencyMs: Tee["rejectLatencyMs"];
}

const cache = new Map<string, Result>();

/** smoke with dependency errors in the normal phase (wall 5-10 s) and a region outage in the burst (wall 30-33 s). */
const faulted: Profile = {
  ...profile,
  faults: [
    { kind: "dependency-errors", atS: 300, durationS: 300, errorRate: 0.2 },
    { kind: "region-failover", atS: 1_800, detectionDelayS: 60, failoverS: 120 },
  ],
};

function simulate(method: Method, strategy: string, seed = 1, fresh = false, p: Profile = profile): Result {
  const key = `${method}/${strategy}/${seed}/${p === profile ? "" : "faulted"}`;
  const hit = cache.get(key);
  if (hit !== undefined && !fresh) return hit;
  const config = exchangeConfigFor(p, { timeScale: TIME_SCALE, seed, strategy, scale: "drill" });
  const tee = new Tee(new SimulationRecorder(0));
  const input = {
    profile: p,
    config,
    normalRatePerS: profile.normalRatePerS,
    clients: profile.clients,
    timeScale: TIME_SCALE,
    durationS: plan.durationS,
    seed,
  };
  if (method === "requests") simulatePerRequest(input, tee);
  else simulateAggregate(input, tee);
  const result = {
    ingested: tee.recorder.ingested(plan.phases),
    timeline: tee.recorder.timelinePoints,
    rejectLatencyMs: tee.rejectLatencyMs,
  };
  if (!fresh) cache.set(key, result);
  return result;
}

const sum = (xs: Iterable<number | undefined>) => {
  let s = 0;
  for (const x of xs) s += x ?? 0;
  return s;
};

/** The figures a summary is made of: counts, rejects by reason, percentiles, cost. */
function figures(r: Result) {
  const h = r.ingested.overall.latencyUs;
  const requests = h.totalCount;
  const rejected = sum(Object.values(r.ingested.overall.rejected));
  const cost = (r.timeline.at(-1) as TimelinePoint).costInstanceMinutes ?? { gateway: 0, read: 0 };
  return {
    requests,
    rejected,
    rejectedFraction: rejected / requests,
    byReason: r.ingested.overall.rejected,
    p50Ms: h.getValueAtPercentile(50) / 1000,
    p99Ms: h.getValueAtPercentile(99) / 1000,
    p999Ms: h.getValueAtPercentile(99.9) / 1000,
    maxMs: h.maxValue / 1000,
    staleReads: r.ingested.staleReads,
    staleChecked: r.ingested.staleChecked,
    cost: cost.gateway + cost.read,
  };
}

/** Share of the burst phase's requests refused for `reason`. */
function burstShare(r: Result, reason: RejectReason): number {
  const i = plan.phases.findIndex((p) => p.name === "burst");
  const burst = r.ingested.byPhase[i];
  if (burst === undefined) throw new Error("no burst phase");
  return (burst.rejected[reason] ?? 0) / burst.latencyUs.totalCount;
}

describe("simulate: the aggregate approximation agrees with the per-request simulation (smoke, drill size)", () => {
  it.each(STRATEGIES)("%s: rejected fraction within 0.04 and timeline cost within 4%", (strategy) => {
    const req = figures(simulate("requests", strategy));
    const agg = figures(simulate("aggregate", strategy));
    // Same offered load: total responses within 1.5% (Poisson noise and whole-count rounding).
    expect(Math.abs(agg.requests / req.requests - 1)).toBeLessThan(0.015);
    expect(Math.abs(agg.rejectedFraction - req.rejectedFraction)).toBeLessThan(0.04);
    expect(Math.abs(agg.cost / req.cost - 1)).toBeLessThan(0.04);
  });

  it.each(["fixed", "overprovisioned", "reactive", "priority-shedding"])(
    "%s: overall p99 within 8%",
    (strategy) => {
      const req = figures(simulate("requests", strategy));
      const agg = figures(simulate("aggregate", strategy));
      expect(Math.abs(agg.p99Ms / req.p99Ms - 1)).toBeLessThan(0.08);
    },
  );
});

describe("simulate: determinism", () => {
  it.each(["requests", "aggregate"] as const)(
    "%s: the same seed gives identical figures and timeline",
    (method) => {
      const a = simulate(method, "reactive", 1);
      const b = simulate(method, "reactive", 1, true);
      expect(figures(b)).toEqual(figures(a));
      expect(JSON.stringify(b.timeline)).toBe(JSON.stringify(a.timeline));
    },
  );

  it("requests: another seed gives other figures", () => {
    expect(figures(simulate("requests", "reactive", 2))).not.toEqual(
      figures(simulate("requests", "reactive", 1)),
    );
  });
});

describe("simulate: strategies give visibly different outcomes (per request, seed 1)", () => {
  it("fixed: the burst times out (~30% of burst requests, 300 ms each), almost nothing is shed", () => {
    const fixed = simulate("requests", "fixed");
    expect(burstShare(fixed, "timeout")).toBeGreaterThan(0.2); // measured 0.295
    expect(burstShare(fixed, "overloaded")).toBeLessThan(0.005); // measured 0.0001
    // A timeout answers after the queue timeout, not before.
    expect(fixed.rejectLatencyMs.timeout?.min).toBeGreaterThanOrEqual(300 - 1e-6);
  });

  it("overprovisioned: far fewer refusals and no timeouts, at ~10x the cost of fixed", () => {
    const fixed = figures(simulate("requests", "fixed"));
    const over = simulate("requests", "overprovisioned");
    expect(burstShare(over, "timeout")).toBeLessThan(0.01); // measured 0
    // Rate limits (per client IP) still refuse ~2/3; the rest is served.
    expect(figures(over).rejectedFraction).toBeLessThan(fixed.rejectedFraction - 0.15); // .67 vs .91
    const ratio = figures(over).cost / fixed.cost;
    expect(ratio).toBeGreaterThan(9.5);
    expect(ratio).toBeLessThan(10.5);
  });

  it("priority-shedding: sheds new requests at once (overloaded, 0 ms) where fixed lets them time out", () => {
    const fixed = simulate("requests", "fixed");
    const shed = simulate("requests", "priority-shedding");
    expect(burstShare(shed, "overloaded")).toBeGreaterThan(0.03); // measured 0.057-0.071 over seeds 1-5
    expect(burstShare(shed, "overloaded")).toBeGreaterThan(20 * burstShare(fixed, "overloaded"));
    expect(shed.rejectLatencyMs.overloaded?.max).toBe(0);
    // Fewer time out (measured 0.25 vs 0.295), though timeouts are still the larger share (see report).
    expect(burstShare(shed, "timeout")).toBeLessThan(burstShare(fixed, "timeout") - 0.02);
    // Same fleet, same cost (up to the drain second a per-request run may add at its end).
    expect(Math.abs(figures(shed).cost / figures(fixed).cost - 1)).toBeLessThan(0.03);
  });

  it("reactive: scales out during the burst, costing between fixed and overprovisioned", () => {
    const reactive = simulate("requests", "reactive");
    const events = reactive.timeline.flatMap((p) => p.events ?? []);
    expect(events.some((e) => e.kind === "scale-out" && e.tier === "gateway")).toBe(true);
    expect(events.some((e) => e.kind === "instances-ready" && e.tier === "gateway")).toBe(true);
    const cost = figures(reactive).cost;
    expect(cost).toBeGreaterThan(2 * figures(simulate("requests", "fixed")).cost);
    expect(cost).toBeLessThan(0.8 * figures(simulate("requests", "overprovisioned")).cost);
  });
});

describe("simulate: the per-request simulator conserves requests", () => {
  it.each(STRATEGIES)(
    "%s: offered = served + rejected per class, and the client saw the same",
    (strategy) => {
      const r = simulate("requests", strategy);
      const f = figures(r);
      let offered = 0;
      for (const cls of TRAFFIC_CLASSES) {
        const o = sum(r.timeline.map((p) => p.byClass[cls]?.offered));
        const s = sum(r.timeline.map((p) => p.byClass[cls]?.served));
        const j = sum(r.timeline.map((p) => p.byClass[cls]?.rejected));
        expect(o, cls).toBeGreaterThan(0);
        expect(s + j, cls).toBe(o);
        // The client's histogram of the class has one value per response.
        expect(r.ingested.byClass[cls]?.latencyUs.totalCount, cls).toBe(o);
        offered += o;
      }
      expect(f.requests).toBe(offered);
      // Rejects by reason: server timeline and client view agree.
      const timelineReasons: Partial<Record<RejectReason, number>> = {};
      for (const p of r.timeline) {
        for (const [reason, n] of Object.entries(p.rejected)) {
          timelineReasons[reason as RejectReason] = (timelineReasons[reason as RejectReason] ?? 0) + (n ?? 0);
        }
      }
      expect(timelineReasons).toEqual(f.byReason);
      expect(sum(Object.values(timelineReasons))).toBe(f.rejected);
    },
  );

  it.each(["fixed", "reactive"])(
    "%s with faults: dependency errors and a region outage are refused as error, in their windows only, and conserved",
    (strategy) => {
      const r = simulate("requests", strategy, 1, false, faulted);
      for (const cls of TRAFFIC_CLASSES) {
        const o = sum(r.timeline.map((p) => p.byClass[cls]?.offered));
        const done = sum(
          r.timeline.map((p) => (p.byClass[cls]?.served ?? 0) + (p.byClass[cls]?.rejected ?? 0)),
        );
        expect(done, cls).toBe(o);
        expect(r.ingested.byClass[cls]?.latencyUs.totalCount, cls).toBe(o);
      }
      // Dependency errors: natural 300-600 s = wall 5-10 s (seconds 6..10); region down: wall 30-33 s.
      const errorsIn = (from: number, to: number) =>
        sum(r.timeline.filter((p) => p.tWallS > from && p.tWallS <= to).map((p) => p.rejected.error));
      const offeredIn = (from: number, to: number) =>
        sum(r.timeline.filter((p) => p.tWallS > from && p.tWallS <= to).map((p) => p.offered));
      expect(errorsIn(0, 5) + errorsIn(10, 30) + errorsIn(33, 1e9)).toBe(0);
      // ~120 requests at rate 0.2: measured 0.20-0.25 over seeds 1-3; 4 sd is 0.15.
      const depShare = errorsIn(5, 10) / offeredIn(5, 10);
      expect(depShare).toBeGreaterThan(0.06);
      expect(depShare).toBeLessThan(0.35);
      // Region down: every request the rate limit lets through fails (~2,100-2,270 of ~6,000).
      const down = r.timeline.filter((p) => p.tWallS > 30 && p.tWallS <= 33);
      const limited = sum(down.map((p) => p.rejected.rate_limited));
      expect(errorsIn(30, 33)).toBeGreaterThan(0.3 * offeredIn(30, 33));
      expect(errorsIn(30, 33) + limited).toBeGreaterThan(0.97 * offeredIn(30, 33));
      expect(down.every((p) => p.tiers?.gateway.workers === 0 || p.tWallS === 33)).toBe(true);
      // The aggregate simulator fails about as many (measured 2,100 vs 2,138-2,273).
      const agg = simulate("aggregate", strategy, 1, false, faulted);
      const aggErrors = sum(
        agg.timeline.filter((p) => p.tWallS > 30 && p.tWallS <= 33).map((p) => p.rejected.error),
      );
      expect(Math.abs(aggErrors / errorsIn(30, 33) - 1)).toBeLessThan(0.15);
    },
  );

  it("arrivals per class match the profile's expected counts within Poisson noise", () => {
    // Expected arrivals: normal rate x the integral of the (piecewise linear) multiple over wall time.
    const expected = {} as Record<TrafficClass, number>;
    for (const cls of TRAFFIC_CLASSES) {
      expected[cls] = profile.phases.reduce((acc, p) => {
        const m = p.byClass?.[cls] ?? { from: p.from, to: p.to };
        return acc + (profile.normalRatePerS[cls] * ((m.from + m.to) / 2) * p.durationS) / TIME_SCALE;
      }, 0);
    }
    // smoke: 3,030 normal-seconds: orders 18,180, depth 12,120, positions 30,300 (+ read-backs).
    expect(expected.order).toBeCloseTo(18_180, 6);
    for (const strategy of ["fixed", "overprovisioned"]) {
      const r = simulate("requests", strategy);
      const offered = (cls: TrafficClass) => sum(r.timeline.map((p) => p.byClass[cls]?.offered));
      for (const cls of ["order", "depth"] as const) {
        expect(Math.abs(offered(cls) - expected[cls]), `${strategy} ${cls}`).toBeLessThan(
          4 * Math.sqrt(expected[cls]),
        );
      }
      // Positions: the profile's reads plus one read-back per filled new order (at most one per served order).
      const readbacks = offered("position") - expected.position;
      const servedOrders = sum(r.timeline.map((p) => p.byClass.order?.served));
      expect(readbacks).toBeGreaterThan(-4 * Math.sqrt(expected.position));
      expect(readbacks).toBeLessThan(servedOrders + 4 * Math.sqrt(expected.position));
    }
  });
});

// ---- the drill's behaviours, run against the venue, send what the simulator assumes ------------

/** A request a behaviour sent through the harness. */
interface Sent {
  endpoint: string;
  served: boolean;
  /** A new order that filled at once (executedQty > 0 in the acknowledgement). */
  filled: boolean;
  /** A position read right after a fill of the same iteration. */
  readback: boolean;
  /** A new order that passes priority shedding (reduce-only or closePosition). */
  priority: boolean;
}

/**
 * A drill session whose requests go straight into a Venue (the mock exchange's request logic,
 * without HTTP, capacity model or limits), on a fake clock that moves 20 ms per request so the
 * read replica keeps up. Mid prices are read from the book as the drill's setup() reads them.
 */
class VenueSession implements Session {
  readonly symbols = DRILL_SYMBOLS;
  readonly state: SessionState = {
    traderResting: undefined,
    makerQuote: undefined,
    stops: {},
    positions: {},
    blockedUntilMs: 0,
  };
  readonly sent: Sent[] = [];
  private lastFilled = false;
  private readonly mids = new Map<string, number>();

  constructor(
    private readonly venue: Venue,
    private readonly accountId: number,
    private readonly clock: { t: number },
    readonly rand: () => number,
  ) {
    for (const s of DRILL_SYMBOLS) {
      const book = this.call("GET", "/fapi/v1/depth", `symbol=${s.symbol}&limit=5`).json() as {
        bids: string[][];
        asks: string[][];
      };
      this.mids.set(s.symbol, (Number(book.bids[0]?.[0]) + Number(book.asks[0]?.[0])) / 2);
    }
  }

  mid(symbol: string): number {
    return this.mids.get(symbol) as number;
  }

  beginIteration(): void {
    this.lastFilled = false;
  }

  signedGet(_c: unknown, _e: string, path: string, params: string) {
    return this.call("GET", path, params);
  }
  signedPost(_c: unknown, _e: string, path: string, params: string) {
    return this.call("POST", path, params);
  }
  signedDelete(_c: unknown, _e: string, path: string, params: string) {
    return this.call("DELETE", path, params);
  }
  get(_c: unknown, _e: string, path: string, query: string) {
    return this.call("GET", path, query);
  }

  served(res: RefinedResponse<ResponseType>, _cls: unknown, endpoint: string): boolean {
    const served = res.status < 400;
    const isNew = endpoint === ENDPOINT.newOrder;
    const filled = isNew && served && Number((res.json() as { executedQty?: string }).executedQty) > 0;
    const body = (res as unknown as { request: string }).request;
    this.sent.push({
      endpoint,
      served,
      filled,
      readback: endpoint === ENDPOINT.positionRisk && this.lastFilled,
      priority: isNew && /reduceOnly=true|closePosition=true/.test(body),
    });
    this.lastFilled = filled;
    return served;
  }

  private call(method: string, path: string, params: string): RefinedResponse<ResponseType> {
    this.clock.t += 20;
    const route = findRoute(method, path) as Route;
    let status: number;
    let body: string;
    try {
      const req = this.venue.parse(route.name, new Params(params), this.accountId);
      ({ status, body } = this.venue.execute(req, this.accountId));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      status = err.spec.status;
      body = errorBody(err.spec, err.fields);
    }
    const response = { status, body, request: params, headers: {}, json: () => JSON.parse(body) };
    return response as unknown as RefinedResponse<ResponseType>;
  }
}

interface Tally {
  iterations: number;
  cancels: number;
  newOrders: number;
  priorityOrders: number;
  fills: number;
  reads: number;
  readbacks: number;
  depth: number;
  refused: number;
  /** reduce-only-closer: iterations whose read was served. */
  servedReads: number;
}

/** Runs `iterations` order-class iterations of a mix over `accounts` sessions against one venue. */
function runAgainstVenue(mix: BehaviourMix, iterations: number, accounts = 4): Map<BehaviourName, Tally> {
  const clock = { t: 1_760_126_400_000 };
  const config = exchangeConfigFor(PROFILES.smoke as Profile, {
    timeScale: 60,
    seed: 1,
    strategy: "fixed",
    scale: "drill",
  });
  const venue = new Venue(config, () => clock.t);
  const sessions = Array.from(
    { length: accounts },
    (_, i) => new VenueSession(venue, i + 1, clock, seededRandom(1_000 + i)),
  );
  const m = classMix(mix, "order");
  const tallies = new Map<BehaviourName, Tally>();
  for (let i = 0; i < iterations; i++) {
    const s = sessions[i % accounts] as VenueSession;
    const name = pickBehaviour(m, () => s.rand());
    s.beginIteration();
    const from = s.sent.length;
    RUN_BEHAVIOUR[name](s);
    const t = tallies.get(name) ?? {
      iterations: 0,
      cancels: 0,
      newOrders: 0,
      priorityOrders: 0,
      fills: 0,
      reads: 0,
      readbacks: 0,
      depth: 0,
      refused: 0,
      servedReads: 0,
    };
    t.iterations++;
    for (const r of s.sent.slice(from)) {
      if (!r.served) t.refused++;
      if (r.endpoint === ENDPOINT.cancelOrder) t.cancels++;
      else if (r.endpoint === ENDPOINT.newOrder) {
        if (r.priority) t.priorityOrders++;
        else t.newOrders++;
        if (r.filled) t.fills++;
      } else if (r.endpoint === ENDPOINT.positionRisk) {
        if (r.readback) t.readbacks++;
        else {
          t.reads++;
          if (r.served) t.servedReads++;
        }
      } else t.depth++;
    }
    tallies.set(name, t);
  }
  return tallies;
}

/** What the simulator sends per iteration of one behaviour within a mix. */
function simulated(name: BehaviourName, mix: BehaviourMix) {
  const one = { order: { [name]: 1 } } as BehaviourMix;
  const perIteration = iterationMix(one, "order");
  // The closer's close share depends on the mix it is in.
  const closeP = name === "reduce-only-closer" ? closerOpenShare(mix) : 1;
  return { ...perIteration, steps: simBehaviour(name, mix).steps.length, closeP };
}

describe("simulate: the drill's behaviours (loadtests/scenarios/) against the venue send what the simulator assumes", () => {
  it("trader: cancels and fill share as CANCEL_SHARE and FILL_SHARE; a read-back per fill", () => {
    const t = runAgainstVenue({ order: { trader: 1 } }, 6_000).get("trader") as Tally;
    // 6,000 iterations: 4 sd of the cancel share is 0.02, of the fill share (~5,000 orders) 0.03
    // (measured 0.175 vs 0.171 and 0.600 vs 0.6).
    expect(Math.abs(t.cancels / t.iterations - CANCEL_SHARE)).toBeLessThan(0.02);
    expect(Math.abs(t.fills / t.newOrders - FILL_SHARE)).toBeLessThan(0.03);
    expect(t.cancels + t.newOrders).toBe(t.iterations);
    expect(t.readbacks).toBe(t.fills);
    expect(t.reads + t.priorityOrders + t.depth).toBe(0);
    const sim = simulated("trader", { order: { trader: 1 } });
    expect(sim.cancels).toBe(CANCEL_SHARE);
    expect(sim.newOrderFills / sim.newOrders).toBeCloseTo(FILL_SHARE, 12);
  });

  it("taker: one MARKET order that fills, and its read-back, every iteration", () => {
    const t = runAgainstVenue({ order: { taker: 1 } }, 1_000).get("taker") as Tally;
    expect(t.newOrders).toBe(t.iterations);
    expect(t.fills).toBe(t.iterations);
    expect(t.readbacks).toBe(t.iterations);
    expect(t.cancels + t.reads + t.refused).toBe(0);
    const sim = simulated("taker", { order: { taker: 1 } });
    expect([sim.newOrders, sim.newOrderFills, sim.cancels]).toEqual([1, 1, 0]);
  });

  it("market-maker: a cancel of its last quote and a new post-only quote that rests, every iteration but a session's first", () => {
    const accounts = 4;
    const t = runAgainstVenue({ order: { "market-maker": 1 } }, 2_000, accounts).get("market-maker") as Tally;
    expect(t.newOrders).toBe(t.iterations);
    expect(t.fills).toBe(0);
    expect(t.cancels).toBe(t.iterations - accounts);
    // Every quote rested (no -5022) and every cancel found its quote.
    expect(t.refused).toBe(0);
    // The simulator's share (an upper bound) differs by a session's first iteration only.
    expect(MAKER_REQUOTE_SHARE - t.cancels / t.iterations).toBeCloseTo(accounts / t.iterations, 12);
    const sim = simulated("market-maker", { order: { "market-maker": 1 } });
    expect([sim.cancels, sim.newOrders, sim.newOrderFills]).toEqual([MAKER_REQUOTE_SHARE, 1, 0]);
  });

  it("stop-loss-submitter: a read, a cancel of its working stop, a new stop the venue accepts (priority, no fill)", () => {
    const accounts = 4;
    const t = runAgainstVenue({ order: { "stop-loss-submitter": 1, taker: 1 } }, 4_000, accounts).get(
      "stop-loss-submitter",
    ) as Tally;
    expect(t.reads).toBe(t.iterations);
    expect(t.priorityOrders).toBe(t.iterations);
    expect(t.newOrders + t.fills).toBe(0);
    // One working stop per session and symbol: every iteration but the first per symbol replaces one.
    expect(t.cancels).toBeGreaterThanOrEqual(t.iterations - accounts * DRILL_SYMBOLS.length);
    // No stop on the wrong side of the mark (-2021) and no cancel of a stop already gone.
    expect(t.refused).toBe(0);
    const sim = simulated("stop-loss-submitter", { order: { "stop-loss-submitter": 1 } });
    expect([sim.reads, sim.cancels, sim.priorityOrders, sim.priorityFills]).toEqual([
      1,
      STOP_REPLACE_SHARE,
      1,
      0,
    ]);
  });

  it("reduce-only-closer: closes (priority, filled, read back) as often as closerOpenShare predicts for its mix", () => {
    for (const [mix, iterations] of [
      [{ order: { "reduce-only-closer": 1, taker: 1 } }, 4_000],
      [{ order: { "reduce-only-closer": 1, taker: 3 } }, 6_000],
      [{ order: { "reduce-only-closer": 2, trader: 3 } }, 6_000],
    ] as Array<[BehaviourMix, number]>) {
      const t = runAgainstVenue(mix, iterations).get("reduce-only-closer") as Tally;
      expect(t.reads).toBe(t.iterations);
      expect(t.servedReads).toBe(t.iterations);
      expect(t.fills).toBe(t.priorityOrders);
      expect(t.readbacks).toBe(t.fills);
      expect(t.newOrders + t.cancels).toBe(0);
      const measured = t.priorityOrders / t.servedReads;
      // 1,500-2,400 closer iterations: 4 sd of a share near 0.5 is about 0.05 (measured 0.476 vs
      // 0.488, 0.720 vs 0.723, 0.407 vs 0.418).
      expect(Math.abs(measured - closerOpenShare(mix)), JSON.stringify(mix)).toBeLessThan(0.05);
    }
    // Alone, closers never find a position to close (nothing opens one).
    expect(closerOpenShare({ order: { "reduce-only-closer": 1 } })).toBe(0);
  });
});

// ---- behaviour mixes in the simulators ----------------------------------------------------------

/** smoke's shape with another mix (and time scale): per request or aggregate, reactive, seed 1. */
function simulateMix(method: Method, behaviours: BehaviourMix | undefined, timeScale = TIME_SCALE) {
  const p: Profile = { ...profile, behaviours };
  const mixPlan = planDrill(p, { timeScale, iterationBudgetS: 0 });
  const config = exchangeConfigFor(p, { timeScale, seed: 1, strategy: "reactive", scale: "drill" });
  const tee = new Tee(new SimulationRecorder(0));
  const input = {
    profile: p,
    config,
    normalRatePerS: p.normalRatePerS,
    clients: p.clients,
    timeScale,
    durationS: mixPlan.durationS,
    seed: 1,
  };
  if (method === "requests") simulatePerRequest(input, tee);
  else simulateAggregate(input, tee);
  const result = {
    ingested: tee.recorder.ingested(mixPlan.phases),
    timeline: tee.recorder.timelinePoints,
    rejectLatencyMs: tee.rejectLatencyMs,
  };
  const offered = (cls: TrafficClass) => sum(result.timeline.map((pt) => pt.byClass[cls]?.offered));
  const served = (cls: TrafficClass) => sum(result.timeline.map((pt) => pt.byClass[cls]?.served));
  const limited = (cls: TrafficClass) =>
    sum(result.timeline.map((pt) => pt.rejectedByClass?.[cls]?.rate_limited));
  return { result, figures: figures(result), offered, served, limited };
}

/** Expected iterations of a class over smoke (normal rate x the integral of its multiple). */
function expectedIterations(cls: TrafficClass, timeScale = TIME_SCALE): number {
  return profile.phases.reduce((acc, p) => {
    const m = p.byClass?.[cls] ?? { from: p.from, to: p.to };
    return acc + (profile.normalRatePerS[cls] * ((m.from + m.to) / 2) * p.durationS) / timeScale;
  }, 0);
}

const LIBRARY_MIXES: Array<[string, BehaviourMix]> = [
  ["flash-crash-100x", PROFILES["flash-crash-100x"]?.behaviours as BehaviourMix],
  ["liquidation-cascade-2025-10-10", PROFILES["liquidation-cascade-2025-10-10"]?.behaviours as BehaviourMix],
  ["spam-flood", PROFILES["spam-flood"]?.behaviours as BehaviourMix],
];

describe("simulate: behaviour mixes", () => {
  it("the library's mixes are set where the incident has them, smoke stays on the defaults", () => {
    for (const [name, mix] of LIBRARY_MIXES) expect(mix, name).toBeDefined();
    expect(profile.behaviours).toBeUndefined();
  });

  it("per request: a mix's iterations send their behaviours' requests (order requests per iteration, read-backs per fill)", () => {
    // flash-crash's order mix: takers (1 order), market makers (a cancel and a quote), traders (1).
    const mix = PROFILES["flash-crash-100x"]?.behaviours as BehaviourMix;
    const run = simulateMix("requests", mix);
    const iterations = expectedIterations("order");
    const m = iterationMix(mix, "order");
    const perIteration = m.cancels + m.newOrders + m.priorityOrders;
    expect(perIteration).toBeCloseTo(0.5 * 1 + 0.3 * 2 + 0.2 * 1, 12);
    // Poisson noise of the iterations, times the requests each sends.
    expect(Math.abs(run.offered("order") - iterations * perIteration)).toBeLessThan(
      4 * perIteration * Math.sqrt(iterations),
    );
    // Position requests: the class's own reads plus one read-back per filled new order.
    const readbacks = run.offered("position") - expectedIterations("position");
    expect(readbacks).toBeGreaterThan(0.3 * run.served("order"));
    expect(readbacks).toBeLessThan(run.served("order") + 4 * Math.sqrt(expectedIterations("position")));
    // Depth is untouched by the order mix.
    expect(Math.abs(run.offered("depth") - expectedIterations("depth"))).toBeLessThan(
      4 * Math.sqrt(expectedIterations("depth")),
    );
  });

  it.each(LIBRARY_MIXES)(
    "%s's mix on smoke: the aggregate agrees with the per-request simulation (requests, rejects, p99, stale rate)",
    (_name, mix) => {
      const req = simulateMix("requests", mix).figures;
      const agg = simulateMix("aggregate", mix).figures;
      // Measured: requests within 0.7%, rejected fractions within 0.008, p99 equal (300.5 ms, the
      // queue timeout), stale rates within 0.04 (0.89 vs 0.86 for flash-crash's takers; the
      // cascade's and spam-flood's mixes fill less than traders, so the replica keeps up: ~0).
      expect(Math.abs(agg.requests / req.requests - 1)).toBeLessThan(0.02);
      expect(Math.abs(agg.rejectedFraction - req.rejectedFraction)).toBeLessThan(0.04);
      expect(Math.abs(agg.p99Ms / req.p99Ms - 1)).toBeLessThan(0.08);
      const staleRate = (f: typeof req) => (f.staleChecked > 0 ? f.staleReads / f.staleChecked : 0);
      expect(Math.abs(staleRate(agg) - staleRate(req))).toBeLessThan(0.1);
    },
  );

  it("patient checkers skip while told to wait: fewer position requests and 429s, when Retry-After outlasts a session's turn", () => {
    // At time scale 15 the weight window is 4 wall s, so Retry-After (up to 4 s) outlasts a
    // session's turn (~1 s between its iterations at 100x: as many sessions as the drill's VUs).
    // Measured over seeds 1-3: position requests 151.6-152.5k -> 83.3-83.5k, their 429s
    // 126.5-127.4k -> 58.9-59.1k; orders and depth unchanged.
    const panicked = simulateMix("requests", undefined, 15);
    const patient = simulateMix("requests", { position: { "patient-checker": 1 } }, 15);
    expect(patient.offered("position")).toBeLessThan(0.7 * panicked.offered("position"));
    expect(patient.limited("position")).toBeLessThan(0.6 * panicked.limited("position"));
    for (const cls of ["order", "depth"] as const)
      expect(Math.abs(patient.offered(cls) / panicked.offered(cls) - 1), cls).toBeLessThan(0.02);
    // At smoke's own scale (a 1 s window, Retry-After 1 s, about a session's turn) they skip
    // little: measured 2-4% fewer position requests over seeds 1-3.
    const p60 = simulateMix("requests", { position: { "patient-checker": 1 } });
    const r60 = simulateMix("requests", undefined);
    expect(p60.offered("position")).toBeLessThan(r60.offered("position"));
    expect(p60.offered("position")).toBeGreaterThan(0.9 * r60.offered("position"));
  });
});
