import { describe, expect, it } from "vitest";
import type { TimelinePoint, WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import type { RejectReason } from "../../loadtests/vocabulary/traffic.ts";
import { loadedRun } from "../../reports/compare.ts";
import {
  latencyHistogram,
  recordLatency,
  recordReject,
  rollUp,
  type SecondTally,
  secondTally,
} from "../../reports/ingest.ts";
import type { Percentiles } from "../../reports/sparse.ts";
import {
  buildSummary,
  burstPhaseOf,
  preBurstPhaseOf,
  riseStartOf,
  timeToFirstRejectS,
  timeToRecoverS,
} from "../../reports/summary.ts";

/** Smoke at time scale 60: normal 0-10, ramp 10-15, burst 15-40, recover 40-45, after 45-60. */
const phases: WallPhase[] = [
  { name: "normal", startS: 0, endS: 10, fromMultiple: 1, toMultiple: 1 },
  { name: "ramp", startS: 10, endS: 15, fromMultiple: 1, toMultiple: 100 },
  { name: "burst", startS: 15, endS: 40, fromMultiple: 100, toMultiple: 100 },
  { name: "recover", startS: 40, endS: 45, fromMultiple: 100, toMultiple: 1 },
  { name: "after", startS: 45, endS: 60, fromMultiple: 1, toMultiple: 1 },
];

const T0_MS = 1_800_000_000_000;

/** The p99 HdrHistogram reports for requests all at `ms`, in ms (its bucket's top). */
function p99Of(ms: number): number {
  const h = latencyHistogram();
  h.recordValue(ms * 1000);
  return Math.round(h.getValueAtPercentile(99)) / 1000;
}

interface Second {
  /** Latency of every request in the second, ms; undefined: no request completed. */
  ms?: number;
  /** A few slower requests on top (to shape the p99). */
  slowMs?: number;
  rejects?: Partial<Record<RejectReason, number>>;
}

/** Per-second data: 100 requests a second, latencies and rejects as given. */
function seconds(spec: (t: number) => Second, last = 59): Map<number, SecondTally> {
  const out = new Map<number, SecondTally>();
  for (let t = 0; t <= last; t++) {
    const s = spec(t);
    const sec = secondTally(out, t);
    if (s.ms !== undefined) recordLatency(sec, "order", s.ms * 1000, 100, "POST /fapi/v1/order");
    if (s.slowMs !== undefined) recordLatency(sec, "order", s.slowMs * 1000, 5, "POST /fapi/v1/order");
    for (const [reason, n] of Object.entries(s.rejects ?? {}))
      recordReject(sec, "order", reason as RejectReason, n, "POST /fapi/v1/order");
  }
  return out;
}

/** The drill the figures are checked on (see the expectations for what each second does). */
function drillSeconds(): Map<number, SecondTally> {
  return seconds((t) => {
    // Engine 400s (unknown order) happen at normal load too: never "the first reject".
    if (t === 3 || t === 11) return { ms: 10, rejects: { order_rejected: 2 } };
    if (t < 10) return { ms: 10 };
    if (t === 12) return { ms: 20, rejects: { order_rejected: 1 } };
    if (t === 13) return { ms: 30, rejects: { rate_limited: 4 } }; // the first capacity reject
    if (t < 15) return { ms: 20 };
    if (t < 40) return { ms: 500, slowMs: 2000, rejects: { overloaded: 10 } };
    if (t < 43) return { ms: 300 };
    if (t === 43) return {}; // no request completed: does not count as recovered
    if (t === 44) return { ms: 9 }; // back under the pre-burst p99
    return { ms: 10 };
  });
}

/** Timeline seconds (t = seconds since t0): the gateway queue and replica lag at each second's end. */
function drillTimeline(): Array<Partial<TimelinePoint>> {
  const lines: Array<Partial<TimelinePoint>> = [];
  for (let t = 0; t < 60; t++) {
    let queueDepth = 0;
    let replicaLagMs = t === 4 ? 80 : 50; // the pre-burst phase's worst lag: 80 ms
    if (t >= 15 && t < 40) {
      queueDepth = 400;
      replicaLagMs = t === 30 ? 9000 : 5000;
    } else if (t >= 40 && t < 47) queueDepth = 47 - t; // the queue is empty at the end of second 46
    if (t >= 40 && t < 50) replicaLagMs = 100; // lag back to <= 80 ms at the end of second 50
    if (t === 50) replicaLagMs = 80;
    lines.push({ tsMs: T0_MS + (t + 1) * 1000, queueDepth, replicaLagMs });
  }
  return lines;
}

describe("burst figures in summary.json", () => {
  it("finds the burst, its rise, and each figure on a drill with known seconds", () => {
    const ingested = rollUp(T0_MS * 1000, drillSeconds(), phases);
    const summary = buildSummary(ingested, phases, [], 60, { timeline: drillTimeline() });
    expect(summary.burst).toEqual({
      phase: "burst",
      startS: 15,
      endS: 40,
      preBurstPhase: "normal",
      riseStartS: 10,
      // 100 at 500 ms + 5 at 2 s each burst second: the p99 is 2 s (from the merged histogram).
      p99Ms: p99Of(2000),
      preBurstP99Ms: p99Of(10),
      // The ramp starts at 10 s; second 13 has the first rate-limit (the engine 400s do not count).
      timeToFirstRejectS: 3,
      // Burst ends at 40; seconds 40-42 are at 300 ms, 43 is empty, 44 is back at 9 ms.
      timeToRecoverS: 4,
      // Queue empty at the end of second 46, lag <= 80 ms at the end of second 50: 51 - 40.
      backlogDrainS: 11,
      peakReplicaLagMs: 9000,
    });
  });

  it("re-bases timeline lines with `t` (as reports/report.ts passes them) the same as by tsMs", () => {
    const ingested = rollUp(T0_MS * 1000, drillSeconds(), phases);
    const withT = drillTimeline().map((p) => ({ ...p, t: ((p.tsMs as number) - 1000 - T0_MS) / 1000 }));
    const a = buildSummary(ingested, phases, [], 60, { timeline: drillTimeline() });
    const b = buildSummary(ingested, phases, [], 60, { timeline: withT.map((p) => ({ ...p, tsMs: 0 })) });
    expect(b.burst).toEqual(a.burst);
    // An explicit t0 re-bases the timeline: with t0 5 s later every line is 5 s earlier, the
    // pre-burst phase no longer holds the 80 ms second (its worst lag is 50 ms), so the drain
    // waits for the first 50 ms line: second 51, now 46, ending 7 s after the burst.
    const c = buildSummary(ingested, phases, [], 60, { timeline: drillTimeline(), t0Ms: T0_MS + 5000 });
    expect(c.burst?.backlogDrainS).toBe(7);
  });

  it("gives nulls where a run cannot say", () => {
    // Never back under the pre-burst p99, no capacity reject, no timeline.
    const noRecovery = seconds((t) => ({ ms: t < 10 ? 10 : 400, rejects: { order_rejected: 1 } }));
    const s = buildSummary(rollUp(T0_MS * 1000, noRecovery, phases), phases, [], 60);
    expect(s.burst).toMatchObject({
      p99Ms: p99Of(400),
      preBurstP99Ms: p99Of(10),
      timeToFirstRejectS: null,
      timeToRecoverS: null,
      backlogDrainS: null,
      peakReplicaLagMs: null,
    });
    // The queue never empties after the burst.
    const stuck = drillTimeline().map((p) => ({ ...p, queueDepth: 5 }));
    const s2 = buildSummary(rollUp(T0_MS * 1000, drillSeconds(), phases), phases, [], 60, {
      timeline: stuck,
    });
    expect(s2.burst?.backlogDrainS).toBeNull();
    // No requests in the burst phase: no p99 (not 0).
    const idle = seconds((t) => (t >= 15 && t < 40 ? {} : { ms: 10 }));
    expect(buildSummary(rollUp(0, idle, phases), phases, [], 60).burst?.p99Ms).toBeNull();
  });

  it("is null without a burst, and uses the first phase reaching the peak without a phase named burst", () => {
    const flat: WallPhase[] = [
      { name: "a", startS: 0, endS: 10, fromMultiple: 1, toMultiple: 1 },
      { name: "b", startS: 10, endS: 20, fromMultiple: 1, toMultiple: 1 },
    ];
    expect(
      buildSummary(
        rollUp(
          0,
          seconds(() => ({ ms: 10 }), 19),
          flat,
        ),
        flat,
        [],
        20,
      ).burst,
    ).toBeNull();
    expect(buildSummary(rollUp(0, new Map(), []), [], [], 0).burst).toBeNull();

    // The 2025-10-10 cascade: before (1x), crash (1 -> 100x), first-hour (100x), ...
    const cascade: WallPhase[] = [
      { name: "before", startS: 0, endS: 30, fromMultiple: 1, toMultiple: 1 },
      { name: "crash", startS: 30, endS: 35, fromMultiple: 1, toMultiple: 100 },
      { name: "first-hour", startS: 35, endS: 95, fromMultiple: 100, toMultiple: 100 },
      { name: "grind", startS: 95, endS: 100, fromMultiple: 40, toMultiple: 5 },
    ];
    expect(burstPhaseOf(cascade)).toBe(1);
    expect(preBurstPhaseOf(cascade, 1)).toBe(0);
    expect(riseStartOf(cascade, 0, 1)).toBe(30);

    // A step straight from normal to the peak: the rise is the burst's own start.
    const step: WallPhase[] = [
      { name: "normal", startS: 0, endS: 10, fromMultiple: 1, toMultiple: 1 },
      { name: "ramp-up-later", startS: 10, endS: 12, fromMultiple: 1, toMultiple: 1 },
      { name: "spike", startS: 12, endS: 20, fromMultiple: 50, toMultiple: 50 },
    ];
    expect(burstPhaseOf(step)).toBe(2);
    expect(preBurstPhaseOf(step, 2)).toBe(1); // the last phase at the lowest multiple
    expect(riseStartOf(step, 1, 2)).toBe(12);

    // A phase named "burst" wins over a higher one.
    const named: WallPhase[] = [
      { name: "normal", startS: 0, endS: 10, fromMultiple: 1, toMultiple: 1 },
      { name: "burst", startS: 10, endS: 20, fromMultiple: 10, toMultiple: 10 },
      { name: "worse", startS: 20, endS: 30, fromMultiple: 50, toMultiple: 50 },
    ];
    expect(burstPhaseOf(named)).toBe(1);
  });

  it("counts a reject in the second holding the rise's start, at second resolution", () => {
    const s = (t: number, n: number) => ({
      t,
      latencyUs: latencyHistogram(),
      rejected: { timeout: n } as Partial<Record<RejectReason, number>>,
    });
    expect(timeToFirstRejectS([s(9, 1), s(10, 1)], 10)).toBe(0);
    expect(timeToFirstRejectS([s(9, 1), s(12, 0), s(14, 2)], 9.5)).toBe(0); // second [9, 10) holds 9.5
    expect(timeToFirstRejectS([s(9, 1), s(12, 0), s(14, 2)], 10)).toBe(4);
    expect(timeToFirstRejectS([s(9, 1)], 10)).toBeNull();
  });

  it("recovers at the first second at or after the burst's end back at or under the baseline", () => {
    // One request per second with the given latency (ms); null: a second without requests.
    const secs = (ms: Array<number | null>) =>
      ms.map((v, t) => {
        const h = latencyHistogram();
        if (v !== null) h.recordValue(v * 1000);
        return { t, latencyUs: h, rejected: {} };
      });
    // The baseline as a pre-burst histogram reports it (HDR's value for that latency), µs.
    const baselineUs = (ms: number) =>
      (secs([ms])[0] as { latencyUs: Percentiles }).latencyUs.getValueAtPercentile(99);
    // Burst ends at 4: seconds 4 and 5 are still slow, 6 has no requests, 7 is back.
    const s = secs([10, 500, 500, 9, 400, 300, null, 100, 50]);
    expect(timeToRecoverS(s, 4, baselineUs(100))).toBe(3);
    // A fast second before the burst's end does not count.
    expect(timeToRecoverS(s, 4, baselineUs(10))).toBeNull();
    expect(timeToRecoverS(secs([1, 1, 1]), 1, baselineUs(5))).toBe(0);
    expect(timeToRecoverS(secs([1, 1]), 1, null)).toBeNull();
  });

  it("gives `stampede compare` the same burst phase, burst p99 and time to recover", () => {
    const ingested = rollUp(T0_MS * 1000, drillSeconds(), phases);
    const summary = buildSummary(ingested, phases, [], 60);
    const run = loadedRun({
      runId: "r",
      runDir: "/nonexistent",
      run: { plan: { phases, durationS: 60 } },
      summary,
      ingested,
      timeline: [],
    });
    expect(phases[run.burst]?.name).toBe(summary.burst?.phase);
    expect(phases[run.preBurst]?.name).toBe(summary.burst?.preBurstPhase);
    expect(run.metrics.timeToRecoverS).toBe(summary.burst?.timeToRecoverS);
    expect(run.metrics.p99BurstMs).toBeCloseTo(summary.burst?.p99Ms as number, 2);
    expect(summary.burst?.timeToRecoverS).not.toBeNull();
  });
});
