import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { runDrill } from "../../scripts/drill.ts";
import { ensureK6 } from "../../scripts/k6.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

/** Drill rows of http_req_duration in one k6 csv.gz (setup() traffic excluded). */
function durationRows(file: string): number {
  const rows = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
  const nameCol = (rows[0] as string).split(",").indexOf("name");
  return rows.filter((r) => r.startsWith("http_req_duration,") && r.split(",")[nameCol] !== "setup").length;
}

describe("drill --generators 2 (two k6 processes with execution segments)", () => {
  it("splits the load, writes one histogram log (and csv) per generator and reports their exact merge", {
    timeout: 150_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-generators-e2e-"));
    const result = await runDrill({
      profile: resolveProfile("smoke"),
      durationS: 10,
      rateScale: 0.3,
      generators: 2,
      rawSamples: true, // the csv rows are the reference the merged histograms are checked against
      seed: 1,
      outDir: out,
      strategy: "fixed",
      k6: await ensureK6(),
      log: () => {},
      progress: "none",
    });
    expect(result.exitCode).toBe(0);
    const runDir = result.runDir;
    for (const f of [
      "k6-0.csv.gz",
      "k6-1.csv.gz",
      "latency-0.hlog",
      "latency-1.hlog",
      "client-0.jsonl",
      "client-1.jsonl",
      "k6-0.log",
      "k6-1.log",
      "summary.json",
      "generator.jsonl",
    ])
      expect(existsSync(join(runDir, f)), f).toBe(true);
    for (const f of ["k6.csv.gz", "latency.hlog", "client.jsonl"])
      expect(existsSync(join(runDir, f)), f).toBe(false);

    const rows0 = durationRows(join(runDir, "k6-0.csv.gz"));
    const rows1 = durationRows(join(runDir, "k6-1.csv.gz"));
    // Both generators carried load (halves of the same arrival schedule).
    expect(rows0).toBeGreaterThan(0);
    expect(rows1).toBeGreaterThan(0);
    // The summary merges the two generators' latency-<i>.hlog: every csv row, once.
    expect(result.summary.requests).toBe(rows0 + rows1);
    // Each segment's iterations keep their global numbers (iterationInTest), so the global
    // schedule applies: a per-segment numbering read against it would be seconds off.
    expect(result.summary.generator.lateMs?.p50).toBeLessThan(20);
    const byClass = Object.values(result.summary.byClass).reduce((a, c) => a + (c?.requests ?? 0), 0);
    expect(byClass).toBe(result.summary.requests);

    const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(run.k6.exitCode).toBe(0);
    expect(run.k6.generators).toHaveLength(2);
    expect(run.k6.generators.map((g: { segment: string }) => g.segment)).toEqual(["0:1/2", "1/2:1"]);
    for (const g of run.k6.generators) {
      expect(g.exitCode).toBe(0);
      expect(g.args).toContain("--execution-segment-sequence");
      expect(g.args).toContain("0,1/2,1");
      expect(g.cpuSeconds).toBeGreaterThan(0);
    }
    const sumCpu = run.k6.generators.reduce((a: number, g: { cpuSeconds: number }) => a + g.cpuSeconds, 0);
    expect(run.k6.cpuSeconds).toBeCloseTo(sumCpu, 1);
    const lines = readFileSync(join(runDir, "generator.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const withBoth = lines.filter((l) => Array.isArray(l.k6CpuCoresByGenerator));
    expect(withBoth.length).toBeGreaterThan(0);
    for (const l of withBoth) {
      const sum = (l.k6CpuCoresByGenerator as number[]).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - l.k6CpuCores)).toBeLessThanOrEqual(0.02 * l.k6CpuCoresByGenerator.length);
    }
  });
});
