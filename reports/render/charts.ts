import type { Percentiles } from "../sparse.ts";
import type { ChartPanel } from "./echarts.ts";

/**
 * The report's charts: one definition each (reports/render/html.ts builds them from the
 * ReportModel as ECharts option objects, reports/render/echarts.ts), drawn three ways from the
 * same options: by the inlined ECharts in report.html (`<figure data-chart="<id>">`), and
 * server-side as `runs/<id>/charts/<id>.svg` and `charts/<id>.png` (reports/render/ssr.ts, then
 * resvg with the bundled DejaVu Sans, so a PNG is the same on every machine).
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
  {
    id: "market-prices",
    title: "Market: prices by every oracle, and liquidated notional",
    when: "timeline.jsonl lines carry `market` (the venue ran its market model)",
  },
  {
    id: "market-depth",
    title: "Market: book depth near the mid",
    when: "timeline.jsonl lines carry `market`",
  },
  {
    id: "market-makers",
    title: "Market makers: requests, refusals and makers quoting",
    when: "timeline.jsonl lines carry `market`",
  },
  {
    id: "market-insurance",
    title: "Insurance fund and auto-deleveraging",
    when: "timeline.jsonl lines carry `market`",
  },
] as const satisfies readonly (ChartInfo & { when: string })[];

export type ChartId = (typeof CHARTS)[number]["id"] | (typeof OPTIONAL_CHARTS)[number]["id"];

/** One chart: one or more stacked panels sharing an x axis, and an HTML caption. */
export interface ChartFigure {
  id: ChartId;
  heading: string;
  /** ECharts options, top to bottom. */
  panels: ChartPanel[];
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
