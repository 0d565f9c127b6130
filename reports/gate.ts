import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";
import { withK6Thresholds } from "./gateK6Thresholds.ts";

/**
 * The CI gate's pure part: parse threshold expressions and regression specs, evaluate them
 * against a run's summary.json (and a baseline's), and format the verdicts as a text table,
 * JUnit XML and Markdown. No I/O here: scripts/gate.ts reads the files.
 *
 * A metric is named by a path into summary.json (reports/model.ts `Summary`): keys joined by
 * dots, and `key[name]` to pick the element of an array whose `name` is `name`, e.g.
 * `byClass.order.latencyMs.p99` or `byPhase[burst].latencyMs.p99`.
 */

export const GATE_OPERATORS = ["<", "<=", ">", ">=", "==", "!="] as const;
export type GateOperator = (typeof GATE_OPERATORS)[number];

export interface PathStep {
  key: string;
  /** `key[select]`: the array element whose `name` equals `select`. */
  select?: string;
}

export interface MetricPath {
  /** As written in the config, trimmed. */
  text: string;
  steps: PathStep[];
}

export interface Threshold {
  /** The expression as written, trimmed. */
  expr: string;
  path: MetricPath;
  op: GateOperator;
  bound: number;
}

export interface RegressionSpec {
  path: MetricPath;
  /** Which direction is an improvement; latencies, rejects, stale reads, cost: lower. */
  better: "lower" | "higher";
}

/** The shape of gate.json, or of a gate.ts module's default export (before validation). */
export interface GateConfigFile {
  /** `"<metric path> <op> <number>"`, op one of < <= > >= == !=. */
  thresholds?: string[];
  /** Metric paths compared with --baseline; `{metric, better: "higher"}` for metrics where more is better. */
  regressions?: Array<string | { metric: string; better?: "lower" | "higher" }>;
  /** Largest allowed worsening against the baseline, e.g. "10%" (default 10%; --max-regression wins). */
  maxRegression?: string;
  /**
   * Accept runs whose summary says `complete: false` (cut short by a signal, a failed k6,
   * truncated samples...): their completeness check passes, naming the reason. Default false.
   */
  allowIncomplete?: boolean;
}

export interface GateConfig {
  thresholds: Threshold[];
  /** Metrics compared with the baseline (the defaults when the config names none). */
  regressions: RegressionSpec[];
  /** False when `regressions` are the defaults (the config named none). */
  regressionsNamed: boolean;
  /** Largest allowed relative worsening against the baseline, as a fraction (0.1 = 10%). */
  maxRegression: number;
  /** Incomplete runs pass their completeness check (gate.json `allowIncomplete`). */
  allowIncomplete: boolean;
}

export interface CheckResult {
  /** `completeness`: the run (or the baseline) was not cut short; only listed for incomplete ones. */
  kind: "threshold" | "regression" | "completeness";
  /** A stable, readable name: the expression, or `<metric> vs baseline`. */
  name: string;
  metric: string;
  /** The run's value; null when the metric is missing or not a number. */
  actual: number | null;
  /** The bound as text (`< 250`) or the baseline comparison (`baseline 200, max +10%`). */
  expected: string;
  /** Regressions: the baseline's value (null when missing there). */
  baseline?: number | null;
  /** Regressions: relative worsening, a fraction (positive = worse); null when not computable. */
  change?: number | null;
  pass: boolean;
  /** Why it failed (or a short confirmation when it passed). */
  reason: string;
}

export interface GateOutcome {
  passed: boolean;
  results: CheckResult[];
  /** Things the reader should know that are not checks (e.g. regressions skipped: no baseline). */
  notes: string[];
}

/** Compared with a baseline when the config names no regressions but a baseline is given. */
export const DEFAULT_REGRESSIONS = ["latencyMs.p99", "rejected.rate", "staleReads.rate"] as const;
export const DEFAULT_MAX_REGRESSION = 0.1;
/** Tolerance on the relative change, so that exactly +10% against 10% passes despite float error. */
const REGRESSION_EPSILON = 1e-9;

function badConfig(source: string, message: string): StampedeError {
  return new StampedeError("E_BAD_GATE_CONFIG", `${source}: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Parsing

const SEGMENT = /^([A-Za-z_$][\w$]*)(?:\[([^\]]*)\])?/;

/** Parses `a.b[name].c`; throws E_BAD_GATE_CONFIG on bad syntax. */
export function parseMetricPath(text: string, source = "gate config"): MetricPath {
  const trimmed = text.trim();
  if (trimmed === "") throw badConfig(source, "empty metric path");
  const steps: PathStep[] = [];
  let rest = trimmed;
  for (;;) {
    const m = SEGMENT.exec(rest);
    if (m === null)
      throw badConfig(
        source,
        `bad metric path "${trimmed}" at "${rest}": expected a key like latencyMs.p99 or byPhase[burst].latencyMs.p99`,
      );
    const key = m[1] as string;
    const rawSelect = m[2];
    if (rawSelect === undefined) steps.push({ key });
    else {
      const select = rawSelect.trim().replace(/^(["'])(.*)\1$/, "$2");
      if (select === "") throw badConfig(source, `bad metric path "${trimmed}": empty [] after "${key}"`);
      steps.push({ key, select });
    }
    rest = rest.slice(m[0].length);
    if (rest === "") break;
    if (!rest.startsWith("."))
      throw badConfig(source, `bad metric path "${trimmed}": unexpected "${rest}" after "${key}"`);
    rest = rest.slice(1);
  }
  return { text: trimmed, steps };
}

const NUMBER = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const OPERATOR_CHARS = "<>=!~";

/** Parses `path op number`, e.g. `byPhase[burst].latencyMs.p99 < 400`. */
export function parseThreshold(expr: string, source = "gate config"): Threshold {
  if (typeof expr !== "string")
    throw badConfig(source, `a threshold must be a string like "rejected.rate < 0.01", got ${show(expr)}`);
  const text = expr.trim();
  // The operator is the first run of <>=!~ outside brackets (phase names may hold anything).
  let depth = 0;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "[") depth++;
    else if (c === "]") depth = Math.max(0, depth - 1);
    else if (depth === 0 && OPERATOR_CHARS.includes(c)) {
      start = i;
      break;
    }
  }
  if (start < 0)
    throw badConfig(
      source,
      `"${text}" has no comparison; write e.g. "rejected.rate < 0.01" (operators: ${GATE_OPERATORS.join(" ")})`,
    );
  let end = start;
  while (end < text.length && OPERATOR_CHARS.includes(text[end] as string)) end++;
  const opText = text.slice(start, end);
  if (!(GATE_OPERATORS as readonly string[]).includes(opText))
    throw badConfig(
      source,
      `unknown operator "${opText}" in "${text}"; use one of ${GATE_OPERATORS.join(" ")}`,
    );
  const pathText = text.slice(0, start).trim();
  if (pathText === "") throw badConfig(source, `"${text}" has no metric before "${opText}"`);
  const path = parseMetricPath(pathText, source);
  const boundText = text.slice(end).trim();
  if (boundText === "") throw badConfig(source, `"${text}" has no number after "${opText}"`);
  if (!NUMBER.test(boundText))
    throw badConfig(source, `the bound "${boundText}" in "${text}" is not a number (no units: ms, %, ...)`);
  return { expr: text, path, op: opText as GateOperator, bound: Number(boundText) };
}

/** `"10%"` -> 0.1. Only a percentage with its sign, so `10` cannot be mistaken for 1000%. */
export function parseMaxRegression(value: unknown, source = "gate config"): number {
  const m = typeof value === "string" ? /^\s*(\d+(?:\.\d+)?|\.\d+)\s*%\s*$/.exec(value) : null;
  if (m === null)
    throw badConfig(source, `maxRegression must be a percentage like "10%", got ${show(value)}`);
  return Number(m[1]) / 100;
}

function parseRegression(value: unknown, source: string): RegressionSpec {
  if (typeof value === "string") return { path: parseMetricPath(value, source), better: "lower" };
  if (isRecord(value)) {
    const unknown = Object.keys(value).filter((k) => k !== "metric" && k !== "better");
    if (unknown.length > 0)
      throw badConfig(source, `unknown key(s) ${unknown.join(", ")} in a regression; use metric, better`);
    if (typeof value.metric !== "string")
      throw badConfig(source, `a regression object needs "metric": a path, got ${show(value.metric)}`);
    const better = value.better ?? "lower";
    if (better !== "lower" && better !== "higher")
      throw badConfig(source, `"better" must be "lower" or "higher", got ${show(better)}`);
    return { path: parseMetricPath(value.metric, source), better };
  }
  throw badConfig(source, `a regression must be a metric path or {"metric", "better"}, got ${show(value)}`);
}

export interface GateConfigOverrides {
  /** --max-regression, e.g. "10%"; wins over the config's. */
  maxRegression?: string | undefined;
}

/**
 * Validates a loaded config (the parsed JSON, or a .ts module's default export) once, at the edge:
 * `{ thresholds?: string[], regressions?: (string | {metric, better})[], maxRegression?: "10%" }`.
 */
export function parseGateConfig(
  raw: unknown,
  source = "gate config",
  overrides: GateConfigOverrides = {},
): GateConfig {
  // k6's `{"thresholds": {"http_req_duration": ["p(99)<400"]}}` becomes path expressions.
  raw = withK6Thresholds(raw, source);
  if (!isRecord(raw))
    throw badConfig(source, `the config must be an object with "thresholds" and/or "regressions"`);
  const known = ["thresholds", "regressions", "maxRegression", "allowIncomplete", "$schema", "description"];
  const unknown = Object.keys(raw).filter((k) => !known.includes(k));
  if (unknown.length > 0)
    throw badConfig(
      source,
      `unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")}; expected thresholds, regressions, maxRegression, allowIncomplete`,
    );
  if (raw.allowIncomplete !== undefined && typeof raw.allowIncomplete !== "boolean")
    throw badConfig(source, `"allowIncomplete" must be true or false, got ${show(raw.allowIncomplete)}`);
  const list = (key: string): unknown[] => {
    const v = raw[key];
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw badConfig(source, `"${key}" must be an array, got ${show(v)}`);
    return v;
  };
  const thresholds = list("thresholds").map((t) => parseThreshold(t as string, source));
  const regressionList = list("regressions");
  const regressions =
    raw.regressions === undefined
      ? DEFAULT_REGRESSIONS.map((p) => ({ path: parseMetricPath(p, source), better: "lower" as const }))
      : regressionList.map((r) => parseRegression(r, source));
  const configMax =
    raw.maxRegression === undefined ? DEFAULT_MAX_REGRESSION : parseMaxRegression(raw.maxRegression, source);
  const maxRegression =
    overrides.maxRegression === undefined
      ? configMax
      : parseMaxRegression(overrides.maxRegression, "--max-regression");
  if (thresholds.length === 0 && regressions.length === 0)
    throw badConfig(source, "nothing to check: thresholds and regressions are both empty");
  return {
    thresholds,
    regressions,
    regressionsNamed: raw.regressions !== undefined,
    maxRegression,
    allowIncomplete: raw.allowIncomplete === true,
  };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

export type Resolved = { ok: true; value: number } | { ok: false; reason: string };

/** Walks a path through a summary; a missing or non-numeric metric is a reason, never a throw. */
export function resolveMetric(summary: unknown, path: MetricPath): Resolved {
  let cur: unknown = summary;
  let where = "";
  for (const step of path.steps) {
    const here = where === "" ? "the summary" : where;
    if (!isRecord(cur))
      return { ok: false, reason: `${path.text}: ${here} is ${describe(cur)}, not an object` };
    if (!Object.hasOwn(cur, step.key) || cur[step.key] === undefined)
      return {
        ok: false,
        reason: `${path.text}: no "${step.key}" in ${here}${keysHint(Object.keys(cur))}`,
      };
    cur = cur[step.key];
    where = where === "" ? step.key : `${where}.${step.key}`;
    if (step.select !== undefined) {
      if (!Array.isArray(cur))
        return {
          ok: false,
          reason: `${path.text}: ${where} is ${describe(cur)}, not a list to pick [${step.select}] from`,
        };
      const names = cur.map((e) => (isRecord(e) && typeof e.name === "string" ? e.name : undefined));
      const i = names.indexOf(step.select);
      if (i < 0) {
        const known = names.filter((n): n is string => n !== undefined);
        return {
          ok: false,
          reason: `${path.text}: no element named "${step.select}" in ${where}${known.length > 0 ? ` (names: ${known.join(", ")})` : " (it is empty)"}`,
        };
      }
      cur = cur[i];
      where = `${where}[${step.select}]`;
    }
  }
  if (typeof cur === "number") {
    if (Number.isFinite(cur)) return { ok: true, value: cur };
    return { ok: false, reason: `${path.text} is ${String(cur)}, not a finite number` };
  }
  if (typeof cur === "boolean") return { ok: true, value: cur ? 1 : 0 };
  if (isRecord(cur))
    return {
      ok: false,
      reason: `${path.text} is an object, not a number${keysHint(Object.keys(cur), "pick one of")}`,
    };
  return { ok: false, reason: `${path.text} is ${describe(cur)}, not a number` };
}

export function compare(op: GateOperator, actual: number, bound: number): boolean {
  switch (op) {
    case "<":
      return actual < bound;
    case "<=":
      return actual <= bound;
    case ">":
      return actual > bound;
    case ">=":
      return actual >= bound;
    case "==":
      return actual === bound;
    case "!=":
      return actual !== bound;
  }
}

export function checkThreshold(summary: unknown, t: Threshold): CheckResult {
  const expected = `${t.op} ${formatNumber(t.bound)}`;
  const r = resolveMetric(summary, t.path);
  if (!r.ok)
    return {
      kind: "threshold",
      name: t.expr,
      metric: t.path.text,
      actual: null,
      expected,
      pass: false,
      reason: `missing metric: ${r.reason}`,
    };
  const pass = compare(t.op, r.value, t.bound);
  return {
    kind: "threshold",
    name: t.expr,
    metric: t.path.text,
    actual: r.value,
    expected,
    pass,
    reason: pass
      ? `${formatNumber(r.value)} ${t.op} ${formatNumber(t.bound)}`
      : `${formatNumber(r.value)} is not ${t.op} ${formatNumber(t.bound)}`,
  };
}

/**
 * Relative worsening of `current` against `baseline` (0.1 = 10% worse; negative = better).
 * A zero baseline has no relative scale: an equal value is 0, a worse one +Infinity, a better one -Infinity.
 */
export function relativeChange(current: number, baseline: number, better: "lower" | "higher"): number {
  const worse = better === "lower" ? current - baseline : baseline - current;
  if (baseline === 0)
    return worse === 0 ? 0 : worse > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return worse / Math.abs(baseline);
}

export function checkRegression(
  summary: unknown,
  baseline: unknown,
  spec: RegressionSpec,
  maxRegression: number,
): CheckResult {
  const metric = spec.path.text;
  const name = `${metric} vs baseline`;
  const limit = `max ${spec.better === "lower" ? "+" : "-"}${formatPercent(maxRegression)}`;
  const cur = resolveMetric(summary, spec.path);
  const base = resolveMetric(baseline, spec.path);
  const actual = cur.ok ? cur.value : null;
  const baseValue = base.ok ? base.value : null;
  const expected = `baseline ${baseValue === null ? "missing" : formatNumber(baseValue)}, ${limit}`;
  const common = { kind: "regression" as const, name, metric, actual, expected, baseline: baseValue };
  if (!cur.ok) return { ...common, change: null, pass: false, reason: `missing metric: ${cur.reason}` };
  if (!base.ok)
    return { ...common, change: null, pass: false, reason: `missing in the baseline: ${base.reason}` };
  const change = relativeChange(cur.value, base.value, spec.better);
  const pass = change <= maxRegression + REGRESSION_EPSILON;
  const direction = spec.better === "lower" ? "higher" : "lower";
  let reason: string;
  if (pass)
    reason = `${formatNumber(cur.value)} vs ${formatNumber(base.value)} (${movedText(cur.value, base.value)})`;
  else if (!Number.isFinite(change))
    reason = `baseline was 0, now ${formatNumber(cur.value)}: any increase is a regression against 0`;
  else
    reason = `${formatNumber(cur.value)} is ${formatPercent(change)} ${direction} than the baseline's ${formatNumber(base.value)} (allowed ${formatPercent(maxRegression)})`;
  return { ...common, change, pass, reason };
}

/**
 * The completeness check of a summary that says `complete: false`; undefined for a complete one,
 * and for one written before the field existed (read as complete). It fails unless `allow`.
 */
export function checkComplete(summary: unknown, allow: boolean, which = "run"): CheckResult | undefined {
  if (!isRecord(summary) || summary.complete !== false) return undefined;
  const given = summary.incompleteReason;
  const why = typeof given === "string" && given !== "" ? given : "the summary gives no reason";
  return {
    kind: "completeness",
    name: `${which} complete`,
    metric: "complete",
    actual: 0,
    expected: allow ? "complete (allowIncomplete)" : "complete",
    pass: allow,
    reason: allow ? `incomplete run accepted (allowIncomplete): ${why}` : `incomplete ${which}: ${why}`,
  };
}

export interface EvaluateOptions {
  /** The baseline run's summary; regressions are checked only when given. */
  baseline?: unknown;
}

export function evaluateGate(
  summary: unknown,
  config: GateConfig,
  options: EvaluateOptions = {},
): GateOutcome {
  // A run cut short has figures of part of the plan (a phase that never ran has no p99 at all,
  // and 0 rejects in seconds that never happened would pass any bound), so it fails first.
  const results: CheckResult[] = [];
  const own = checkComplete(summary, config.allowIncomplete);
  if (own !== undefined) results.push(own);
  const base =
    options.baseline === undefined
      ? undefined
      : checkComplete(options.baseline, config.allowIncomplete, "baseline");
  if (base !== undefined) results.push(base);
  results.push(...config.thresholds.map((t) => checkThreshold(summary, t)));
  const notes: string[] = [];
  if (options.baseline !== undefined) {
    for (const spec of config.regressions)
      results.push(checkRegression(summary, options.baseline, spec, config.maxRegression));
  } else if (config.regressionsNamed && config.regressions.length > 0) {
    notes.push(
      `no baseline given: ${config.regressions.length} regression check(s) not run (${config.regressions.map((r) => r.path.text).join(", ")})`,
    );
  }
  if (results.length === 0) notes.push("no checks ran");
  return { passed: results.length > 0 && results.every((r) => r.pass), results, notes };
}

// ---------------------------------------------------------------------------------------------
// Formatting

export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "∞" : x < 0 ? "-∞" : "NaN";
  if (Number.isInteger(x)) return String(x);
  return String(Number(x.toPrecision(6)));
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return fraction > 0 ? "∞%" : "-∞%";
  return `${Number((fraction * 100).toFixed(2))}%`;
}

/** How the metric moved from the baseline: `+12.5%`, `-3%`, `±0%`; `+∞%` from a zero baseline. */
export function movedText(current: number, baseline: number): string {
  if (current === baseline) return "±0%";
  if (baseline === 0) return current > 0 ? "+∞%" : "-∞%";
  const moved = (current - baseline) / Math.abs(baseline);
  return moved >= 0 ? `+${formatPercent(moved)}` : `-${formatPercent(-moved)}`;
}

function actualText(r: CheckResult): string {
  if (r.kind === "completeness") return r.actual === 1 ? "complete" : "incomplete";
  if (r.actual === null) return "missing";
  if (r.kind === "regression" && r.baseline !== null && r.baseline !== undefined)
    return `${formatNumber(r.actual)} (${movedText(r.actual, r.baseline)})`;
  return formatNumber(r.actual);
}

export interface GateMeta {
  runId: string;
  profile: string | null;
  strategy: string | null;
  baselineId?: string | null;
}

/** The readable table for stdout: check, actual, bound / baseline, verdict; then the failures' reasons. */
export function formatTable(outcome: GateOutcome, meta?: GateMeta): string {
  const header = ["check", "actual", "bound / baseline", "verdict"];
  const rows = outcome.results.map((r) => [r.name, actualText(r), r.expected, r.pass ? "PASS" : "FAIL"]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  const out: string[] = [];
  if (meta !== undefined) {
    const parts = [`run ${meta.runId}`];
    if (meta.profile !== null) parts.push(`profile ${meta.profile}`);
    if (meta.strategy !== null) parts.push(`strategy ${meta.strategy}`);
    if (meta.baselineId) parts.push(`baseline ${meta.baselineId}`);
    out.push(`stampede gate: ${parts.join(", ")}`, "");
  }
  out.push(line(header), line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) out.push(line(row));
  const failed = outcome.results.filter((r) => !r.pass);
  if (failed.length > 0) {
    out.push("", "failures:");
    for (const r of failed) out.push(`  - ${r.name}: ${r.reason}`);
  }
  for (const note of outcome.notes) out.push("", `note: ${note}`);
  out.push(
    "",
    outcome.passed
      ? `gate passed: ${outcome.results.length} check(s)`
      : `gate FAILED: ${failed.length} of ${outcome.results.length} check(s) failed`,
  );
  return `${out.join("\n")}\n`;
}

/**
 * Escapes text for XML 1.0 content and attribute values: the five specials, whitespace that
 * attributes would normalise away, and characters XML 1.0 forbids (control characters,
 * lone surrogates, U+FFFE/U+FFFF) replaced by U+FFFD.
 */
export function escapeXml(text: string): string {
  return text
    .replace(
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
      /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      "\uFFFD",
    )
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\t/g, "&#9;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;");
}

/** JUnit XML: one testsuite "stampede gate", one testcase per check, `<failure>` on failure. */
export function formatJUnit(outcome: GateOutcome, meta: GateMeta, timestamp?: Date): string {
  const failures = outcome.results.filter((r) => !r.pass).length;
  const tests = outcome.results.length;
  const attrs = (pairs: Array<[string, string | number]>) =>
    pairs.map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`).join("");
  const suiteAttrs: Array<[string, string | number]> = [
    ["name", "stampede gate"],
    ["tests", tests],
    ["failures", failures],
    ["errors", 0],
    ["skipped", 0],
    ["time", 0],
  ];
  if (timestamp !== undefined) suiteAttrs.push(["timestamp", timestamp.toISOString().slice(0, 19)]);
  const out = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites${attrs([
      ["name", "stampede gate"],
      ["tests", tests],
      ["failures", failures],
      ["errors", 0],
    ])}>`,
    `  <testsuite${attrs(suiteAttrs)}>`,
    "    <properties>",
  ];
  const props: Array<[string, string | null | undefined]> = [
    ["run", meta.runId],
    ["profile", meta.profile],
    ["strategy", meta.strategy],
    ["baseline", meta.baselineId],
  ];
  for (const [name, value] of props)
    if (value !== null && value !== undefined)
      out.push(
        `      <property${attrs([
          ["name", name],
          ["value", value],
        ])}/>`,
      );
  out.push("    </properties>");
  for (const r of outcome.results) {
    const open = `    <testcase${attrs([
      ["classname", `stampede.gate.${r.kind}`],
      ["name", r.name],
      ["time", 0],
    ])}`;
    if (r.pass) {
      out.push(`${open}/>`);
      continue;
    }
    const detail = [
      `metric: ${r.metric}`,
      `actual: ${r.kind === "completeness" ? actualText(r) : r.actual === null ? "missing" : formatNumber(r.actual)}`,
      `expected: ${r.expected}`,
      `reason: ${r.reason}`,
    ].join("\n");
    out.push(
      `${open}>`,
      `      <failure${attrs([
        ["message", r.reason],
        ["type", r.kind],
      ])}>${escapeXml(detail)}</failure>`,
      "    </testcase>",
    );
  }
  out.push("  </testsuite>", "</testsuites>", "");
  return out.join("\n");
}

/** A Markdown table cell: pipes escaped, no line breaks, `<` neutralised so GitHub shows it as text. */
function mdCell(text: string): string {
  return text
    .replace(/\\/g, "\\\\")
    .replace(/\|/g, "\\|")
    .replace(/\r?\n|\r/g, " ")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** A metric path in a code span, unless it holds a backtick (then plain, escaped). */
function mdCode(text: string): string {
  if (text.includes("`")) return mdCell(text);
  // Inside a code span only the pipe needs care in a table (GitHub honours \| there).
  return `\`${text.replace(/\|/g, "\\|").replace(/\r?\n|\r/g, " ")}\``;
}

interface Headline {
  label: string;
  path: string;
  format: (x: number) => string;
}

const ms = (x: number) => `${formatNumber(x)} ms`;
const pct = (x: number) => formatPercent(x);
const HEADLINES: Headline[] = [
  { label: "requests", path: "requests", format: (x) => x.toLocaleString("en") },
  { label: "p99 (all)", path: "latencyMs.p99", format: ms },
  { label: "p99 in the burst", path: "byPhase[burst].latencyMs.p99", format: ms },
  { label: "p99 orders", path: "byClass.order.latencyMs.p99", format: ms },
  { label: "rejected", path: "rejected.rate", format: pct },
  { label: "stale reads", path: "staleReads.rate", format: pct },
  { label: "dropped iterations", path: "droppedIterations", format: formatNumber },
  { label: "cost (instance-min)", path: "cost.instanceMinutes.total", format: formatNumber },
];

/** A summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`. */
export function formatMarkdown(outcome: GateOutcome, meta: GateMeta, summary: unknown): string {
  const failed = outcome.results.filter((r) => !r.pass).length;
  const out: string[] = [];
  out.push(
    outcome.passed
      ? `### ✅ stampede gate passed (${outcome.results.length} checks)`
      : `### ❌ stampede gate failed (${failed} of ${outcome.results.length} checks)`,
    "",
  );
  const facts = [`run ${mdCode(meta.runId)}`];
  facts.push(`profile ${meta.profile === null ? "unknown" : mdCode(meta.profile)}`);
  facts.push(`strategy ${meta.strategy === null ? "unknown" : mdCode(meta.strategy)}`);
  if (meta.baselineId) facts.push(`baseline ${mdCode(meta.baselineId)}`);
  out.push(facts.join(" · "), "");
  const headline: string[] = [];
  const values: string[] = [];
  for (const h of HEADLINES) {
    const r = resolveMetric(summary, parseMetricPath(h.path));
    if (!r.ok) continue;
    headline.push(h.label);
    values.push(h.format(r.value));
  }
  if (headline.length > 0) {
    out.push(`| ${headline.map(mdCell).join(" | ")} |`);
    out.push(`|${headline.map(() => " ---: |").join("")}`);
    out.push(`| ${values.map(mdCell).join(" | ")} |`, "");
  }
  out.push("| | check | actual | bound / baseline | reason |", "| :-: | --- | ---: | --- | --- |");
  for (const r of outcome.results)
    out.push(
      `| ${r.pass ? "✅" : "❌"} | ${mdCode(r.name)} | ${mdCell(actualText(r))} | ${mdCell(r.expected)} | ${r.pass ? "" : mdCell(r.reason)} |`,
    );
  for (const note of outcome.notes) out.push("", `> ${mdCell(note)}`);
  out.push("");
  return out.join("\n");
}

// ---------------------------------------------------------------------------------------------

/** A plain object (not null, not an array). */
function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v === "object" ? "an object" : `a ${typeof v}`}`;
}

function show(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 60)}…` : s;
  } catch {
    return String(v);
  }
}

function keysHint(keys: string[], lead = "has"): string {
  if (keys.length === 0) return " (it is empty)";
  const shown = keys.slice(0, 12).join(", ");
  return ` (${lead}: ${shown}${keys.length > 12 ? ", …" : ""})`;
}
