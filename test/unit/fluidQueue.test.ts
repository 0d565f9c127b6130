import * as hdr from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import { exponential, seededRandom } from "../../loadtests/vocabulary/random.ts";
import { emptyFluidStepResult, FluidQueue } from "../../mock-exchange/capacity/fluidQueue.ts";
import { WorkerPool } from "../../mock-exchange/capacity/workerPool.ts";
import type { ServiceClass } from "../../mock-exchange/defaults.ts";

const CLASSES: ServiceClass[] = ["order", "position", "depth", "other"];
// Fixed here (not read from defaults.ts) so that the measured figures below stay valid.
const serviceTimeMs: Record<ServiceClass, number> = { order: 10, position: 16, depth: 5, other: 0.5 };
const serviceTimeMinMs: Record<ServiceClass, number> = { order: 4, position: 10, depth: 2, other: 0.2 };
const MIX: Record<ServiceClass, number> = { order: 0.5, position: 0.3, depth: 0.15, other: 0.05 };
const MEAN_SERVICE_MS = CLASSES.reduce((s, k) => s + MIX[k] * serviceTimeMs[k], 0); // 10.575
const WORKERS = 8;
const TIMEOUT_MS = 300;
const MAX_QUEUE = 48;
const CAPACITY_PER_S = (WORKERS * 1000) / MEAN_SERVICE_MS; // ~756/s

/** (seconds, ρ = offered work / capacity) */
type Phases = [number, number][];

const histogram = () =>
  hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

interface Outcome {
  rejectedFraction: number;
  p99Ms: number;
}

/** The reference: WorkerPool, one request at a time, Poisson arrivals, classes drawn from MIX. */
function perRequest(phases: Phases, seed: number): Outcome {
  const random = seededRandom(seed);
  const pool = new WorkerPool({
    workers: WORKERS,
    serviceTimeMs,
    serviceTimeMinMs,
    queueTimeoutMs: TIMEOUT_MS,
    maxQueue: MAX_QUEUE,
    random,
    originMs: 0,
  });
  const latencyUs = histogram();
  let arrivals = 0;
  let rejected = 0;
  let from = 0;
  for (const [seconds, rho] of phases) {
    const gapMs = 1000 / (rho * CAPACITY_PER_S);
    const to = from + seconds * 1000;
    for (let t = from + exponential(random, gapMs); t < to; t += exponential(random, gapMs)) {
      const u = random();
      const k: ServiceClass = u < 0.5 ? "order" : u < 0.8 ? "position" : u < 0.95 ? "depth" : "other";
      const a = pool.admit(t, k);
      arrivals++;
      if (a.outcome === "admitted") latencyUs.recordValue(Math.round((a.dueMs - t) * 1000));
      else rejected++;
    }
    from = to;
  }
  return { rejectedFraction: rejected / arrivals, p99Ms: latencyUs.getValueAtPercentile(99) / 1000 };
}

/** The fluid model in 1 s steps with the expected (fractional) arrivals. */
function fluid(phases: Phases, stepMs = 1000): Outcome & { admitted: number; recorded: number } {
  const q = new FluidQueue({
    serviceTimeMs,
    serviceTimeMinMs,
    queueTimeoutMs: TIMEOUT_MS,
    maxQueue: MAX_QUEUE,
  });
  const perClass = { order: histogram(), position: histogram(), depth: histogram(), other: histogram() };
  const out = emptyFluidStepResult();
  const arrivals: Record<ServiceClass, number> = { order: 0, position: 0, depth: 0, other: 0 };
  let total = 0;
  let rejected = 0;
  let admitted = 0;
  for (const [seconds, rho] of phases) {
    for (let s = 0; s < (seconds * 1000) / stepMs; s++) {
      for (const k of CLASSES) arrivals[k] = (rho * CAPACITY_PER_S * MIX[k] * stepMs) / 1000;
      q.step(stepMs, WORKERS, arrivals, perClass, out);
      for (const k of CLASSES) {
        total += arrivals[k];
        admitted += out.admitted[k];
        rejected += out.timeout[k] + out.overloaded[k] + out.unavailable[k];
        expect(out.admitted[k] + out.timeout[k] + out.overloaded[k] + out.unavailable[k]).toBeCloseTo(
          arrivals[k],
          9,
        );
      }
    }
  }
  const all = histogram();
  for (const k of CLASSES) all.add(perClass[k]);
  return {
    rejectedFraction: rejected / total,
    p99Ms: all.getValueAtPercentile(99) / 1000,
    admitted,
    recorded: all.totalCount,
  };
}

/**
 * Agreement with the per-request WorkerPool (8 workers, service times above, timeout 300 ms,
 * max queue 48, mix order/position/depth/other = 50/30/15/5%). Measured, fluid vs reference
 * (reference seeds 11 and 12):
 *   ρ = 0.5, 1200 s (0.9 M requests):  rejected 0 vs 0;   p99 33.4 vs 33.4-33.5 ms (0%)
 *   ρ = 0.9, 2400 s (1.6 M requests):  rejected 0.006% vs 0.005-0.012%;
 *                                      p99 54.1 vs 52.8-56.1 ms (+2.5% / -3.6%)
 *   0.5 (60 s) -> 3x (30 s) -> 0.5 (60 s): rejected 39.96% vs 39.68-39.69% (+0.27 points);
 *                                      p99 89.7 vs 92.5 ms (-3.0%: the Gamma spread of the
 *                                      wait at a full queue is not modelled)
 * At ρ = 0.9 the reference p99 itself moves by ~±3% between seeds (600 s runs gave 52.0-53.9).
 * Not tested, for the record: ρ = 0.97 p99 -1.6%, rejected 0.40% vs 0.35%; ρ = 1.2 p99 -2.9%,
 * rejected 16.66% vs 16.42%. 100 ms steps give the same figures within 0.1 ms.
 * Tolerances: p99 within 5% (6% at ρ = 0.9, for the reference's own spread); rejected fraction
 * within 0.05 percentage points in steady load and 0.5 points around the overload.
 */
describe("FluidQueue against per-request simulation", () => {
  const cases: [string, Phases, number, number][] = [
    ["steady ρ = 0.5", [[1200, 0.5]], 0.0005, 0.05],
    ["steady ρ = 0.9", [[2400, 0.9]], 0.0005, 0.06],
    [
      "overload to 3x capacity and back",
      [
        [60, 0.5],
        [30, 3],
        [60, 0.5],
      ],
      0.005,
      0.05,
    ],
  ];
  for (const [name, phases, rejectedTolerance, p99Tolerance] of cases) {
    it(name, () => {
      const reference = perRequest(phases, 11);
      const model = fluid(phases);
      expect(Math.abs(model.rejectedFraction - reference.rejectedFraction)).toBeLessThan(rejectedTolerance);
      expect(Math.abs(model.p99Ms / reference.p99Ms - 1)).toBeLessThan(p99Tolerance);
      // Histogram counts follow the admitted counts (fractions carried, not lost).
      expect(Math.abs(model.recorded - model.admitted)).toBeLessThan(CLASSES.length * 24);
    });
  }

  it("does not depend on the step size", () => {
    const phases: Phases = [
      [20, 0.9],
      [10, 3],
      [20, 0.9],
    ];
    const coarse = fluid(phases, 1000);
    const fine = fluid(phases, 100);
    expect(Math.abs(fine.p99Ms / coarse.p99Ms - 1)).toBeLessThan(0.02);
    expect(Math.abs(fine.rejectedFraction - coarse.rejectedFraction)).toBeLessThan(0.005);
  });
});

describe("FluidQueue bookkeeping", () => {
  const make = (maxQueue = MAX_QUEUE, queueTimeoutMs = TIMEOUT_MS) =>
    new FluidQueue({ serviceTimeMs, serviceTimeMinMs, queueTimeoutMs, maxQueue });
  const load = (perS: number): Record<ServiceClass, number> => ({
    order: perS * MIX.order,
    position: perS * MIX.position,
    depth: perS * MIX.depth,
    other: perS * MIX.other,
  });

  it("answers unavailable with no workers", () => {
    const out = emptyFluidStepResult();
    make().step(1000, 0, load(100), null, out);
    expect(out.unavailable.order).toBeCloseTo(50, 9);
    expect(out.admitted.order).toBe(0);
    expect(out.busyFraction).toBe(0);
    expect(out.demandRatio).toBe(Number.POSITIVE_INFINITY);
  });

  it("builds a queue in overload, classifies by the tighter bound, then drains it", () => {
    const out = emptyFluidStepResult();
    const q = make();
    q.step(1000, WORKERS, load(3 * CAPACITY_PER_S), null, out);
    expect(out.demandRatio).toBeCloseTo(3, 9);
    expect(out.busyFraction).toBeGreaterThan(0.99);
    expect(out.queueDepth).toBeGreaterThan(0.9 * MAX_QUEUE);
    expect(out.overloaded.order).toBeGreaterThan(0.6 * 3 * CAPACITY_PER_S * MIX.order);
    expect(out.timeout.order).toBe(0);
    q.step(100, WORKERS, load(0), null, out);
    expect(out.queueDepth).toBe(0);
    expect(out.busyFraction).toBeGreaterThan(0.4);
    // With a long queue allowed, the 300 ms timeout is the tighter bound (the queue fills for
    // 150 ms first: 8 workers x 300 ms of work at 2x capacity excess).
    const t = make(1_000_000);
    t.step(1000, WORKERS, load(3 * CAPACITY_PER_S), null, out);
    expect(out.timeout.order / (3 * CAPACITY_PER_S * MIX.order)).toBeCloseTo((2 / 3) * 0.85, 2);
    expect(out.overloaded.order).toBe(0);
  });

  it("grows without bound with an unbounded queue and no timeout", () => {
    const out = emptyFluidStepResult();
    const q = make(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    q.step(1000, WORKERS, load(2 * CAPACITY_PER_S), null, out);
    expect(out.overloaded.order + out.timeout.order).toBe(0);
    expect(out.queueDepth).toBeCloseTo(CAPACITY_PER_S, 0);
  });

  it("rejects bad input", () => {
    const out = emptyFluidStepResult();
    expect(() => make().step(0, 1, load(1), null, out)).toThrow(RangeError);
    expect(() => make().step(1000, 1.5, load(1), null, out)).toThrow(RangeError);
    expect(() => make().step(1000, 1, { ...load(1), order: -1 }, null, out)).toThrow(RangeError);
  });
});
