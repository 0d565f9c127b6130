import { describe, expect, it } from "vitest";
import type { CapacityEvent, FaultSpec, TierSizing } from "../../loadtests/vocabulary/capacity.ts";
import { seededRandom } from "../../loadtests/vocabulary/random.ts";
import { CAPACITY_TICK_MS, CapacityModel, type CapacityOutcome } from "../../mock-exchange/capacity/model.ts";
import { EXCHANGE_DEFAULTS, type ExchangeConfig, type ServiceClass } from "../../mock-exchange/defaults.ts";

/**
 * The per-request capacity model against a fake wall clock: the test owns `now`, ticks the
 * provisioning loop every CAPACITY_TICK_MS like the server's shared tick, and admits requests
 * evenly spread inside each tick. Time scale 60: one wall second is one natural minute.
 */

const TIME_SCALE = 60;

function config(
  strategy: string,
  overrides: { faults?: FaultSpec[]; gateway?: TierSizing; sequencerOrdersPerS?: number } = {},
): ExchangeConfig {
  const cap = EXCHANGE_DEFAULTS.capacity;
  return {
    ...EXCHANGE_DEFAULTS,
    timeScale: TIME_SCALE,
    faults: overrides.faults ?? [],
    capacity: {
      ...cap,
      strategy,
      tiers: { ...cap.tiers, gateway: overrides.gateway ?? cap.tiers.gateway },
      sequencerOrdersPerS: overrides.sequencerOrdersPerS ?? cap.sequencerOrdersPerS,
    },
  };
}

type Counts = Partial<Record<CapacityOutcome, number>>;

interface Drive {
  /** Requests admitted per tick. */
  perTick: number;
  cls: ServiceClass;
  /** Whether the i-th request of a tick is a priority one (a cancel). */
  priority?: (i: number) => boolean;
  /** Called after each tick, before its admissions. */
  onTick?: (nowMs: number) => void;
  /** Called with every decision. */
  onAdmit?: (nowMs: number, outcome: CapacityOutcome, dueMs: number, priority: boolean) => void;
}

/** Runs the fake clock from 0 to endMs. Returns outcome counts for priority and other requests. */
function drive(
  model: CapacityModel,
  endMs: number,
  d: Drive,
): { priority: Counts; other: Counts; events: CapacityEvent[] } {
  const priority: Counts = {};
  const other: Counts = {};
  const events: CapacityEvent[] = [];
  for (let now = 0; now < endMs; now += CAPACITY_TICK_MS) {
    model.tick(now);
    events.push(...model.takeEvents());
    d.onTick?.(now);
    for (let i = 0; i < d.perTick; i++) {
      const at = now + (i * CAPACITY_TICK_MS) / d.perTick;
      const prio = d.priority?.(i) ?? false;
      const a = model.admit(at, d.cls, prio);
      const into = prio ? priority : other;
      into[a.outcome] = (into[a.outcome] ?? 0) + 1;
      d.onAdmit?.(at, a.outcome, a.dueMs, prio);
    }
  }
  return { priority, other, events };
}

const total = (c: Counts) => Object.values(c).reduce((a, b) => a + (b ?? 0), 0);
const share = (c: Counts, outcome: CapacityOutcome) => (c[outcome] ?? 0) / total(c);

describe("CapacityModel: reactive autoscaling lags the burst", () => {
  it("keeps the gateway at baseline until a scale-out, then adds workers only after boot + warm-up (210 natural s)", () => {
    const model = new CapacityModel(config("reactive"), seededRandom(1), 0);
    const baseline = EXCHANGE_DEFAULTS.capacity.tiers.gateway.baselineInstances;
    const workersAt: Array<[number, number]> = [];
    // 50 depth reads per 100 ms = 500/s x 15 ms = 7.5 busy workers on 3: demand 2.5x capacity from t = 0.
    const { events } = drive(model, 10_000, {
      perTick: 50,
      cls: "depth",
      onTick: (now) =>
        workersAt.push([now, model.snapshotTier("gateway", now, Math.floor(now / 1000)).workers]),
    });

    const scaleOut = events.find((e) => e.kind === "scale-out" && e.tier === "gateway");
    const ready = events.find((e) => e.kind === "instances-ready" && e.tier === "gateway");
    expect(scaleOut).toBeDefined();
    expect(ready).toBeDefined();
    // Three 60 s datapoints above target before the alarm fires: the decision is at 180 natural s.
    expect(scaleOut?.atS).toBe(180);
    // 30 s boot + 180 s warm-up.
    expect(ready?.atS).toBe((scaleOut?.atS as number) + 210);

    const scaleOutWallMs = ((scaleOut?.atS as number) / TIME_SCALE) * 1000; // 3,000 ms
    const readyWallMs = scaleOutWallMs + (210 / TIME_SCALE) * 1000; // + 3,500 ms
    // Baseline through the decision and the whole boot + warm-up.
    for (const [now, workers] of workersAt) {
      if (now < readyWallMs) expect(workers, `workers at ${now} ms`).toBe(baseline);
    }
    // Then the fleet the recommendation asked for: ceil(3 x 2.5 / 0.6) = 13 instances, one worker each.
    const after = workersAt.filter(([now]) => now >= readyWallMs).map(([, w]) => w);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after)).toBe(13);
    expect(model.provisioner.state("gateway").ready).toBe(13);
  });
});

describe("CapacityModel: priority shedding protects cancels", () => {
  // 20 orders per 100 ms = 200/s x 30 ms = 6 busy workers on 3 gateway workers (2x overload);
  // one in five is a cancel (priority).
  const overload = { perTick: 20, cls: "order" as const, priority: (i: number) => i % 5 === 0 };

  it("admits priority requests far more often than new orders under overload", () => {
    const model = new CapacityModel(config("priority-shedding"), seededRandom(7), 0);
    const { priority, other } = drive(model, 12_000, overload);
    // Measured (seed 7): priority ~0.93 admitted, other ~0.41.
    expect(share(priority, "admitted")).toBeGreaterThan(0.8);
    expect(share(other, "admitted")).toBeLessThan(0.55);
    expect(share(priority, "admitted")).toBeGreaterThan(1.6 * share(other, "admitted"));
    // New orders are the ones shed with 503 -1008; cancels never are.
    expect(other.overloaded ?? 0).toBeGreaterThan(0);
    expect(priority.overloaded ?? 0).toBe(0);
  });

  it("without shedding (fixed) priority and new orders fare alike", () => {
    const model = new CapacityModel(config("fixed"), seededRandom(7), 0);
    const { priority, other } = drive(model, 12_000, overload);
    // Measured (seed 7): ~0.49 and ~0.52: one FIFO queue, no preference.
    expect(share(priority, "admitted")).toBeLessThan(0.65);
    expect(Math.abs(share(priority, "admitted") - share(other, "admitted"))).toBeLessThan(0.1);
  });
});

describe("CapacityModel: faults", () => {
  it("dependency-errors fails about errorRate of the requests during the fault window only", () => {
    const errorRate = 0.3;
    // Natural 120..720 s = wall 2,000..12,000 ms at time scale 60.
    const faults: FaultSpec[] = [{ kind: "dependency-errors", atS: 120, durationS: 600, errorRate }];
    const model = new CapacityModel(config("fixed", { faults }), seededRandom(3), 0);
    const inside: Counts = {};
    const outside: Counts = {};
    // Light load (80 depth/s, 1.2 busy workers of 3): nothing but the fault refuses anything.
    drive(model, 14_000, {
      perTick: 8,
      cls: "depth",
      onAdmit: (at, outcome) => {
        const into = at >= 2_000 && at < 12_000 ? inside : outside;
        into[outcome] = (into[outcome] ?? 0) + 1;
      },
    });
    expect(total(inside)).toBe(800);
    expect(total(outside)).toBe(320);
    expect(outside.error ?? 0).toBe(0);
    expect(outside.admitted).toBe(total(outside));
    // Binomial(800, 0.3): sd 0.016; 4 sd either side.
    expect(Math.abs(share(inside, "error") - errorRate)).toBeLessThan(0.065);
    expect((inside.error ?? 0) + (inside.admitted ?? 0)).toBe(800);
  });

  it("region-failover gives unavailable until detection + failover, then serves at baseline size", () => {
    // Region down at 60 s, standby promoted at 120 s, serving at 240 s: wall 1,000 / 2,000 / 4,000 ms.
    const faults: FaultSpec[] = [{ kind: "region-failover", atS: 60, detectionDelayS: 60, failoverS: 120 }];
    // Overprovisioned (30 gateway workers) makes the point: the standby is baseline (3), not 30.
    const model = new CapacityModel(config("overprovisioned", { faults }), seededRandom(5), 0);
    const byWindow: Record<"before" | "down" | "after", Counts> = { before: {}, down: {}, after: {} };
    const workers: Record<"before" | "down" | "after", Set<number>> = {
      before: new Set(),
      down: new Set(),
      after: new Set(),
    };
    const windowOf = (t: number) => (t < 1_000 ? "before" : t < 4_000 ? "down" : "after");
    const { events } = drive(model, 6_000, {
      perTick: 4,
      cls: "depth",
      onTick: (now) => workers[windowOf(now)].add(model.provisioner.workers("gateway")),
      onAdmit: (at, outcome) => {
        const c = byWindow[windowOf(at)];
        c[outcome] = (c[outcome] ?? 0) + 1;
      },
    });
    expect([...workers.before]).toEqual([30]);
    expect([...workers.down]).toEqual([0]);
    expect([...workers.after]).toEqual([3]);
    expect(byWindow.before).toEqual({ admitted: 40 });
    expect(byWindow.down).toEqual({ unavailable: 120 });
    expect(byWindow.after).toEqual({ admitted: 80 });
    expect(events.map((e) => [e.atS, e.kind])).toEqual([
      [60, "fault-start"],
      [120, "failover"],
      [240, "fault-end"],
    ]);
  });
});

describe("CapacityModel: the sequencer", () => {
  it("times out orders beyond its rate even when the gateway has room", () => {
    // 20 gateway workers (6 busy at 200 orders/s x 30 ms) in front of a sequencer of 50 orders/s.
    const model = new CapacityModel(
      config("fixed", {
        gateway: { baselineInstances: 20, concurrencyPerInstance: 1 },
        sequencerOrdersPerS: 50,
      }),
      seededRandom(11),
      0,
    );
    const admittedDue: number[] = [];
    const { other } = drive(model, 10_000, {
      perTick: 20,
      cls: "order",
      onAdmit: (_at, outcome, dueMs) => {
        if (outcome === "admitted") admittedDue.push(dueMs);
      },
    });
    // 2,000 orders offered over 10 s; the sequencer takes 50/s (plus the ~300 ms of queue it may hold).
    expect(total(other)).toBe(2_000);
    expect(other.overloaded ?? 0).toBe(0);
    expect(other.admitted).toBeGreaterThanOrEqual(480);
    expect(other.admitted).toBeLessThanOrEqual(520);
    expect(other.timeout).toBe(2_000 - (other.admitted as number));
    // One server at 50/s: no second holds more than 50 completions (plus one at a boundary).
    const perSecond = new Map<number, number>();
    for (const due of admittedDue)
      perSecond.set(Math.floor(due / 1000), (perSecond.get(Math.floor(due / 1000)) ?? 0) + 1);
    for (const n of perSecond.values()) expect(n).toBeLessThanOrEqual(51);
    // Depth reads skip the sequencer: the same gateway serves all of them.
    const depth = drive(
      new CapacityModel(
        config("fixed", {
          gateway: { baselineInstances: 20, concurrencyPerInstance: 1 },
          sequencerOrdersPerS: 50,
        }),
        seededRandom(11),
        0,
      ),
      10_000,
      { perTick: 20, cls: "depth" },
    );
    expect(depth.other).toEqual({ admitted: 2_000 });
  });

  it("sequences orders when the gateway has finished them, not in arrival order", () => {
    // A slow order arrives first, a fast one right after; the fast one must not wait behind it.
    const cap = config("fixed", { gateway: { baselineInstances: 4, concurrencyPerInstance: 1 } });
    const slowFirst = {
      ...cap,
      capacity: {
        ...cap.capacity,
        serviceTimeMs: { ...cap.capacity.serviceTimeMs, order: 10 },
        serviceTimeMinMs: { ...cap.capacity.serviceTimeMinMs, order: 10 },
      },
    };
    const model = new CapacityModel(slowFirst, seededRandom(1), 0);
    const first = model.admit(0, "order", false);
    expect(first.outcome).toBe("admitted");
    const firstDue = first.dueMs;
    const second = model.admit(1, "order", false);
    // Deterministic 10 ms service: the second leaves the gateway at 11 ms, 1 ms after the first,
    // and the sequencer (1,500/s, 0.67 ms each) is free by then.
    expect(firstDue).toBeCloseTo(10 + 1000 / 1500, 6);
    expect(second.dueMs).toBeLessThan(11 + 2);
  });
});
