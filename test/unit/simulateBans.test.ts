import { describe, expect, it } from "vitest";
import type { BehaviourName } from "../../loadtests/lib/behaviours.ts";
import { planDrill } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import { type RejectReason, TRAFFIC_CLASSES } from "../../loadtests/vocabulary/traffic.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { simulateAggregate } from "../../mock-exchange/simulate/aggregate.ts";
import { cappedPoisson, expectedMinNormal } from "../../mock-exchange/simulate/aggregateMath.ts";
import { simulatePerRequest } from "../../mock-exchange/simulate/perRequest.ts";
import { SimulationRecorder } from "../../mock-exchange/simulate/recorder.ts";
import type { Ingested } from "../../reports/ingest.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";

/**
 * IP bans as drills run them (the venue's trigger, limits/banList.ts) on the smoke profile at
 * drill size, time scale 60, fixed fleet, seed 1: its 25 panicked clients (Retry-After ignored,
 * a refused read sent again at once) are banned for most of the burst, its 75 patient ones
 * (Retry-After honoured, backing off) almost never. Measured per request: 81% of the panicked
 * clients' requests answered 418 (80-82% over seeds 1-5), 0.0% of the patient ones'; 31% of the
 * burst's requests; aggregate: 88%, 0%, 34%. With smoke's former 25 clients (~280 weight a second
 * each against the IP budget of 40, loadtests/profiles/smoke.ts) every IP is banned, patient or
 * not: per request 75% of the patient clients' requests are 418s, 96% of the panicked ones'.
 */

const TIME_SCALE = 60;

/** Per behaviour: responses by outcome ("served" or the refusal reason). */
class BehaviourRecorder extends SimulationRecorder {
  readonly byBehaviour: Partial<Record<BehaviourName, Record<string, number>>> = {};
  behaviour(name: BehaviourName, reason: RejectReason | undefined, n: number): void {
    const t = this.byBehaviour[name] ?? {};
    this.byBehaviour[name] = t;
    const key = reason ?? "served";
    t[key] = (t[key] ?? 0) + n;
  }
  /** Share of the behaviour's clients' requests answered for `reason`. */
  share(name: BehaviourName, reason: string): number {
    const t = this.byBehaviour[name] ?? {};
    const total = Object.values(t).reduce((a, b) => a + b, 0);
    return total > 0 ? (t[reason] ?? 0) / total : Number.NaN;
  }
}

function simulate(method: "requests" | "aggregate", p: Profile = PROFILES.smoke as Profile) {
  const plan = planDrill(p, { timeScale: TIME_SCALE, requestBudgetS: 0 });
  const config = exchangeConfigFor(p, { timeScale: TIME_SCALE, seed: 1, strategy: "fixed", scale: "drill" });
  const recorder = new BehaviourRecorder(0);
  const input = {
    profile: p,
    config,
    normalRatePerS: p.normalRatePerS,
    clients: p.clients,
    timeScale: TIME_SCALE,
    durationS: plan.durationS,
    seed: 1,
  };
  if (method === "requests") simulatePerRequest(input, recorder);
  else simulateAggregate(input, recorder);
  const ingested = recorder.ingested(plan.phases);
  const share = (phase: string, reason: "banned" | "rate_limited") => {
    const ph = ingested.byPhase[plan.phases.findIndex((x) => x.name === phase)];
    if (ph === undefined) throw new Error(`no phase ${phase}`);
    return (ph.rejected[reason] ?? 0) / ph.latencyUs.totalCount;
  };
  return { ingested, timeline: recorder.timelinePoints, recorder, share };
}

const rejectedFraction = (i: Ingested) =>
  Object.values(i.overall.rejected).reduce((a, b) => a + (b ?? 0), 0) / i.overall.latencyUs.totalCount;

describe("simulated IP bans (smoke as drills run it: the venue's trigger)", () => {
  const requests = simulate("requests");
  const aggregate = simulate("aggregate");

  it("drills and simulations run with the venue's own ban trigger", () => {
    const config = exchangeConfigFor(PROFILES.smoke as Profile, {
      timeScale: TIME_SCALE,
      seed: 1,
      strategy: "fixed",
      scale: "drill",
    });
    expect(config.limits).toEqual(EXCHANGE_DEFAULTS.limits);
    expect(config.limits.banAfterRefusalsPerMinute).toBe(600);
  });

  it("per request: the panicked clients are banned for most of the burst, the patient ones almost never, nobody at normal load", () => {
    expect(requests.share("normal", "banned")).toBe(0);
    expect(requests.share("burst", "banned")).toBeGreaterThan(0.2); // measured 0.306
    expect(requests.recorder.share("panicked-checker", "banned")).toBeGreaterThan(0.7); // measured 0.81
    expect(requests.recorder.share("patient-checker", "banned")).toBeLessThan(0.01); // measured 0.000
    // The ban is the IP's: the panicked clients' orders and depth reads go with it, so a quarter
    // of the clients' share of those is refused 418 too (traders measured 0.19).
    expect(requests.recorder.share("trader", "banned")).toBeGreaterThan(0.1);
    expect(requests.recorder.share("trader", "banned")).toBeLessThan(0.35);
    // A ban is answered at once: no banned response waits.
    expect(requests.ingested.overall.rejected.banned).toBeGreaterThan(10_000);
    // Requests are conserved with the new reason: offered = served + rejected per class.
    for (const cls of TRAFFIC_CLASSES) {
      const sum = (f: (p: TimelinePoint) => number | undefined) =>
        requests.timeline.reduce((a, p) => a + (f(p) ?? 0), 0);
      const offered = sum((p) => p.byClass[cls]?.offered);
      expect(sum((p) => p.byClass[cls]?.served) + sum((p) => p.byClass[cls]?.rejected)).toBe(offered);
    }
  });

  it("aggregate: bans the same behaviours, the burst's banned share within 0.05, the rejected fraction within 0.01", () => {
    expect(Math.abs(aggregate.share("burst", "banned") - requests.share("burst", "banned"))).toBeLessThan(
      0.05,
    );
    expect(
      Math.abs(
        aggregate.recorder.share("panicked-checker", "banned") -
          requests.recorder.share("panicked-checker", "banned"),
      ),
    ).toBeLessThan(0.1); // measured 0.88 vs 0.81
    expect(aggregate.recorder.share("patient-checker", "banned")).toBeLessThan(0.01);
    expect(Math.abs(rejectedFraction(aggregate.ingested) - rejectedFraction(requests.ingested))).toBeLessThan(
      0.01,
    ); // measured 0.900 vs 0.897
    expect(aggregate.share("normal", "banned")).toBe(0);
  });

  it("with 25 clients (smoke's former size) every IP is banned, patient or not, in both simulators", () => {
    const crowded: Profile = { ...(PROFILES.smoke as Profile), clients: 25 };
    for (const method of ["requests", "aggregate"] as const) {
      const r = simulate(method, crowded);
      // Measured: patient 0.75 per request, 0.74 aggregate; panicked 0.96, 0.97.
      expect(r.recorder.share("patient-checker", "banned"), method).toBeGreaterThan(0.5);
      expect(r.recorder.share("panicked-checker", "banned"), method).toBeGreaterThan(0.9);
      expect(r.share("burst", "banned"), method).toBeGreaterThan(0.8);
    }
  });
});

describe("aggregate order counts: Poisson arrivals against a fixed-window budget", () => {
  it("cappedPoisson gives the mean and variance of min(N, cap)", () => {
    const m = { mean: 0, variance: 0 };
    // Far below the cap: min(N, cap) = N, Poisson's mean and variance.
    cappedPoisson(2, 1_000, m);
    expect(m.mean).toBeCloseTo(2, 9);
    expect(m.variance).toBeCloseTo(2, 9);
    // Cap 1, mean 1: E = P(N >= 1) = 1 - e^-1, Var = E (1 - E).
    cappedPoisson(1, 1, m);
    expect(m.mean).toBeCloseTo(1 - Math.exp(-1), 12);
    expect(m.variance).toBeCloseTo((1 - Math.exp(-1)) * Math.exp(-1), 12);
    // Far above the cap: always the cap.
    cappedPoisson(100, 5, m);
    expect(m.mean).toBeCloseTo(5, 9);
    expect(m.variance).toBeCloseTo(0, 9);
    // Production size (normal branch) agrees with the exact sum where both apply.
    const exact = cappedPoisson(480, 500, { mean: 0, variance: 0 });
    const normal = cappedPoisson(520, 540, { mean: 0, variance: 0 });
    expect(exact.mean).toBeLessThan(480);
    expect(480 - exact.mean).toBeCloseTo(520 - normal.mean, 0);
  });

  it("expectedMinNormal stays within [0, min(mean, cap)] and is 0 for an empty budget", () => {
    expect(expectedMinNormal(18, 18, 20)).toBeCloseTo(17.1, 1); // exact Poisson: 17.102
    expect(expectedMinNormal(5, 5, 0)).toBe(0);
    expect(expectedMinNormal(0.01, 4, 20)).toBeLessThanOrEqual(0.01);
    expect(expectedMinNormal(50, 1, 20)).toBeCloseTo(20, 6);
  });
});
