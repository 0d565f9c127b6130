import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import {
  BOOTSTRAP,
  bootstrapInterval,
  overlaps,
  percentileInterval,
  resampleIndexSets,
} from "../../reports/bootstrap.ts";
import { buildComparison, type LoadedRun, loadedRun, spreadOf, verdictOf } from "../../reports/compare.ts";
import { costUsd, parsePricePerInstanceHour } from "../../reports/cost.ts";
import { recordLatency, recordReject, rollUp, type SecondTally, secondTally } from "../../reports/ingest.ts";
import type { Summary } from "../../reports/model.ts";
import { splitRejects } from "../../reports/rejectKinds.ts";
import { frontierChartOption } from "../../reports/render/frontierChart.ts";

describe("rejects split into capacity, policy and business", () => {
  it("puts 503/408/5xx under capacity, 429/418 under policy and order 400s apart", () => {
    expect(
      splitRejects({ overloaded: 5, timeout: 3, error: 2, rate_limited: 7, banned: 11, order_rejected: 4 }),
    ).toEqual({ capacity: 10, policy: 18, business: 4 });
  });

  it("splits an old summary's byReason (no new fields needed) and ignores unknown reasons", () => {
    // The 10 October overprovisioned run: almost all of its rejects are bans.
    const byReason = { overloaded: 175_043, rate_limited: 902_380, banned: 15_910_622 };
    expect(splitRejects(byReason)).toEqual({ capacity: 175_043, policy: 16_813_002, business: 0 });
    expect(splitRejects({ something_new: 9, banned: 1 } as Record<string, number>)).toEqual({
      capacity: 0,
      policy: 1,
      business: 0,
    });
    expect(splitRejects(undefined)).toEqual({ capacity: 0, policy: 0, business: 0 });
  });
});

describe("price per instance-hour and cost in USD", () => {
  const dir = mkdtempSync(join(tmpdir(), "stampede-prices-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults, then overrides by tier=price or by a JSON file", () => {
    const defaults = parsePricePerInstanceHour(undefined);
    expect(defaults.gateway).toBeGreaterThan(0);
    expect(defaults.read).toBeGreaterThan(0);
    expect(parsePricePerInstanceHour("gateway=0.19,read=0.38")).toEqual({ gateway: 0.19, read: 0.38 });
    expect(parsePricePerInstanceHour("read=1")).toEqual({ gateway: defaults.gateway, read: 1 });
    const file = join(dir, "prices.json");
    writeFileSync(file, JSON.stringify({ gateway: 0.5, read: 0 }));
    expect(parsePricePerInstanceHour(file)).toEqual({ gateway: 0.5, read: 0 });
  });

  it("refuses unknown tiers, bad prices and missing files with E_USAGE (exit 2)", () => {
    for (const bad of [
      "cpu=1",
      "gateway=-1",
      "gateway=abc",
      "gateway=1=2",
      "gateway=",
      join(dir, "nope.json"),
    ])
      expect(() => parsePricePerInstanceHour(bad), bad).toThrow(
        expect.objectContaining({ code: "E_USAGE", exitCode: 2 }),
      );
    const notJson = join(dir, "bad.json");
    writeFileSync(notJson, "{");
    expect(() => parsePricePerInstanceHour(notJson)).toThrow(expect.objectContaining({ code: "E_USAGE" }));
  });

  it("prices instance-minutes per tier", () => {
    // 600 gateway minutes = 10 h at 0.19 + 300 read minutes = 5 h at 0.38.
    expect(costUsd({ gateway: 600, read: 300 }, { gateway: 0.19, read: 0.38 })).toBeCloseTo(3.8, 6);
    expect(costUsd({ gateway: 60 }, { gateway: 0.19, read: 0.38 })).toBeCloseTo(0.19, 6);
    expect(costUsd(undefined, { gateway: 1, read: 1 })).toBe(0);
  });
});

describe("percentile bootstrap over repeats", () => {
  it("is seeded: the same seed draws the same resamples", () => {
    expect(resampleIndexSets(5, 50, 7)).toEqual(resampleIndexSets(5, 50, 7));
    expect(resampleIndexSets(5, 50, 7)).not.toEqual(resampleIndexSets(5, 50, 8));
    for (const set of resampleIndexSets(5, 200, 1)) for (const i of set) expect(i >= 0 && i < 5).toBe(true);
  });

  const meanOf = (xs: number[]) => (idx: readonly number[]) =>
    idx.reduce((a, i) => a + (xs[i] as number), 0) / idx.length;

  it("identical repeats give a zero-width interval", () => {
    expect(bootstrapInterval(5, meanOf([3, 3, 3, 3, 3]))).toEqual({ lo: 3, hi: 3 });
  });

  it("clearly separated samples give intervals that do not overlap", () => {
    const a = bootstrapInterval(6, meanOf([10, 11, 12, 10, 11, 12])) as { lo: number; hi: number };
    const b = bootstrapInterval(6, meanOf([20, 21, 22, 20, 22, 21])) as { lo: number; hi: number };
    expect(a.lo).toBeGreaterThanOrEqual(10);
    expect(a.hi).toBeLessThanOrEqual(12);
    expect(overlaps(a, b)).toBe(false);
    // Close samples overlap.
    const c = bootstrapInterval(6, meanOf([11, 12, 13, 10, 12, 11])) as { lo: number; hi: number };
    expect(overlaps(a, c)).toBe(true);
  });

  it("gives no interval below the minimum repeats, or when a resample is unknown", () => {
    expect(BOOTSTRAP.minRepeats).toBe(5);
    expect(bootstrapInterval(4, meanOf([1, 2, 3, 4]))).toBeNull();
    expect(percentileInterval([[0], [1]], (idx) => (idx[0] === 1 ? null : 1))).toBeNull();
  });

  it("takes the 2.5th and 97.5th percentiles of the resampled statistic", () => {
    // 40 resamples whose statistic is their position: nearest rank gives the 1st and the 39th.
    const sets = Array.from({ length: 40 }, (_, i) => [i]);
    expect(percentileInterval(sets, (idx) => idx[0] as number)).toEqual({ lo: 0, hi: 38 });
  });
});

const PHASES: WallPhase[] = [
  { name: "normal", startS: 0, endS: 10, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 10, endS: 20, fromMultiple: 100, toMultiple: 100 },
  { name: "after", startS: 20, endS: 30, fromMultiple: 1, toMultiple: 1 },
];

/** A run: 100 requests a second at `burstMs` in the burst (10 ms otherwise), with rejects. */
function run(
  strategy: string,
  seed: number,
  o: { burstMs: number; banned: number; overloaded: number; gatewayMin: number },
): LoadedRun {
  const seconds = new Map<number, SecondTally>();
  for (let t = 0; t < 30; t++) {
    const sec = secondTally(seconds, t);
    recordLatency(sec, "order", (t >= 10 && t < 20 ? o.burstMs : 10) * 1000, 100);
    if (t === 12) {
      recordReject(sec, "order", "banned", o.banned);
      recordReject(sec, "order", "overloaded", o.overloaded);
    }
  }
  const summary = {
    strategy,
    cost: { instanceMinutes: { gateway: o.gatewayMin, read: 0, total: o.gatewayMin } },
  } as Summary;
  return loadedRun({
    runId: `${strategy}-${seed}`,
    runDir: `/tmp/${strategy}-${seed}`,
    run: { id: `${strategy}-${seed}`, seed, plan: { phases: PHASES, durationS: 30 } },
    summary,
    ingested: rollUp(0, seconds, PHASES),
    timeline: [],
  });
}

describe("compare with 5 repeats: intervals, reject kinds, money, frontier", () => {
  const repeats = (strategy: string, f: (i: number) => Parameters<typeof run>[2]) =>
    Array.from({ length: 5 }, (_, i) => run(strategy, i + 1, f(i)));
  const groups = [
    {
      label: "fixed",
      runs: repeats("fixed", (i) => ({
        burstMs: 400 + 5 * i,
        banned: 0,
        overloaded: 900 + i,
        gatewayMin: 60,
      })),
    },
    {
      label: "overprovisioned",
      runs: repeats("overprovisioned", (i) => ({
        burstMs: 100 + 5 * i,
        banned: 1500 + i,
        overloaded: 1,
        gatewayMin: 600,
      })),
    },
    {
      label: "twin",
      runs: repeats("twin", (i) => ({
        burstMs: 402 + 5 * i,
        banned: 0,
        overloaded: 901 + i,
        gatewayMin: 60,
      })),
    },
  ];
  const c = buildComparison(groups, new Date(0), { gateway: 0.2, read: 0.4 });
  const [fixed, over, twin] = c.groups;

  it("separates capacity from policy rejects", () => {
    expect(over?.metrics.capacityRejectedPct.value).toBeLessThan(0.1);
    expect(over?.metrics.policyRejectedPct.value).toBeGreaterThan(40);
    expect(fixed?.metrics.policyRejectedPct.value).toBe(0);
    expect(over?.verdicts.capacityRejectedPct.verdict).toBe("better");
    expect(over?.verdicts.policyRejectedPct.verdict).toBe("worse");
  });

  it("prices the cost and states 95 % intervals", () => {
    expect(c.intervals).toMatchObject({ resamples: BOOTSTRAP.resamples, level: 0.95 });
    expect(c.pricesUsdPerInstanceHour).toEqual({ gateway: 0.2, read: 0.4 });
    expect(fixed?.metrics.costUsd.value).toBeCloseTo(0.2, 6);
    expect(over?.metrics.costUsd.value).toBeCloseTo(2, 6);
    expect(fixed?.metrics.costUsd.ci95).toEqual({ lo: 0.2, hi: 0.2 });
    const p99 = fixed?.metrics.p99BurstMs.ci95;
    expect(p99?.lo).toBeGreaterThanOrEqual(399);
    expect(p99?.hi).toBeLessThanOrEqual(421);
    expect(over?.verdicts.p99BurstMs).toMatchObject({ verdict: "better" });
    expect(over?.verdicts.p99BurstMs.note).toMatch(/95 % intervals/);
    expect(twin?.verdicts.p99BurstMs.verdict).toBe("no difference");
    expect(c.noise).toMatch(/bootstrap/);
  });

  it("falls back to min..max below 5 repeats and says why", () => {
    const few = buildComparison(groups.map((g) => ({ ...g, runs: g.runs.slice(0, 3) })));
    expect(few.intervals).toBeNull();
    expect(few.groups[0]?.metrics.p99BurstMs.ci95).toBeNull();
    expect(few.noise).toMatch(/need >= 5 repeats/);
  });

  it("verdicts use intervals when both sides have them", () => {
    const a = { ...spreadOf([1, 2, 3, 4, 5]), ci95: { lo: 2, hi: 4 } };
    expect(verdictOf(a, { ...spreadOf([4, 5, 6, 7, 8]), ci95: { lo: 5, hi: 7 } }).verdict).toBe("worse");
    // The min..max ranges overlap, the intervals do not: the intervals decide.
    expect(verdictOf(a, { ...spreadOf([0, 0.5, 1, 1, 1.5]), ci95: { lo: 0.5, hi: 1.5 } }).verdict).toBe(
      "better",
    );
  });

  it("draws the frontier as an ECharts option: strategies as points with their intervals", () => {
    const option = frontierChartOption(c) as {
      series: Array<{ id: string; name: string; type: string; data: unknown[] }>;
    };
    const points = option.series.filter((s) => s.type === "scatter");
    // One point per strategy on each of the two panels (p99, capacity rejects), x = cost in USD.
    expect(points.map((s) => s.id)).toContain("frontier-p99-overprovisioned");
    expect(points).toHaveLength(6);
    expect(points.find((s) => s.id === "frontier-p99-overprovisioned")?.data).toEqual([
      [over?.metrics.costUsd.value, over?.metrics.p99BurstMs.value],
    ]);
    const cross = option.series.find((s) => s.id === "frontier-capacity-fixed-interval");
    const ci = fixed?.metrics.capacityRejectedPct.ci95;
    expect(cross?.data[3]).toEqual([fixed?.metrics.costUsd.value, ci?.lo]);
    expect(cross?.data[4]).toEqual([fixed?.metrics.costUsd.value, ci?.hi]);
    // Inlinable: pure JSON, no functions.
    expect(JSON.parse(JSON.stringify(option))).toEqual(option);
  });
});
