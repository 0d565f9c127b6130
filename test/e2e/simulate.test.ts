import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import { mmcMeanWaitMs, mmcWaitPercentileMs } from "../../mock-exchange/capacity/erlang.ts";
import type { Summary } from "../../reports/model.ts";

/** `stampede simulate` through the real CLI (node bin/stampede.js), as a user runs it. */

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function stampede(args: string[], timeoutMs = 25_000): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      timeout: timeoutMs,
      env: { ...process.env, CI: "true" },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The summary JSON a `--json` simulate prints alone on stdout, the run folder in its runDir. */
function parseSimulateOutput(stdout: string): { summary: Summary; runDir: string } {
  const { runDir, ...summary } = JSON.parse(stdout) as Summary & { runDir: string };
  return { summary: summary as Summary, runDir };
}

describe("stampede simulate --model mmc", () => {
  it("prints the M/M/c figures as JSON, within 10% of Erlang C at utilisation 0.8", async () => {
    // c = 4, mu = 100/s (10 ms), lambda = 320/s: rho 0.8; 625 s gives ~200k arrivals (~0.6 s).
    const c = 4;
    const lambda = 320;
    const mu = 100;
    const result = await stampede([
      "simulate",
      "--model",
      "mmc",
      "--servers",
      String(c),
      "--arrival-rate",
      String(lambda),
      "--service-rate",
      String(mu),
      "--duration",
      "625",
      "--seed",
      "1",
      "--json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const figures = JSON.parse(result.stdout) as Record<string, number>;
    expect(Object.keys(figures).sort()).toEqual(["arrivals", "meanWaitMs", "p50WaitMs", "p99WaitMs"]);
    // Poisson(200,000): sd 447.
    expect(Math.abs((figures.arrivals as number) - 200_000)).toBeLessThan(2_500);
    // Erlang C: mean 7.455 ms, p99 51.10 ms, p50 2.204 ms. Measured over seeds 1-3: mean 7.18-7.63
    // (within 4%), p99 50.4-52.2 (within 2%), p50 1.96-2.30 (within 11%: a shallow quantile, since
    // P(wait > t) is only ~0.5 there, so it is given 25%).
    const within = (actual: number, expected: number, tol: number) =>
      expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThan(tol);
    within(figures.meanWaitMs as number, mmcMeanWaitMs(c, lambda, mu), 0.1);
    within(figures.p99WaitMs as number, mmcWaitPercentileMs(c, lambda, mu, 0.99), 0.1);
    within(figures.p50WaitMs as number, mmcWaitPercentileMs(c, lambda, mu, 0.5), 0.25);
  });

  it.each([
    [["--servers", "2", "--arrival-rate", "300", "--service-rate", "100", "--duration", "10"], "rho >= 1"],
    [["--arrival-rate", "10", "--service-rate", "100", "--duration", "10"], "no --servers"],
    [["--servers", "1.5", "--arrival-rate", "10", "--service-rate", "100", "--duration", "10"], "fractional"],
    [["--servers", "2", "--arrival-rate", "10", "--service-rate", "100", "--duration", "0"], "zero duration"],
  ])("usage error %j (%s): exit 2, [E_USAGE]", async (args, _why) => {
    const result = await stampede(["simulate", "--model", "mmc", ...args, "--json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\[E_USAGE\]/);
    expect(result.stdout).toBe("");
  });
});

describe("stampede simulate --profile", () => {
  it("exits 2 with [E_UNKNOWN_STRATEGY] or [E_UNKNOWN_PROFILE] and writes no run folder", async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-sim-e2e-"));
    const strategy = await stampede(["simulate", "--profile", "smoke", "--strategy", "bogus", "--out", out]);
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toMatch(/\[E_UNKNOWN_STRATEGY\]/);
    const twoBases = await stampede(["simulate", "--strategy", "fixed+reactive", "--out", out]);
    expect(twoBases.code).toBe(2);
    expect(twoBases.stderr).toMatch(/\[E_UNKNOWN_STRATEGY\]/);
    const profile = await stampede(["simulate", "--profile", "no-such-profile", "--out", out]);
    expect(profile.code).toBe(2);
    expect(profile.stderr).toMatch(/\[E_UNKNOWN_PROFILE\]/);
    const badScale = await stampede(["simulate", "--profile", "smoke", "--time-scale", "0", "--out", out]);
    expect(badScale.code).toBe(2);
    expect(badScale.stderr).toMatch(/\[E_USAGE\]/);
    expect(readdirSync(out)).toEqual([]);
  });

  it("writes a simulated run folder whose summary `stampede report` re-renders identically", async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-sim-e2e-"));
    const result = await stampede([
      "simulate",
      "--profile",
      "smoke",
      "--strategy",
      "fixed",
      "--time-scale",
      "60",
      "--out",
      out,
      "--json",
    ]);
    expect(result.stderr).not.toMatch(/internal error|\[E_/);
    expect(result.code).toBe(0);
    const { summary, runDir } = parseSimulateOutput(result.stdout);
    expect(runDir.startsWith(out)).toBe(true);
    for (const file of [
      "run.json",
      "timeline.jsonl",
      "latency.hlog",
      "client.jsonl",
      "summary.json",
      "report.html",
    ]) {
      expect(existsSync(join(runDir, file)), file).toBe(true);
    }
    // A simulation has no k6 files.
    expect(existsSync(join(runDir, "k6.csv.gz"))).toBe(false);

    const runJson = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(runJson.simulated).toBe(true);
    expect(runJson.mode).toBe("simulate");
    // ~60k requests is far below the aggregate threshold: auto picks per request.
    expect(runJson.method).toBe("requests");
    expect(runJson.strategy).toBe("fixed");
    expect(runJson.seed).toBe(1);
    expect(runJson.scales.timeScale).toBe(60);
    expect(runJson.scales.wallDurationS).toBe(60);
    expect(runJson.profile.name).toBe("smoke");

    const timeline = readFileSync(join(runDir, "timeline.jsonl"), "utf8")
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as TimelinePoint);
    // One line per virtual second (one more when responses were still in flight at the end).
    expect(timeline.length).toBeGreaterThanOrEqual(60);
    expect(timeline.length).toBeLessThanOrEqual(61);
    expect(timeline.map((p) => p.tWallS)).toEqual(timeline.map((_, i) => i + 1));
    const offered = timeline.reduce((a, p) => a + p.offered, 0);
    expect(summary.requests).toBe(offered);

    expect(summary.simulated).toBe(true);
    expect(summary.strategy).toBe("fixed");
    // smoke at drill size: ~60.6k profile requests plus read-backs.
    expect(summary.requests).toBeGreaterThan(60_000);
    expect(summary.requests).toBeLessThan(66_000);
    expect(summary.rejected.byReason.timeout ?? 0).toBeGreaterThan(0);
    // fixed: 3 gateway + 2 read instances for 60 natural minutes (61 with a drain second).
    expect([300, 305]).toContain(summary.cost.instanceMinutes.total);
    expect(JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8"))).toEqual(summary);

    const report = await stampede(["report", runDir, "--json"]);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toEqual(summary);
  });

  it("--method aggregate writes the same kind of folder, marked aggregate", async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-sim-e2e-"));
    const result = await stampede([
      "simulate",
      "--profile",
      "smoke",
      "--strategy",
      "reactive+priority-shedding",
      "--time-scale",
      "60",
      "--method",
      "aggregate",
      "--out",
      out,
      "--json",
    ]);
    expect(result.code).toBe(0);
    const { summary, runDir } = parseSimulateOutput(result.stdout);
    const runJson = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(runJson.method).toBe("aggregate");
    expect(runJson.strategy).toBe("reactive+priority-shedding");
    expect(summary.simulated).toBe(true);
    expect(summary.events.some((e) => e.kind === "scale-out")).toBe(true);
    const report = await stampede(["report", runDir, "--json"]);
    expect(JSON.parse(report.stdout)).toEqual(summary);
  });
});
