import { describe, expect, it } from "vitest";
import { recordLatency, rollUp, type SecondTally, secondTally } from "../../reports/ingest.ts";
import { LATE_P99_WARN_MS } from "../../reports/lateness.ts";
import { SparseHistogram } from "../../reports/sparse.ts";
import { buildSummary, secondPoints } from "../../reports/summary.ts";

/** A run of `n` seconds, 100 requests each; with lateness (µs) per iteration when given. */
function run(n: number, lateUs?: (t: number, i: number) => number) {
  const seconds = new Map<number, SecondTally>();
  for (let t = 0; t < n; t++) {
    const sec = secondTally(seconds, t);
    for (let i = 0; i < 100; i++) recordLatency(sec, "order", 5_000 + i * 10);
    if (lateUs !== undefined) {
      sec.latenessUs = new SparseHistogram();
      sec.correctedUs = new SparseHistogram();
      for (let i = 0; i < 100; i++) {
        const late = lateUs(t, i);
        sec.latenessUs.recordValue(Math.max(1, late));
        sec.correctedUs.recordValue(5_000 + i * 10 + late);
        sec.lateMsMax = Math.max(sec.lateMsMax ?? 0, late / 1000);
      }
    }
  }
  return rollUp(1_800_000_000_000_000, seconds, []);
}

const busyCpu = [
  { tsMs: 1, k6CpuCores: 1.5, exchangeCpuCores: 0.5 },
  { tsMs: 2, k6CpuCores: 1.2, exchangeCpuCores: 0.3 },
];

describe("generator warning from measured lateness", () => {
  it("warns when p99 lateness exceeds the limit, quoting CPU as evidence", () => {
    const late = buildSummary(
      run(10, (_t, i) => (i >= 95 ? 40_000 : 200)),
      [],
      busyCpu,
      10,
    );
    expect(late.generator.lateMs).toEqual({ p50: 0.2, p99: 40.031, max: 40.031 });
    expect(late.correctedLatencyMs?.p99).toBeGreaterThan(late.latencyMs.p99 + 30);
    expect(late.generator.warnings).toHaveLength(1);
    expect(late.generator.warnings[0]).toMatch(
      /started iterations late: p99 40\.031 ms.*up to 1\.50 cores.*2\.00 of 2/,
    );
    expect(late.generator.bottleneck).toBe(true);
  });

  it("does not warn on saturated CPU alone once lateness shows k6 kept the schedule", () => {
    const onTime = buildSummary(
      run(10, () => 800),
      [],
      busyCpu,
      10,
    );
    expect(onTime.generator.lateMs?.p99).toBeLessThanOrEqual(LATE_P99_WARN_MS);
    expect(onTime.generator.warnings).toEqual([]);
    // Without lateness (csv-only runs) CPU is the only sign left, and it still warns.
    const unmeasured = buildSummary(run(10), [], busyCpu, 10);
    expect(unmeasured.generator.lateMs).toBeNull();
    expect(unmeasured.correctedLatencyMs).toBeNull();
    expect(unmeasured.generator.warnings.join(" ")).toMatch(/CPU was saturated/);
  });

  it("gives the per-second lateness for the report's chart", () => {
    const points = secondPoints(run(3, (t) => (t === 1 ? 25_000 : 1_000)));
    expect(points.map((p) => p.lateMs)).toEqual([
      { p99: 1, max: 1 },
      { p99: 25.007, max: 25 },
      { p99: 1, max: 1 },
    ]);
    expect(secondPoints(run(1))[0]?.lateMs).toBeUndefined();
  });
});
