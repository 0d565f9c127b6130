import { StampedeError } from "../../loadtests/vocabulary/cliErrors.ts";
import { withK6Thresholds } from "../gateK6Thresholds.ts";
import { isRecord, show } from "./values.ts";

/**
 * The gate's config: its shapes, and their validation once, at the edge (gate.json or a gate.ts
 * module's default export), so a typo fails with E_BAD_GATE_CONFIG before any run is read.
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

/** Compared with a baseline when the config names no regressions but a baseline is given. */
export const DEFAULT_REGRESSIONS = ["latencyMs.p99", "rejected.rate", "staleReads.rate"] as const;
export const DEFAULT_MAX_REGRESSION = 0.1;

function badConfig(source: string, message: string): StampedeError {
  return new StampedeError("E_BAD_GATE_CONFIG", `${source}: ${message}`);
}

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
