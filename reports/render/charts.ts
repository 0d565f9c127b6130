import type { Percentiles } from "../sparse.ts";
import { escapeXml, FONT_FAMILY } from "./svg.ts";

/**
 * The report's charts: one definition each (reports/render/html.ts builds them from the
 * ReportModel), drawn three ways from the same SVG markup: inline in report.html
 * (`<figure data-chart="<id>">`), and as `runs/<id>/charts/<id>.svg` and `charts/<id>.png`
 * (reports/render/png.ts, resvg with the bundled DejaVu Sans, so a PNG is the same on every
 * machine).
 */

export interface ChartInfo {
  /** `data-chart` of the chart's figure in report.html and the file name under charts/. */
  readonly id: string;
  readonly title: string;
}

/** The charts every report has (issue 6's list, in page order). */
export const CHARTS = [
  { id: "latency", title: "Latency percentiles per second" },
  { id: "spectrum", title: "Latency percentile spectrum per class" },
  { id: "throughput", title: "Offered, served and rejected by reason" },
  { id: "stale", title: "Stale position reads and their age" },
  { id: "capacity", title: "Capacity vs demand" },
  { id: "generator", title: "Load generator health" },
] as const satisfies readonly ChartInfo[];

/**
 * Charts drawn only when the run has their data; absent otherwise (no figure, no file).
 *
 * `liquidations`: when lines of timeline.jsonl carry both numbers below (per wall second, like
 * every timeline field; a line without them counts as no data for that second):
 * - `liquidations`: positions the margin system liquidated during the second;
 * - `liquidationsShown`: liquidation notifications the throttled public stream (one per second
 *   per symbol, as in the Oct 2025 crash) delivered during the second.
 */
export const OPTIONAL_CHARTS = [
  {
    id: "liquidations",
    title: "Liquidations: happened vs shown by the throttled stream",
    when: "timeline.jsonl lines carry `liquidations` and `liquidationsShown`",
  },
  {
    id: "lateness",
    title: "Generator lateness: iteration starts behind the arrival schedule",
    when: "latency.hlog carries Tag=lateness (k6 with the stampede output)",
  },
] as const satisfies readonly (ChartInfo & { when: string })[];

export type ChartId = (typeof CHARTS)[number]["id"] | (typeof OPTIONAL_CHARTS)[number]["id"];

/** One chart as drawn: one or more stacked SVG panels sharing an x axis, and an HTML caption. */
export interface ChartFigure {
  id: ChartId;
  heading: string;
  /** SVG documents (`<svg class="chart" ...>`), top to bottom. */
  panels: string[];
  /** HTML (may hold <code>, <strong>); for report.html only. */
  caption: string;
}

// ---------------------------------------------------------------------------------------------
// Percentile spectrum

/** Highest x of a spectrum: 99.9999 %. */
const SPECTRUM_MAX_X = 1e6;

/**
 * A histogram's percentile spectrum as HdrHistogram's plotter draws it: points [x, ms] with
 * x = 1/(1-p), 5 points per halving of the distance to 100 %, up to the last percentile the
 * count resolves (x <= totalCount), then the maximum at that x. Histogram values are µs.
 * Read from one merged histogram: never from averaged percentiles.
 */
export function percentileSpectrum(h: Percentiles, pointsPerHalving = 5): Array<[number, number]> {
  if (!(h.totalCount > 0)) return [];
  const out: Array<[number, number]> = [];
  const limit = Math.max(1, Math.min(h.totalCount, SPECTRUM_MAX_X));
  for (let i = 0; ; i++) {
    const x = 2 ** (i / pointsPerHalving);
    if (x > limit * (1 + 1e-12)) break;
    out.push([x, h.getValueAtPercentile(100 * (1 - 1 / x)) / 1000]);
  }
  const last = out[out.length - 1];
  const maxMs = h.getValueAtPercentile(100) / 1000;
  if (last === undefined || last[0] < limit || last[1] < maxMs) out.push([limit, maxMs]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Standalone SVG (charts/<id>.svg, and the PNG's source)

const HEADER_HEIGHT = 40;
const PAD = 12;

/**
 * A chart as a standalone SVG document: a white page with the chart's heading and run id on
 * top, and its panels stacked under it exactly as report.html shows them. The panels' hover
 * columns (transparent rectangles carrying per-second tooltips, thousands on a long run) are
 * left out: they draw nothing, and the per-second values are in report.html.
 */
export function standaloneSvg(fig: ChartFigure, runId: string): string {
  const panels = fig.panels.map((svg) => {
    const m = svg.match(/^<svg\b[^>]*\bwidth="([\d.]+)" height="([\d.]+)"/);
    return {
      svg: svg.replace(/<g class="hover">[\s\S]*?<\/g>/g, ""),
      w: Number(m?.[1] ?? 0),
      h: Number(m?.[2] ?? 0),
    };
  });
  const width = Math.max(200, ...panels.map((p) => p.w)) + 2 * PAD;
  const height = HEADER_HEIGHT + panels.reduce((sum, p) => sum + p.h, 0) + PAD;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="${escapeXml(FONT_FAMILY)}" data-chart="${escapeXml(fig.id)}">`,
    `<title>${escapeXml(`${fig.heading} (${runId})`)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${PAD + 8}" y="26" font-size="15" fill="#0f172a">${escapeXml(fig.heading)}</text>`,
    `<text x="${width - PAD - 8}" y="26" font-size="11" fill="#64748b" text-anchor="end">${escapeXml(`stampede ${runId}`)}</text>`,
  ];
  let y = HEADER_HEIGHT;
  for (const p of panels) {
    parts.push(p.svg.replace(/^<svg\b/, `<svg x="${PAD}" y="${y}"`));
    y += p.h;
  }
  parts.push("</svg>", "");
  return parts.join("\n");
}
