import type { RefinedResponse, ResponseType } from "k6/http";
import { describe, expect, it, vi } from "vitest";
import {
  type BehaviourMix,
  type BehaviourName,
  type BehaviourRequest,
  CANCEL_SHARE,
  CLOSER_CLOSE_SHARE,
  classMix,
  clientBehaviour,
  clientShares,
  FILL_SHARE,
  MAKER_REQUOTE_SHARE,
  REQUEST,
  STOP_REPLACE_SHARE,
} from "../../loadtests/lib/behaviours.ts";
import { drillRequestBudgetS, planDrill } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { RUN_BEHAVIOUR } from "../../loadtests/scenarios/index.ts";
import {
  DRILL_SYMBOLS,
  newSessionState,
  type Session,
  type SessionState,
} from "../../loadtests/scenarios/session.ts";
import { ApiError, errorBody } from "../../loadtests/vocabulary/exchangeErrors.ts";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import { type RejectReason, TRAFFIC_CLASSES, type TrafficClass } from "../../loadtests/vocabulary/traffic.ts";
import { Params } from "../../mock-exchange/api/params.ts";
import { findRoute, type Route } from "../../mock-exchange/api/routes.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { simulateAggregate } from "../../mock-exchange/simulate/aggregate.ts";
import { iterationMix, SIM_BEHAVIOURS } from "../../mock-exchange/simulate/behaviour.ts";
import { simulatePerRequest } from "../../mock-exchange/simulate/perRequest.ts";
import { SimulationRecorder } from "../../mock-exchange/simulate/recorder.ts";
import type { SimulationSink } from "../../mock-exchange/simulate/types.ts";
import { Venue } from "../../mock-exchange/venue.ts";
import type { Ingested } from "../../reports/ingest.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";

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
 * ~63-69k requests; ~0.3 s per-request, ~0.1 s aggregate), with the venue's IP bans and smoke's
 * clients: 25 panicked and 75 patient position readers (loadtests/profiles/smoke.ts). Tolerances
 * are from seeds 1-5 of the per-request simulator against the (seed-independent) aggregate one:
 *
 *   strategy            rejected fraction        overall p99 (ms)        cost (instance-min)
 *                       requests    aggregate    requests   aggregate    requests    aggregate
 *   fixed               .896-.897   .900         348-350    351          300/305     300
 *   overprovisioned     .518-.532   .514         165-170    172          3000/3050   3000
 *   reactive            .532-.536   .526         314-315    314          2833-2990   3363
 *   priority-shedding   .914-.916   .903         337-339    345          300/305     300
 *
 * (requests: the aggregate's are 0.4-2.2% more, its patient clients skipping a little less) so:
 * responses within 2.5%, rejected fractions within 0.04 (worst seen 0.018), p99 within 9% (worst
 * seen 4.2%, 8.1% with the drill's VUs planned per request since (seed 1), the overprovisioned read tier, where the rush at each rate-limit window's start
 * decides the tail), cost within 4% for the fleets that do not follow demand (worst seen 1.6%: a
 * per-request run can bill one more drain second). Reactive's is not: both make the same first
 * scale-out, but the aggregate's second buys 13 gateway and 9 read instances where per request
 * it buys 5 and 3 (and a third 2), because its panicked clients' first bans end together and
 * the second after them is unbanned throughout, while per request they end over a second or
 * two and the demand the policy reads there is lower (0.73 vs 0.97): cost within 20% (worst seen
 * 18.7%).
 */

const profile = PROFILES.smoke as Profile;
const TIME_SCALE = 60;
const plan = planDrill(profile, { timeScale: TIME_SCALE, requestBudgetS: 0 });
const STRATEGIES = ["fixed", "overprovisioned", "reactive", "priority-shedding"] as const;
type Method = "requests" | "aggregate";

/** Latency of every refusal, by reason, next to the recorder (the histograms do not keep reasons). */
class Tee implements SimulationSink {
  readonly rejectLatencyMs: Partial<Record<RejectReason, { min: number; max: number }>> = {};
  /** Responses per behaviour: "served" or the refusal reason. */
  readonly byBehaviour: Partial<Record<BehaviourName, Record<string, number>>> = {};
  constructor(readonly recorder: SimulationRecorder) {}
  behaviour(name: BehaviourName, reason: RejectReason | undefined, n: number): void {
    const t = this.byBehaviour[name] ?? {};
    this.byBehaviour[name] = t;
    const key = reason ?? "served";
    t[key] = (t[key] ?? 0) + n;
  }
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
  byBehaviour: Tee["byBehaviour"];
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
    byBehaviour: tee.byBehaviour,
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

/** Share of smoke's position VUs whose client runs `name` (VU v is client v % clients). */
function vuShare(name: BehaviourName): number {
  const vus = planDrill(profile, {
    timeScale: TIME_SCALE,
    requestBudgetS: drillRequestBudgetS(EXCHANGE_DEFAULTS.capacity),
  }).classes.position.maxVUs;
  const m = classMix(profile.behaviours, "position");
  let n = 0;
  for (let v = 0; v < vus; v++) if (clientBehaviour(m, v % profile.clients, profile.clients) === name) n++;
  return n / vus;
}

describe("simulate: the aggregate approximation agrees with the per-request simulation (smoke, drill size)", () => {
  it.each(STRATEGIES)("%s: responses within 2.5%, rejected fraction within 0.04", (strategy) => {
    const req = figures(simulate("requests", strategy));
    const agg = figures(simulate("aggregate", strategy));
    // Same offered load, up to Poisson noise, whole-count rounding and the patient clients'
    // back-off (a share of sessions waiting, where per request a session skips whole turns).
    expect(Math.abs(agg.requests / req.requests - 1)).toBeLessThan(0.025);
    expect(Math.abs(agg.rejectedFraction - req.rejectedFraction)).toBeLessThan(0.04);
  });

  it.each(["fixed", "overprovisioned", "priority-shedding"])(
    "%s: timeline cost within 4% (a fleet that does not follow demand)",
    (strategy) => {
      const req = figures(simulate("requests", strategy));
      const agg = figures(simulate("aggregate", strategy));
      expect(Math.abs(agg.cost / req.cost - 1)).toBeLessThan(0.04);
    },
  );

  it("reactive: the same first scale-out; the aggregate's second buys more (cost within 20%)", () => {
    const scaleOuts = (r: Result) =>
      r.timeline.flatMap((p) =>
        (p.events ?? []).filter((e) => e.kind === "scale-out" && e.tier === "gateway"),
      );
    const req = simulate("requests", "reactive");
    const agg = simulate("aggregate", "reactive");
    const [reqFirst, reqSecond] = scaleOuts(req);
    const [aggFirst, aggSecond] = scaleOuts(agg);
    // Measured: both decide at 13 s for 18-19 more instances, and again at 18 s (5 vs 13 more).
    expect(aggFirst?.atS).toBe(reqFirst?.atS);
    expect(Math.abs((aggFirst?.instances ?? 0) - (reqFirst?.instances ?? 0))).toBeLessThanOrEqual(2);
    expect(aggSecond?.atS).toBe(reqSecond?.atS);
    expect(aggSecond?.instances ?? 0).toBeGreaterThanOrEqual(
      reqSecond?.instances ?? Number.POSITIVE_INFINITY,
    );
    expect(Math.abs(figures(agg).cost / figures(req).cost - 1)).toBeLessThan(0.2);
  });

  it.each(["fixed", "overprovisioned", "reactive", "priority-shedding"])(
    "%s: overall p99 within 9%",
    (strategy) => {
      const req = figures(simulate("requests", strategy));
      const agg = figures(simulate("aggregate", strategy));
      expect(Math.abs(agg.p99Ms / req.p99Ms - 1)).toBeLessThan(0.09);
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
  it("fixed: the burst times out (~half of burst requests, 300 ms each), almost nothing is shed", () => {
    const fixed = simulate("requests", "fixed");
    expect(burstShare(fixed, "timeout")).toBeGreaterThan(0.3); // measured 0.469-0.490 over seeds 1-5
    expect(burstShare(fixed, "overloaded")).toBeLessThan(0.02); // measured 0.003-0.013
    // A timeout answers after the queue timeout, not before.
    expect(fixed.rejectLatencyMs.timeout?.min).toBeGreaterThanOrEqual(300 - 1e-6);
  });

  it("overprovisioned: far fewer refusals and no timeouts, at ~10x the cost of fixed", () => {
    const fixed = figures(simulate("requests", "fixed"));
    const over = simulate("requests", "overprovisioned");
    expect(burstShare(over, "timeout")).toBeLessThan(0.01); // measured 0
    // Rate limits and the panicked clients' bans (per client IP) still refuse about half; the rest is served.
    expect(figures(over).rejectedFraction).toBeLessThan(fixed.rejectedFraction - 0.15); // .52 vs .90
    const ratio = figures(over).cost / fixed.cost;
    expect(ratio).toBeGreaterThan(9.5);
    expect(ratio).toBeLessThan(10.5);
  });

  it("priority-shedding: sheds new requests at once (overloaded, 0 ms) where fixed lets them time out", () => {
    const fixed = simulate("requests", "fixed");
    const shed = simulate("requests", "priority-shedding");
    // Measured 0.196-0.210 against fixed's 0.009-0.020 over seeds 1-3 with the drill's VUs by
    // Little's law (loadtests/lib/plan.ts VU_HEADROOM, 2026-12-05; 0.153-0.174 over seeds 1-5 before).
    expect(burstShare(shed, "overloaded")).toBeGreaterThan(0.08);
    expect(burstShare(shed, "overloaded")).toBeGreaterThan(8 * burstShare(fixed, "overloaded"));
    expect(shed.rejectLatencyMs.overloaded?.max).toBe(0);
    // Fewer time out (measured 0.355 vs 0.481), though timeouts are still the larger share (see report).
    expect(burstShare(shed, "timeout")).toBeLessThan(burstShare(fixed, "timeout") - 0.02);
    // Same fleet, same cost (up to the drain second a per-request run may add at its end).
    expect(Math.abs(figures(shed).cost / figures(fixed).cost - 1)).toBeLessThan(0.03);
  });

  it("reactive: scales out during the burst, late, to about the overprovisioned fleet's cost", () => {
    const reactive = simulate("requests", "reactive");
    const events = reactive.timeline.flatMap((p) => p.events ?? []);
    expect(events.some((e) => e.kind === "scale-out" && e.tier === "gateway")).toBe(true);
    expect(events.some((e) => e.kind === "instances-ready" && e.tier === "gateway")).toBe(true);
    // Most of smoke's burst passes its 100 clients' limits, so the policy grows to about the
    // overprovisioned fleet, for the burst only: measured 2,833-2,990 vs 3,000-3,050 over seeds
    // 1-5 (fixed: 300) when a position VU was planned for two requests; with one request's budget
    // a patient client has half the sessions, each backing off alone, and seed 1 buys 3,145. It is
    // still late: the ramp times out where overprovisioned does not.
    const cost = figures(reactive).cost;
    expect(cost).toBeGreaterThan(5 * figures(simulate("requests", "fixed")).cost);
    expect(cost).toBeLessThanOrEqual(1.1 * figures(simulate("requests", "overprovisioned")).cost);
    const ramp = (r: Result, reason: RejectReason) => {
      const i = plan.phases.findIndex((p) => p.name === "ramp");
      return r.ingested.byPhase[i]?.rejected[reason] ?? 0;
    };
    expect(ramp(reactive, "timeout")).toBeGreaterThan(1_000); // measured 3,625
    expect(ramp(simulate("requests", "overprovisioned"), "timeout")).toBe(0);
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
      // ~120 requests at rate 0.2: measured 0.20-0.26 over seeds 1-3; 4 sd is 0.15.
      const depShare = errorsIn(5, 10) / offeredIn(5, 10);
      expect(depShare).toBeGreaterThan(0.06);
      expect(depShare).toBeLessThan(0.35);
      // Region down: every request the rate limit and the bans let through fails (~3,500-3,800 of
      // ~6,000 over seeds 1-3; the rest are 429s and the panicked clients' 418s).
      const down = r.timeline.filter((p) => p.tWallS > 30 && p.tWallS <= 33);
      const limited = sum(down.map((p) => p.rejected.rate_limited));
      const banned = sum(down.map((p) => p.rejected.banned));
      expect(errorsIn(30, 33)).toBeGreaterThan(0.5 * offeredIn(30, 33));
      expect(banned).toBeGreaterThan(0);
      expect(errorsIn(30, 33) + limited + banned).toBeGreaterThan(0.97 * offeredIn(30, 33));
      expect(down.every((p) => p.tiers?.gateway.workers === 0 || p.tWallS === 33)).toBe(true);
      // The aggregate simulator fails about as many (measured 3,283 vs 3,561 fixed, 3,774 reactive).
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
      // Positions, by who sends them: the traders' read-backs (one per filled new order, so at
      // most one per served order), the panicked clients' iterations and their retries (at most
      // one per iteration, PANICKED.retries), and the patient clients' iterations less those they
      // skipped while told to wait. Each behaviour's share of the iterations is its clients'
      // share of the class's VUs (client = VU % clients, as in the drill).
      const total = (name: BehaviourName) => sum(Object.values(r.byBehaviour[name] ?? {}));
      const readbacks = total("trader") - offered("order");
      const servedOrders = sum(r.timeline.map((p) => p.byClass.order?.served));
      expect(readbacks).toBeGreaterThan(0);
      expect(readbacks).toBeLessThanOrEqual(servedOrders);
      const panicked = expected.position * vuShare("panicked-checker");
      const patient = expected.position * vuShare("patient-checker");
      const noise = (n: number) => 4 * Math.sqrt(n);
      expect(total("panicked-checker")).toBeGreaterThan(panicked - noise(panicked));
      expect(total("panicked-checker")).toBeLessThan(2 * (panicked + noise(panicked)));
      expect(total("patient-checker")).toBeLessThan(patient + noise(patient));
      expect(readbacks + total("panicked-checker") + total("patient-checker")).toBe(offered("position"));
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
  readonly state: SessionState = newSessionState();
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

  send(r: BehaviourRequest, params: string) {
    return this.call(r.method, r.path, params);
  }

  served(res: RefinedResponse<ResponseType>, r: BehaviourRequest): boolean {
    const endpoint = r.endpoint;
    const served = res.status < 400;
    const isNew = endpoint === REQUEST.newOrder.endpoint;
    const filled = isNew && served && Number((res.json() as { executedQty?: string }).executedQty) > 0;
    const body = (res as unknown as { request: string }).request;
    this.sent.push({
      endpoint,
      served,
      filled,
      readback: endpoint === REQUEST.positionRisk.endpoint && this.lastFilled,
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

function emptyTally(): Tally {
  return {
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
}

/** Counts what one iteration sent into its behaviour's tally. */
function tallySent(t: Tally, sent: VenueSession["sent"]): void {
  for (const r of sent) {
    if (!r.served) t.refused++;
    if (r.endpoint === REQUEST.cancelOrder.endpoint) t.cancels++;
    else if (r.endpoint === REQUEST.newOrder.endpoint) {
      if (r.priority) t.priorityOrders++;
      else t.newOrders++;
      if (r.filled) t.fills++;
    } else if (r.endpoint === REQUEST.positionRisk.endpoint) {
      if (r.readback) t.readbacks++;
      else {
        t.reads++;
        if (r.served) t.servedReads++;
      }
    } else t.depth++;
  }
}

/** A venue of the smoke profile's fixed drill, and one seeded session per account on a shared clock. */
function smokeVenueSessions(accounts: number): VenueSession[] {
  const clock = { t: 1_760_126_400_000 };
  const config = exchangeConfigFor(PROFILES.smoke as Profile, {
    timeScale: 60,
    seed: 1,
    strategy: "fixed",
    scale: "drill",
  });
  const venue = new Venue(config, () => clock.t);
  return Array.from(
    { length: accounts },
    (_, i) => new VenueSession(venue, i + 1, clock, seededRandom(1_000 + i)),
  );
}

/**
 * Runs `iterations` order-class iterations of a mix over `accounts` sessions against one venue,
 * round-robin; session i is client i of `accounts`, and runs its behaviour (clientBehaviour).
 */
function runAgainstVenue(mix: BehaviourMix, iterations: number, accounts = 4): Map<BehaviourName, Tally> {
  const sessions = smokeVenueSessions(accounts);
  const m = classMix(mix, "order");
  const tallies = new Map<BehaviourName, Tally>();
  for (let i = 0; i < iterations; i++) {
    const s = sessions[i % accounts] as VenueSession;
    const name = clientBehaviour(m, i % accounts, accounts);
    s.beginIteration();
    const from = s.sent.length;
    RUN_BEHAVIOUR[name](s);
    const t = tallies.get(name) ?? emptyTally();
    t.iterations++;
    tallySent(t, s.sent.slice(from));
    tallies.set(name, t);
  }
  return tallies;
}

/** What the simulator sends per iteration of one behaviour. */
function simulated(name: BehaviourName) {
  const one = { order: { [name]: 1 } } as BehaviourMix;
  return { ...iterationMix(one, "order", 1), steps: SIM_BEHAVIOURS[name].steps.length };
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
    const sim = simulated("trader");
    expect(sim.cancels).toBe(CANCEL_SHARE);
    expect(sim.newOrderFills / sim.newOrders).toBeCloseTo(FILL_SHARE, 12);
  });

  it("taker: one MARKET order that fills, and its read-back, every iteration", () => {
    const t = runAgainstVenue({ order: { taker: 1 } }, 1_000).get("taker") as Tally;
    expect(t.newOrders).toBe(t.iterations);
    expect(t.fills).toBe(t.iterations);
    expect(t.readbacks).toBe(t.iterations);
    expect(t.cancels + t.reads + t.refused).toBe(0);
    const sim = simulated("taker");
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
    const sim = simulated("market-maker");
    expect([sim.cancels, sim.newOrders, sim.newOrderFills]).toEqual([MAKER_REQUOTE_SHARE, 1, 0]);
  });

  it("stop-loss-submitter: a read, a cancel of its working stop, a new stop the venue accepts (priority, no fill)", () => {
    // Sessions 0-1 take, 2-3 submit stops; a submitter's own account never opens a position, so
    // its stops are closePosition ones on a random side of the mark.
    const accounts = 4;
    const t = runAgainstVenue({ order: { "stop-loss-submitter": 1, taker: 1 } }, 4_000, accounts).get(
      "stop-loss-submitter",
    ) as Tally;
    expect(t.iterations).toBe(2_000);
    expect(t.reads).toBe(t.iterations);
    expect(t.priorityOrders).toBe(t.iterations);
    expect(t.newOrders + t.fills).toBe(0);
    // One working stop per session and symbol: every iteration but the first per symbol replaces one.
    expect(t.cancels).toBeGreaterThanOrEqual(t.iterations - accounts * DRILL_SYMBOLS.length);
    // No stop on the wrong side of the mark (-2021) and no cancel of a stop already gone.
    expect(t.refused).toBe(0);
    const sim = simulated("stop-loss-submitter");
    expect([sim.reads, sim.cancels, sim.priorityOrders, sim.priorityFills]).toEqual([
      1,
      STOP_REPLACE_SHARE,
      1,
      0,
    ]);
  });

  it("reduce-only-closer: closes what it holds, re-enters when flat (both at market, filled, read back): half and half", () => {
    // Sessions 0-1 take, 2-3 close: a closer's account has no other flow, so per symbol it
    // alternates re-entry and close (the venue here keeps up: no stale read).
    const accounts = 4;
    const t = runAgainstVenue({ order: { "reduce-only-closer": 1, taker: 1 } }, 4_000, accounts).get(
      "reduce-only-closer",
    ) as Tally;
    expect(t.iterations).toBe(2_000);
    expect(t.reads).toBe(t.iterations);
    expect(t.servedReads).toBe(t.iterations);
    // Every served read is followed by one order, which fills and is read back.
    expect(t.priorityOrders + t.newOrders).toBe(t.servedReads);
    expect(t.fills).toBe(t.priorityOrders + t.newOrders);
    expect(t.readbacks).toBe(t.fills);
    expect(t.cancels + t.refused).toBe(0);
    // Closes and re-entries differ by at most one per session and symbol (which one came last).
    expect(Math.abs(t.priorityOrders - t.newOrders)).toBeLessThanOrEqual(2 * DRILL_SYMBOLS.length);
    expect(Math.abs(t.priorityOrders / t.servedReads - CLOSER_CLOSE_SHARE)).toBeLessThan(0.01);
    const sim = simulated("reduce-only-closer");
    expect([sim.reads, sim.afterRead, sim.afterReadPriority, sim.afterReadFills]).toEqual([
      1,
      1,
      CLOSER_CLOSE_SHARE,
      1,
    ]);
    expect(sim.newOrders + sim.priorityOrders + sim.cancels).toBe(0);
  });
});

// ---- behaviour mixes in the simulators ----------------------------------------------------------

/** smoke's shape with another mix (and time scale): per request or aggregate, reactive, seed 1. */
function simulateMix(method: Method, behaviours: BehaviourMix | undefined, timeScale = TIME_SCALE) {
  const p: Profile = { ...profile, behaviours };
  const mixPlan = planDrill(p, { timeScale, requestBudgetS: 0 });
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
    byBehaviour: tee.byBehaviour,
  };
  const offered = (cls: TrafficClass) => sum(result.timeline.map((pt) => pt.byClass[cls]?.offered));
  const served = (cls: TrafficClass) => sum(result.timeline.map((pt) => pt.byClass[cls]?.served));
  const limited = (cls: TrafficClass) =>
    sum(result.timeline.map((pt) => pt.rejectedByClass?.[cls]?.rate_limited));
  /** Responses to a behaviour's clients (read-backs with the behaviour whose fill they follow). */
  const sent = (name: BehaviourName) => sum(Object.values(result.byBehaviour[name] ?? {}));
  return { result, figures: figures(result), offered, served, limited, sent };
}

/** Expected iterations of a class over smoke (normal rate x the integral of its multiple). */
function expectedIterations(cls: TrafficClass, timeScale = TIME_SCALE): number {
  return profile.phases.reduce((acc, p) => {
    const m = p.byClass?.[cls] ?? { from: p.from, to: p.to };
    return acc + (profile.normalRatePerS[cls] * ((m.from + m.to) / 2) * p.durationS) / timeScale;
  }, 0);
}

/** A library profile's mixes on smoke: a class the profile leaves alone keeps smoke's mix. */
const onSmoke = (name: string): BehaviourMix => ({
  ...profile.behaviours,
  ...(PROFILES[name]?.behaviours as BehaviourMix),
});

const LIBRARY_MIXES: Array<[string, BehaviourMix]> = [
  ["flash-crash-100x", onSmoke("flash-crash-100x")],
  ["liquidation-cascade-2025-10-10", onSmoke("liquidation-cascade-2025-10-10")],
  ["spam-flood", onSmoke("spam-flood")],
];

describe("simulate: behaviour mixes", () => {
  it("the library's mixes are set where the incident has them; smoke's position readers are patient and panicked", () => {
    for (const name of ["flash-crash-100x", "liquidation-cascade-2025-10-10", "spam-flood", "airdrop-herd"])
      expect(PROFILES[name]?.behaviours, name).toBeDefined();
    expect(profile.behaviours).toEqual({ position: { "patient-checker": 0.75, "panicked-checker": 0.25 } });
    expect(clientShares(classMix(profile.behaviours, "position"), profile.clients)).toEqual([
      ["panicked-checker", 0.25],
      ["patient-checker", 0.75],
    ]);
  });

  it("per request: a mix's iterations send their behaviours' requests (order requests per iteration, read-backs per fill)", () => {
    // flash-crash's order mix: takers (1 order), market makers (a cancel and a quote), traders
    // (1), 50, 30 and 20 of the 100 clients.
    const mix = onSmoke("flash-crash-100x");
    const run = simulateMix("requests", mix);
    const iterations = expectedIterations("order");
    const m = iterationMix(mix, "order", profile.clients);
    const perIteration = m.cancels + m.newOrders + m.priorityOrders;
    expect(perIteration).toBeCloseTo(0.5 * 1 + 0.3 * (MAKER_REQUOTE_SHARE + 1) + 0.2 * 1, 12);
    // Poisson noise of the iterations, times the requests each sends; a client's share of the
    // iterations is its share of the VUs (the lowest-numbered clients, traders here, have one
    // VU more): within 2% of the client shares.
    expect(Math.abs(run.offered("order") / (iterations * perIteration) - 1)).toBeLessThan(
      0.02 + (4 * Math.sqrt(iterations)) / iterations,
    );
    // Read-backs: one per filled new order (takers and traders), so at most one per served order.
    const readbacks =
      run.sent("taker") + run.sent("trader") + run.sent("market-maker") - run.offered("order");
    expect(readbacks).toBeGreaterThan(0.3 * run.served("order"));
    expect(readbacks).toBeLessThanOrEqual(run.served("order"));
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
      // Measured: requests within 2.4% (the aggregate's patient clients skip a little less),
      // rejected fractions within 0.007, p99 within 0.1% (312-313 ms, or 300.5 ms, the queue
      // timeout, for the cascade's), stale rates equal (0.97 for flash-crash's takers; the
      // cascade's and spam-flood's mixes fill less than traders and are banned more: ~0).
      expect(Math.abs(agg.requests / req.requests - 1)).toBeLessThan(0.03);
      expect(Math.abs(agg.rejectedFraction - req.rejectedFraction)).toBeLessThan(0.04);
      expect(Math.abs(agg.p99Ms / req.p99Ms - 1)).toBeLessThan(0.08);
      const staleRate = (f: typeof req) => (f.staleChecked > 0 ? f.staleReads / f.staleChecked : 0);
      expect(Math.abs(staleRate(agg) - staleRate(req))).toBeLessThan(0.1);
    },
  );

  it.each([60, 15])(
    "time scale %i: patient clients back off and are not banned, panicked ones retry and are (every client one or the other)",
    (timeScale) => {
      // All 100 of smoke's clients panicked, then all patient; measured over seeds 1-3 (time
      // scales 60 and 15): the panicked send 1.81x their iterations (each read refused at once is
      // sent again) and 78% of all requests are answered 418; the patient send 0.72x and 0.80x
      // (they skip while told to wait, longer the more often they were refused) and 0-1% are 418s.
      // With the drill's VUs by Little's law (VU_HEADROOM, 2026-12-05), seed 1: panicked 75% and
      // 72% 418s, patient 3.2% and 0 (each patient session learns of the limit from its own
      // refusal, so a client's sessions can still pass the ban trigger, patientChecker.ts).
      // Orders and depth reads are the same iterations either way.
      const panicked = simulateMix("requests", { position: { "panicked-checker": 1 } }, timeScale);
      const patient = simulateMix("requests", { position: { "patient-checker": 1 } }, timeScale);
      const iterations = expectedIterations("position", timeScale);
      expect(panicked.sent("panicked-checker") / iterations).toBeGreaterThan(1.5);
      expect(panicked.sent("panicked-checker") / iterations).toBeLessThan(2.01);
      expect(patient.sent("patient-checker") / iterations).toBeLessThan(0.9);
      const bannedShare = (r: typeof panicked) =>
        (r.result.ingested.overall.rejected.banned ?? 0) / r.figures.requests;
      expect(bannedShare(panicked)).toBeGreaterThan(0.6);
      expect(bannedShare(patient)).toBeLessThan(0.05);
      expect(bannedShare(patient)).toBeLessThan(bannedShare(panicked) / 10);
      for (const cls of ["order", "depth"] as const)
        expect(Math.abs(patient.offered(cls) / panicked.offered(cls) - 1), cls).toBeLessThan(0.02);
    },
  );
});
