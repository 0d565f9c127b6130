/**
 * comparison.html: strategies side by side in one self-contained document (inline CSS, ECharts
 * and the charts' options inlined, no external resource), like report.html.
 */

import type { ComparedGroup, Comparison, MetricKey, Spread, VerdictWord } from "../compare.ts";
import type { ChartFigure } from "./charts.ts";
import { type ChartPanel, escapeXml as esc, type LineSeries, spectrumChart, timeChart } from "./echarts.ts";
import { frontierChartOption } from "./frontierChart.ts";
import { CHART_CSS, chartScripts, figureHtml } from "./page.ts";
import { strategyColor } from "./strategyColors.ts";

const DASH = "—";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function sig3(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const s = Number(v.toPrecision(3));
  return Math.abs(s) >= 1000 ? String(Math.round(s)).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(s);
}

function formatMetric(key: MetricKey, v: number | null): string {
  if (v === null) return key === "timeToRecoverMin" ? "not recovered" : DASH;
  if (!isNum(v)) return DASH;
  switch (key) {
    case "p99BurstMs":
      return `${sig3(v)} ms`;
    case "rejectedPct":
    case "capacityRejectedPct":
    case "policyRejectedPct":
    case "businessRejectedPct":
    case "stalePct":
      return `${sig3(v)} %`;
    case "timeToRecoverMin":
      return `${sig3(v)} min`;
    case "costInstanceMinutes":
      return sig3(v);
    case "costUsd":
      return `$${v.toFixed(2)}`;
    case "liquidatedNotionalUsdt":
    case "adlNotionalUsdt":
    case "burstDepthUsdt":
      return `${sig3(v)} USDT`;
    case "amplification":
      return `×${sig3(v)}`;
    case "failedStops":
    case "adlEvents":
      return sig3(v);
    case "makerRefusedPct":
      return `${sig3(v)} %`;
  }
}

function spreadText(key: MetricKey, s: Spread): string {
  if (s.ci95 !== null) {
    const hi = Number.isFinite(s.ci95.hi) ? formatMetric(key, s.ci95.hi) : "never";
    return `95 % CI ${formatMetric(key, s.ci95.lo)} .. ${hi}`;
  }
  if (s.n < 2) return "";
  const hasNull = s.values.some((v) => v === null);
  const min = s.min === null ? "never" : formatMetric(key, s.min);
  const max = hasNull ? "never" : formatMetric(key, s.max);
  return min === max ? `all ${s.n} runs` : `${min} .. ${max}`;
}

function headline(key: MetricKey, s: Spread): string {
  if (s.value === null && key === "timeToRecoverMin" && s.values.some((v) => v !== null))
    return `recovered in ${s.values.filter((v) => v !== null).length}/${s.n}`;
  return formatMetric(key, s.value);
}

const VERDICT_CLASS: Record<VerdictWord, string> = {
  baseline: "v-base",
  better: "v-better",
  worse: "v-worse",
  "no difference": "v-same",
};

// ---------------------------------------------------------------------------------------------
// Charts

export interface SpectrumSeries {
  name: string;
  id: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

/** The comparison's charts, in page order (the browser test reads this list). */
export const COMPARE_CHARTS = [
  { id: "spectrum-overall", title: "Latency percentile spectrum, whole run" },
  { id: "spectrum-burst", title: "Latency percentile spectrum, burst phase" },
  { id: "ts-p99", title: "p99 latency per second" },
  { id: "ts-rejected", title: "Rejected requests per second" },
  { id: "ts-instances", title: "Instances ready" },
  { id: "frontier", title: "Cost against served burst p99 and capacity rejects" },
] as const;

type CompareChartId = (typeof COMPARE_CHARTS)[number]["id"];

function compareFigure(id: CompareChartId, panel: ChartPanel, caption: string): ChartFigure {
  const heading = COMPARE_CHARTS.find((c) => c.id === id)?.title ?? id;
  // ChartFigure's id is the report's list; the comparison's figures only share its shape.
  return { id: id as unknown as ChartFigure["id"], heading, panels: [panel], caption };
}

// ---------------------------------------------------------------------------------------------
// Page

const CSS = `
:root { --ink: #0f172a; --ink-2: #334155; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 30px 0 10px; }
.lede { color: var(--ink-2); margin: 0 0 6px; }
.hint { color: var(--muted); margin: 0 0 10px; font-size: 13px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; background: #fff; border: 1px solid var(--line); border-radius: 8px; width: 100%; }
th, td { padding: 6px 10px; text-align: left; vertical-align: top; }
thead th { font-size: 12px; font-weight: 600; color: var(--ink-2); background: #f1f5f9; }
tbody tr + tr > * { border-top: 1px solid #f1f5f9; }
td.num, th.num { text-align: right; white-space: nowrap; }
.val { font-weight: 600; }
.spread { display: block; font-size: 11.5px; color: var(--muted); }
.verdict { display: inline-block; margin: 2px 0 0 6px; padding: 0 6px; border-radius: 9px; font-size: 11.5px; font-weight: 600; }
.v-better { background: #dcfce7; color: #166534; }
.v-worse { background: #fee2e2; color: #991b1b; }
.v-same { background: #f1f5f9; color: #475569; }
.v-base { background: #e0e7ff; color: #3730a3; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; }
figure { margin: 0 0 18px; padding: 14px 16px 12px; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
figcaption { margin-top: 8px; font-size: 12.5px; color: var(--ink-2); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
code { font-size: 12px; background: #f1f5f9; padding: 0 4px; border-radius: 3px; }
`;

function mainTable(c: Comparison): string {
  const head = c.metrics
    .map(
      (m) =>
        `<th class="num" scope="col">${esc(m.label)}${m.unit === "instance-min" || m.unit === "USD" ? ` (${m.unit})` : ""}${m.better === "higher" ? " ↑" : ""}</th>`,
    )
    .join("");
  const rows = c.groups.map((g, i) => {
    const cells = c.metrics.map((m) => {
      const s = g.metrics[m.key];
      const v = g.verdicts[m.key];
      if (s === undefined || v === undefined) return `<td class="num" data-metric="${m.key}">${DASH}</td>`;
      const spread = spreadText(m.key, s);
      return `<td class="num" data-metric="${m.key}"><span class="val">${esc(headline(m.key, s))}</span>${spread !== "" ? `<span class="spread">${esc(spread)}</span>` : ""}<span class="verdict ${VERDICT_CLASS[v.verdict]}" title="${esc(v.note)}">${esc(v.verdict)}</span></td>`;
    });
    return `<tr data-strategy="${esc(g.label)}"><th scope="row"><span class="swatch" style="background:${strategyColor(i)}"></span>${esc(g.label)}<span class="spread">${g.runs.length} run${g.runs.length === 1 ? "" : "s"}${g.burstPhase !== null ? `, burst phase "${esc(g.burstPhase)}"` : ""}</span></th>${cells.join("")}</tr>`;
  });
  return `<table id="comparison-table" class="compare"><thead><tr><th scope="col">strategy</th>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function runsTable(c: Comparison): string {
  const head = c.metrics.map((m) => `<th class="num" scope="col">${esc(m.label)}</th>`).join("");
  const rows = c.groups.flatMap((g) =>
    g.runs.map(
      (r) =>
        `<tr><td>${esc(g.label)}</td><td><code>${esc(r.runId)}</code></td><td class="num">${r.seed ?? DASH}</td><td>${r.simulated ? "simulated" : "drill"}${r.timeScale !== null ? `, ×${r.timeScale}` : ""}</td>${c.metrics.map((m) => `<td class="num">${esc(formatMetric(m.key, r.metrics[m.key] ?? null))}</td>`).join("")}</tr>`,
    ),
  );
  return `<table id="runs-table"><thead><tr><th scope="col">strategy</th><th scope="col">run</th><th class="num" scope="col">seed</th><th scope="col">mode</th>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function slug(s: string): string {
  return s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Natural seconds per wall second of the compared runs (the first run that says; else 1). */
function timeScaleOf(c: Comparison): number {
  for (const g of c.groups)
    for (const r of g.runs) if (isNum(r.timeScale) && r.timeScale > 0) return r.timeScale;
  return 1;
}

function timeSeriesCharts(c: Comparison): ChartFigure[] {
  const lines = (pick: (g: ComparedGroup) => Array<number | null>, opts: Partial<LineSeries> = {}) =>
    c.groups.map(
      (g, i): LineSeries => ({
        name: g.label,
        id: slug(g.label),
        color: strategyColor(i),
        points: g.series.t.map((t, k) => [t, pick(g)[k] ?? null] as const),
        maxGap: 1,
        ...opts,
      }),
    );
  const last = Math.max(1, ...c.groups.map((g) => g.series.t.length));
  const x = { label: "time since start", domain: [0, last] as const, timeScale: timeScaleOf(c) };
  return [
    compareFigure(
      "ts-p99",
      timeChart({
        id: "cmp-p99",
        title: "p99 latency per second",
        x,
        y: { label: "p99 latency (ms)", scale: "log" },
        lines: lines((g) => g.series.p99Ms),
      }),
      "Per-second p99 of all requests; with repeats, each second's histograms are merged with <code>add</code> before the p99 is read.",
    ),
    compareFigure(
      "ts-rejected",
      timeChart({
        id: "cmp-rejected",
        title: "rejected requests per second",
        x,
        y: { label: "rejected / s" },
        lines: lines((g) => g.series.rejectedPerS),
      }),
      "Rejected requests per second (all reasons), mean over repeats.",
    ),
    compareFigure(
      "ts-instances",
      timeChart({
        id: "cmp-instances",
        title: "instances ready",
        x,
        y: { label: "instances ready", min: 0 },
        lines: lines((g) => g.series.instancesReady, { step: true }),
      }),
      "Instances ready (all tiers) at the end of each second, mean over repeats.",
    ),
  ];
}

function spectra(c: Comparison): ChartFigure[] {
  const mk = (which: "overall" | "burst") =>
    c.groups.map(
      (g, i): LineSeries => ({
        name: g.label,
        id: `spectrum-${which}-${slug(g.label)}`,
        color: strategyColor(i),
        points: g.spectrum[which],
      }),
    );
  const burstName = c.groups[0]?.burstPhase;
  const chart = (which: "overall" | "burst", title: string) =>
    spectrumChart({
      id: `cmp-spectrum-${which}`,
      title,
      height: 360,
      lines: mk(which),
      y: { label: "latency (ms)", scale: "log" },
      noDataText: "no requests",
    });
  return [
    compareFigure(
      "spectrum-overall",
      chart("overall", "latency percentile spectrum, whole run"),
      "Latency by percentile over the whole run, from each strategy's histograms merged with <code>add</code> (never averaged percentiles). x = 1/(1-p), as HdrHistogram's plotter draws it.",
    ),
    compareFigure(
      "spectrum-burst",
      chart("burst", "latency percentile spectrum, burst phase"),
      `The same, inside the burst phase${burstName ? ` ("${esc(burstName)}")` : ""} only.`,
    ),
  ];
}

/** The cost frontier (frontierChart.ts): what each strategy buys, with its noise. */
function frontierFigure(c: Comparison): ChartFigure {
  const panel: ChartPanel = {
    id: "frontier",
    title: "Cost frontier",
    width: 1100,
    height: 380,
    option: frontierChartOption(c) as ChartPanel["option"],
    timeScale: null,
  };
  return compareFigure(
    "frontier",
    panel,
    "Each strategy at its cost in USD (x) against its p99 in the burst (left) and its capacity rejects (right); the lines are the intervals of the table. A strategy up and to the right of another costs more and does worse.",
  );
}

export function renderComparisonHtml(c: Comparison, title = "stampede comparison"): string {
  const spectrumFigures = spectra(c);
  const timeFigures = timeSeriesCharts(c);
  const frontier = frontierFigure(c);
  const groups = c.groups.map((g) => esc(g.label)).join(", ");
  const rules = [
    `p99 in the burst: from the burst phase's histogram ("burst", else the phase at the highest multiple)${c.repeats !== null ? ", the repeats merged with add" : ""}.`,
    "rejected %: rejects / requests; stale %: stale position reads / reads that had an acknowledged change to check.",
    `time to recover: from the burst's end to the first second whose p99 is back at or under the pre-burst phase's p99${c.groups[0]?.preBurstPhase ? ` ("${esc(c.groups[0].preBurstPhase)}")` : ""}, in the profile's natural minutes (wall seconds × time scale); "not recovered" when it never is.`,
    "capacity rejects: 503 overloaded/timeout, 408 and other 5xx (more instances would have served them); policy rejects: 429 and 418 (the venue's rules, e.g. bans of clients that ignore Retry-After); order rejects: the engine's 400s.",
    `cost: instance-minutes (natural time, ready + booting) from the server timeline, and in USD at ${Object.entries(
      c.pricesUsdPerInstanceHour,
    )
      .map(([tier, usd]) => `${esc(tier)} ${usd} USD`)
      .join(", ")} per instance-hour (an assumption: on-demand general-purpose instance prices).`,
    c.repeats !== null
      ? `Noise: ${esc(c.noise)}; the small line under a figure is that spread. Cost and time to recover are means over the repeats.`
      : `Noise: ${esc(c.noise)}. Repeat runs (<code>--repeat K</code>) to tell a difference from noise.`,
    c.metrics.some((m) => m.better === "higher")
      ? "Lower is better for every metric but those marked ↑ (book depth: more is better); verdicts are relative to the first strategy (the baseline)."
      : "Lower is better for every metric; verdicts are relative to the first strategy (the baseline).",
    ...(c.metrics.some((m) => m.key === "liquidatedNotionalUsdt")
      ? [
          "Market (summary.json <code>market</code>): liquidated notional, failed stops (refused + late + triggered − filled), ADL and book depth near the mid (perpetuals' bids + asks, mean over the burst's seconds) are means over the repeats; amplification (liquidated / shock) and makers' refused requests are pooled. Runs with different oracles are different columns.",
        ]
      : []),
  ];
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="stampede compare">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}${CHART_CSS}</style>`,
    "</head><body><main>",
    `<h1>${esc(title)}</h1>`,
    `<p class="lede">${groups}${c.profile !== null ? ` on profile <b>${esc(c.profile)}</b>` : ""}; baseline <b>${esc(c.baseline)}</b>; ${c.repeats !== null ? `${c.repeats} repeats per strategy` : esc(c.noise)}.</p>`,
    '<section id="table"><h2>Side by side</h2>',
    mainTable(c),
    `<ul class="hint">${rules.map((r) => `<li>${r}</li>`).join("")}</ul>`,
    "</section>",
    '<section id="frontier"><h2>Cost frontier</h2>',
    figureHtml(frontier, "id"),
    "</section>",
    '<section id="spectra"><h2>Percentile spectra</h2>',
    ...spectrumFigures.map((f) => figureHtml(f, "id")),
    "</section>",
    '<section id="series"><h2>Over time</h2>',
    ...timeFigures.map((f) => figureHtml(f, "id")),
    "</section>",
    '<section id="runs"><h2>Runs</h2>',
    runsTable(c),
    "</section>",
    `<footer>Generated by stampede compare at ${esc(c.createdAt)} from the run folders listed above (latency.hlog, client.jsonl, timeline.jsonl, summary.json, run.json). Self-contained: ECharts is inlined, nothing is fetched. Scroll or drag the slider to zoom a time axis; click a legend entry to hide a strategy.</footer>`,
    "</main>",
    chartScripts([frontier, ...spectrumFigures, ...timeFigures]),
    "</body></html>",
    "",
  ].join("\n");
}
