import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Summary } from "../../reports/model.ts";

/**
 * A real drill (k6 against the mock exchange) stopped mid-run: by SIGINT to its process group,
 * as a terminal's Ctrl-C delivers it, by SIGTERM to the drill alone, as CI runners and `kill`
 * send it, and by k6 being killed under it. Each must still write its report, say it is
 * incomplete and why, and make `stampede gate` fail.
 */

const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");
const execFileP = promisify(execFile);

/** Seconds of load before the signal: into smoke's burst (2.5 s of 10), before its recovery. */
const LOAD_BEFORE_SIGNAL_MS = 3000;
/** k6 initialises its VUs before the first arrival; on a busy machine that takes a while. */
const LOAD_START_TIMEOUT_MS = 60_000;

interface Drill {
  child: ChildProcess;
  out: string;
  stderr: () => string;
  exited: Promise<number>;
}

/** `stampede drill` in its own process group (so the group can be signalled like a terminal's). */
function startDrill(): Drill {
  const out = mkdtempSync(join(tmpdir(), "stampede-interrupt-"));
  const child = spawn(
    process.execPath,
    [CLI, "drill", "--profile", "smoke", "--duration", "10", "--rate-scale", "0.3", "--out", out],
    { env: { ...process.env, CI: "true" }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  let stdout = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  const exited = new Promise<number>((res) => child.on("exit", (code) => res(code ?? -1)));
  return { child, out, stderr: () => `${stderr}\n--- stdout\n${stdout}`, exited };
}

/** Resolves once the drill prints its first progress line (in CI mode: the load has begun). */
async function loadStarted(drill: Drill): Promise<void> {
  const deadline = Date.now() + LOAD_START_TIMEOUT_MS;
  while (!/^\[\s*\d+s\//m.test(drill.stderr())) {
    if (Date.now() > deadline) throw new Error(`the load did not start:\n${drill.stderr()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The one run folder the drill made. */
function runDirOf(out: string): string {
  const runs = readdirSync(out).filter((f) => f.endsWith("-smoke"));
  expect(runs).toHaveLength(1);
  return join(out, runs[0] as string);
}

async function gate(runDir: string): Promise<{ code: number; stdout: string }> {
  const config = join(runDir, "..", "gate.json");
  writeFileSync(config, JSON.stringify({ thresholds: ["rejected.rate <= 1", "requests >= 0"] }));
  try {
    const { stdout } = await execFileP(process.execPath, [CLI, "gate", runDir, "--config", config], {
      timeout: 30_000,
    });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "" };
  }
}

/** What every interrupted drill leaves: its report, interrupted and incomplete everywhere, gate 1. */
async function expectInterrupted(runDir: string, signal: "SIGINT" | "SIGTERM"): Promise<Summary> {
  expect(existsSync(join(runDir, "report.html"))).toBe(true);
  const run = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8"));
  expect(run).toMatchObject({ interrupted: true, signal });
  expect(run.endedAt).not.toBeNull();
  const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as Summary;
  expect(summary).toMatchObject({ interrupted: true, complete: false });
  expect(summary.incompleteReasons?.[0]).toBe(`signal: ${signal}: k6 was stopped early`);
  // Stopped in the burst: the recovery never ran, and says so rather than showing zeros.
  const after = summary.byPhase.find((p) => p.name === "after");
  expect(after).toMatchObject({ coverage: "none", requests: 0, latencyMs: null, rejected: null });
  expect(summary.byPhase[0]?.coverage).not.toBe("none");
  const html = readFileSync(join(runDir, "report.html"), "utf8");
  expect(html).toContain("Incomplete run.");
  expect(html).toContain(`signal: ${signal}`);
  const verdict = await gate(runDir);
  expect(verdict.code).toBe(1);
  expect(verdict.stdout).toMatch(/run complete\s+incomplete\s+complete\s+FAIL/);
  return summary;
}

describe("a drill stopped mid-run (real k6)", () => {
  it("SIGINT to the process group (a terminal's Ctrl-C): k6 stops once, gracefully; the report says interrupted", {
    timeout: 150_000,
  }, async () => {
    const drill = startDrill();
    await loadStarted(drill);
    await new Promise((r) => setTimeout(r, LOAD_BEFORE_SIGNAL_MS));
    process.kill(-(drill.child.pid as number), "SIGINT");
    const code = await drill.exited;
    expect(code, drill.stderr()).toBe(0);
    const summary = await expectInterrupted(runDirOf(drill.out), "SIGINT");
    // k6 got the signal once (it is in its own process group), so it flushed its samples: the
    // signal is the only cause, no truncated k6.csv.gz.
    expect(summary.incompleteReasons).toEqual(["signal: SIGINT: k6 was stopped early"]);
    expect(readFileSync(join(runDirOf(drill.out), "k6.log"), "utf8")).not.toMatch(/Aborting k6/);
    expect(summary.requests).toBeGreaterThan(0);
  });

  it("SIGTERM to the drill alone (how CI cancels a job) behaves the same", { timeout: 150_000 }, async () => {
    const drill = startDrill();
    await loadStarted(drill);
    await new Promise((r) => setTimeout(r, LOAD_BEFORE_SIGNAL_MS));
    drill.child.kill("SIGTERM");
    const code = await drill.exited;
    expect(code, drill.stderr()).toBe(0);
    expect(drill.stderr()).toMatch(/SIGTERM: stopping k6 gracefully/);
    const summary = await expectInterrupted(runDirOf(drill.out), "SIGTERM");
    expect(summary.incompleteReasons).toEqual(["signal: SIGTERM: k6 was stopped early"]);
  });

  it("k6 killed under the drill: its lost samples are flagged and the gate refuses the run", {
    timeout: 150_000,
  }, async () => {
    const drill = startDrill();
    await loadStarted(drill);
    await new Promise((r) => setTimeout(r, LOAD_BEFORE_SIGNAL_MS));
    const { stdout } = await execFileP("pgrep", ["-P", String(drill.child.pid), "k6"]);
    const k6Pid = Number(stdout.trim().split("\n")[0]);
    expect(k6Pid).toBeGreaterThan(0);
    process.kill(k6Pid, "SIGKILL");
    const code = await drill.exited;
    expect(code, drill.stderr()).toBe(3); // a harness fault: k6 died
    const runDir = runDirOf(drill.out);
    const summary = JSON.parse(readFileSync(join(runDir, "summary.json"), "utf8")) as Summary;
    expect(summary).toMatchObject({ interrupted: false, complete: false });
    expect(summary.incompleteReasons).toContain("k6 exit: code 137 (killed by signal 9)");
    // The k6 output extension loses the seconds it had not flushed: the summary says how many of
    // the requests the server answered the client's files hold (the csv path's cut file is
    // covered by test/unit/completeness.test.ts and ingest.test.ts).
    expect(summary.incompleteReasons?.some((r) => r.startsWith("truncated samples:"))).toBe(true);
    expect((await gate(runDir)).code).toBe(1);
  });
});
