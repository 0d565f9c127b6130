import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import {
  buildComparison,
  type LoadedRun,
  loadedRun,
  mergeHistograms,
  mergeSparse,
  SINGLE_RUN_NOTE,
  spectrum,
  spreadOf,
  verdictOf,
} from "../../reports/compare.ts";
import {
  latencyHistogram,
  recordLatency,
  rollUp,
  type SecondTally,
  secondTally,
} from "../../reports/ingest.ts";
import type { Summary } from "../../reports/model.ts";
import { renderComparisonHtml } from "../../reports/render/compareHtml.ts";
import { SparseHistogram } from "../../reports/sparse.ts";
import { burstPhaseOf, preBurstPhaseOf } from "../../reports/summary.ts";

const phase = (name: string, startS: number, endS: number, from: number, to: number): WallPhase => ({
  name,
  startS,
  endS,
  fromMultiple: from,
  toMultiple: to,
});

const SMOKE: WallPhase[] = [
  phase("normal", 0, 10, 1, 1),
  phase("ramp", 10, 15, 1, 100),
  phase("burst", 15, 40, 100, 100),
  phase("recover", 40, 45, 100, 1),
  phase("after", 45, 60, 1, 1),
];

describe("burst and pre-burst phase (summary.ts rules, used by compare)", () => {
  it("takes the phase named burst, even when another has a higher multiple", () => {
    const phases = [
      phase("normal", 0, 10, 1, 1),
      phase("spike", 10, 12, 1, 500),
      phase("burst", 12, 30, 100, 100),
    ];
    expect(burstPhaseOf(phases)).toBe(2);
  });

  it("otherwise takes the highest multiple (from or to), the first of equals", () => {
    const cascade = [
      phase("before", 0, 30, 1, 1),
      phase("crash", 30, 35, 1, 100),
      phase("first-hour", 35, 95, 100, 60),
      phase("second-hour", 95, 155, 60, 100),
      phase("grind", 155, 515, 40, 5),
    ];
    expect(burstPhaseOf(cascade)).toBe(1);
    expect(burstPhaseOf([phase("a", 0, 1, 1, 2), phase("b", 1, 2, 9, 3)])).toBe(1);
    expect(burstPhaseOf([])).toBe(-1);
  });

  it("pre-burst is the last lowest-multiple phase before the burst, not the ramp into it", () => {
    expect(preBurstPhaseOf(SMOKE, 2)).toBe(0);
    const two = [phase("quiet", 0, 5, 1, 1), phase("normal", 5, 10, 1, 1), phase("burst", 10, 20, 50, 50)];
    expect(preBurstPhaseOf(two, 2)).toBe(1);
    expect(preBurstPhaseOf([phase("burst", 0, 10, 100, 100)], 0)).toBe(-1);
    expect(preBurstPhaseOf(SMOKE, -1)).toBe(-1);
  });
});

describe("compare: histograms are merged with add, never averaged", () => {
  it("merges whole-run histograms: counts add up and the p99 is the pooled one", () => {
    const fast = latencyHistogram();
    const slow = latencyHistogram();
    fast.recordValueWithCount(1_000, 990); // 1 ms
    fast.recordValueWithCount(2_000, 10);
    slow.recordValueWithCount(100_000, 1_000); // 100 ms
    const merged = mergeHistograms([fast, slow]);
    expect(merged.totalCount).toBe(2_000);
    // Pooled p99 is in the slow run's values; averaging the two p99s would give ~51 ms.
    expect(merged.getValueAtPercentile(99) / 1000).toBeCloseTo(100, 0);
    expect(merged.getValueAtPercentile(40) / 1000).toBeCloseTo(1, 1);
    // Inputs untouched.
    expect(fast.totalCount).toBe(1_000);
    expect(slow.totalCount).toBe(1_000);
  });

  it("merges per-second sparse histograms the same way", () => {
    const a = new SparseHistogram();
    const b = new SparseHistogram();
    a.recordValueWithCount(5_000, 3);
    b.recordValueWithCount(50_000, 1);
    const m = mergeSparse([a, b]);
    expect(m.totalCount).toBe(4);
    expect(m.getValueAtPercentile(50) / 1000).toBeCloseTo(5, 1);
    expect(m.getValueAtPercentile(99) / 1000).toBeCloseTo(50, 0);
    expect(a.totalCount).toBe(3);
  });

  it("draws the spectrum at x = 1/(1-p), ending at the maximum", () => {
    const h = latencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) h.recordValue(ms * 1000);
    const pts = spectrum(h);
    expect(pts[0]?.[0]).toBe(1);
    const at100 = pts.find(([x]) => Math.abs(x - 2 ** (33 / 5)) < 1e-9); // ~p99.0
    expect(at100).toBeDefined();
    expect(at100?.[1]).toBeCloseTo(h.getValueAtPercentile(100 * (1 - 1 / 2 ** (33 / 5))) / 1000, 6);
    const last = pts[pts.length - 1];
    expect(last?.[0]).toBe(1000);
    expect(last?.[1]).toBeCloseTo(1000, -1);
    for (let i = 1; i < pts.length; i++) {
      expect((pts[i] as [number, number])[0]).toBeGreaterThan((pts[i - 1] as [number, number])[0]);
      expect((pts[i] as [number, number])[1]).toBeGreaterThanOrEqual((pts[i - 1] as [number, number])[1]);
    }
    expect(spectrum(latencyHistogram())).toEqual([]);
  });
});

describe("compare: verdicts respect noise", () => {
  it("with repeats, overlapping spreads are no difference; disjoint ones better or worse", () => {
    const base = spreadOf([100, 120]);
    expect(base).toMatchObject({ value: 110, min: 100, max: 120, n: 2 });
    expect(verdictOf(base, spreadOf([115, 140])).verdict).toBe("no difference");
    expect(verdictOf(base, spreadOf([60, 99])).verdict).toBe("better");
    expect(verdictOf(base, spreadOf([121, 130])).verdict).toBe("worse");
    // A mean that differs a lot is still no difference when the spreads overlap.
    expect(verdictOf(spreadOf([10, 100]), spreadOf([95, 96])).verdict).toBe("no difference");
  });

  it("without repeats, says so and compares plainly", () => {
    const v = verdictOf(spreadOf([100]), spreadOf([101]));
    expect(v).toEqual({ verdict: "worse", note: SINGLE_RUN_NOTE });
    expect(verdictOf(spreadOf([100]), spreadOf([99.5])).verdict).toBe("better");
    expect(verdictOf(spreadOf([100]), spreadOf([100])).verdict).toBe("no difference");
    // One side repeated is not enough for a noise estimate.
    expect(verdictOf(spreadOf([100, 200]), spreadOf([150])).note).toBe(SINGLE_RUN_NOTE);
  });

  it("treats never recovering as worse than any time", () => {
    const never = (...v: Array<number | null>) => spreadOf(v, undefined, "never");
    expect(verdictOf(never(null, null), never(3, 5)).verdict).toBe("better");
    expect(verdictOf(never(3, 5), never(null, null)).verdict).toBe("worse");
    expect(verdictOf(never(null, null), never(null, null)).verdict).toBe("no difference");
    expect(verdictOf(never(3, null), never(null, null)).verdict).toBe("no difference");
    expect(verdictOf(never(3, null), never(1, 2)).verdict).toBe("better");
    expect(verdictOf(never(8, 9), never(1, null)).verdict).toBe("no difference");
    expect(verdictOf(never(null), never(4)).verdict).toBe("better");
  });

  it("finds no difference when a figure is unknown (e.g. an old run without cost)", () => {
    expect(verdictOf(spreadOf([null]), spreadOf([2800]))).toEqual({
      verdict: "no difference",
      note: "no figure to compare",
    });
    expect(verdictOf(spreadOf([1, null]), spreadOf([5, 6])).verdict).toBe("no difference");
  });

  it("uses the pooled figure as the value when given", () => {
    expect(spreadOf([1, 3], 2.5)).toMatchObject({ value: 2.5, kind: "pooled", min: 1, max: 3 });
  });
});

/** A run whose every second holds `count` requests at `msAt(t)` ms. */
function fakeRun(strategy: string, seed: number, msAt: (t: number) => number, cost: number): LoadedRun {
  const seconds = new Map<number, SecondTally>();
  for (let t = 0; t < 60; t++) {
    const sec = secondTally(seconds, t);
    recordLatency(sec, "order", msAt(t) * 1000, 100);
  }
  const ingested = rollUp(0, seconds, SMOKE);
  const summary = { strategy, cost: { instanceMinutes: { gateway: cost, read: 0, total: cost } } } as Summary;
  return loadedRun({
    runId: `${strategy}-${seed}`,
    runDir: `/tmp/${strategy}-${seed}`,
    run: { id: `${strategy}-${seed}`, seed, plan: { phases: SMOKE, durationS: 60 } },
    summary,
    ingested,
    timeline: [],
  });
}

describe("compare: a comparison of repeats", () => {
  const burstMs = (inBurst: number) => (t: number) =>
    t >= 15 && t < 40 ? inBurst : t >= 40 && t < 43 ? 300 : 10;

  it("pools the repeats' burst histograms and gives verdicts against the first strategy", () => {
    const c = buildComparison([
      {
        label: "fixed",
        runs: [fakeRun("fixed", 1, burstMs(400), 300), fakeRun("fixed", 2, burstMs(420), 305)],
      },
      {
        label: "overprovisioned",
        runs: [
          fakeRun("overprovisioned", 1, burstMs(100), 3000),
          fakeRun("overprovisioned", 2, burstMs(110), 3000),
        ],
      },
      { label: "same", runs: [fakeRun("same", 1, burstMs(390), 300), fakeRun("same", 2, burstMs(410), 300)] },
    ]);
    expect(c.repeats).toBe(2);
    expect(c.baseline).toBe("fixed");
    const [fixed, over, same] = c.groups;
    expect(fixed?.burstPhase).toBe("burst");
    expect(fixed?.preBurstPhase).toBe("normal");
    // Pooled p99 of 25 s at 400 + 25 s at 420: 420 (not the mean 410).
    expect(fixed?.metrics.p99BurstMs.value).toBeCloseTo(420, -1);
    expect(fixed?.metrics.p99BurstMs.min).toBeCloseTo(400, -1);
    // 3 wall seconds; the fake runs say no time scale (1), so 0.05 natural minutes.
    expect(fixed?.metrics.timeToRecoverMin.values).toEqual([0.05, 0.05]);
    expect(fixed?.runs[0]?.metrics.timeToRecoverS).toBe(3);
    expect(over?.verdicts.p99BurstMs.verdict).toBe("better");
    expect(over?.verdicts.costInstanceMinutes.verdict).toBe("worse");
    expect(same?.verdicts.p99BurstMs.verdict).toBe("no difference");
    expect(same?.verdicts.costInstanceMinutes.verdict).toBe("no difference");
    expect(fixed?.verdicts.p99BurstMs.verdict).toBe("baseline");
    expect(fixed?.series.p99Ms[20]).toBeCloseTo(420, -1);
    const html = renderComparisonHtml(c);
    expect(html.match(/<tr data-strategy=/g)).toHaveLength(3);
    // The spectra's options are embedded for the inlined ECharts; nothing else is scripted or fetched.
    expect(html).toContain('"id":"spectrum-overall-overprovisioned"');
    const page = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, "");
    expect(page).not.toMatch(/<script|https?:\/\//);
  });
});
