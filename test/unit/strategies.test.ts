import { describe, expect, it } from "vitest";
import type { TierName, TierSizing } from "../../loadtests/vocabulary/capacity.ts";
import {
  describeStrategies,
  resolveStrategy,
  STRATEGY_NAMES,
} from "../../mock-exchange/capacity/strategies.ts";

const SIZING: Record<TierName, TierSizing> = {
  gateway: { baselineInstances: 4, concurrencyPerInstance: 2 },
  read: { baselineInstances: 2, concurrencyPerInstance: 1 },
};

describe("resolveStrategy", () => {
  it("fixed runs every tier at its baseline, without shedding", () => {
    const s = resolveStrategy("fixed", SIZING);
    expect(s.name).toBe("fixed");
    expect(s.tiers).toEqual({
      gateway: { kind: "fixed", instances: 4 },
      read: { kind: "fixed", instances: 2 },
    });
    expect(s.shedding).toBeNull();
  });

  it("overprovisioned multiplies each baseline by k (default 10), rounding up", () => {
    expect(resolveStrategy("overprovisioned", SIZING).tiers).toEqual({
      gateway: { kind: "fixed", instances: 40 },
      read: { kind: "fixed", instances: 20 },
    });
    expect(resolveStrategy("overprovisioned", SIZING, { overprovisionFactor: 2.5 }).tiers).toEqual({
      gateway: { kind: "fixed", instances: 10 },
      read: { kind: "fixed", instances: 5 },
    });
  });

  it("reactive is AWS-like target tracking on demand; the read tier uses the same kind with its own baseline", () => {
    const { gateway, read } = resolveStrategy("reactive", SIZING).tiers;
    expect(gateway).toMatchObject({
      kind: "target-tracking",
      metric: "demand",
      targetUtilisation: 0.6,
      tolerance: 0,
      metricPeriodS: 60,
      datapointsToScaleOut: 3,
      datapointsToScaleIn: 15,
      bootS: 30,
      warmupS: 180,
      cooldownS: 300,
      minInstances: 4,
      maxInstances: 160,
      scaleInStabilisationS: 900,
    });
    expect(read).toMatchObject({
      kind: "target-tracking",
      metric: "demand",
      minInstances: 2,
      maxInstances: 80,
    });
  });

  it("reactive-hpa is HPA-like on capped utilisation", () => {
    const { gateway } = resolveStrategy("reactive-hpa", SIZING).tiers;
    expect(gateway).toMatchObject({
      kind: "target-tracking",
      metric: "utilisation",
      targetUtilisation: 0.6,
      tolerance: 0.1,
      metricPeriodS: 15,
      datapointsToScaleOut: 1,
      datapointsToScaleIn: 1,
      bootS: 5,
      warmupS: 25,
      cooldownS: 0,
      maxStepPercent: 100,
      minStepInstances: 4,
      minInstances: 4,
      maxInstances: 160,
      scaleInStabilisationS: 300,
    });
  });

  it("scheduled pre-scales to 20x baseline at the given time, optionally back to baseline", () => {
    expect(resolveStrategy("scheduled", SIZING, { scheduledAtS: 600 }).tiers.gateway).toEqual({
      kind: "scheduled",
      instances: 4,
      steps: [{ atS: 600, instances: 80 }],
      bootS: 30,
      warmupS: 180,
    });
    const back = resolveStrategy("scheduled", SIZING, {
      scheduledAtS: 60,
      scheduledMultiple: 5,
      scheduledUntilS: 900,
    });
    expect(back.tiers.read).toMatchObject({
      steps: [
        { atS: 60, instances: 10 },
        { atS: 900, instances: 2 },
      ],
    });
  });

  it("priority-shedding alone is fixed capacity plus shedding", () => {
    const s = resolveStrategy("priority-shedding", SIZING);
    expect(s.tiers.gateway).toEqual({ kind: "fixed", instances: 4 });
    expect(s.shedding).toEqual({ reservedFraction: 0.2, newOrderQueueFraction: 0.5 });
  });

  it("reactive+priority-shedding resolves to reactive tiers with shedding set", () => {
    const s = resolveStrategy("reactive+priority-shedding", SIZING);
    expect(s.name).toBe("reactive+priority-shedding");
    expect(s.tiers.gateway.kind).toBe("target-tracking");
    expect(s.tiers).toEqual(resolveStrategy("reactive", SIZING).tiers);
    expect(s.shedding).toEqual({ reservedFraction: 0.2, newOrderQueueFraction: 0.5 });
    expect(s.description).toContain("shedding");
    expect(resolveStrategy("priority-shedding+reactive-hpa", SIZING).tiers.read.kind).toBe("target-tracking");
  });

  it("errors name the valid strategies for an unknown name", () => {
    expect(() => resolveStrategy("autoscale", SIZING)).toThrow(/unknown strategy "autoscale"/);
    expect(() => resolveStrategy("autoscale", SIZING)).toThrow(
      /fixed, overprovisioned, reactive, reactive-hpa/,
    );
    expect(() => resolveStrategy("", SIZING)).toThrow(/unknown strategy/);
    expect(() => resolveStrategy("reactive+", SIZING)).toThrow(/unknown strategy/);
  });

  it("errors on two bases or shedding twice", () => {
    expect(() => resolveStrategy("reactive+scheduled", SIZING)).toThrow(
      /two base strategies \(reactive, scheduled\)/,
    );
    expect(() => resolveStrategy("fixed+overprovisioned+priority-shedding", SIZING)).toThrow(/two base/);
    expect(() => resolveStrategy("priority-shedding+priority-shedding", SIZING)).toThrow(/twice/);
  });

  it("errors on bad parameters", () => {
    expect(() => resolveStrategy("overprovisioned", SIZING, { overprovisionFactor: 0.5 })).toThrow(
      /overprovisionFactor/,
    );
    expect(() => resolveStrategy("scheduled", SIZING, { scheduledAtS: Number.NaN })).toThrow(/scheduledAtS/);
    expect(() => resolveStrategy("scheduled", SIZING, { scheduledAtS: 600, scheduledUntilS: 300 })).toThrow(
      /before scheduledAtS/,
    );
  });

  it("every preset resolves to plain JSON (run.json records it) and is described for --help", () => {
    for (const name of STRATEGY_NAMES) {
      const s = resolveStrategy(name, SIZING);
      expect(JSON.parse(JSON.stringify(s))).toEqual(s);
      expect(s.description.length).toBeGreaterThan(10);
    }
    expect(describeStrategies().map((d) => d.name)).toEqual([...STRATEGY_NAMES]);
    for (const d of describeStrategies()) expect(d.description).not.toBe("");
  });
});
