import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import * as hdr from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import type { WallPhase } from "../../loadtests/lib/plan.ts";
import { ingestK6Csv } from "../../reports/ingest.ts";
import { buildSummary, secondPoints } from "../../reports/summary.ts";

const HEADER =
  "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";
const T0 = 1_800_000_000_000_000; // unix µs

function row(
  metric: string,
  tUs: number,
  value: number,
  name: string,
  extra: string,
  status = "200",
): string {
  return `${metric},${T0 + tUs},${value.toFixed(6)},,true,GET,${name},order,${status},${extra},`;
}

const phases: WallPhase[] = [
  { name: "normal", startS: 0, endS: 2, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 2, endS: 4, fromMultiple: 100, toMultiple: 100 },
];

function writeCsv(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "stampede-ingest-"));
  const file = join(dir, "k6.csv.gz");
  writeFileSync(file, gzipSync(`${[HEADER, ...lines].join("\n")}\n`));
  return file;
}

describe("ingest of k6 csv.gz into HDR histograms", () => {
  const latenciesMs = Array.from({ length: 400 }, (_, i) => 1 + ((i * 37) % 250));
  const lines = [
    row("http_req_duration", -50_000, 3, "setup", ""), // setup traffic is not drill traffic
    `stampede_setup_done,${T0},1.000000,,,,,,,,`,
    ...latenciesMs.map((ms, i) =>
      row(
        "http_req_duration",
        i * 10_000,
        ms,
        "GET /fapi/v2/positionRisk",
        i % 2 === 0 ? "class=position" : "class=order",
      ),
    ),
    row("http_req_blocked", 5_000, 0.1, "GET /fapi/v1/depth", "class=depth"),
    row("stampede_rejects", 2_500_000, 1, "", "class=position&reason=rate_limited"),
    row("stampede_rejects", 2_600_000, 1, "", "class=order&reason=overloaded"),
    row("stampede_rejects", 2_700_000, 1, "", "class=order&reason=overloaded"),
    row("stampede_stale_read", 2_800_000, 1, "", "class=position"),
    row("stampede_stale_read", 2_900_000, 0, "", "class=position"),
    row("stampede_stale_read_age_ms", 2_800_000, 1234, "", "class=position"),
    `dropped_iterations,${T0 + 3_100_000},1.000000,,,,,position,,,`,
  ];

  it("counts every drill request once and matches an HDR histogram of the same values", async () => {
    const ingested = await ingestK6Csv([writeCsv(lines)], phases);
    expect(ingested.t0Us).toBe(T0);
    expect(ingested.overall.latencyUs.totalCount).toBe(400);
    const reference = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (const ms of latenciesMs) reference.recordValue(ms * 1000);
    for (const p of [50, 90, 99, 99.9, 100]) {
      expect(ingested.overall.latencyUs.getValueAtPercentile(p)).toBe(reference.getValueAtPercentile(p));
    }
    expect(ingested.byClass.position?.latencyUs.totalCount).toBe(200);
    expect(ingested.rowsByMetric.get("http_req_duration")).toBe(401);
  });

  it("summarises per class, per phase, per second; merges per-second histograms into the totals exactly", async () => {
    const ingested = await ingestK6Csv([writeCsv(lines)], phases);
    const summary = buildSummary(
      ingested,
      phases,
      [
        { tsMs: 0, k6CpuCores: 0.5, exchangeCpuCores: 0.2, k6RssMb: 300 },
        { tsMs: 1_000, k6CpuCores: 1.5, exchangeCpuCores: 0.4, k6RssMb: 350 },
      ],
      4,
    );
    expect(summary.requests).toBe(400);
    for (const l of [summary.latencyMs, ...summary.byPhase.map((p) => p.latencyMs)]) {
      expect(l.p50).toBeLessThanOrEqual(l.p90);
      expect(l.p99).toBeLessThanOrEqual(l.p999);
      expect(l.p999).toBeLessThanOrEqual(l.max);
    }
    expect(summary.rejected).toEqual({ total: 3, rate: 0.008, byReason: { rate_limited: 1, overloaded: 2 } });
    expect(summary.byClass.order?.rejected.byReason).toEqual({ overloaded: 2 });
    expect(summary.byPhase.map((p) => [p.name, p.requests])).toEqual([
      ["normal", 200],
      ["burst", 200],
    ]);
    expect(summary.staleReads).toEqual({
      count: 1,
      checked: 2,
      rate: 0.5,
      ageMs: { p50: 1234, p99: 1234, max: 1234 },
    });
    expect(summary.droppedIterations).toBe(1);
    expect(summary.generator).toMatchObject({
      k6CpuCores: 1,
      k6CpuCoresMax: 1.5,
      exchangeCpuCoresMax: 0.4,
      k6RssMbMax: 350,
    });
    expect(summary.generator.bottleneck).toBe(true);
    expect(summary.generator.warnings[0]).toMatch(/dropped 1 iterations/);
    // 1.5 + 0.4 cores is 95% of the two cores: the machine, so maybe the generator, was saturated.
    expect(summary.generator.warnings[1]).toMatch(/CPU was saturated/);
    expect(summary.generator.warnings).toHaveLength(2);

    const seconds = secondPoints(ingested);
    expect(seconds.map((s) => s.requests)).toEqual([100, 100, 100, 100]);
    const merged = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 3_600_000_000,
      numberOfSignificantValueDigits: 3,
    });
    for (const s of ingested.seconds.values()) s.latencyUs.addInto(merged);
    expect(merged.getValueAtPercentile(99)).toBe(ingested.overall.latencyUs.getValueAtPercentile(99));
    expect(seconds[2]?.rejectedByReason).toEqual({ rate_limited: 1, overloaded: 2 });
    expect(seconds[2]?.staleAgeMaxMs).toBe(1234);
  });

  it("survives a truncated gzip (a run killed mid-write) and keeps what was readable", async () => {
    const file = writeCsv(lines);
    const { readFileSync } = await import("node:fs");
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 40));
    const ingested = await ingestK6Csv([file], phases);
    expect(ingested.overall.latencyUs.totalCount).toBeGreaterThan(300);
  });
});
