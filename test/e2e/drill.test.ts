import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { readIngested } from "../../reports/hlog.ts";
import type { Summary } from "../../reports/model.ts";
import { COLLECTOR_MAX_CORE_SHARE } from "../../scripts/k6Collector.ts";
import { CHROMIUM, checkCharts, expectedCharts, openOffline, probeCharts } from "../browser/pageChecks.ts";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function stampede(args: string[], timeoutMs: number): Promise<CliResult> {
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

/** The last JSON object the CLI printed (--json prints it after any progress lines). */
function lastJson<T>(stdout: string): T {
  return JSON.parse(stdout.slice(0, stdout.lastIndexOf("}") + 1)) as T;
}

function expectRunFolderFiles(runDir: string): void {
  for (const file of [
    "run.json",
    "latency.hlog",
    "client.jsonl",
    "timeline.jsonl",
    "generator.jsonl",
    "summary.json",
    "report.html",
    "k6.log",
  ]) {
    expect(existsSync(join(runDir, file)), file).toBe(true);
  }
  // No raw samples by default (drill --raw-samples keeps them; test/e2e/k6Output.test.ts checks
  // that the two agree).
  expect(existsSync(join(runDir, "k6.csv.gz"))).toBe(false);
}

/** The same numbers as k6's own files (the output extension's latency.hlog + client.jsonl). */
async function expectSummaryMatchesK6Files(runDir: string, summary: Summary): Promise<void> {
  const fromK6 = await readIngested(runDir, []);
  expect(summary.requests).toBe(fromK6.overall.latencyUs.totalCount);
  expect(summary.rejected.total).toBe(
    Object.values(fromK6.overall.rejected).reduce((a, b) => a + (b ?? 0), 0),
  );
  expect(summary.generator.lateMs).not.toBeNull();
  expect(summary.correctedLatencyMs).not.toBeNull();
  expect(Object.values(summary.rejected.byReason).reduce((a, b) => a + (b ?? 0), 0)).toBe(
    summary.rejected.total,
  );
  const byClassRequests = Object.values(summary.byClass).reduce((a, c) => a + (c?.requests ?? 0), 0);
  expect(byClassRequests).toBe(summary.requests);
}

/** The burst saturates the fixed capacity: rejects and stale reads happen there, not at normal load. */
function expectBurstSaturates(summary: Summary): void {
  const normal = summary.byPhase.find((p) => p.name === "normal");
  const burst = summary.byPhase.find((p) => p.name === "burst");
  expect(normal?.rejected?.total).toBe(0);
  expect(burst?.rejected?.total).toBeGreaterThan(0);
  expect(
    (burst?.rejected?.byReason.overloaded ?? 0) + (burst?.rejected?.byReason.timeout ?? 0),
  ).toBeGreaterThan(0);
  expect(burst?.latencyMs?.p99).toBeGreaterThan(normal?.latencyMs?.p99 ?? Number.POSITIVE_INFINITY);
  expect(summary.staleReads.count).toBeGreaterThan(0);
  expect(summary.staleReads.checked).toBeGreaterThanOrEqual(summary.staleReads.count);
  expect(summary.droppedIterations).toBeGreaterThanOrEqual(0);
}

/**
 * The drill's own report, as a user opens it: offline in Chromium, every chart drawn
 * (generator health included: a drill has k6 data), no console errors; its charts also as files.
 */
async function expectReportOpensOffline(runDir: string, screenshotDir: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
  try {
    const { page, problems } = await openOffline(browser, join(runDir, "report.html"));
    const probes = await probeCharts(page);
    expect(problems.pageErrors, "page errors").toEqual([]);
    expect(problems.console, "console errors").toEqual([]);
    expect(problems.requests, "requests other than file:// and data:").toEqual([]);
    checkCharts(probes, (await expectedCharts()).report);
    await page.screenshot({ path: join(screenshotDir, "drill-report.png"), fullPage: true });
  } finally {
    await browser.close();
  }
  for (const chart of (await expectedCharts()).report) {
    expect(existsSync(join(runDir, "charts", `${chart}.svg`)), chart).toBe(true);
    expect(existsSync(join(runDir, "charts", `${chart}.png`)), chart).toBe(true);
  }
}

/**
 * The default strategy is `reactive`: the timeline shows the scale-out decision, then the
 * instances becoming ready boot + warm-up (210 natural s) later, and the bill.
 */
function expectReactiveScaleOut(summary: Summary, runJson: { strategy?: unknown }): void {
  expect(runJson.strategy).toBe("reactive");
  const scaleOut = summary.events.find((e) => e.kind === "scale-out" && e.tier === "gateway");
  const ready = summary.events.find((e) => e.kind === "instances-ready" && e.tier === "gateway");
  expect(scaleOut).toBeDefined();
  expect(ready).toBeDefined();
  expect((ready?.atS ?? 0) - (scaleOut?.atS ?? 0)).toBeGreaterThanOrEqual(210);
  expect(summary.cost.instanceMinutes.total).toBeGreaterThan(0);
}

/** run.json says how k6 collected garbage, and k6's environment agrees (scripts/k6Collector.ts). */
function expectCollectorRecorded(k6: {
  env: Record<string, string>;
  collector: { mode: string; predictedCoreShare: number; memoryLimitMiB: number | null };
}): void {
  const { env, collector } = k6;
  expect(collector.predictedCoreShare).toBeGreaterThan(0);
  if ((process.env.GOGC ?? "") !== "" || (process.env.GOMEMLIMIT ?? "") !== "") {
    expect(collector.mode).toBe("caller");
    return;
  }
  expect(collector.mode).toBe(collector.predictedCoreShare > COLLECTOR_MAX_CORE_SHARE ? "off" : "paced");
  if (collector.mode === "off")
    expect(env).toMatchObject({ GOGC: "off", GOMEMLIMIT: `${collector.memoryLimitMiB}MiB` });
  else expect(env.GOGC).toBeUndefined();
}

describe("stampede drill end to end (real k6 against the mock exchange)", () => {
  it("runs a shortened smoke drill and writes a run folder whose summary matches k6's own aggregates", {
    timeout: 180_000,
  }, async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-e2e-"));
    const result = await stampede(
      ["drill", "--profile", "smoke", "--duration", "20", "--out", out, "--json"],
      170_000,
    );
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(0);
    // --json prints the summary alone on stdout, the run folder in its runDir.
    const runDir = (JSON.parse(result.stdout) as { runDir: string }).runDir;
    expect(runDir).toMatch(/smoke\/$/);
    expectRunFolderFiles(runDir);

    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as Summary;
    expect(summary).toMatchObject({ complete: true, interrupted: false });
    expect(summary.byPhase.every((p) => p.coverage === "full")).toBe(true);
    await expectSummaryMatchesK6Files(runDir, summary);
    expectBurstSaturates(summary);

    const runJson = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
    expect(runJson.k6.exitCode).toBe(0);
    expect(runJson.versions.k6).toBe("v1.8.1");
    expect(runJson.scales.timeScale).toBe(180);
    expectCollectorRecorded(runJson.k6);
    const html = readFileSync(join(runDir, "report.html"), "utf8");
    for (const chart of ["latency", "throughput", "stale"]) expect(html).toContain(`data-chart="${chart}"`);
    await expectReportOpensOffline(runDir, out);

    // Re-rendering from the folder alone gives the same summary.
    const again = await stampede(["report", runDir, "--json"], 60_000);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(summary);
    expectReactiveScaleOut(summary, runJson);

    // At full rate (2,000 requests/s at 100x, every keyed request signed) k6 works near the
    // limit of the two cores, so its latencies carry the generator's own delay: the calibration
    // against the simulator is the half-rate drill below. Here the simulation of the same run is
    // only printed next to it, for whoever reads the log.
    const sim = await stampede(
      [
        "simulate",
        "--profile",
        "smoke",
        "--strategy",
        "reactive",
        "--time-scale",
        "180",
        "--seed",
        "1",
        "--out",
        out,
        "--json",
      ],
      120_000,
    );
    expect(sim.code).toBe(0);
    const simSummary = lastJson<Summary>(sim.stdout);
    expect(simSummary.simulated).toBe(true);
    console.info(
      `full rate, drill vs simulation: rejected ${summary.rejected.rate} vs ${simSummary.rejected.rate}, ` +
        `p99 ${summary.latencyMs.p99} vs ${simSummary.latencyMs.p99} ms, k6 max ${summary.generator.k6CpuCoresMax} cores`,
    );
  });

  it("calibration: a drill at half rate and its simulation agree on rejects, p99 and stale reads", {
    timeout: 180_000,
  }, async () => {
    // Measured on this machine (3 seeds, 20 s drills at time scale 180, rate scale 0.5, signed
    // requests, k6 at most 0.79 cores; smoke's 100 clients, none banned at half rate): rejected
    // 0.137 vs 0.146, 0.149 vs 0.148, 0.161 vs 0.151; p99 332.3 vs 326.7, 337.7 vs 324.9 ms (and
    // 430.8 vs 326.4 for seed 3 while another process loaded both cores); stale rate 0 vs 0,
    // 0 vs 0, 0 vs 0.002.
    // Tolerances: 0.03 on the rejected fraction, 8% on p99, 0.1 on the stale rate.
    const out = mkdtempSync(join(tmpdir(), "stampede-calibration-"));
    const common = ["--profile", "smoke", "--strategy", "reactive", "--rate-scale", "0.5", "--seed", "1"];
    const drill = await stampede(["drill", ...common, "--duration", "20", "--out", out, "--json"], 170_000);
    expect(drill.code).toBe(0);
    const measured = lastJson<Summary>(drill.stdout);
    // At half rate k6 has room: a saturated generator here means the machine was busy, and the
    // drill measured that rather than the venue. Lateness is held to what the p99 comparison
    // below tolerates (8%) rather than to the warning's 10 ms: a few late starts then cannot
    // decide the comparison (measured here: whole-run p99 lateness 7-8 ms at rate scale 0.3
    // with the two cores shared, single seconds up to 24 ms).
    const late = measured.generator.lateMs;
    expect(late, "k6 measured its lateness").not.toBeNull();
    expect(late?.p99 ?? 0, "k6 kept the schedule").toBeLessThan(0.08 * measured.latencyMs.p99);
    expect(
      measured.generator.warnings.filter((w) => !w.startsWith("k6 started iterations late")),
      "the load generator must not be the bottleneck",
    ).toEqual([]);
    const sim = await stampede(
      ["simulate", ...common, "--time-scale", "180", "--out", out, "--json"],
      120_000,
    );
    expect(sim.code).toBe(0);
    const simulated = lastJson<Summary>(sim.stdout);
    expect(Math.abs(simulated.requests / measured.requests - 1)).toBeLessThan(0.05);
    expect(Math.abs(simulated.rejected.rate - measured.rejected.rate)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(simulated.latencyMs.p99 / measured.latencyMs.p99 - 1)).toBeLessThanOrEqual(0.08);
    expect(Math.abs(simulated.staleReads.rate - measured.staleReads.rate)).toBeLessThanOrEqual(0.1);
  });

  it("exits 2 with a coded message on usage errors", { timeout: 60_000 }, async () => {
    const unknown = await stampede(["drill", "--profile", "nope"], 30_000);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/\[E_UNKNOWN_PROFILE\]/);
    const badFlag = await stampede(["drill", "--no-such-flag"], 30_000);
    expect(badFlag.code).toBe(2);
    const missing = await stampede(["report", "/nonexistent/run"], 30_000);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/\[E_RUN_NOT_FOUND\]/);
  });
});
