import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Summary } from "../../reports/model.ts";

/**
 * `stampede drill --gate FILE`: a short real drill (k6 against the mock), then the gate on its
 * summary; the exit code is the gate's. A bad config is refused before k6 starts.
 */

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");
const SHORT = ["drill", "--profile", "smoke", "--duration", "10", "--rate-scale", "0.3"];

async function stampede(
  args: string[],
  timeoutMs = 90_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
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

function config(dir: string, thresholds: unknown): string {
  const path = join(dir, `gate-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ thresholds }));
  return path;
}

describe("stampede drill --gate", () => {
  it("refuses a bad gate config with exit 2 before any drill", { timeout: 30_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-drill-gate-"));
    const result = await stampede([...SHORT, "--out", out, "--gate", config(out, ["latencyMs.p99 <> 1"])]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("E_BAD_GATE_CONFIG");
    expect(readdirSync(out).filter((f) => !f.endsWith(".json"))).toEqual([]);
  });

  it("drills, reports, then passes the gate: exit 0, the table on stderr", { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-drill-gate-"));
    const gate = config(out, {
      http_reqs: ["count>0"],
      "http_req_duration{expected_response:true}": ["p(99)>0"],
    });
    const result = await stampede([...SHORT, "--out", out, "--json", "--gate", gate]);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("served.latencyMs.p99 > 0");
    expect(result.stderr).toMatch(/gate passed: 2 check\(s\)/);
    // --json: stdout is still summary.json alone, with the new figures.
    const summary = JSON.parse(result.stdout) as Summary & { runDir: string };
    expect(summary.served?.requests).toBeGreaterThan(0);
    expect(summary.rejected.policy).toBeDefined();
    expect(summary.rejected.capacity).toBeDefined();
    expect(existsSync(join(summary.runDir, "report.html"))).toBe(true);
    const runJson = JSON.parse(readFileSync(join(summary.runDir, "run.json"), "utf8"));
    expect(runJson.machine.availableParallelism).toBe(availableParallelism());
    expect(runJson.machine.cores).toBeLessThanOrEqual(availableParallelism());
  });

  it("exits 1 when a check fails", { timeout: 120_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), "stampede-drill-gate-"));
    const result = await stampede([...SHORT, "--out", out, "--gate", config(out, ["requests < 1"])]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/gate FAILED: 1 of 1 check\(s\) failed/);
    expect(result.stdout.trim()).toMatch(/smoke\/$/);
  });
});
