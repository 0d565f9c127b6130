import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { TimelinePoint, WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import { recordLatency, recordReject, rollUp, type SecondTally, secondTally } from "../../reports/ingest.ts";
import type { Summary } from "../../reports/model.ts";
import { renderRun } from "../../reports/report.ts";
import { buildSummary, costOf, eventsOf, strategyName } from "../../reports/summary.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { runSimulation } from "../../scripts/simulate/run.ts";
import { validate } from "./summarySchema.ts";

describe("summary: strategy, cost and events from run.json and the timeline", () => {
  const timeline: Array<Partial<TimelinePoint>> = [
    { tsMs: 1_000, tWallS: 1 }, // an old-style line: no capacity fields
    {
      tsMs: 2_000,
      costInstanceMinutes: { gateway: 4, read: 2 },
      events: [{ atS: 60, kind: "fault-start", detail: "zone-outage" }],
    },
    {
      tsMs: 3_000,
      costInstanceMinutes: { gateway: 8.12345, read: 4 },
      events: [
        { atS: 150, kind: "scale-out", tier: "gateway", instances: 6, detail: "a" },
        { atS: 170, kind: "failover", detail: "b" },
      ],
    },
    { tsMs: 4_000 }, // the last line may lack the cost: the last one that has it counts
  ];

  it("takes the cost from the last line that has it, with a total", () => {
    expect(costOf(timeline)).toEqual({ instanceMinutes: { gateway: 8.123, read: 4, total: 12.123 } });
    expect(costOf([])).toEqual({ instanceMinutes: { gateway: 0, read: 0, total: 0 } });
  });

  it("keeps every event in order", () => {
    expect(eventsOf(timeline).map((e) => e.kind)).toEqual(["fault-start", "scale-out", "failover"]);
    expect(eventsOf([{ events: "garbage" as never }])).toEqual([]);
  });

  it("reads the strategy as a name or {name}", () => {
    expect(strategyName({ strategy: "fixed" })).toBe("fixed");
    expect(strategyName({ strategy: { name: "reactive+priority-shedding", tiers: {} } })).toBe(
      "reactive+priority-shedding",
    );
    expect(strategyName({})).toBeNull();
    expect(strategyName(undefined)).toBeNull();
  });
});

describe("summary.json against its schema (docs/summary.schema.json)", () => {
  const phases: WallPhase[] = [
    { name: "normal", startS: 0, endS: 2, fromMultiple: 1, toMultiple: 1 },
    { name: "ramp", startS: 2, endS: 3, fromMultiple: 1, toMultiple: 100 },
    { name: "burst", startS: 3, endS: 5, fromMultiple: 100, toMultiple: 100 },
    { name: "after", startS: 5, endS: 7, fromMultiple: 1, toMultiple: 1 },
  ];

  /** A built summary with every optional part present: endpoints, rejects, burst, timeline, events. */
  function builtSummary(): Summary {
    const seconds = new Map<number, SecondTally>();
    for (let t = 0; t < 7; t++) {
      const sec = secondTally(seconds, t);
      const burst = t >= 3 && t < 5;
      recordLatency(sec, "order", (burst ? 400 : 10) * 1000, 50, "POST /fapi/v1/order");
      recordLatency(sec, "position", (burst ? 900 : 20) * 1000, 50, "GET /fapi/v2/positionRisk");
      recordLatency(sec, undefined, 5000, 1);
      if (burst) recordReject(sec, "order", "rate_limited", 7, "POST /fapi/v1/order");
      sec.staleChecked += 4;
      sec.staleReads += burst ? 2 : 0;
    }
    const timeline: Array<Partial<TimelinePoint>> = Array.from({ length: 7 }, (_, t) => ({
      tsMs: 1_000 * (t + 1),
      queueDepth: t >= 3 && t < 6 ? 30 : 0,
      replicaLagMs: t >= 3 && t < 6 ? 1500 : 10,
      costInstanceMinutes: { gateway: t, read: t / 2 },
      events: t === 3 ? [{ atS: 180, kind: "scale-out", tier: "gateway", instances: 4, detail: "x" }] : [],
    }));
    return buildSummary(
      rollUp(0, seconds, phases),
      phases,
      [{ tsMs: 1000, k6CpuCores: 0.5, exchangeCpuCores: 0.3, k6RssMb: 120 }],
      7,
      { run: { strategy: "fixed" }, timeline, t0Ms: 0 },
    );
  }

  it("holds for a built summary with every part present", () => {
    const summary = builtSummary();
    expect(validate(summary)).toEqual([]);
    expect(summary.burst).toMatchObject({
      phase: "burst",
      timeToFirstRejectS: 1,
      timeToRecoverS: 0,
      backlogDrainS: 2, // the queue holds through second 5: empty at the end of second 6
    });
    expect(Object.keys(summary.byEndpoint ?? {})).toEqual([
      "GET /fapi/v2/positionRisk",
      "POST /fapi/v1/order",
    ]);
    // Through JSON, as the file is read.
    expect(validate(JSON.parse(JSON.stringify(summary)))).toEqual([]);
  });

  it("catches what breaks it (the validator is not a no-op)", () => {
    const good = builtSummary();
    const broken: Array<[string, (s: Record<string, unknown>) => void, RegExp]> = [
      ["missing burst", (s) => delete s.burst, /missing required "burst"/],
      ["extra field", (s) => Object.assign(s, { surprise: 1 }), /\$\.surprise: not allowed/],
      [
        "bad type",
        (s) => Object.assign(s.burst as object, { p99Ms: "slow" }),
        /\$\.burst\.p99Ms: expected number or null/,
      ],
      ["negative", (s) => Object.assign(s, { requests: -1 }), /\$\.requests: -1 < minimum 0/],
      [
        "unknown class",
        (s) => Object.assign(s.byClass as object, { stream: {} }),
        /byClass\.stream \(name\)/,
      ],
      [
        "unknown reason",
        (s) => Object.assign((s.rejected as { byReason: object }).byReason, { teapot: 1 }),
        /byReason\.teapot \(name\)/,
      ],
      ["rate above 1", (s) => Object.assign(s.rejected as object, { rate: 1.5 }), /rate: 1\.5 > maximum 1/],
    ];
    for (const [what, mutate, message] of broken) {
      const s = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      mutate(s);
      expect(validate(s).join("\n"), what).toMatch(message);
    }
  });

  it("holds for a drill rendered from a k6 csv fixture", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stampede-summary-"));
    const t0 = 1_800_000_000_000_000;
    const header =
      "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";
    const lines = [header, `stampede_setup_done,${t0},1.000000,,,,,,,,`];
    for (let i = 0; i < 700; i++) {
      const tUs = t0 + i * 10_000;
      const burst = i >= 300 && i < 500;
      const name = i % 2 === 0 ? "POST /fapi/v1/order" : "GET /fapi/v2/positionRisk";
      const cls = i % 2 === 0 ? "order" : "position";
      lines.push(`http_req_duration,${tUs},${burst ? 250 : 8}.5,,true,GET,${name},${cls},200,class=${cls},`);
      if (burst && i % 10 === 0)
        lines.push(`stampede_rejects,${tUs},1.000000,,,,${name},${cls},,class=${cls}&reason=overloaded,`);
    }
    lines.push(`dropped_iterations,${t0 + 4_000_000},1.000000,,,,,order,,,`);
    writeFileSync(join(dir, "k6.csv.gz"), gzipSync(`${lines.join("\n")}\n`));
    writeFileSync(join(dir, "run.json"), JSON.stringify({ id: "fixture", plan: { phases, durationS: 7 } }));
    const summary = await renderRun(dir);
    expect(validate(summary)).toEqual([]);
    expect(validate(JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")))).toEqual([]);
    expect(summary.byEndpoint?.["POST /fapi/v1/order"]?.rejected.total).toBe(20);
    expect(summary.burst?.timeToFirstRejectS).toBe(1); // rise at 2 s, first reject in second 3
  });

  it("holds for a simulated run (smoke, fixed, time scale 60), which has no endpoints", async () => {
    const sim = await runSimulation({
      profile: resolveProfile("smoke"),
      strategy: "fixed",
      scale: "drill",
      timeScale: 60,
      seed: 1,
      method: "auto",
      outDir: mkdtempSync(join(tmpdir(), "stampede-summary-sim-")),
      log: () => {},
    });
    const onDisk = JSON.parse(readFileSync(join(sim.runDir, "summary.json"), "utf8"));
    expect(validate(onDisk)).toEqual([]);
    expect(onDisk.byEndpoint).toEqual({});
    expect(onDisk.burst).toMatchObject({ phase: "burst", preBurstPhase: "normal", startS: 15, endS: 40 });
    expect(onDisk.burst.peakReplicaLagMs).not.toBeNull(); // the simulator writes a timeline
  }, 60_000);
});
