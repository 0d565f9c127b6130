import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import type { ClassSummary, LatencyPercentilesMs, PhaseSummary, Summary } from "../../reports/model.ts";

/**
 * `stampede gate` through the real CLI on hand-made run folders: a run that regressed against
 * its baseline fails (exit 1), one that did not passes (exit 0), a bad config exits 2.
 */

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function stampede(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      timeout: 30_000,
      env: { ...process.env, CI: "true" },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function lat(p50: number, p99: number): LatencyPercentilesMs {
  return { p50, p90: p99 * 0.8, p99, p999: p99 * 1.05, max: p99 * 1.15 };
}

function cls(requests: number, p99: number, rejected: number): ClassSummary {
  return {
    requests,
    latencyMs: lat(0.4, p99),
    rejected: { total: rejected, byReason: rejected > 0 ? { overloaded: rejected } : {} },
  };
}

/** A summary shaped like a reactive smoke drill's; `slow` scales the burst latencies. */
function drillSummary(slow: number, rejectedRate: number): Summary {
  const requests = 60_000;
  const rejected = Math.round(requests * rejectedRate);
  const phase = (
    name: string,
    startS: number,
    endS: number,
    multiple: number,
    p99: number,
  ): PhaseSummary => ({
    name,
    startS,
    endS,
    multiple,
    ...cls(Math.round((requests * (endS - startS)) / 60), p99, 0),
  });
  return {
    requests,
    latencyMs: lat(0.4, 180 * slow),
    byClass: {
      order: cls(18_000, 190 * slow, Math.round(rejected * 0.3)),
      position: cls(30_000, 175 * slow, Math.round(rejected * 0.5)),
      depth: cls(12_000, 160 * slow, Math.round(rejected * 0.2)),
    },
    byPhase: [
      phase("normal", 0, 10, 1, 30),
      phase("ramp", 10, 15, 100, 150 * slow),
      phase("burst", 15, 40, 100, 200 * slow),
      phase("recover", 40, 45, 1, 120 * slow),
      phase("after", 45, 60, 1, 30),
    ],
    rejected: { total: rejected, rate: rejectedRate, byReason: { overloaded: rejected } },
    staleReads: { count: 1, checked: 300, rate: 0.003, ageMs: { p50: 120, p99: 240, max: 260 } },
    droppedIterations: 0,
    generator: {
      k6CpuCores: 0.4,
      k6CpuCoresMax: 1.1,
      exchangeCpuCoresMax: 0.4,
      k6RssMbMax: 850,
      bottleneck: false,
      warnings: [],
    },
    durationS: 60,
    strategy: "reactive",
    simulated: false,
    cost: { instanceMinutes: { gateway: 30, read: 12, total: 42 } },
    events: [{ atS: 930, kind: "scale-out", tier: "gateway", instances: 4, detail: "queue over target" }],
  };
}

function writeRun(root: string, id: string, summary: Summary): string {
  const dir = join(root, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(
    join(dir, "run.json"),
    `${JSON.stringify({ id, command: "stampede drill", profile: { name: "smoke" }, strategy: "reactive" }, null, 2)}\n`,
  );
  return dir;
}

/**
 * The run folders and config every test of the first two describes gates: a baseline, a run
 * within noise of it and one that regressed, under one config of thresholds and regressions.
 */
let root: string;
let baseline: string;
let same: string;
let regressed: string;
let config: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "stampede-gate-"));
  baseline = writeRun(root, "2026-11-23T17-00-00-smoke", drillSummary(1, 0.004));
  // Within noise of the baseline: 3% slower.
  same = writeRun(root, "2026-11-23T17-10-00-smoke", drillSummary(1.03, 0.004));
  // Burst p99 40% higher and twice the rejects.
  regressed = writeRun(root, "2026-11-23T17-20-00-smoke", drillSummary(1.4, 0.008));
  config = join(root, "gate.json");
  writeFileSync(
    config,
    JSON.stringify({
      thresholds: [
        "byClass.order.latencyMs.p99 < 300",
        "rejected.rate < 0.01",
        "staleReads.rate < 0.005",
        "droppedIterations == 0",
        "byPhase[burst].latencyMs.p99 < 400",
      ],
      regressions: ["latencyMs.p99", "byPhase[burst].latencyMs.p99", "rejected.rate"],
      maxRegression: "10%",
    }),
  );
});

describe("stampede gate end to end (hand-made run folders)", { timeout: 60_000 }, () => {
  it("passes a run that did not regress (exit 0) and writes JUnit and Markdown", async () => {
    const junit = join(root, "out", "same.xml");
    const markdown = join(root, "out", "same.md");
    const r = await stampede([
      "gate",
      same,
      "--config",
      config,
      "--baseline",
      baseline,
      "--junit",
      junit,
      "--markdown",
      markdown,
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /byPhase\[burst\]\.latencyMs\.p99 vs baseline\s+206 \(\+3%\)\s+baseline 200, max \+10%\s+PASS/,
    );
    expect(r.stdout).toContain("gate passed: 8 check(s)");
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('<testsuite name="stampede gate" tests="8" failures="0"');
    expect(xml).not.toContain("<failure");
    const md = readFileSync(markdown, "utf8");
    expect(md).toMatch(/^### ✅ stampede gate passed/);
    expect(md).toContain("profile `smoke`");
    expect(md).toContain("strategy `reactive`");
    expect(md).toContain("baseline `2026-11-23T17-00-00-smoke`");
  });

  it("fails a run that regressed (exit 1), naming the checks that failed", async () => {
    const junit = join(root, "out", "regressed.xml");
    const markdown = join(root, "out", "regressed.md");
    const r = await stampede([
      "gate",
      regressed,
      "--config",
      config,
      "--baseline",
      baseline,
      "--junit",
      junit,
      "--markdown",
      markdown,
    ]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(1);
    // Every absolute threshold still holds; only the comparison with the baseline fails.
    expect(r.stdout).toMatch(/byPhase\[burst\]\.latencyMs\.p99 < 400\s+280\s+< 400\s+PASS/);
    expect(r.stdout).toMatch(/latencyMs\.p99 vs baseline\s+252 \(\+40%\)\s+baseline 180, max \+10%\s+FAIL/);
    expect(r.stdout).toMatch(
      /rejected\.rate vs baseline\s+0\.008 \(\+100%\)\s+baseline 0\.004, max \+10%\s+FAIL/,
    );
    expect(r.stdout).toContain("gate FAILED: 3 of 8 check(s) failed");
    const xml = readFileSync(junit, "utf8");
    expect(xml.match(/<testcase /g)).toHaveLength(8);
    expect(xml.match(/<failure /g)).toHaveLength(3);
    expect(readFileSync(markdown, "utf8")).toMatch(/^### ❌ stampede gate failed \(3 of 8 checks\)/);

    // --max-regression on the command line wins over the config's 10%.
    const lenient = await stampede([
      "gate",
      regressed,
      "--config",
      config,
      "--baseline",
      baseline,
      "--max-regression",
      "150%",
    ]);
    expect(lenient.code).toBe(0);
  });

  it("prints the verdicts as JSON with --json", async () => {
    const r = await stampede(["gate", regressed, "--config", config, "--baseline", baseline, "--json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      passed: boolean;
      run: string;
      baseline: string;
      results: Array<{ name: string; pass: boolean; actual: number | null }>;
    };
    expect(out.passed).toBe(false);
    expect(out.run).toBe("2026-11-23T17-20-00-smoke");
    expect(out.baseline).toBe("2026-11-23T17-00-00-smoke");
    expect(out.results.filter((x) => !x.pass).map((x) => x.name)).toEqual([
      "latencyMs.p99 vs baseline",
      "byPhase[burst].latencyMs.p99 vs baseline",
      "rejected.rate vs baseline",
    ]);
  });
});

describe("stampede gate end to end: missing metrics, .ts configs and bad input", { timeout: 60_000 }, () => {
  it("fails a missing metric with its reason, without crashing", async () => {
    const missing = join(root, "missing.json");
    writeFileSync(missing, JSON.stringify({ thresholds: ["byPhase[spike].latencyMs.p99 < 400"] }));
    const r = await stampede(["gate", same, "--config", missing]);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /no element named "spike" in byPhase \(names: normal, ramp, burst, recover, after\)/,
    );
  });

  it("loads a .ts config (default export), wherever it lives", async () => {
    // A temp folder has no package.json: Node treats the .ts as CommonJS, which must work too.
    const ts = join(root, "gate.ts");
    const types = join(import.meta.dirname, "..", "..", "reports", "gate.ts");
    writeFileSync(
      ts,
      [
        `import type { GateConfigFile } from ${JSON.stringify(types)};`,
        `const config: GateConfigFile = { thresholds: ["byPhase[burst].latencyMs.p99 < 250"] };`,
        "export default config;",
        "",
      ].join("\n"),
    );
    const pass = await stampede(["gate", same, "--config", ts]);
    expect(pass.stderr).toBe("");
    expect(pass.code).toBe(0);
    expect((await stampede(["gate", regressed, "--config", ts])).code).toBe(1);
    const broken = join(root, "broken.ts");
    writeFileSync(broken, "export default { thresholds: [ ;\n");
    const r = await stampede(["gate", same, "--config", broken]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\[E_BAD_GATE_CONFIG\]/);
  });

  it("exits 2 on a bad config or a missing run", async () => {
    const cases: Array<[string, string]> = [
      ["bad-operator.json", JSON.stringify({ thresholds: ["rejected.rate =< 0.01"] })],
      ["bad-bound.json", JSON.stringify({ thresholds: ["latencyMs.p99 < 250ms"] })],
      ["bad-syntax.json", '{"thresholds": ["rejected.rate < 0.01",]}'],
      ["bad-key.json", JSON.stringify({ threshold: ["rejected.rate < 0.01"] })],
    ];
    for (const [name, text] of cases) {
      const path = join(root, name);
      writeFileSync(path, text);
      const r = await stampede(["gate", same, "--config", path]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(/\[E_BAD_GATE_CONFIG\]/);
    }
    const noConfig = await stampede(["gate", same, "--config", join(root, "nope.json")]);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toMatch(/\[E_BAD_GATE_CONFIG\]/);
    const badFlag = await stampede([
      "gate",
      same,
      "--config",
      config,
      "--baseline",
      baseline,
      "--max-regression",
      "10",
    ]);
    expect(badFlag.code).toBe(2);
    const noRun = await stampede(["gate", join(root, "no-such-run"), "--config", config]);
    expect(noRun.code).toBe(2);
    expect(noRun.stderr).toMatch(/\[E_RUN_NOT_FOUND\]/);
    const noBaseline = await stampede([
      "gate",
      same,
      "--config",
      config,
      "--baseline",
      join(root, "no-such-run"),
    ]);
    expect(noBaseline.code).toBe(2);
    expect(noBaseline.stderr).toMatch(/\[E_RUN_NOT_FOUND\]/);
  });
});

describe("stampede gate on an incomplete run (end to end)", { timeout: 60_000 }, () => {
  it("exits 1 with the reason in the table, JUnit and Markdown; allowIncomplete accepts it; a bad config still exits 2", async () => {
    const root = mkdtempSync(join(tmpdir(), "stampede-gate-incomplete-"));
    const reason = "signal: SIGTERM: k6 was stopped early";
    const cut = writeRun(root, "2026-11-23T18-00-00-smoke", {
      ...drillSummary(1, 0.004),
      complete: false,
      interrupted: true,
      incompleteReason: reason,
      incompleteReasons: [reason],
    });
    const config = join(root, "gate.json");
    writeFileSync(config, JSON.stringify({ thresholds: ["rejected.rate < 0.01"] }));
    const junit = join(root, "out", "junit.xml");
    const markdown = join(root, "out", "summary.md");
    const r = await stampede(["gate", cut, "--config", config, "--junit", junit, "--markdown", markdown]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/run complete\s+incomplete\s+complete\s+FAIL/);
    expect(r.stdout).toContain(`run complete: incomplete run: ${reason}`);
    expect(readFileSync(junit, "utf8")).toContain(
      `<failure message="incomplete run: ${reason}" type="completeness">`,
    );
    expect(readFileSync(markdown, "utf8")).toContain(
      `| ❌ | \`run complete\` | incomplete | complete | incomplete run: ${reason} |`,
    );

    // The same figures without the field (a summary written before it existed) pass.
    const older = writeRun(root, "2026-11-23T18-10-00-smoke", drillSummary(1, 0.004));
    expect((await stampede(["gate", older, "--config", config])).code).toBe(0);

    const allowing = join(root, "allow.json");
    writeFileSync(allowing, JSON.stringify({ thresholds: ["rejected.rate < 0.01"], allowIncomplete: true }));
    const accepted = await stampede(["gate", cut, "--config", allowing, "--json"]);
    expect(accepted.code).toBe(0);
    expect(JSON.parse(accepted.stdout).results[0]).toMatchObject({ kind: "completeness", pass: true });

    const bad = join(root, "bad.json");
    writeFileSync(bad, JSON.stringify({ thresholds: ["rejected.rate < 0.01"], allowIncomplete: "yes" }));
    const invalid = await stampede(["gate", cut, "--config", bad]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/\[E_BAD_GATE_CONFIG\]/);
  });
});
