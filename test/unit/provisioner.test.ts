import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CapacityEvent, FaultSpec, TierName, TierSizing } from "../../loadtests/vocabulary/capacity.ts";
import { Provisioner, type TierSample } from "../../mock-exchange/capacity/provisioner.ts";
import { resolveStrategy, type StrategyParams } from "../../mock-exchange/capacity/strategies.ts";

const SIZING: Record<TierName, TierSizing> = {
  gateway: { baselineInstances: 4, concurrencyPerInstance: 2 },
  read: { baselineInstances: 2, concurrencyPerInstance: 1 },
};

function provisioner(name: string, faults: FaultSpec[] = [], params?: Partial<StrategyParams>): Provisioner {
  return new Provisioner({ strategy: resolveStrategy(name, SIZING, params), sizing: SIZING, faults });
}

/** Demand in instances' worth of work per tier; normal load keeps each tier at half its baseline. */
type Demand = (t: number, tier: TierName) => number;
const NORMAL = 0.5;
const normal: Demand = (_t, tier) => NORMAL * SIZING[tier].baselineInstances;
const stepAt =
  (fromS: number, multiple: number, untilS = Number.POSITIVE_INFINITY): Demand =>
  (t, tier) =>
    (t >= fromS && t < untilS ? multiple : 1) * NORMAL * SIZING[tier].baselineInstances;

/** What a tier would report for this demand against its ready instances now (a closed loop). */
function sample(p: Provisioner, tier: TierName, demand: number): TierSample {
  const ready = p.state(tier).ready;
  if (ready === 0) return { busyFraction: demand > 0 ? 1 : 0, demandRatio: demand > 0 ? Infinity : 0 };
  const ratio = demand / ready;
  return { busyFraction: Math.min(1, ratio), demandRatio: ratio };
}

/** Advances every stepS natural seconds up to toS; demand is read at the start of each step. */
function drive(
  p: Provisioner,
  toS: number,
  stepS: number,
  demand: Demand,
  onStep?: (t: number) => void,
): void {
  for (let start = p.nowS; start < toS; start = p.nowS) {
    const end = Math.min(start + stepS, toS);
    p.advance(end, {
      gateway: sample(p, "gateway", demand(start, "gateway")),
      read: sample(p, "read", demand(start, "read")),
    });
    onStep?.(end);
  }
}

const brief = (e: CapacityEvent) => [e.atS, e.kind, e.tier ?? "-", e.instances ?? -1];
const ofKind = (events: CapacityEvent[], kind: CapacityEvent["kind"], tier?: TierName) =>
  events.filter((e) => e.kind === kind && (tier === undefined || e.tier === tier));

describe("Provisioner: fixed", () => {
  it("never changes and bills instances x natural minutes exactly", () => {
    const p = provisioner("fixed");
    expect(p.state("gateway")).toEqual({ ready: 4, booting: 0, workers: 8 });
    drive(p, 3_600, 7.5, stepAt(600, 100));
    drive(p, 7_200, 60, stepAt(0, 1000));
    expect(p.takeEvents()).toEqual([]);
    expect(p.state("gateway")).toEqual({ ready: 4, booting: 0, workers: 8 });
    expect(p.workers("read")).toBe(2);
    expect(p.cost()).toEqual({ gateway: 4 * 120, read: 2 * 120 });
  });

  it("bills a partial minute pro rata and rejects time going back", () => {
    const p = provisioner("overprovisioned");
    p.advance(90, {
      gateway: { busyFraction: 0, demandRatio: 0 },
      read: { busyFraction: 0, demandRatio: 0 },
    });
    expect(p.cost()).toEqual({ gateway: 40 * 1.5, read: 20 * 1.5 });
    expect(() =>
      p.advance(89, {
        gateway: { busyFraction: 0, demandRatio: 0 },
        read: { busyFraction: 0, demandRatio: 0 },
      }),
    ).toThrow(/back/);
  });
});

describe("Provisioner: reactive (AWS-like target tracking)", () => {
  it("scales out only after 3 datapoints; instances are ready boot + warm-up later", () => {
    const p = provisioner("reactive");
    drive(p, 179, 1, stepAt(0, 10));
    expect(p.takeEvents()).toEqual([]);
    drive(p, 180, 1, stepAt(0, 10));
    const out = p.takeEvents().filter((e) => e.tier === "gateway");
    // demand 10x normal = 20 instances' worth on 4: ratio 5, desired ceil(4 x 5 / 0.6) = 34.
    expect(out.map(brief)).toEqual([[180, "scale-out", "gateway", 34]]);
    expect(p.state("gateway")).toEqual({ ready: 4, booting: 30, workers: 8 });
    drive(p, 389, 1, stepAt(0, 10));
    expect(ofKind(p.takeEvents(), "instances-ready")).toEqual([]);
    expect(p.workers("gateway")).toBe(8);
    drive(p, 390, 1, stepAt(0, 10));
    expect(ofKind(p.takeEvents(), "instances-ready", "gateway").map(brief)).toEqual([
      [390, "instances-ready", "gateway", 34],
    ]);
    expect(p.state("gateway")).toEqual({ ready: 34, booting: 0, workers: 68 });
    // New instances were billed from the decision on.
    expect(p.cost().gateway).toBeCloseTo((4 * 390 + 30 * (390 - 180)) / 60, 9);
  });

  it("cooldown blocks a second scale-out until 300 s after the first", () => {
    const p = provisioner("reactive");
    // 10x from 0, 30x from 240: at 240 the metric asks for more, but the cooldown runs to 480.
    const demand: Demand = (t, tier) => (t >= 240 ? 30 : 10) * NORMAL * SIZING[tier].baselineInstances;
    drive(p, 900, 1, demand);
    const outs = ofKind(p.takeEvents(), "scale-out", "gateway");
    expect(outs.map(brief)).toEqual([
      [180, "scale-out", "gateway", 34],
      [480, "scale-out", "gateway", 100],
    ]);
  });

  it("scales in after 15 datapoints below target, to the highest recommendation of the 900 s window", () => {
    const p = provisioner("reactive");
    drive(p, 3_000, 1, stepAt(0, 10, 600));
    const events = p.takeEvents().filter((e) => e.tier === "gateway");
    // Below target from 420 (20 on 34 ready = 0.59); the last high recommendation (34) is at 600.
    expect(events.map(brief)).toEqual([
      [180, "scale-out", "gateway", 34],
      [390, "instances-ready", "gateway", 34],
      [1_500, "scale-in", "gateway", 4],
    ]);
    expect(p.state("gateway")).toEqual({ ready: 4, booting: 0, workers: 8 });
  });

  it("an infinite demand ratio (no ready capacity) drives to maxInstances", () => {
    const p = provisioner("reactive");
    const inf = { busyFraction: 1, demandRatio: Number.POSITIVE_INFINITY };
    for (let t = 60; t <= 180; t += 60)
      p.advance(t, { gateway: inf, read: { busyFraction: 0, demandRatio: 0 } });
    expect(ofKind(p.takeEvents(), "scale-out").map(brief)).toEqual([[180, "scale-out", "gateway", 160]]);
  });
});

describe("Provisioner: reactive-hpa (Kubernetes-like)", () => {
  it("reacts within 15-30 s and reaches capacity far sooner than reactive", () => {
    const firstReady = (name: string): { firstOut: number; enoughAt: number } => {
      const p = provisioner(name);
      let enoughAt = Number.NaN;
      drive(p, 1_200, 1, stepAt(0, 10), (t) => {
        // 20 instances' worth of demand: enough once 20 instances are ready.
        if (Number.isNaN(enoughAt) && p.state("gateway").ready >= 20) enoughAt = t;
      });
      const firstOut = ofKind(p.takeEvents(), "scale-out", "gateway")[0]?.atS ?? Number.NaN;
      return { firstOut, enoughAt };
    };
    const hpa = firstReady("reactive-hpa");
    const aws = firstReady("reactive");
    expect(hpa.firstOut).toBeGreaterThanOrEqual(15);
    expect(hpa.firstOut).toBeLessThanOrEqual(30);
    expect(aws.firstOut).toBe(180);
    // 4 -> 7 at 15 (ready 45) -> 12 at 60 (ready 90) -> 20 at 105 (ready 135): each sync at most
    // x 1/0.6 of the instances that carried the last period. AWS: 34 at 180, ready at 390.
    expect(hpa.enoughAt).toBe(135);
    expect(aws.enoughAt).toBe(390);
    expect(hpa.enoughAt * 2.5).toBeLessThan(aws.enoughAt);
  });

  it("caps utilisation at 1, so each step at most multiplies the ready fleet by 1/target", () => {
    const p = provisioner("reactive-hpa");
    const crazy = { busyFraction: 50, demandRatio: 50 };
    for (let t = 15; t <= 600; t += 15) p.advance(t, { gateway: crazy, read: crazy });
    const outs = ofKind(p.takeEvents(), "scale-out", "gateway").map((e) => e.instances);
    expect(outs).toEqual([7, 12, 20, 34, 57, 95, 159, 160]);
  });

  it("limits a step to max(100%, 4 instances) and scales down after the 300 s stabilisation", () => {
    const sizing: Record<TierName, TierSizing> = {
      gateway: { baselineInstances: 1, concurrencyPerInstance: 1 },
      read: { baselineInstances: 1, concurrencyPerInstance: 1 },
    };
    const p = new Provisioner({ strategy: resolveStrategy("reactive-hpa", sizing), sizing, faults: [] });
    const at = (v: number) => ({ busyFraction: v, demandRatio: v });
    p.advance(15, { gateway: at(1), read: at(0.3) });
    // ceil(1 / 0.6) = 2 is within the step; the 4-instance minimum step does not force more.
    expect(p.takeEvents().map(brief)).toEqual([[15, "scale-out", "gateway", 2]]);
    p.advance(45, { gateway: at(1), read: at(0.3) });
    p.advance(60, { gateway: at(1), read: at(0.3) }); // 2 ready: recommend 4, last high at 60
    p.advance(359, { gateway: at(0.1), read: at(0.3) });
    expect(ofKind(p.takeEvents(), "scale-in")).toEqual([]);
    p.advance(360, { gateway: at(0.1), read: at(0.3) });
    expect(ofKind(p.takeEvents(), "scale-in").map(brief)).toEqual([[360, "scale-in", "gateway", 1]]);
  });
});

describe("Provisioner: scheduled", () => {
  it("launches at the scheduled time, ready boot + warm-up later, and can scale back", () => {
    const p = provisioner("scheduled", [], { scheduledAtS: 600, scheduledUntilS: 1_800 });
    drive(p, 599, 1, normal);
    expect(p.takeEvents()).toEqual([]);
    drive(p, 809, 1, normal);
    expect(p.takeEvents().map(brief)).toEqual([
      [600, "scale-out", "gateway", 80],
      [600, "scale-out", "read", 40],
    ]);
    expect(p.workers("gateway")).toBe(8);
    drive(p, 810, 1, normal);
    expect(p.workers("gateway")).toBe(160);
    drive(p, 1_800, 60, normal);
    expect(ofKind(p.takeEvents(), "scale-in").map(brief)).toEqual([
      [1_800, "scale-in", "gateway", 4],
      [1_800, "scale-in", "read", 2],
    ]);
    expect(p.cost().gateway).toBeCloseTo((4 * 1_800 + 76 * 1_200) / 60, 9);
  });

  it("a step at time 0 happens on the first advance", () => {
    const p = provisioner("scheduled");
    p.advance(0, { gateway: { busyFraction: 0, demandRatio: 0 }, read: { busyFraction: 0, demandRatio: 0 } });
    expect(p.state("gateway")).toEqual({ ready: 4, booting: 76, workers: 8 });
  });
});

describe("Provisioner: faults", () => {
  it("zone-outage removes a fraction of ready instances and returns them; gone instances are not billed", () => {
    const p = provisioner("fixed", [{ kind: "zone-outage", atS: 100, durationS: 200, fraction: 0.5 }]);
    drive(p, 150, 1, normal);
    expect(p.state("gateway")).toEqual({ ready: 2, booting: 0, workers: 4 });
    expect(p.state("read").ready).toBe(1);
    drive(p, 3_600, 60, normal);
    expect(p.takeEvents().map(brief)).toEqual([
      [100, "fault-start", "gateway", 2],
      [100, "fault-start", "read", 1],
      [300, "fault-end", "gateway", 4],
      [300, "fault-end", "read", 2],
    ]);
    expect(p.workers("gateway")).toBe(8);
    expect(p.cost().gateway).toBeCloseTo((4 * 3_600 - 2 * 200) / 60, 9);
    expect(p.cost().read).toBeCloseTo((2 * 3_600 - 1 * 200) / 60, 9);
  });

  it("dependency-errors sets the error rate during [atS, atS + durationS); overlaps combine", () => {
    const p = provisioner("fixed", [
      { kind: "dependency-errors", atS: 100, durationS: 60, errorRate: 0.3 },
      { kind: "dependency-errors", atS: 130, durationS: 60, errorRate: 0.5 },
    ]);
    const rates: Array<[number, number]> = [];
    drive(p, 200, 1, normal, (t) => rates.push([t, p.errorRate()]));
    const at = (t: number) => rates.find(([s]) => s === t)?.[1];
    expect(at(99)).toBe(0);
    expect(at(100)).toBeCloseTo(0.3, 12);
    expect(at(130)).toBeCloseTo(1 - 0.7 * 0.5, 12);
    expect(at(159)).toBeCloseTo(0.65, 12);
    expect(at(160)).toBeCloseTo(0.5, 12);
    expect(at(190)).toBe(0);
    expect(ofKind(p.takeEvents(), "fault-start").map((e) => e.atS)).toEqual([100, 130]);
  });

  it("replica-loss is permanent under fixed", () => {
    const p = provisioner("fixed", [{ kind: "replica-loss", atS: 30, replicas: 1 }]);
    drive(p, 3_600, 60, normal);
    expect(p.takeEvents().map(brief)).toEqual([[30, "fault-start", "read", 1]]);
    expect(p.state("read")).toEqual({ ready: 1, booting: 0, workers: 1 });
    expect(p.cost().read).toBeCloseTo((2 * 30 + 1 * 3_570) / 60, 9);
  });

  it("replica-loss: target tracking replaces lost replicas at the next datapoint, with boot + warm-up lag", () => {
    const aws = provisioner("reactive", [{ kind: "replica-loss", atS: 30, replicas: 1 }]);
    drive(aws, 600, 1, normal);
    expect(aws.takeEvents().map(brief)).toEqual([
      [30, "fault-start", "read", 1],
      [60, "scale-out", "read", 2],
      [270, "instances-ready", "read", 2],
    ]);
    const hpa = provisioner("reactive-hpa", [{ kind: "replica-loss", atS: 30, replicas: 1 }]);
    drive(hpa, 600, 1, normal);
    expect(ofKind(hpa.takeEvents(), "instances-ready", "read").map((e) => e.atS)).toEqual([60]);
  });

  it("region-failover: no workers from atS, failover after detection, baseline capacity after failoverS", () => {
    const fault: FaultSpec = { kind: "region-failover", atS: 100, detectionDelayS: 60, failoverS: 120 };
    const p = provisioner("overprovisioned", [fault]);
    drive(p, 100, 1, normal);
    expect(p.workers("gateway")).toBe(0);
    expect(p.workers("read")).toBe(0);
    drive(p, 279, 1, normal);
    expect(p.state("gateway")).toEqual({ ready: 0, booting: 0, workers: 0 });
    drive(p, 600, 1, normal);
    expect(p.takeEvents().map(brief)).toEqual([
      [100, "fault-start", "-", -1],
      [160, "failover", "-", -1],
      [280, "fault-end", "-", -1],
    ]);
    // The standby serves at baseline size, ready at once.
    expect(p.state("gateway")).toEqual({ ready: 4, booting: 0, workers: 8 });
    expect(p.cost().gateway).toBeCloseTo((40 * 100 + 4 * 320) / 60, 9);
  });

  it("region-failover drops instances still booting and zone-outage instances of the lost region", () => {
    const p = provisioner("reactive", [
      { kind: "zone-outage", atS: 10, durationS: 600, fraction: 0.5 },
      { kind: "region-failover", atS: 200, detectionDelayS: 0, failoverS: 100 },
    ]);
    drive(p, 1_000, 1, stepAt(0, 10));
    const events = p.takeEvents();
    expect(events.filter((e) => e.tier === "gateway" || e.tier === undefined).map(brief)).toEqual([
      [10, "fault-start", "gateway", 2],
      [60, "scale-out", "gateway", 4], // back to the minimum
      [180, "scale-out", "gateway", 34],
      [200, "fault-start", "-", -1],
      [200, "failover", "-", -1],
      [300, "fault-end", "-", -1],
      // New region: 3 fresh datapoints (360, 420, 480) before it scales out.
      [480, "scale-out", "gateway", 34],
      [610, "fault-end", "gateway", 34],
      [690, "instances-ready", "gateway", 34],
    ]);
  });
});

describe("Provisioner: jump size does not change event times", () => {
  const strategies = [
    "fixed",
    "overprovisioned",
    "reactive",
    "reactive-hpa",
    "scheduled",
    "reactive+priority-shedding",
  ];
  const levels = [0, 0.2, 0.5, 0.9, 1.5, 4, 12, Number.POSITIVE_INFINITY];
  const faultArb: fc.Arbitrary<FaultSpec> = fc.oneof(
    fc.record({
      kind: fc.constant("zone-outage" as const),
      atS: fc.integer({ min: 0, max: 3_000 }),
      durationS: fc.integer({ min: 0, max: 900 }),
      fraction: fc.constantFrom(0.25, 1 / 3, 0.5, 1),
    }),
    fc.record({
      kind: fc.constant("dependency-errors" as const),
      atS: fc.integer({ min: 0, max: 3_000 }),
      durationS: fc.integer({ min: 0, max: 900 }),
      errorRate: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    fc.record({
      kind: fc.constant("replica-loss" as const),
      atS: fc.integer({ min: 0, max: 3_000 }),
      replicas: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({
      kind: fc.constant("region-failover" as const),
      atS: fc.integer({ min: 0, max: 3_000 }),
      detectionDelayS: fc.integer({ min: 0, max: 300 }),
      failoverS: fc.integer({ min: 0, max: 600 }),
    }),
  );

  /** Samples depend on the natural minute only, so both callers report the same load. */
  function run(name: string, faults: FaultSpec[], perMinute: number[][], stepS: number, atS: number) {
    const p = provisioner(name, faults, { scheduledAtS: atS });
    const errorRates: number[] = [];
    for (let t = stepS; t <= 3_600; t += stepS) {
      const minute = Math.floor((t - stepS) / 60);
      const [g, r] = perMinute[minute % perMinute.length] as number[];
      p.advance(t, {
        gateway: { busyFraction: Math.min(1, g as number), demandRatio: g as number },
        read: { busyFraction: Math.min(1, r as number), demandRatio: r as number },
      });
      if (t % 60 === 0) errorRates.push(p.errorRate());
    }
    return {
      events: p.takeEvents().map(brief),
      gateway: p.state("gateway"),
      read: p.state("read"),
      cost: p.cost(),
      errorRates,
    };
  }

  it("advancing every 60 s gives the same events, states and cost as every 1 s", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...strategies),
        fc.array(fc.tuple(fc.constantFrom(...levels), fc.constantFrom(...levels)), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.array(faultArb, { maxLength: 4 }),
        fc.integer({ min: 0, max: 3_000 }),
        (name, perMinute, faults, atS) => {
          const fine = run(name, faults, perMinute, 1, atS);
          const coarse = run(name, faults, perMinute, 60, atS);
          expect(coarse.events).toEqual(fine.events);
          expect(coarse.gateway).toEqual(fine.gateway);
          expect(coarse.read).toEqual(fine.read);
          expect(coarse.cost.gateway).toBeCloseTo(fine.cost.gateway, 6);
          expect(coarse.cost.read).toBeCloseTo(fine.cost.read, 6);
          expect(coarse.errorRates).toEqual(fine.errorRates);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a table of fixed scenarios agrees between 1 s, 15 s and 60 s steps", () => {
    const faults: FaultSpec[] = [
      { kind: "zone-outage", atS: 725, durationS: 333, fraction: 0.5 },
      { kind: "replica-loss", atS: 1_234, replicas: 1 },
    ];
    for (const name of ["reactive", "reactive-hpa", "scheduled"]) {
      const perMinute = [
        [0.5, 0.3],
        [8, 12],
        [8, 12],
        [0.2, 0.2],
      ];
      const a = run(name, faults, perMinute, 1, 500);
      const b = run(name, faults, perMinute, 15, 500);
      const c = run(name, faults, perMinute, 60, 500);
      expect(a.events.length).toBeGreaterThan(3);
      expect(b.events).toEqual(a.events);
      expect(c.events).toEqual(a.events);
    }
  });
});
