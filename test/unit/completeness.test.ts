import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/lib/plan.ts";
import { completenessOf, MISSING_SAMPLES_LIMIT, phaseCoverage } from "../../reports/completeness.ts";
import { recordLatency, recordReject, rollUp, type SecondTally, secondTally } from "../../reports/ingest.ts";
import type { Summary, TimelinePoint } from "../../reports/model.ts";
import { renderRun } from "../../reports/report.ts";
import { buildSummary } from "../../reports/summary.ts";
import { validate } from "./summarySchema.ts";

/**
 * summary.json says what a run is: `interrupted`, `complete` with its reasons, and phases the run
 * did not reach marked `coverage: "none"` with null figures instead of zeros.
 */

const PHASES: WallPhase[] = [
  { name: "normal", startS: 0, endS: 10, fromMultiple: 1, toMultiple: 1 },
  { name: "ramp", startS: 10, endS: 15, fromMultiple: 1, toMultiple: 100 },
  { name: "burst", startS: 15, endS: 40, fromMultiple: 100, toMultiple: 100 },
  { name: "recover", startS: 40, endS: 45, fromMultiple: 100, toMultiple: 1 },
  { name: "after", startS: 45, endS: 60, fromMultiple: 1, toMultiple: 1 },
];

/** A drill's run.json as scripts/drill.ts writes it, k6 fields overridable. */
function drillRun(
  over: Record<string, unknown> = {},
  k6: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: "run",
    mode: "drill",
    plan: { phases: PHASES, durationS: 60 },
    strategy: "reactive",
    k6: { exitCode: 0, generators: [{ index: 0, exitCode: 0 }], killedBy: null, ...k6 },
    interrupted: false,
    signal: null,
    endedAt: "2026-01-01T00:01:00.000Z",
    ...over,
  };
}

/** Timeline lines whose served + rejected add up to `total`. */
function timelineAnswering(total: number): Array<Partial<TimelinePoint>> {
  return [
    { tsMs: 1000, served: Math.floor(total / 2), rejected: {} },
    { tsMs: 2000, served: total - Math.floor(total / 2) - 10, rejected: { rate_limited: 10 } },
  ];
}

describe("completenessOf: the causes of an incomplete run", () => {
  it("a drill that ended normally is complete", () => {
    expect(
      completenessOf({ run: drillRun(), clientRequests: 1000, timeline: timelineAnswering(1200) }),
    ).toEqual({ interrupted: false, complete: true, reasons: [] });
    // A simulation and an old run.json without the new fields are complete too.
    expect(completenessOf({ run: { simulated: true }, clientRequests: 5 }).complete).toBe(true);
    expect(completenessOf({ run: { k6: { exitCode: 0 } }, clientRequests: 5 }).complete).toBe(true);
  });

  it("names the signal; k6's exit 105 after it is the signal's, not a second cause", () => {
    for (const signal of ["SIGINT", "SIGTERM"]) {
      const c = completenessOf({
        run: drillRun(
          { interrupted: true, signal },
          { exitCode: 105, generators: [{ index: 0, exitCode: 105 }] },
        ),
        clientRequests: 1000,
      });
      expect(c).toEqual({
        interrupted: true,
        complete: false,
        reasons: [`signal: ${signal}: k6 was stopped early`],
      });
    }
    // A run.json from before `signal` was recorded: drills then stopped on SIGINT only.
    expect(
      completenessOf({ run: drillRun({ interrupted: true, signal: undefined }), clientRequests: 1 }).reasons,
    ).toEqual(["signal: SIGINT: k6 was stopped early"]);
    const twice = completenessOf({
      run: drillRun(
        { interrupted: true, signal: "SIGTERM" },
        { exitCode: 137, generators: [{ index: 0, exitCode: 137 }], killedBy: "second-signal" },
      ),
      clientRequests: 1000,
    });
    expect(twice.reasons).toEqual([
      "signal: SIGTERM, then a second signal: k6 was killed without flushing its samples",
    ]);
  });

  it("reports any generator's non-zero exit with its code and meaning", () => {
    const c = completenessOf({
      run: drillRun(
        {},
        {
          exitCode: 107,
          generators: [
            { index: 0, exitCode: 0 },
            { index: 1, exitCode: 107 },
          ],
        },
      ),
      clientRequests: 1000,
    });
    expect(c.complete).toBe(false);
    expect(c.reasons).toEqual(["k6 exit: generator 1 code 107 (script exception)"]);
    // Thresholds (99) cannot fail in a drill (--no-thresholds): still a fault, said so.
    const thresholds = completenessOf({
      run: drillRun({}, { exitCode: 99, generators: [] }),
      clientRequests: 1,
    });
    expect(thresholds.reasons).toEqual([
      "k6 exit: code 99 (thresholds failed, although the drill runs k6 with --no-thresholds)",
    ]);
    // An exit code 105 without a signal of ours is not explained away.
    const aborted = completenessOf({
      run: drillRun({}, { generators: [{ exitCode: 105 }] }),
      clientRequests: 1,
    });
    expect(aborted.reasons).toEqual(["k6 exit: code 105 (aborted from outside (a signal))"]);
  });

  it("reports the hard stop, a run.json that never got its end, and a venue reset", () => {
    const overrun = completenessOf({
      run: drillRun({}, { exitCode: 137, generators: [{ index: 0, exitCode: 137 }], killedBy: "overrun" }),
      clientRequests: 1,
    });
    expect(overrun.reasons).toEqual(["hard stop: k6 overran the plan and was killed"]);
    const unfinished = completenessOf({
      run: drillRun({ endedAt: null }, { exitCode: null, generators: [{ index: 0, exitCode: null }] }),
      clientRequests: 1,
    });
    expect(unfinished.reasons).toEqual(["k6 exit: not recorded (the drill ended before k6 did)"]);
    const reset = completenessOf({ run: drillRun({ venueResetDetected: true }), clientRequests: 1 });
    expect(reset.complete).toBe(false);
    expect(reset.reasons[0]).toMatch(/^venue reset: /);
    expect(completenessOf({ run: drillRun({ venueResetDetected: false }), clientRequests: 1 }).complete).toBe(
      true,
    );
  });

  it("names each truncated file", () => {
    const c = completenessOf({
      run: drillRun(),
      truncatedFiles: ["k6-0.csv.gz", "k6-1.csv.gz"],
      clientRequests: 1,
    });
    expect(c.reasons).toEqual(["truncated samples: k6-0.csv.gz", "truncated samples: k6-1.csv.gz"]);
  });

  it("cross-checks the client's count against the server's when k6 was killed", () => {
    const killed = drillRun(
      { interrupted: true, signal: "SIGINT" },
      { exitCode: 137, generators: [{ index: 0, exitCode: 137 }], killedBy: "second-signal" },
    );
    // 6.4% of the answered requests missing: flagged with the counts.
    const c = completenessOf({ run: killed, clientRequests: 936, timeline: timelineAnswering(1000) });
    expect(c.reasons[1]).toBe(
      "truncated samples: the client recorded 936 of the 1000 requests the server answered (6.4% missing)",
    );
    // At the limit: not flagged (a graceful stop loses the requests in flight).
    const atLimit = completenessOf({
      run: killed,
      clientRequests: 1000 * (1 - MISSING_SAMPLES_LIMIT),
      timeline: timelineAnswering(1000),
    });
    expect(atLimit.reasons).toHaveLength(1);
    // Neither a clean exit nor a graceful stop is cross-checked: k6 records no request of the
    // iterations a stop interrupts, which the server answers all the same.
    expect(
      completenessOf({ run: drillRun(), clientRequests: 500, timeline: timelineAnswering(1000) }).complete,
    ).toBe(true);
    const graceful = drillRun(
      { interrupted: true, signal: "SIGINT" },
      { exitCode: 105, generators: [{ exitCode: 105 }] },
    );
    expect(
      completenessOf({ run: graceful, clientRequests: 583, timeline: timelineAnswering(1000) }).reasons,
    ).toEqual(["signal: SIGINT: k6 was stopped early"]);
    // Killed from outside (the OOM killer: 128 + 9): its exit and the missing samples.
    const oom = drillRun({}, { exitCode: 137, generators: [{ index: 0, exitCode: 137 }] });
    expect(
      completenessOf({ run: oom, clientRequests: 900, timeline: timelineAnswering(1000) }).reasons,
    ).toEqual([
      "k6 exit: code 137 (killed by signal 9)",
      "truncated samples: the client recorded 900 of the 1000 requests the server answered (10.0% missing)",
    ]);
    // No counts in the timeline (a target without a control plane): nothing to check against.
    expect(completenessOf({ run: killed, clientRequests: 1, timeline: [{ tsMs: 1 }] }).reasons).toHaveLength(
      1,
    );
  });
});

describe("phaseCoverage", () => {
  it("marks phases none, partial or full by where the data ends, all full for a complete run", () => {
    expect(phaseCoverage(PHASES, 7, false)).toEqual(["partial", "none", "none", "none", "none"]);
    expect(phaseCoverage(PHASES, 15, false)).toEqual(["full", "full", "none", "none", "none"]);
    expect(phaseCoverage(PHASES, 16, false)).toEqual(["full", "full", "partial", "none", "none"]);
    expect(phaseCoverage(PHASES, 0, false)).toEqual(["none", "none", "none", "none", "none"]);
    expect(phaseCoverage(PHASES, 3, true)).toEqual(["full", "full", "full", "full", "full"]);
    // A phase shorter than a second that no second's middle falls in still ran (by time).
    const short: WallPhase[] = [
      { name: "normal", startS: 0, endS: 1.667, fromMultiple: 1, toMultiple: 1 },
      { name: "ramp", startS: 1.667, endS: 2.5, fromMultiple: 1, toMultiple: 100 },
      { name: "burst", startS: 2.5, endS: 6.667, fromMultiple: 100, toMultiple: 100 },
      { name: "after", startS: 6.667, endS: 10, fromMultiple: 1, toMultiple: 1 },
    ];
    expect(phaseCoverage(short, 3, false)).toEqual(["full", "full", "partial", "none"]);
  });
});

/** Client data for seconds [0, endS): 100 requests a second, slow with rejects from second 10 on. */
function secondsUntil(endS: number): Map<number, SecondTally> {
  const seconds = new Map<number, SecondTally>();
  for (let t = 0; t < endS; t++) {
    const sec = secondTally(seconds, t);
    const busy = t >= 10;
    recordLatency(sec, "order", (busy ? 300 : 20) * 1000, 100, "POST /fapi/v1/order");
    if (busy) recordReject(sec, "order", "overloaded", 20, "POST /fapi/v1/order");
  }
  return seconds;
}

function summaryOf(endS: number, run: Record<string, unknown>): Summary {
  const timeline = Array.from({ length: endS }, (_, t) => ({
    tsMs: 1000 * (t + 1),
    served: 80,
    rejected: { overloaded: 20 },
    queueDepth: t >= 10 ? 20 : 0,
    replicaLagMs: t >= 10 ? 900 : 5,
  }));
  return buildSummary(rollUp(0, secondsUntil(endS), PHASES), PHASES, [], endS, { run, timeline, t0Ms: 0 });
}

describe("buildSummary of a run cut short", () => {
  it("a complete run: complete, not interrupted, no reason, every phase full", () => {
    const s = summaryOf(60, drillRun());
    expect(s).toMatchObject({ complete: true, interrupted: false });
    expect(s.incompleteReason).toBeUndefined();
    expect(s.incompleteReasons).toBeUndefined();
    expect(s.byPhase.map((p) => p.coverage)).toEqual(["full", "full", "full", "full", "full"]);
    expect(validate(JSON.parse(JSON.stringify(s)))).toEqual([]);
  });

  it("an interrupted run: phases not reached have null figures; burst figures that need them are null", () => {
    const run = drillRun(
      { interrupted: true, signal: "SIGINT" },
      { exitCode: 105, generators: [{ exitCode: 105 }] },
    );
    const s = summaryOf(12, run);
    expect(s).toMatchObject({
      complete: false,
      interrupted: true,
      incompleteReason: "signal: SIGINT: k6 was stopped early",
      incompleteReasons: ["signal: SIGINT: k6 was stopped early"],
    });
    expect(s.byPhase.map((p) => p.coverage)).toEqual(["full", "partial", "none", "none", "none"]);
    const burst = s.byPhase.find((p) => p.name === "burst");
    // Not zeros: a gate bound like "byPhase[burst].latencyMs.p99 < 400" must not pass on it.
    expect(burst).toMatchObject({ requests: 0, latencyMs: null, rejected: null });
    expect(s.byPhase[1]?.latencyMs?.p99).toBeGreaterThan(250); // the part of the ramp that ran
    expect(s.burst).toMatchObject({
      p99Ms: null,
      timeToRecoverS: null,
      backlogDrainS: null,
      preBurstPhase: "normal",
    });
    expect(s.burst?.preBurstP99Ms).toBeGreaterThan(0);
    expect(s.burst?.timeToFirstRejectS).toBe(0); // the rise ran, with rejects at once
    expect(s.burst?.peakReplicaLagMs).toBe(900);
    expect(validate(JSON.parse(JSON.stringify(s)))).toEqual([]);

    // Stopped before the rise: no first reject, no peak lag from a rise that never came.
    const early = summaryOf(8, run);
    expect(early.byPhase.map((p) => p.coverage)).toEqual(["partial", "none", "none", "none", "none"]);
    expect(early.burst).toMatchObject({ timeToFirstRejectS: null, peakReplicaLagMs: null, p99Ms: null });

    // Entered but not measured (no second's middle in it before the end): null, not zeros.
    const entered = PHASES.map((p) => ({ ...p }));
    Object.assign(entered[1] as WallPhase, { endS: 11.6 });
    Object.assign(entered[2] as WallPhase, { startS: 11.6 });
    const e = buildSummary(rollUp(0, secondsUntil(12), entered), entered, [], 12, { run });
    expect(e.byPhase[2]).toMatchObject({ coverage: "partial", requests: 0, latencyMs: null, rejected: null });

    // Stopped inside the burst: its p99 is of the part that ran, the times from its end are null.
    const inBurst = summaryOf(30, run);
    expect(inBurst.byPhase[2]?.coverage).toBe("partial");
    expect(inBurst.burst?.p99Ms).toBeGreaterThan(250);
    expect(inBurst.burst).toMatchObject({ timeToRecoverS: null, backlogDrainS: null });
  });

  it("the schema rejects what a cut-short summary must not hold", () => {
    const s = JSON.parse(JSON.stringify(summaryOf(12, drillRun({ interrupted: true })))) as Record<
      string,
      unknown
    >;
    expect(validate(s)).toEqual([]);
    const phases = s.byPhase as Array<Record<string, unknown>>;
    (phases[3] as Record<string, unknown>).coverage = "most";
    delete s.complete;
    expect(validate(s).join("\n")).toMatch(/missing required "complete"[\s\S]*coverage: "most" not one of/);
  });
});

// ---------------------------------------------------------------------------------------------
// Truncated files, through renderRun on a run folder as a drill leaves it.

const HEADER =
  "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";
const T0 = 1_800_000_000_000_000;

/** A k6 csv: 20 requests a second for `seconds` s, then gzipped (random-ish values compress less). */
function k6Csv(seconds: number): string {
  const lines = [HEADER, `stampede_setup_done,${T0},1.000000,,,,,,,,`];
  for (let i = 0; i < seconds * 20; i++) {
    const ms = 5 + ((i * 7919) % 997) / 10;
    lines.push(
      `http_req_duration,${T0 + i * 50_000},${ms.toFixed(6)},,true,POST,POST /fapi/v1/order,order,200,class=order,`,
    );
    lines.push(`http_reqs,${T0 + i * 50_000},1.000000,,true,POST,POST /fapi/v1/order,order,200,class=order,`);
  }
  return `${lines.join("\n")}\n`;
}

function runFolder(run: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "stampede-complete-"));
  writeFileSync(join(dir, "run.json"), JSON.stringify(run));
  return dir;
}

describe("truncated sample files are read as far as they go and flag the run", () => {
  it("a k6.csv.gz cut mid-stream (no gzip trailer): complete false, truncated samples: k6.csv.gz", async () => {
    const dir = runFolder(drillRun());
    const gz = gzipSync(k6Csv(30));
    writeFileSync(join(dir, "k6.csv.gz"), gz);
    const whole = await renderRun(dir);
    expect(whole.complete).toBe(true);
    expect(whole.requests).toBe(600);

    writeFileSync(join(dir, "k6.csv.gz"), gz.subarray(0, Math.floor(gz.length * 0.6)));
    const cut = await renderRun(dir);
    expect(cut.complete).toBe(false);
    expect(cut.incompleteReason).toBe("truncated samples: k6.csv.gz");
    expect(cut.requests).toBeGreaterThan(200); // what was readable is kept
    expect(cut.requests).toBeLessThan(600);
    expect(cut.byPhase.map((p) => p.coverage)).toEqual(["full", "full", "partial", "none", "none"]);
    expect(validate(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")))).toEqual([]);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    expect(html).toContain("Incomplete run.");
    expect(html).toContain("<li>truncated samples: k6.csv.gz</li>");
    expect(html).toMatch(/<tr class="missing not-run"><th scope="row">recover/);
    expect(html).toContain("partial: the run ended inside it");

    // Cut only inside the trailer (the csv is whole, the file is not): still flagged.
    writeFileSync(join(dir, "k6.csv.gz"), gz.subarray(0, gz.length - 3));
    expect((await renderRun(dir)).incompleteReason).toBe("truncated samples: k6.csv.gz");
  });

  it("a plain k6.csv whose last line has no newline is flagged; with it, it is not", async () => {
    const dir = runFolder(drillRun());
    const text = k6Csv(3);
    writeFileSync(join(dir, "k6.csv"), text);
    expect((await renderRun(dir)).complete).toBe(true);
    // Cut inside the last request's row.
    writeFileSync(join(dir, "k6.csv"), text.slice(0, text.lastIndexOf("http_req_duration,") + 30));
    const cut = await renderRun(dir);
    expect(cut.incompleteReasons).toEqual(["truncated samples: k6.csv"]);
    expect(cut.requests).toBe(59);
  });

  it("a latency.hlog cut mid-line is read up to it when re-rendering, and flagged", async () => {
    const dir = runFolder(drillRun());
    writeFileSync(join(dir, "k6.csv.gz"), gzipSync(k6Csv(30)));
    const whole = await renderRun(dir);
    rmSync(join(dir, "k6.csv.gz")); // the csv pruned: the per-second files are the source now
    expect(await renderRun(dir)).toEqual(whole);

    const hlog = readFileSync(join(dir, "latency.hlog"), "utf8");
    // Cut inside the last interval of orders (the per-endpoint ones after it repeat them).
    writeFileSync(join(dir, "latency.hlog"), hlog.slice(0, hlog.lastIndexOf("Tag=order,") + 40));
    const cut = await renderRun(dir);
    expect(cut.incompleteReasons).toEqual(["truncated samples: latency.hlog"]);
    expect(cut.requests).toBeLessThan(whole.requests);
    expect(cut.requests).toBeGreaterThan(whole.requests - 40); // only the last interval is lost
  });

  it("a truncated csv is still known after the csv is pruned (latency.hlog says so)", async () => {
    const dir = runFolder(drillRun());
    const gz = gzipSync(k6Csv(30));
    writeFileSync(join(dir, "k6.csv.gz"), gz.subarray(0, gz.length - 100));
    const fromCsv = await renderRun(dir);
    expect(fromCsv.incompleteReason).toBe("truncated samples: k6.csv.gz");
    expect(readFileSync(join(dir, "latency.hlog"), "utf8")).toContain("#[SourceTruncated: k6.csv.gz]");
    rmSync(join(dir, "k6.csv.gz"));
    expect(existsSync(join(dir, "k6.csv.gz"))).toBe(false);
    expect(await renderRun(dir)).toEqual(fromCsv);
  });
});
