import { describe, expect, it } from "vitest";
import {
  checkRegression,
  checkThreshold,
  compare,
  escapeXml,
  evaluateGate,
  formatJUnit,
  formatMarkdown,
  formatTable,
  type GateMeta,
  type GateOperator,
  parseGateConfig,
  parseMaxRegression,
  parseMetricPath,
  parseThreshold,
  relativeChange,
  resolveMetric,
} from "../../reports/gate.ts";
import type { ClassSummary, LatencyPercentilesMs, PhaseSummary, Summary } from "../../reports/model.ts";

function lat(p99: number): LatencyPercentilesMs {
  return { p50: p99 / 10, p90: p99 / 2, p99, p999: p99 * 1.1, max: p99 * 1.2 };
}

function cls(requests: number, p99: number, rejected = 0): ClassSummary {
  return {
    requests,
    latencyMs: lat(p99),
    rejected: { total: rejected, byReason: rejected > 0 ? { overloaded: rejected } : {} },
  };
}

function phase(name: string, startS: number, endS: number, multiple: number, p99: number): PhaseSummary {
  return { name, startS, endS, multiple, ...cls(1000, p99) };
}

/** A summary shaped like a smoke drill's (reports/summary.ts buildSummary). */
function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    requests: 63779,
    latencyMs: lat(304.127),
    byClass: { order: cls(18179, 208.991, 120), position: cls(33481, 301.311), depth: cls(12119, 300.799) },
    byPhase: [
      phase("normal", 0, 10, 1, 35.039),
      phase("ramp", 10, 15, 100, 313.343),
      phase("burst", 15, 40, 100, 301.311),
      phase("recover", 40, 45, 1, 309.247),
    ],
    rejected: { total: 566, rate: 0.0089, byReason: { overloaded: 500, rate_limited: 66 } },
    staleReads: { count: 1, checked: 297, rate: 0.003, ageMs: { p50: 266, p99: 333, max: 337 } },
    droppedIterations: 0,
    generator: {
      k6CpuCores: 0.403,
      k6CpuCoresMax: 1.17,
      exchangeCpuCoresMax: 0.39,
      k6RssMbMax: 894,
      bottleneck: false,
      warnings: [],
    },
    durationS: 60,
    strategy: "reactive",
    simulated: false,
    cost: { instanceMinutes: { gateway: 8, read: 4, total: 12 } },
    events: [],
    ...overrides,
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

const META: GateMeta = { runId: "2026-11-23T17-06-10-smoke", profile: "smoke", strategy: "reactive" };

describe("gate: parsing expressions", () => {
  it("parses paths with dots and [name] selections", () => {
    expect(parseMetricPath("byClass.order.latencyMs.p99").steps).toEqual([
      { key: "byClass" },
      { key: "order" },
      { key: "latencyMs" },
      { key: "p99" },
    ]);
    expect(parseMetricPath("byPhase[burst].latencyMs.p99").steps[0]).toEqual({
      key: "byPhase",
      select: "burst",
    });
    expect(parseMetricPath('byPhase["plateau 100x"].requests').steps[0]).toEqual({
      key: "byPhase",
      select: "plateau 100x",
    });
  });

  it("parses each operator with a numeric bound", () => {
    for (const op of ["<", "<=", ">", ">=", "==", "!="] as const) {
      const t = parseThreshold(`rejected.rate ${op} 0.01`);
      expect(t.op).toBe(op);
      expect(t.bound).toBe(0.01);
      expect(t.path.text).toBe("rejected.rate");
    }
    expect(parseThreshold("droppedIterations==0")).toMatchObject({ op: "==", bound: 0 });
    expect(parseThreshold("  latencyMs.p99 <= 2.5e2 ")).toMatchObject({ op: "<=", bound: 250 });
    expect(parseThreshold("byPhase[a<b].requests > -1")).toMatchObject({
      op: ">",
      bound: -1,
      path: { steps: [{ key: "byPhase", select: "a<b" }, { key: "requests" }] },
    });
  });

  it("rejects bad syntax, unknown operators and non-numeric bounds with E_BAD_GATE_CONFIG", () => {
    for (const bad of [
      "rejected.rate = 0.01", // single =
      "rejected.rate =< 0.01",
      "rejected.rate ~= 0.01",
      "rejected.rate <> 0.01",
      "rejected.rate < 1%",
      "latencyMs.p99 < 250ms",
      "latencyMs.p99 < fast",
      "latencyMs.p99 <",
      "< 250",
      "latencyMs.p99 250",
      "latencyMs..p99 < 250",
      "latencyMs.p99. < 250",
      "byPhase[].p99 < 250",
      "9lives < 1",
    ]) {
      expect(
        codeOf(() => parseThreshold(bad)),
        bad,
      ).toBe("E_BAD_GATE_CONFIG");
    }
    expect(() => parseThreshold("rejected.rate => 0.01")).toThrow(/unknown operator "=>"/);
  });

  it("validates the whole config once, with CLI overrides", () => {
    const config = parseGateConfig({
      thresholds: ["rejected.rate < 0.01", "byPhase[burst].latencyMs.p99 < 400"],
      regressions: ["latencyMs.p99", { metric: "requests", better: "higher" }],
      maxRegression: "5%",
    });
    expect(config.thresholds).toHaveLength(2);
    expect(config.regressions.map((r) => [r.path.text, r.better])).toEqual([
      ["latencyMs.p99", "lower"],
      ["requests", "higher"],
    ]);
    expect(config.maxRegression).toBeCloseTo(0.05, 12);
    expect(
      parseGateConfig({ regressions: ["latencyMs.p99"] }, "x", { maxRegression: "12.5%" }).maxRegression,
    ).toBeCloseTo(0.125, 12);
    // Defaults: regressions on the headline figures, 10%.
    const defaults = parseGateConfig({ thresholds: ["droppedIterations == 0"] });
    expect(defaults.regressions.map((r) => r.path.text)).toEqual([
      "latencyMs.p99",
      "rejected.rate",
      "staleReads.rate",
    ]);
    expect(defaults.regressionsNamed).toBe(false);
    expect(defaults.maxRegression).toBe(0.1);

    for (const bad of [
      null,
      [],
      "rejected.rate < 0.01",
      { threshold: ["rejected.rate < 0.01"] }, // typo'd key
      { thresholds: "rejected.rate < 0.01" },
      { thresholds: [42] },
      { thresholds: [], regressions: [] },
      { regressions: ["latencyMs.p99"], maxRegression: 0.1 },
      { regressions: ["latencyMs.p99"], maxRegression: "10" },
      { regressions: [{ metric: "latencyMs.p99", better: "up" }] },
      { regressions: [{ path: "latencyMs.p99" }] },
    ]) {
      expect(
        codeOf(() => parseGateConfig(bad)),
        JSON.stringify(bad),
      ).toBe("E_BAD_GATE_CONFIG");
    }
    expect(
      codeOf(() => parseGateConfig({ thresholds: ["requests > 0"] }, "x", { maxRegression: "ten" })),
    ).toBe("E_BAD_GATE_CONFIG");
    expect(parseMaxRegression("10%")).toBeCloseTo(0.1, 12);
    expect(parseMaxRegression(" 0.5 % ")).toBeCloseTo(0.005, 12);
  });
});

describe("gate: evaluating against a summary", () => {
  it("applies each operator exactly, at and around the bound", () => {
    const table: Array<[GateOperator, number, number, boolean]> = [
      ["<", 1, 2, true],
      ["<", 2, 2, false],
      ["<=", 2, 2, true],
      ["<=", 2.0001, 2, false],
      [">", 3, 2, true],
      [">", 2, 2, false],
      [">=", 2, 2, true],
      [">=", 1.9999, 2, false],
      ["==", 0, 0, true],
      ["==", 1, 0, false],
      ["!=", 1, 0, true],
      ["!=", 0, 0, false],
    ];
    for (const [op, a, b, want] of table) expect(compare(op, a, b), `${a} ${op} ${b}`).toBe(want);
  });

  it("checks thresholds on the summary, including byPhase[name]", () => {
    const s = summary();
    const burst = checkThreshold(s, parseThreshold("byPhase[burst].latencyMs.p99 < 300"));
    expect(burst).toMatchObject({ pass: false, actual: 301.311, expected: "< 300" });
    expect(burst.reason).toBe("301.311 is not < 300");
    // Picks the phase by name, not by position: "normal" is first and far lower.
    expect(checkThreshold(s, parseThreshold("byPhase[normal].latencyMs.p99 < 40")).actual).toBe(35.039);
    expect(checkThreshold(s, parseThreshold("byPhase[recover].latencyMs.p99 > 309")).pass).toBe(true);
    expect(checkThreshold(s, parseThreshold("byClass.order.latencyMs.p99 < 250")).pass).toBe(true);
    expect(checkThreshold(s, parseThreshold("rejected.rate < 0.01")).pass).toBe(true);
    expect(checkThreshold(s, parseThreshold("staleReads.rate < 0.005")).pass).toBe(true);
    expect(checkThreshold(s, parseThreshold("droppedIterations == 0")).pass).toBe(true);
    expect(
      checkThreshold(summary({ droppedIterations: 3 }), parseThreshold("droppedIterations == 0")),
    ).toMatchObject({ pass: false, actual: 3 });
    // Booleans count as 1/0.
    expect(checkThreshold(s, parseThreshold("generator.bottleneck == 0")).pass).toBe(true);
  });

  it("fails a missing metric with a clear reason instead of throwing", () => {
    const s = summary();
    const cases: Array<[string, RegExp]> = [
      [
        "byPhase[spike].latencyMs.p99 < 400",
        /no element named "spike" in byPhase \(names: normal, ramp, burst, recover\)/,
      ],
      ["byClass.stream.latencyMs.p99 < 400", /no "stream" in byClass \(has: order, position, depth\)/],
      ["latencyMs.p98 < 400", /no "p98" in latencyMs/],
      ["latencyMs < 400", /is an object, not a number \(pick one of: p50, p90, p99, p999, max\)/],
      ["strategy == 1", /is the string "reactive", not a number/],
      ["latencyMs.p99.value < 1", /latencyMs.p99 is a number, not an object/],
      ["requests[burst] < 1", /requests is a number, not a list/],
      ["toString < 1", /no "toString" in the summary/],
      ["byClass.constructor < 1", /no "constructor" in byClass/],
    ];
    for (const [expr, reason] of cases) {
      const r = checkThreshold(s, parseThreshold(expr));
      expect(r.pass, expr).toBe(false);
      expect(r.actual, expr).toBeNull();
      expect(r.reason, expr).toMatch(/^missing metric: /);
      expect(r.reason, expr).toMatch(reason);
    }
    expect(resolveMetric({ byPhase: [] }, parseMetricPath("byPhase[burst].requests"))).toEqual({
      ok: false,
      reason: 'byPhase[burst].requests: no element named "burst" in byPhase (it is empty)',
    });
    expect(resolveMetric(null, parseMetricPath("requests")).ok).toBe(false);
  });
});

describe("gate: regressions against a baseline", () => {
  const p99 = { path: parseMetricPath("latencyMs.p99"), better: "lower" as const };
  const requests = { path: parseMetricPath("requests"), better: "higher" as const };

  it("computes the relative change, with a zero baseline", () => {
    expect(relativeChange(220, 200, "lower")).toBeCloseTo(0.1, 12);
    expect(relativeChange(180, 200, "lower")).toBeCloseTo(-0.1, 12);
    expect(relativeChange(180, 200, "higher")).toBeCloseTo(0.1, 12);
    expect(relativeChange(0, 0, "lower")).toBe(0);
    expect(relativeChange(0.001, 0, "lower")).toBe(Number.POSITIVE_INFINITY);
    expect(relativeChange(5, 0, "higher")).toBe(Number.NEGATIVE_INFINITY);
  });

  it("passes at exactly the limit and fails just above it", () => {
    const base = summary({ latencyMs: lat(200) });
    expect(checkRegression(summary({ latencyMs: lat(220) }), base, p99, 0.1).pass).toBe(true);
    const over = checkRegression(summary({ latencyMs: lat(220.1) }), base, p99, 0.1);
    expect(over.pass).toBe(false);
    expect(over.change).toBeCloseTo(0.1005, 6);
    expect(over.baseline).toBe(200);
    expect(over.reason).toBe("220.1 is 10.05% higher than the baseline's 200 (allowed 10%)");
    expect(checkRegression(summary({ latencyMs: lat(120) }), base, p99, 0.1)).toMatchObject({
      pass: true,
      reason: "120 vs 200 (-40%)",
    });
  });

  it("treats a higher-is-better metric the other way round", () => {
    const base = summary({ requests: 1000 });
    expect(checkRegression(summary({ requests: 1200 }), base, requests, 0.1).pass).toBe(true);
    expect(checkRegression(summary({ requests: 900 }), base, requests, 0.1).pass).toBe(true);
    expect(checkRegression(summary({ requests: 899 }), base, requests, 0.1).pass).toBe(false);
  });

  it("handles a zero baseline: equal passes, any increase fails", () => {
    const rate = { path: parseMetricPath("staleReads.rate"), better: "lower" as const };
    const zero = summary({
      staleReads: { count: 0, checked: 10, rate: 0, ageMs: { p50: 0, p99: 0, max: 0 } },
    });
    expect(checkRegression(zero, zero, rate, 0.1)).toMatchObject({ pass: true, change: 0 });
    const some = checkRegression(summary(), zero, rate, 0.1);
    expect(some.pass).toBe(false);
    expect(some.change).toBe(Number.POSITIVE_INFINITY);
    expect(some.reason).toMatch(/baseline was 0, now 0.003/);
  });

  it("fails a metric missing from the run or from the baseline", () => {
    const phaseP99 = { path: parseMetricPath("byPhase[burst].latencyMs.p99"), better: "lower" as const };
    const noBurst = summary({ byPhase: [phase("normal", 0, 10, 1, 35)] });
    const missingHere = checkRegression(noBurst, summary(), phaseP99, 0.1);
    expect(missingHere).toMatchObject({ pass: false, actual: null, baseline: 301.311 });
    expect(missingHere.reason).toMatch(/^missing metric: .*no element named "burst"/);
    const missingThere = checkRegression(summary(), noBurst, phaseP99, 0.1);
    expect(missingThere).toMatchObject({ pass: false, actual: 301.311, baseline: null });
    expect(missingThere.reason).toMatch(/^missing in the baseline: /);
  });

  it("runs regressions only with a baseline, and says so when they were named but skipped", () => {
    const config = parseGateConfig({ thresholds: ["requests > 0"], regressions: ["latencyMs.p99"] });
    const alone = evaluateGate(summary(), config);
    expect(alone.results).toHaveLength(1);
    expect(alone.passed).toBe(true);
    expect(alone.notes.join()).toMatch(/no baseline given: 1 regression/);
    const regressed = evaluateGate(summary({ latencyMs: lat(400) }), config, { baseline: summary() });
    expect(regressed.results.map((r) => [r.kind, r.pass])).toEqual([
      ["threshold", true],
      ["regression", false],
    ]);
    expect(regressed.passed).toBe(false);
    // Defaults (no regressions named) make no note without a baseline.
    expect(evaluateGate(summary(), parseGateConfig({ thresholds: ["requests > 0"] })).notes).toEqual([]);
  });
});

describe("gate: outputs", () => {
  it("escapes XML specials, attribute whitespace and characters XML 1.0 forbids", () => {
    expect(escapeXml(`a<b>&"c"'d'`)).toBe("a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
    expect(escapeXml("x\ny\tz\r")).toBe("x&#10;y&#9;z&#13;");
    expect(escapeXml("bell\u0007 nul\u0000 esc\u001b")).toBe("bell\uFFFD nul\uFFFD esc\uFFFD");
    expect(escapeXml("lone \uD800 ok \uD83D\uDE80")).toBe("lone \uFFFD ok \uD83D\uDE80");
    expect(escapeXml("&amp;")).toBe("&amp;amp;");
  });

  it("writes JUnit with one suite, one case per check and escaped failures", () => {
    const s = summary({
      byPhase: [phase(`burst <"&'>\u0001`, 0, 10, 100, 500)],
    });
    const config = parseGateConfig({
      thresholds: [`byPhase[burst <"&'>\u0001].latencyMs.p99 < 400`, "droppedIterations == 0"],
    });
    const xml = formatJUnit(evaluateGate(s, config), META, new Date("2026-11-23T17:07:00Z"));
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml).toContain('<testsuite name="stampede gate" tests="2" failures="1" errors="0"');
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml).toContain('name="byPhase[burst &lt;&quot;&amp;&apos;&gt;\uFFFD].latencyMs.p99 &lt; 400"');
    expect(xml).toContain('message="500 is not &lt; 400" type="threshold"');
    expect(xml).toContain('<property name="run" value="2026-11-23T17-06-10-smoke"/>');
    // Nothing raw left between the markup: every < and & outside tags is escaped.
    const text = xml.replace(/<[^<>]*>/g, "");
    expect(text).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos|#\d+);)/);
    // eslint-style check of the forbidden control characters
    // biome-ignore lint/suspicious/noControlCharactersInRegex: checking they are gone
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });

  it("prints a table with actual, bound and verdict, and the failures' reasons", () => {
    const config = parseGateConfig({
      thresholds: ["byPhase[burst].latencyMs.p99 < 300", "rejected.rate < 0.01"],
      regressions: ["latencyMs.p99"],
    });
    const outcome = evaluateGate(summary(), config, { baseline: summary({ latencyMs: lat(250) }) });
    const table = formatTable(outcome, { ...META, baselineId: "base" });
    const lines = table.split("\n");
    expect(lines[0]).toBe(
      "stampede gate: run 2026-11-23T17-06-10-smoke, profile smoke, strategy reactive, baseline base",
    );
    expect(table).toMatch(/byPhase\[burst\]\.latencyMs\.p99 < 300\s+301\.311\s+< 300\s+FAIL/);
    expect(table).toMatch(/rejected\.rate < 0\.01\s+0\.0089\s+< 0\.01\s+PASS/);
    expect(table).toMatch(
      /latencyMs\.p99 vs baseline\s+304\.127 \(\+21\.65%\)\s+baseline 250, max \+10%\s+FAIL/,
    );
    expect(table).toContain("gate FAILED: 2 of 3 check(s) failed");
  });

  it("writes Markdown with ✅/❌, run, profile, strategy and headline figures; cells escaped", () => {
    const config = parseGateConfig({
      thresholds: ["byPhase[burst].latencyMs.p99 < 300", "rejected.rate < 0.01"],
    });
    const md = formatMarkdown(evaluateGate(summary(), config), META, summary());
    expect(md).toMatch(/^### ❌ stampede gate failed \(1 of 2 checks\)/);
    expect(md).toContain("run `2026-11-23T17-06-10-smoke` · profile `smoke` · strategy `reactive`");
    expect(md).toContain("| requests | p99 (all) | p99 in the burst | p99 orders | rejected | stale reads |");
    expect(md).toContain("| 63,779 | 304.127 ms | 301.311 ms | 208.991 ms | 0.89% | 0.3% | 0 | 12 |");
    expect(md).toContain(
      "| ❌ | `byPhase[burst].latencyMs.p99 < 300` | 301.311 | &lt; 300 | 301.311 is not &lt; 300 |",
    );
    expect(md).toContain("| ✅ | `rejected.rate < 0.01` | 0.0089 | &lt; 0.01 |  |");
    const passing = formatMarkdown(
      evaluateGate(summary(), parseGateConfig({ thresholds: ["requests > 0"] })),
      { runId: "a|b", profile: null, strategy: null },
      {},
    );
    expect(passing).toMatch(/^### ✅ stampede gate passed \(1 checks\)/);
    expect(passing).toContain("run `a\\|b` · profile unknown · strategy unknown");
    expect(passing).not.toContain("| requests |"); // no headline figures from an empty summary
  });
});

describe("gate on an incomplete run (summary complete: false)", () => {
  const reason = "signal: SIGTERM: k6 was stopped early; truncated samples: k6.csv.gz";
  // What a drill stopped in its ramp writes: zeros nowhere, null figures for the burst.
  const cutShort = (): Summary =>
    summary({
      complete: false,
      interrupted: true,
      incompleteReason: reason,
      incompleteReasons: reason.split("; "),
      byPhase: [
        { ...phase("normal", 0, 10, 1, 35.039), coverage: "full" },
        { ...phase("ramp", 10, 15, 100, 313.343), coverage: "partial" },
        {
          name: "burst",
          startS: 15,
          endS: 40,
          multiple: 100,
          coverage: "none",
          requests: 0,
          latencyMs: null,
          rejected: null,
        },
      ],
    });
  const config = parseGateConfig({ thresholds: ["rejected.rate < 0.01"] });

  it("fails with the reason as a failed check, first, even when every threshold passes", () => {
    const outcome = evaluateGate(cutShort(), config);
    expect(outcome.passed).toBe(false);
    expect(outcome.results.map((r) => [r.kind, r.name, r.pass])).toEqual([
      ["completeness", "run complete", false],
      ["threshold", "rejected.rate < 0.01", true],
    ]);
    expect(outcome.results[0]?.reason).toBe(`incomplete run: ${reason}`);
    const table = formatTable(outcome, META);
    expect(table).toMatch(/run complete\s+incomplete\s+complete\s+FAIL/);
    expect(table).toContain(`  - run complete: incomplete run: ${reason}`);
    expect(table).toContain("gate FAILED: 1 of 2 check(s) failed");
  });

  it("puts the failed check and its reason in JUnit and Markdown", () => {
    const outcome = evaluateGate(cutShort(), config);
    const xml = formatJUnit(outcome, META);
    expect(xml).toContain('<testsuites name="stampede gate" tests="2" failures="1" errors="0">');
    expect(xml).toContain('<testcase classname="stampede.gate.completeness" name="run complete" time="0">');
    expect(xml).toContain(`<failure message="incomplete run: ${reason}" type="completeness">`);
    expect(xml).toContain("actual: incomplete");
    const md = formatMarkdown(outcome, META, cutShort());
    expect(md).toMatch(/^### ❌ stampede gate failed \(1 of 2 checks\)/);
    expect(md).toContain(`| ❌ | \`run complete\` | incomplete | complete | incomplete run: ${reason} |`);
    expect(md).not.toContain("p99 in the burst"); // a phase that did not run has no p99 to show
  });

  it("a threshold on a phase that did not run fails as missing, not as 0", () => {
    const r = checkThreshold(cutShort(), parseThreshold("byPhase[burst].latencyMs.p99 < 400"));
    expect(r).toMatchObject({ pass: false, actual: null });
    expect(r.reason).toMatch(/byPhase\[burst\]\.latencyMs is null, not an object/);
  });

  it("allowIncomplete: true accepts it (the check passes, naming the reason); anything but a boolean is a bad config", () => {
    const allowing = parseGateConfig({ thresholds: ["rejected.rate < 0.01"], allowIncomplete: true });
    const outcome = evaluateGate(cutShort(), allowing);
    expect(outcome.passed).toBe(true);
    expect(outcome.results[0]).toMatchObject({ kind: "completeness", pass: true });
    expect(outcome.results[0]?.reason).toBe(`incomplete run accepted (allowIncomplete): ${reason}`);
    for (const bad of ["yes", 1, null, {}])
      expect(
        codeOf(() => parseGateConfig({ thresholds: ["requests > 0"], allowIncomplete: bad })),
        JSON.stringify(bad),
      ).toBe("E_BAD_GATE_CONFIG");
    expect(parseGateConfig({ thresholds: ["requests > 0"] }).allowIncomplete).toBe(false);
  });

  it("an incomplete baseline fails too; a summary without complete (older) counts as complete", () => {
    const withBaseline = evaluateGate(summary(), parseGateConfig({ regressions: ["latencyMs.p99"] }), {
      baseline: cutShort(),
    });
    expect(withBaseline.passed).toBe(false);
    expect(withBaseline.results[0]).toMatchObject({ name: "baseline complete", pass: false });
    expect(withBaseline.results[0]?.reason).toBe(`incomplete baseline: ${reason}`);
    const old = summary();
    expect("complete" in old).toBe(false);
    expect(evaluateGate(old, config)).toMatchObject({ passed: true, results: [{ kind: "threshold" }] });
    expect(evaluateGate(summary({ complete: true }), config).results).toHaveLength(1);
  });
});
