import { type CheckResult, type GateOutcome, resolveMetric } from "./checks.ts";
import { parseMetricPath } from "./config.ts";
import { formatNumber, formatPercent, movedText } from "./numbers.ts";

/**
 * The gate's verdicts written out: a text table for stdout, JUnit XML for CI test reports and
 * Markdown for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
 */

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
