import type { GateConfig, GateOperator, MetricPath, RegressionSpec, Threshold } from "./config.ts";
import { formatNumber, formatPercent, movedText } from "./numbers.ts";
import { describe, isRecord, keysHint } from "./values.ts";

/**
 * Evaluating the gate: each check against a run's summary.json (and a baseline's), as a verdict
 * with its reason. A missing or non-numeric metric fails its check with a reason; it never throws.
 */

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

/** Tolerance on the relative change, so that exactly +10% against 10% passes despite float error. */
const REGRESSION_EPSILON = 1e-9;

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
