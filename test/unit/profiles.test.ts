import { describe, expect, it } from "vitest";
import { classMeanRequestsPerIteration } from "../../loadtests/lib/behaviours.ts";
import { classMultiple, naturalDurationS, planDrill, validateProfile } from "../../loadtests/lib/plan.ts";
import { PROFILES } from "../../loadtests/profiles/index.ts";
import { liquidationCascade20251010 } from "../../loadtests/profiles/liquidationCascade20251010.ts";
import { smoke } from "../../loadtests/profiles/smoke.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import type { FaultSpec } from "../../loadtests/vocabulary/capacity.ts";

/** smoke with the given faults (smoke lasts 3,600 natural s). */
const withFaults = (faults: unknown[]): Profile => ({ ...smoke, faults: faults as FaultSpec[] });
const problemsOf = (p: Profile) => validateProfile(p).join("\n");

describe("the profile library", () => {
  it("has profiles, each valid and registered under its own name", () => {
    const names = Object.keys(PROFILES);
    expect(names).toContain("smoke");
    expect(names).toContain("liquidation-cascade-2025-10-10");
    for (const [name, profile] of Object.entries(PROFILES)) {
      expect(profile.name, name).toBe(name);
      expect(validateProfile(profile), name).toEqual([]);
      // Every scripted fault falls inside the profile.
      for (const f of profile.faults ?? [])
        expect(f.atS, name).toBeLessThanOrEqual(naturalDurationS(profile));
    }
  });
});

describe("validateProfile", () => {
  it("reports an unknown class in a phase's byClass", () => {
    const bad = {
      ...smoke,
      phases: [{ name: "x", durationS: 60, from: 1, to: 1, byClass: { account: { from: 1, to: 5 } } }],
    } as unknown as Profile;
    expect(problemsOf(bad)).toMatch(/phases\[0\] \(x\): byClass has unknown class "account"/);
  });

  it("reports negative multiples, for the phase and per class", () => {
    const bad: Profile = {
      ...smoke,
      phases: [
        { name: "a", durationS: 60, from: 1, to: -1 },
        { name: "b", durationS: 60, from: 1, to: 1, byClass: { position: { from: -5, to: 10 } } },
      ],
    };
    const problems = problemsOf(bad);
    expect(problems).toMatch(/phases\[0\] \(a\): from and to must be multiples >= 0/);
    expect(problems).toMatch(/phases\[1\] \(b\): byClass\.position from and to must be multiples >= 0/);
    // Zero is a valid multiple (a class switched off).
    const zero: Profile = {
      ...smoke,
      phases: [{ name: "z", durationS: 60, from: 0, to: 0, byClass: { order: { from: 0, to: 0 } } }],
    };
    expect(validateProfile(zero)).toEqual([]);
  });

  it("reports an unknown fault kind and names the known ones", () => {
    const problems = problemsOf(withFaults([{ kind: "meteor-strike", atS: 10 }]));
    expect(problems).toMatch(/faults\[0\]: unknown fault kind "meteor-strike"/);
    expect(problems).toMatch(/zone-outage/);
    expect(problems).toMatch(/region-failover/);
  });

  it("accepts each fault kind with in-range fields", () => {
    const ok = withFaults([
      { kind: "zone-outage", atS: 600, durationS: 300, fraction: 0.5 },
      { kind: "dependency-errors", atS: 0, durationS: 60, errorRate: 1 },
      { kind: "replica-loss", atS: 900, replicas: 1 },
      { kind: "region-failover", atS: 3_600, detectionDelayS: 0, failoverS: 0 },
    ]);
    expect(validateProfile(ok)).toEqual([]);
  });

  it.each([
    [
      { kind: "zone-outage", atS: 600, durationS: 300, fraction: 0 },
      /faults\[0\]: fraction must be in \(0, 1\]/,
    ],
    [
      { kind: "zone-outage", atS: 600, durationS: 300, fraction: 1.5 },
      /faults\[0\]: fraction must be in \(0, 1\]/,
    ],
    [{ kind: "zone-outage", atS: 600, durationS: 0, fraction: 0.5 }, /faults\[0\]: durationS must be > 0/],
    [
      { kind: "dependency-errors", atS: 600, durationS: 60, errorRate: 1.2 },
      /faults\[0\]: errorRate must be in \(0, 1\]/,
    ],
    [
      { kind: "dependency-errors", atS: 600, durationS: -1, errorRate: 0.5 },
      /faults\[0\]: durationS must be > 0/,
    ],
    [{ kind: "replica-loss", atS: 600, replicas: 0 }, /faults\[0\]: replicas must be an integer >= 1/],
    [{ kind: "replica-loss", atS: 600, replicas: 1.5 }, /faults\[0\]: replicas must be an integer >= 1/],
    [
      { kind: "region-failover", atS: 600, detectionDelayS: -1, failoverS: 60 },
      /faults\[0\]: detectionDelayS and failoverS must be >= 0/,
    ],
    // smoke lasts 3,600 natural s.
    [{ kind: "replica-loss", atS: 3_601, replicas: 1 }, /faults\[0\]: atS must be within the profile/],
    [{ kind: "replica-loss", atS: -1, replicas: 1 }, /faults\[0\]: atS/],
  ])("reports an out-of-range field: %j", (fault, message) => {
    expect(problemsOf(withFaults([fault]))).toMatch(message);
  });
});

describe("planDrill uses per-class multiples", () => {
  const profile = liquidationCascade20251010;
  const plan = planDrill(profile, { timeScale: profile.defaultTimeScale, requestBudgetS: 1 });

  it("liquidation-cascade: position reads peak at 1000x normal, orders and depth at 100x", () => {
    expect(plan.classes.position.peakRatePerS).toBe(1_000 * profile.normalRatePerS.position);
    expect(plan.classes.order.peakRatePerS).toBe(100 * profile.normalRatePerS.order);
    expect(plan.classes.depth.peakRatePerS).toBe(100 * profile.normalRatePerS.depth);
    // VUs follow each class's own peak, and the requests its mix sends on average: the cascade's
    // stop-loss submitters and reduce-only closers send three in a row (a budget each).
    expect(plan.classes.position.preAllocatedVUs).toBe(Math.ceil(1_000 * 1 * 1.1));
    const orderRequests = classMeanRequestsPerIteration(profile.behaviours, "order", profile.clients);
    expect(orderRequests).toBeGreaterThan(1.5);
    expect(orderRequests).toBeLessThan(3);
    expect(plan.classes.order.preAllocatedVUs).toBe(Math.ceil(500 * 1 * orderRequests * 1.1));
  });

  it("stage targets follow the class's multiple in every phase", () => {
    for (const cls of ["order", "position", "depth"] as const) {
      const perMin = profile.normalRatePerS[cls] * 60;
      const stages = plan.classes[cls].stages;
      // One timed stage per phase, ending at the phase's `to`; "0s" stages are steps to its `from`.
      const timed = stages.filter((s) => s.duration !== "0s");
      const steps = stages.filter((s) => s.duration === "0s").map((s) => s.target);
      expect(timed, cls).toHaveLength(profile.phases.length);
      profile.phases.forEach((phase, i) => {
        const m = classMultiple(phase, cls);
        expect(timed[i]?.target, `${cls} ${phase.name}`).toBe(Math.round(perMin * m.to));
        const prev =
          i > 0 ? classMultiple(profile.phases[i - 1] as (typeof profile.phases)[number], cls).to : m.from;
        if (m.from !== prev)
          expect(steps, `${cls} step into ${phase.name}`).toContain(Math.round(perMin * m.from));
      });
      expect(plan.classes[cls].startRatePerMin).toBe(perMin);
    }
    // The crash: position ramps to 1000x (60,000/min at 1/s normal), orders to 100x (30,000/min at 5/s).
    expect(plan.classes.position.stages[1]).toEqual({ target: 60_000, duration: "2500ms" });
    expect(plan.classes.order.stages[1]).toEqual({ target: 30_000, duration: "2500ms" });
    // The grind decays from 40x to 5x for orders, 400x to 20x for reads.
    expect(plan.classes.order.stages.at(-1)?.target).toBe(5 * 5 * 60);
    expect(plan.classes.position.stages.at(-1)?.target).toBe(20 * 60);
    // Second hour steps down to 60x orders / 600x reads.
    expect(plan.classes.order.stages).toContainEqual({ target: 60 * 5 * 60, duration: "0s" });
    expect(plan.classes.position.stages).toContainEqual({ target: 600 * 60, duration: "0s" });
  });

  it("without byClass every class follows the phase's own multiple", () => {
    const smokePlan = planDrill(smoke, { timeScale: 60, requestBudgetS: 1 });
    for (const cls of ["order", "position", "depth"] as const) {
      expect(smokePlan.classes[cls].peakRatePerS, cls).toBe(100 * smoke.normalRatePerS[cls]);
    }
  });
});
