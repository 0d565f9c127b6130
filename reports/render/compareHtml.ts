/**
 * comparison.html: strategies side by side in one self-contained document (inline CSS and SVG,
 * no script, no external resource), like report.html.
 */

import type { ComparedGroup, Comparison, MetricKey, Spread, VerdictWord } from "../compare.ts";
import type { LineSeries } from "./svg.ts";
import { escapeXml as esc, formatTick, logTicks, timeChart } from "./svg.ts";

/** One colour per strategy, in order; the baseline is always the first (slate-blue). */
export const STRATEGY_COLORS = [
  "#2563eb",
  "#ea580c",
  "#16a34a",
  "#c026d3",
  "#0d9488",
  "#dc2626",
  "#a16207",
  "#475569",
] as const;

export function strategyColor(i: number): string {
  return STRATEGY_COLORS[i % STRATEGY_COLORS.length] as string;
}

const DASH = "—";
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function sig3(v: number | null | undefined): string {
  if (!isNum(v)) return DASH;
  if (v === 0) return "0";
  const s = Number(v.toPrecision(3));
  return Math.abs(s) >= 1000 ? String(Math.round(s)).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : String(s);
}

function formatMetric(key: MetricKey, v: number | null): string {
  if (v === null) return key === "timeToRecoverS" ? "not recovered" : DASH;
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
    case "timeToRecoverS":
      return `${sig3(v)} s`;
    case "costInstanceMinutes":
      return sig3(v);
    case "costUsd":
      return `$${v.toFixed(2)}`;
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
  if (s.value === null && key === "timeToRecoverS" && s.values.some((v) => v !== null))
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
// Spectrum chart: x = 1/(1-p) on a log axis labelled in percent, y = latency (ms), log.

export interface SpectrumSeries {
  name: string;
  id: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
}

function percentLabel(x: number): string {
  // x = 10^k -> 100 (1 - 10^-k) %: 0, 90, 99, 99.9, ...
  if (x <= 1) return "0%";
  const p = 100 * (1 - 1 / x);
  return `${Number(p.toPrecision(Math.max(2, Math.round(Math.log10(x)) + 1)))}%`;
}

export function spectrumChart(o: {
  id: string;
  title: string;
  series: readonly SpectrumSeries[];
  width?: number;
  height?: number;
}): string {
  const width = o.width ?? 1100;
  const height = o.height ?? 360;
  const left = 64;
  const right = width - 48;
  const legendRows = 1;
  const top = 12 + legendRows * 20;
  const bottom = height - 44;
  const series = o.series.filter((s) => s.points.length > 0);
  const parts: string[] = [
    `<svg class="chart spectrum" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${esc(o.id)}-title" font-family="system-ui, sans-serif" data-chart-id="${esc(o.id)}">`,
    `<title id="${esc(o.id)}-title">${esc(o.title)}</title>`,
  ];
  if (series.length === 0) {
    parts.push(
      `<text class="no-data" x="${width / 2}" y="${height / 2}" text-anchor="middle" font-size="14" fill="#64748b">no requests</text></svg>`,
    );
    return parts.join("");
  }
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v > 0);
  const xMax = 10 ** Math.ceil(Math.log10(Math.max(10, ...xs)));
  const yt = logTicks(Math.min(...ys), Math.max(...ys));
  const [y0, y1] = yt.domain;
  const sx = (x: number) => left + (Math.log10(Math.max(1, x)) / Math.log10(xMax)) * (right - left);
  const sy = (v: number) =>
    bottom - (Math.log10(Math.min(y1, Math.max(y0, v)) / y0) / Math.log10(y1 / y0)) * (bottom - top);
  const r = (v: number) => Math.round(v * 10) / 10;
  // Legend.
  let lx = left;
  parts.push('<g class="legend" font-size="12">');
  for (const s of series) {
    parts.push(
      `<line x1="${r(lx)}" x2="${r(lx + 16)}" y1="18" y2="18" stroke="${esc(s.color)}" stroke-width="2"/>`,
      `<text x="${r(lx + 22)}" y="22" fill="#1e293b">${esc(s.name)}</text>`,
    );
    lx += 22 + s.name.length * 7 + 24;
  }
  parts.push("</g>");
  // Axes and grid.
  parts.push('<g class="axes" font-size="11" fill="#64748b">');
  for (let x = 1; x <= xMax; x *= 10) {
    const px = r(sx(x));
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${top}" y2="${bottom}" stroke="#e2e8f0"/>`,
      `<text x="${px}" y="${bottom + 16}" text-anchor="middle">${percentLabel(x)}</text>`,
    );
  }
  for (const v of yt.minor)
    parts.push(`<line x1="${left}" x2="${right}" y1="${r(sy(v))}" y2="${r(sy(v))}" stroke="#f1f5f9"/>`);
  for (const v of yt.major) {
    const py = r(sy(v));
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${py}" y2="${py}" stroke="#e2e8f0"/>`,
      `<text x="${left - 8}" y="${r(py + 4)}" text-anchor="end">${esc(formatTick(v))}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" x2="${right}" y1="${bottom}" y2="${bottom}" stroke="#94a3b8"/>`,
    `<text x="${r((left + right) / 2)}" y="${height - 8}" text-anchor="middle" fill="#334155">percentile (x = 1/(1-p), log scale)</text>`,
    `<text transform="translate(16 ${r((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#334155">latency (ms), log scale</text>`,
    "</g>",
  );
  // Lines: a step at each reported percentile, as HdrHistogram's plotter draws them.
  parts.push('<g class="marks">');
  for (const s of series) {
    let d = "";
    for (const [x, v] of s.points) d += `${d === "" ? "M" : "L"}${r(sx(x))} ${r(sy(v))}`;
    const tip = s.points
      .filter(([x]) => [1, 2, 10, 100, 1000, 10000].some((m) => Math.abs(x / m - 1) < 1e-6))
      .map(([x, v]) => `${percentLabel(x)}: ${sig3(v)} ms`)
      .join(", ");
    parts.push(
      `<path data-series="${esc(s.id)}" d="${d}" fill="none" stroke="${esc(s.color)}" stroke-width="2" stroke-linejoin="round"><title>${esc(`${s.name}: ${tip}`)}</title></path>`,
    );
  }
  parts.push("</g></svg>");
  return parts.join("");
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
figure svg.chart { display: block; width: 100%; height: auto; }
figcaption { margin-top: 8px; font-size: 12.5px; color: var(--ink-2); }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
code { font-size: 12px; background: #f1f5f9; padding: 0 4px; border-radius: 3px; }
`;

function mainTable(c: Comparison): string {
  const head = c.metrics
    .map(
      (m) =>
        `<th class="num" scope="col">${esc(m.label)}${m.unit === "instance-min" || m.unit === "USD" ? ` (${m.unit})` : ""}</th>`,
    )
    .join("");
  const rows = c.groups.map((g, i) => {
    const cells = c.metrics.map((m) => {
      const s = g.metrics[m.key];
      const v = g.verdicts[m.key];
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
        `<tr><td>${esc(g.label)}</td><td><code>${esc(r.runId)}</code></td><td class="num">${r.seed ?? DASH}</td><td>${r.simulated ? "simulated" : "drill"}${r.timeScale !== null ? `, ×${r.timeScale}` : ""}</td>${c.metrics.map((m) => `<td class="num">${esc(formatMetric(m.key, r.metrics[m.key]))}</td>`).join("")}</tr>`,
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

function timeSeriesCharts(c: Comparison): string {
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
  const domain = [0, last] as const;
  return [
    `<figure id="ts-p99">${timeChart({ id: "cmp-p99", title: "p99 latency per second", x: { label: "time since start", domain }, y: { label: "p99 latency (ms)", scale: "log" }, lines: lines((g) => g.series.p99Ms) })}<figcaption>Per-second p99 of all requests; with repeats, each second's histograms are merged with <code>add</code> before the p99 is read.</figcaption></figure>`,
    `<figure id="ts-rejected">${timeChart({ id: "cmp-rejected", title: "rejected requests per second", x: { label: "time since start", domain }, y: { label: "rejected / s" }, lines: lines((g) => g.series.rejectedPerS) })}<figcaption>Rejected requests per second (all reasons), mean over repeats.</figcaption></figure>`,
    `<figure id="ts-instances">${timeChart({ id: "cmp-instances", title: "instances ready", x: { label: "time since start", domain }, y: { label: "instances ready" }, lines: lines((g) => g.series.instancesReady, { step: true }) })}<figcaption>Instances ready (all tiers) at the end of each second, mean over repeats.</figcaption></figure>`,
  ].join("\n");
}

function spectra(c: Comparison): string {
  const mk = (which: "overall" | "burst") =>
    c.groups.map(
      (g, i): SpectrumSeries => ({
        name: g.label,
        id: `spectrum-${which}-${slug(g.label)}`,
        color: strategyColor(i),
        points: g.spectrum[which],
      }),
    );
  const burstName = c.groups[0]?.burstPhase;
  return [
    `<figure id="spectrum-overall">${spectrumChart({ id: "cmp-spectrum-overall", title: "latency percentile spectrum, whole run", series: mk("overall") })}<figcaption>Latency by percentile over the whole run, from each strategy's histograms merged with <code>add</code> (never averaged percentiles). x = 1/(1-p), as HdrHistogram's plotter draws it.</figcaption></figure>`,
    `<figure id="spectrum-burst">${spectrumChart({ id: "cmp-spectrum-burst", title: "latency percentile spectrum, burst phase", series: mk("burst") })}<figcaption>The same, inside the burst phase${burstName ? ` ("${esc(burstName)}")` : ""} only.</figcaption></figure>`,
  ].join("\n");
}

export function renderComparisonHtml(c: Comparison, title = "stampede comparison"): string {
  const groups = c.groups.map((g) => esc(g.label)).join(", ");
  const rules = [
    `p99 in the burst: from the burst phase's histogram ("burst", else the phase at the highest multiple)${c.repeats !== null ? ", the repeats merged with add" : ""}.`,
    "rejected %: rejects / requests; stale %: stale position reads / reads that had an acknowledged change to check.",
    `time to recover: from the burst's end to the first second whose p99 is back at or under the pre-burst phase's p99${c.groups[0]?.preBurstPhase ? ` ("${esc(c.groups[0].preBurstPhase)}")` : ""}, in wall seconds; "not recovered" when it never is.`,
    "capacity rejects: 503 overloaded/timeout, 408 and other 5xx (more instances would have served them); policy rejects: 429 and 418 (the venue's rules, e.g. bans of clients that ignore Retry-After); order rejects: the engine's 400s.",
    `cost: instance-minutes (natural time, ready + booting) from the server timeline, and in USD at ${Object.entries(
      c.pricesUsdPerInstanceHour,
    )
      .map(([tier, usd]) => `${esc(tier)} ${usd} USD`)
      .join(", ")} per instance-hour (an assumption: on-demand general-purpose instance prices).`,
    c.repeats !== null
      ? `Noise: ${esc(c.noise)}; the small line under a figure is that spread. Cost and time to recover are means over the repeats.`
      : `Noise: ${esc(c.noise)}. Repeat runs (<code>--repeat K</code>) to tell a difference from noise.`,
    "Lower is better for every metric; verdicts are relative to the first strategy (the baseline).",
  ];
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="stampede compare">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head><body><main>",
    `<h1>${esc(title)}</h1>`,
    `<p class="lede">${groups}${c.profile !== null ? ` on profile <b>${esc(c.profile)}</b>` : ""}; baseline <b>${esc(c.baseline)}</b>; ${c.repeats !== null ? `${c.repeats} repeats per strategy` : esc(c.noise)}.</p>`,
    '<section id="table"><h2>Side by side</h2>',
    mainTable(c),
    `<ul class="hint">${rules.map((r) => `<li>${r}</li>`).join("")}</ul>`,
    "</section>",
    '<section id="spectra"><h2>Percentile spectra</h2>',
    spectra(c),
    "</section>",
    '<section id="series"><h2>Over time</h2>',
    timeSeriesCharts(c),
    "</section>",
    '<section id="runs"><h2>Runs</h2>',
    runsTable(c),
    "</section>",
    `<footer>Generated by stampede compare at ${esc(c.createdAt)} from the run folders listed above (latency.hlog, client.jsonl, timeline.jsonl, summary.json, run.json). Self-contained: no scripts, no external resources.</footer>`,
    "</main></body></html>",
    "",
  ].join("\n");
}
