import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import { rejectReason } from "../../loadtests/vocabulary/traffic.ts";
import { SimulationRecorder } from "../../mock-exchange/simulate/recorder.ts";
import { formatHlog, parseHlog } from "../../reports/hlog.ts";
import { ingestK6Csv, recordLatency, recordReject, rollUp, secondTally } from "../../reports/ingest.ts";
import {
  classOutcomeKey,
  OUTCOMES,
  outcomeOfReason,
  outcomeOfStatus,
  parseClassOutcomeKey,
  recordOutcome,
} from "../../reports/outcomes.ts";
import { latencyHistogram, SparseHistogram } from "../../reports/sparse.ts";
import { buildSummary, percentilesMs, refusals } from "../../reports/summary.ts";
import { validate } from "./summarySchema.ts";

const phases: WallPhase[] = [
  { name: "normal", startS: 0, endS: 1, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 1, endS: 3, fromMultiple: 1, toMultiple: 10 },
];

describe("outcomes: served, refused by policy, refused for capacity", () => {
  it("sorts statuses and reasons the same way", () => {
    expect([200, 204, 429, 418, 503, 408, 502, 0, 400, 500, 302].map(outcomeOfStatus)).toEqual([
      "served",
      "served",
      "policy",
      "policy",
      "capacity",
      "capacity",
      "capacity",
      "capacity",
      "other",
      "other",
      "other",
    ]);
    // The vocabulary's reason of a status lands in the same outcome as the status itself.
    for (const [status, code] of [
      [200, undefined],
      [429, undefined],
      [418, undefined],
      [503, -1008],
      [503, -1007],
      [408, undefined],
    ] as Array<[number, number | undefined]>)
      expect(outcomeOfReason(rejectReason(status, code, "order"))).toBe(outcomeOfStatus(status));
    expect(outcomeOfReason("order_rejected")).toBe("other");
  });

  it("keys a class's outcome as <class>/<outcome> and reads it back", () => {
    expect(classOutcomeKey("order", "served")).toBe("order/served");
    expect(classOutcomeKey(undefined, "capacity")).toBe("unclassified/capacity");
    expect(parseClassOutcomeKey("depth/policy")).toEqual({ cls: "depth", outcome: "policy" });
    expect(parseClassOutcomeKey("unclassified/other")).toEqual({ cls: undefined, outcome: "other" });
    expect(parseClassOutcomeKey("order")).toBeUndefined();
    expect(parseClassOutcomeKey("order/weird")).toBeUndefined();
    expect(parseClassOutcomeKey("endpoint=GET /x/served")).toBeUndefined();
  });
});

/** Second 0: fast refusals and slow served; seconds 1-2 (burst): the same with capacity refusals. */
function tallied() {
  const seconds = new Map();
  const put = (t: number, cls: "order" | "depth" | undefined, status: number, ms: number, n: number) => {
    const sec = secondTally(seconds, t);
    recordLatency(sec, cls, ms * 1000, n);
    recordOutcome(sec.byOutcome, cls, outcomeOfStatus(status), ms * 1000, n);
    const reason = rejectReason(status, status === 503 ? -1008 : undefined, cls);
    if (reason !== undefined) recordReject(sec, cls, reason, n);
  };
  put(0, "order", 200, 100, 90);
  put(0, "order", 429, 1, 10);
  put(1, "order", 200, 200, 50);
  put(1, "order", 503, 2, 40);
  put(1, "depth", 418, 1, 10);
  put(2, undefined, 200, 300, 5);
  put(2, "depth", 400, 5, 5);
  return rollUp(1_800_000_000_000_000, seconds, phases);
}

describe("outcomes: tallies per class, phase and second", () => {
  it("rolls each outcome up apart, a breakdown of the same requests", () => {
    const ing = tallied();
    expect(ing.overall.latencyUs.totalCount).toBe(210);
    const counts = OUTCOMES.map((o) => ing.overall.byOutcome?.[o]?.totalCount ?? 0);
    expect(counts).toEqual([145, 20, 40, 5]);
    expect(ing.byClass.order?.byOutcome?.served?.totalCount).toBe(140);
    expect(ing.byClass.depth?.byOutcome?.policy?.totalCount).toBe(10);
    expect(ing.byPhase[0]?.byOutcome?.policy?.totalCount).toBe(10);
    expect(ing.byPhase[1]?.byOutcome?.capacity?.totalCount).toBe(40);
    expect(ing.byPhase[1]?.byOutcome?.served?.totalCount).toBe(55);
  });

  it("gives served-only percentiles that refusals do not pull down, with p95 and mean", () => {
    const s = buildSummary(tallied(), phases, [], 3);
    // Mixed: half the burst's requests are instant refusals; served alone stay slow.
    expect(s.byPhase[1]?.latencyMs?.p50).toBeLessThan(10);
    expect(s.byPhase[1]?.served?.latencyMs.p50).toBeGreaterThan(199);
    expect(s.served?.requests).toBe(145);
    // 5 of 145 served at 300 ms: above the p95 (200 ms), within the p99.
    expect(s.served?.latencyMs.p95).toBeCloseTo(200, -1);
    expect(s.served?.latencyMs.p99).toBeCloseTo(300, -1);
    expect(s.byClass.order?.served?.requests).toBe(140);
    expect(s.byOutcome?.capacity?.requests).toBe(40);
    expect(s.rejected.policy).toEqual({ total: 20, rate: 0.095 });
    expect(s.rejected.capacity).toEqual({ total: 40, rate: 0.19 });
    // mean: (90*100 + 50*200 + 5*300) / 145 ms within HDR's bucket resolution.
    expect(s.served?.latencyMs.mean).toBeCloseTo(20_500 / 145, 0);
    expect(validate(JSON.parse(JSON.stringify(s)))).toEqual([]);
  });

  it("computes p95 and the mean like HdrHistogram, sparse or not", () => {
    const sparse = new SparseHistogram();
    const h = latencyHistogram();
    for (let i = 1; i <= 1000; i++) {
      sparse.recordValueWithCount(i * 137, 1);
      h.recordValueWithCount(i * 137, 1);
    }
    expect(percentilesMs(sparse)).toEqual(percentilesMs(h));
    expect(percentilesMs(h).p95).toBe(Math.round(h.getValueAtPercentile(95)) / 1000);
    expect(percentilesMs(h).mean).toBeCloseTo(h.mean / 1000, 3);
  });

  it("counts refusals by reason for client data without outcomes", () => {
    expect(refusals({}, { rate_limited: 3, banned: 1, overloaded: 2, timeout: 2, error: 9 }, 100)).toEqual({
      policy: { total: 4, rate: 0.04 },
      capacity: { total: 4, rate: 0.04 },
    });
    const s = buildSummary(rollUp(0, new Map(), phases), phases, [], 3);
    expect(s.served).toBeNull();
    expect(s.byOutcome).toBeUndefined();
  });
});

describe("outcomes: latency.hlog, the k6 csv and the simulator", () => {
  it("writes <class>/<outcome> and outcome=<o> intervals and reads back the same tallies", () => {
    const ing = tallied();
    const text = formatHlog(ing);
    const tags = text
      .split("\n")
      .filter((l) => l.startsWith("Tag="))
      .map((l) => l.slice(4, l.indexOf(",")));
    expect(tags.filter((t) => t === "outcome=served")).toHaveLength(3);
    expect(tags).toContain("order/capacity");
    expect(tags).toContain("unclassified/served");
    const back = rollUp(ing.t0Us, parseHlog(text).seconds, phases);
    // The outcome intervals are a breakdown: the total is not counted twice.
    expect(back.overall.latencyUs.totalCount).toBe(210);
    // Rejects live in client.jsonl; the latencies by outcome come back from the log alone.
    const a = buildSummary(back, phases, [], 3);
    const b = buildSummary(ing, phases, [], 3);
    expect(a.served).toEqual(b.served);
    expect(a.byOutcome).toEqual(b.byOutcome);
    expect(a.byClass.order?.byOutcome).toEqual(b.byClass.order?.byOutcome);
    expect(a.byPhase.map((p) => p.byOutcome)).toEqual(b.byPhase.map((p) => p.byOutcome));
  });

  it("takes a k6 request's outcome from its status column", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stampede-outcomes-"));
    const header = "metric_name,timestamp,metric_value,expected_response,name,status,extra_tags";
    const t0 = 1_800_000_000_000_000;
    const rows = [
      header,
      `stampede_setup_done,${t0},1,,,,`,
      `http_req_duration,${t0 + 100_000},120.5,true,POST /fapi/v1/order,200,class=order`,
      `http_req_duration,${t0 + 200_000},0.8,false,POST /fapi/v1/order,429,class=order`,
      `http_req_duration,${t0 + 1_200_000},1.5,false,"GET /x,y",503,class=depth`,
      `http_req_duration,${t0 + 1_300_000},3000,false,GET /y,0,class=depth`,
      `http_req_duration,${t0 + 1_400_000},4,false,GET /y,400,`,
      `http_req_duration,${t0 + 1_500_000},9,true,GET /y,,class=depth`,
    ];
    const file = join(dir, "k6.csv");
    writeFileSync(file, `${rows.join("\n")}\n`);
    const ing = await ingestK6Csv([file], phases);
    const counts = OUTCOMES.map((o) => ing.overall.byOutcome?.[o]?.totalCount ?? 0);
    // The row without a status has no outcome: counted in the total, in no outcome.
    expect(counts).toEqual([1, 1, 2, 1]);
    expect(ing.overall.latencyUs.totalCount).toBe(6);
    expect(ing.byClass.depth?.byOutcome?.capacity?.totalCount).toBe(2);
    expect(ing.seconds.get(0)?.byOutcome.get("order/served")?.totalCount).toBe(1);
    expect(ing.seconds.get(1)?.byOutcome.get("unclassified/other")?.totalCount).toBe(1);
    expect(readFileSync(file, "utf8")).toContain("status");
  });

  it("records the simulator's outcomes from its reasons", () => {
    const rec = new SimulationRecorder(1_800_000_000_000);
    rec.record(100, "order", 20, 5, undefined);
    rec.record(200, "order", 1, 3, "rate_limited");
    rec.record(1100, "position", 300, 2, "timeout");
    const ing = rec.ingested(phases);
    expect(OUTCOMES.map((o) => ing.overall.byOutcome?.[o]?.totalCount ?? 0)).toEqual([5, 3, 2, 0]);
  });
});
