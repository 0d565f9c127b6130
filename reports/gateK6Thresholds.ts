import { StampedeError } from "../loadtests/vocabulary/cliErrors.ts";

/**
 * k6's threshold syntax for the gate: `{"thresholds": {"http_req_duration": ["p(99)<400"]}}`
 * means the same figures as summary.json paths (docs/ci.md "k6 threshold syntax"), so a team can
 * carry the thresholds of its k6 script over. Each k6 threshold becomes one path expression
 * (`latencyMs.p99 < 400`) that the gate parses and evaluates like any other; an unknown metric,
 * aggregation or tag is a bad config (E_BAD_GATE_CONFIG), never a skipped check.
 *
 * Metrics, aggregations and tags:
 * - `http_req_duration`: `p(N)` (N in 50, 90, 95, 99, 99.9), `med`, `avg`, `max` of `latencyMs`;
 *   tags `class:<class>` (byClass), `phase:<phase>` (byPhase[phase]), and `expected_response:true`
 *   or `outcome:served` (served requests only: `served.latencyMs`, within a class or phase too).
 * - `http_req_failed`: `rate` of `rejected.rate` (every non-2xx answer).
 * - `http_reqs`: `count` of `requests`; with `class:`/`phase:`, that class's or phase's.
 * - `dropped_iterations`: `count` of `droppedIterations`.
 * - `stampede_rejects`: `count` (`rejected.total`) and `rate` (`rejected.rate`); with
 *   `outcome:policy|capacity` the `rejected.policy`/`rejected.capacity` figures, with
 *   `reason:<reason>` the count of `rejected.byReason.<reason>`.
 */

const PERCENTILES: Record<string, string> = {
  "50": "p50",
  "90": "p90",
  "95": "p95",
  "99": "p99",
  "99.9": "p999",
};
const DURATION_AGGREGATIONS: Record<string, string> = { med: "p50", avg: "mean", max: "max" };

function bad(source: string, message: string): StampedeError {
  return new StampedeError("E_BAD_GATE_CONFIG", `${source}: ${message}`);
}

/** `name{k:v,k:v}` -> the name and its tag selectors. */
export function parseK6MetricName(
  text: string,
  source: string,
): { metric: string; tags: Map<string, string> } {
  const m = /^\s*([A-Za-z_][\w]*)\s*(?:\{([^}]*)\})?\s*$/u.exec(text);
  if (m === null) throw bad(source, `bad k6 metric "${text}": expected e.g. http_req_duration{class:order}`);
  const tags = new Map<string, string>();
  for (const pair of (m[2] ?? "").split(",")) {
    if (pair.trim() === "") continue;
    const colon = pair.indexOf(":");
    if (colon <= 0) throw bad(source, `bad tag selector "${pair.trim()}" in "${text}": expected key:value`);
    tags.set(pair.slice(0, colon).trim(), pair.slice(colon + 1).trim());
  }
  return { metric: m[1] as string, tags };
}

/** `p(99)<400` -> the aggregation, operator and bound text. */
function parseK6Expression(text: string, source: string): { agg: string; op: string; bound: string } {
  const m = /^\s*([A-Za-z]+(?:\(\s*[\d.]+\s*\))?)\s*(===|==|!=|<=|>=|<|>)\s*(\S+)\s*$/u.exec(text);
  if (m === null)
    throw bad(source, `bad k6 threshold "${text}": expected e.g. p(99)<400, avg<200, rate<0.01, count==0`);
  return {
    agg: (m[1] as string).replace(/\s+/gu, ""),
    op: m[2] === "===" ? "==" : (m[2] as string),
    bound: m[3] as string,
  };
}

/** The summary path prefix of `class:`/`phase:` selectors (none: the whole run). */
function scopeOf(
  tags: Map<string, string>,
  allowed: readonly string[],
  where: string,
  source: string,
): string {
  for (const key of tags.keys())
    if (!allowed.includes(key))
      throw bad(source, `${where}: tag "${key}" has no summary figure (tags here: ${allowed.join(", ")})`);
  const cls = tags.get("class");
  const phase = tags.get("phase");
  if (cls !== undefined && phase !== undefined)
    throw bad(source, `${where}: the summary has no figures per class and phase together; pick one`);
  if (cls !== undefined) return `byClass.${cls}.`;
  if (phase !== undefined) return `byPhase[${phase}].`;
  return "";
}

function durationPath(tags: Map<string, string>, agg: string, where: string, source: string): string {
  const scope = scopeOf(tags, ["class", "phase", "expected_response", "outcome"], where, source);
  const expected = tags.get("expected_response");
  const outcome = tags.get("outcome");
  if (expected !== undefined && expected !== "true")
    throw bad(source, `${where}: only expected_response:true (served requests) has a summary figure`);
  if (outcome !== undefined && outcome !== "served")
    throw bad(source, `${where}: only outcome:served has latency figures in the summary`);
  const served = expected !== undefined || outcome !== undefined ? "served." : "";
  const p = /^p\(([\d.]+)\)$/u.exec(agg);
  const key = p !== null ? PERCENTILES[p[1] as string] : DURATION_AGGREGATIONS[agg];
  if (key === undefined)
    throw bad(
      source,
      `${where}: aggregation "${agg}" has no summary figure (use p(50), p(90), p(95), p(99), p(99.9), med, avg, max)`,
    );
  return `${scope}${served}latencyMs.${key}`;
}

function rejectsPath(tags: Map<string, string>, agg: string, where: string, source: string): string {
  for (const key of tags.keys())
    if (key !== "outcome" && key !== "reason")
      throw bad(source, `${where}: tag "${key}" has no summary figure (tags here: outcome, reason)`);
  const outcome = tags.get("outcome");
  const reason = tags.get("reason");
  const field = agg === "count" ? "total" : agg === "rate" ? "rate" : undefined;
  if (field === undefined) throw bad(source, `${where}: use count or rate`);
  if (reason !== undefined) {
    if (agg !== "count") throw bad(source, `${where}: per reason there is a count only`);
    return `rejected.byReason.${reason}`;
  }
  if (outcome === undefined) return `rejected.${field}`;
  if (outcome !== "policy" && outcome !== "capacity")
    throw bad(source, `${where}: outcome must be policy or capacity, got "${outcome}"`);
  return `rejected.${outcome}.${field}`;
}

/** The summary path a k6 metric + aggregation stands for. */
export function k6SummaryPath(metricText: string, agg: string, source = "gate config"): string {
  const { metric, tags } = parseK6MetricName(metricText, source);
  const where = `k6 threshold ${metricText}: ${agg}`;
  const only = (want: string, path: string, allowed: readonly string[] = []) => {
    if (agg !== want) throw bad(source, `${where}: ${metric} takes ${want} only`);
    return `${scopeOf(tags, allowed, where, source)}${path}`;
  };
  switch (metric) {
    case "http_req_duration":
      return durationPath(tags, agg, where, source);
    case "http_req_failed":
      return only("rate", "rejected.rate");
    case "http_reqs":
      return only("count", "requests", ["class", "phase"]);
    case "dropped_iterations":
      return only("count", "droppedIterations");
    case "stampede_rejects":
      return rejectsPath(tags, agg, where, source);
    default:
      throw bad(
        source,
        `k6 metric "${metric}" has no summary figure (use http_req_duration, http_req_failed, http_reqs, dropped_iterations, stampede_rejects)`,
      );
  }
}

/** One k6 threshold of a metric (`"p(99)<400"` or `{"threshold": "p(99)<400"}`) as a gate expression. */
export function k6ThresholdExpression(
  metricText: string,
  threshold: unknown,
  source = "gate config",
): string {
  const text =
    typeof threshold === "string"
      ? threshold
      : threshold !== null && typeof threshold === "object" && "threshold" in threshold
        ? (threshold as { threshold: unknown }).threshold
        : undefined;
  if (typeof text !== "string")
    throw bad(
      source,
      `k6 thresholds of ${metricText} must be strings like "p(99)<400" or {"threshold": ...}`,
    );
  const { agg, op, bound } = parseK6Expression(text, source);
  return `${k6SummaryPath(metricText, agg, source)} ${op} ${bound}`;
}

/**
 * A config whose `thresholds` is k6's object form, with them as gate expressions; any other
 * config as it is (the gate's own parsing then checks it).
 */
export function withK6Thresholds(raw: unknown, source = "gate config"): unknown {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return raw;
  const thresholds = (raw as Record<string, unknown>).thresholds;
  if (thresholds === null || typeof thresholds !== "object" || Array.isArray(thresholds)) return raw;
  const expressions: string[] = [];
  for (const [metric, list] of Object.entries(thresholds as Record<string, unknown>)) {
    const items = Array.isArray(list) ? list : [list];
    for (const t of items) expressions.push(k6ThresholdExpression(metric, t, source));
  }
  return { ...(raw as Record<string, unknown>), thresholds: expressions };
}
