import type { EChartsOption } from "echarts";

/**
 * Chart definitions as ECharts option objects. Pure functions from data to a plain, JSON-safe
 * option (no functions inside): report.html and comparison.html embed the very same objects for
 * the inlined ECharts, and charts/<id>.svg|png are rendered from them server-side
 * (reports/render/ssr.ts). Interactivity that needs functions (the wall-time tooltip) is added by
 * the page script, not here.
 */

/** [x, y]; y null means "no value" and breaks a line. */
export type Point = readonly [x: number, y: number | null];

export type AxisSide = "left" | "right";

export interface LineSeries {
  /** Legend label. */
  name: string;
  id?: string;
  color: string;
  points: readonly Point[];
  axis?: AxisSide;
  dash?: "dashed" | "dotted";
  width?: number;
  /** Break the line where consecutive x (wall seconds) are further apart than this. */
  maxGap?: number;
  /** Draw a marker at every point; with width 0, markers only (a scatter). */
  markers?: boolean;
  legend?: boolean;
  /** Step line: a value holds until the next point (instance counts change at an instant). */
  step?: boolean;
}

/** Stacked per x in array order (first series at the bottom); x is the start of a 1 s bucket. */
export interface BarSeries {
  name: string;
  id?: string;
  color: string;
  points: readonly Point[];
  axis?: AxisSide;
  legend?: boolean;
}

/** A vertical line at one x: an event. Markers of one `kind` share a legend entry and style. */
export interface EventMarker {
  x: number;
  kind: string;
  name: string;
  color: string;
  dash?: "dashed" | "dotted";
  width?: number;
  title: string;
}

export interface Band {
  name: string;
  start: number;
  end: number;
}

export interface AxisOptions {
  /** Axis title, including the unit, e.g. "latency (ms)". */
  label: string;
  scale?: "linear" | "log";
  min?: number;
  max?: number;
  /** Fit the axis to the data instead of starting at 0: prices that move by a few %, not from 0. */
  fitData?: boolean;
}

export interface TimeChartOptions {
  id: string;
  title: string;
  width?: number;
  height?: number;
  /**
   * Time in wall seconds since t0; drawn in natural minutes (wall × timeScale / 60), the
   * profile's own clock. `label` empty hides the axis title (a panel above another).
   */
  x: { label: string; domain?: readonly [number, number]; timeScale: number };
  y: AxisOptions;
  y2?: AxisOptions;
  lines?: readonly LineSeries[];
  bars?: readonly BarSeries[];
  bands?: readonly Band[];
  noDataText?: string;
  events?: readonly EventMarker[];
}

/** A chart ready to draw: its option and the size it is drawn at. */
export interface ChartPanel {
  id: string;
  title: string;
  width: number;
  height: number;
  option: EChartsOption;
  /** Natural seconds per wall second, for the page's tooltip (wall time next to natural); null for non-time charts. */
  timeScale: number | null;
}

/**
 * The charts' typeface. The PNGs are rendered with the bundled copy in assets/fonts/ (resvg, no
 * system fonts), so they look the same on every machine; a browser uses DejaVu Sans when
 * installed, else Verdana (the same proportions), else its sans-serif.
 */
// Single quotes: ECharts' SSR writes the family into a double-quoted style attribute unescaped.
export const FONT_FAMILY = "'DejaVu Sans', Verdana, 'Bitstream Vera Sans', sans-serif";
const INK = "#1e293b";
const MUTED = "#64748b";
const GRID = "#e2e8f0";
const BAND_FILLS = ["rgba(148,163,184,0.14)", "rgba(148,163,184,0.05)"];
const DASH_TYPE = { dashed: "dashed", dotted: "dotted" } as const;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

/** Wall seconds since t0 to natural minutes. Rounded so the embedded JSON stays small. */
export function naturalMinutes(wallS: number, timeScale: number): number {
  return Math.round(((wallS * timeScale) / 60) * 1e4) / 1e4;
}

/**
 * Points for one series: x to natural minutes, a null inserted where x jumps by more than
 * `maxGap` (a missing second is not a straight line across it), values a log axis cannot
 * show (<= 0) as null.
 */
export function seriesData(
  points: readonly Point[],
  timeScale: number,
  maxGap = Number.POSITIVE_INFINITY,
  log = false,
): Array<[number, number | null]> {
  const sorted = points.filter((p) => isNum(p[0])).sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number | null]> = [];
  let prevX: number | null = null;
  for (const [x, v] of sorted) {
    if (prevX !== null && x - prevX > maxGap) out.push([naturalMinutes((x + prevX) / 2, timeScale), null]);
    const ok = isNum(v) && (!log || v > 0);
    out.push([naturalMinutes(x, timeScale), ok ? v : null]);
    prevX = x;
  }
  return out;
}

function valueAxis(o: AxisOptions, side: AxisSide): Record<string, unknown> {
  return {
    type: o.scale === "log" ? "log" : "value",
    name: o.label + (o.scale === "log" ? ", log" : ""),
    nameLocation: "middle",
    nameGap: side === "left" ? 48 : 44,
    nameTextStyle: { color: "#334155" },
    position: side,
    ...(isNum(o.min) && !(o.scale === "log" && o.min <= 0) ? { min: o.min } : {}),
    ...(isNum(o.max) ? { max: o.max } : {}),
    ...(o.scale === "log" ? { logBase: 10 } : {}),
    ...(o.fitData === true ? { scale: true } : {}),
    axisLabel: { color: MUTED },
    axisLine: { show: side === "right", lineStyle: { color: "#94a3b8" } },
    splitLine: { show: side === "left", lineStyle: { color: GRID } },
  };
}

function lineSeries(s: LineSeries, timeScale: number, log: (axis: AxisSide) => boolean, yIndex: number) {
  const axis = s.axis ?? "left";
  const width = s.width ?? 1.75;
  const scatter = width === 0;
  return {
    type: scatter ? "scatter" : "line",
    id: s.id ?? s.name,
    name: s.name,
    yAxisIndex: yIndex,
    data: seriesData(s.points, timeScale, s.maxGap, log(axis)),
    color: s.color,
    ...(scatter
      ? { symbolSize: 5 }
      : {
          showSymbol: s.markers === true,
          symbolSize: 4,
          connectNulls: false,
          ...(s.step ? { step: "end" } : {}),
          lineStyle: { width, color: s.color, ...(s.dash ? { type: DASH_TYPE[s.dash] } : {}) },
          // Thousands of points: keep the shape (LTTB), never an average of percentiles.
          sampling: "lttb",
        }),
    emphasis: { disabled: true },
    animation: false,
  };
}

function barSeries(b: BarSeries, timeScale: number, yIndex: number) {
  return {
    type: "bar",
    id: b.id ?? b.name,
    name: b.name,
    stack: `bars-${yIndex}`,
    yAxisIndex: yIndex,
    // Bucket [t, t+1) drawn at its middle, under the lines that sit there too.
    data: b.points
      .filter((p) => isNum(p[0]))
      .map(([x, v]) => [naturalMinutes(x + 0.5, timeScale), isNum(v) ? v : 0]),
    color: b.color,
    barCategoryGap: "10%",
    large: true,
    emphasis: { disabled: true },
    animation: false,
  };
}

/** The phases as a series of its own (so the legend can hide them) carrying one markArea. */
function bandSeries(bands: readonly Band[], timeScale: number) {
  return {
    type: "line",
    id: "phases",
    name: "phases",
    data: [],
    color: "#cbd5e1",
    silent: true,
    markArea: {
      silent: true,
      label: { show: true, position: "insideTop", color: MUTED, fontSize: 11 },
      data: bands.map((b, i) => [
        {
          name: b.name,
          xAxis: naturalMinutes(b.start, timeScale),
          itemStyle: { color: BAND_FILLS[i % 2] },
        },
        { xAxis: naturalMinutes(b.end, timeScale) },
      ]),
    },
  };
}

/** One series per event kind (legend toggles the kind), its events as markLines. */
function eventSeries(events: readonly EventMarker[], timeScale: number) {
  const kinds = new Map<string, EventMarker[]>();
  for (const e of events) if (isNum(e.x)) kinds.set(e.kind, [...(kinds.get(e.kind) ?? []), e]);
  return [...kinds.values()].map((list) => {
    const first = list[0] as EventMarker;
    return {
      type: "line",
      id: `event-${first.kind}`,
      name: first.name,
      data: [],
      color: first.color,
      lineStyle: {
        color: first.color,
        width: first.width ?? 1.5,
        ...(first.dash ? { type: first.dash } : {}),
      },
      markLine: {
        symbol: "none",
        label: { show: false },
        lineStyle: {
          color: first.color,
          width: first.width ?? 1.5,
          type: first.dash ? DASH_TYPE[first.dash] : "solid",
        },
        tooltip: { show: true, formatter: "{b}" },
        data: list.map((e) => ({ name: e.title, xAxis: naturalMinutes(e.x, timeScale) })),
      },
    };
  });
}

function base(title: string): EChartsOption {
  return {
    animation: false,
    backgroundColor: "#ffffff",
    aria: { enabled: true, label: { description: title } },
    textStyle: { fontFamily: FONT_FAMILY, color: INK },
  };
}

function legendOf(names: string[]): Record<string, unknown> {
  return {
    type: "plain",
    top: 4,
    left: 56,
    right: 56,
    itemWidth: 18,
    itemHeight: 10,
    textStyle: { fontSize: 12, color: INK },
    data: names,
  };
}

function hasValues(points: readonly Point[]): boolean {
  return points.some(([x, v]) => isNum(x) && isNum(v));
}

/** A time chart: lines and stacked bars over natural minutes, phases shaded, events as lines. */
export function timeChart(o: TimeChartOptions): ChartPanel {
  const width = o.width ?? 1100;
  const height = o.height ?? 320;
  const ts = o.x.timeScale > 0 ? o.x.timeScale : 1;
  const lines = o.lines ?? [];
  const bars = o.bars ?? [];
  const right = o.y2 !== undefined;
  const logOf = (axis: AxisSide) => (axis === "right" ? o.y2?.scale === "log" : o.y.scale === "log");
  const idx = (axis: AxisSide | undefined) => (axis === "right" && right ? 1 : 0);
  const hasData = lines.some((s) => hasValues(s.points)) || bars.some((b) => hasValues(b.points));
  const events = eventSeries(o.events ?? [], ts);
  const bands = (o.bands ?? []).filter((b) => isNum(b.start) && isNum(b.end) && b.end > b.start);
  const series: unknown[] = [
    ...bars.map((b) => barSeries(b, ts, idx(b.axis))),
    ...lines.map((s) => lineSeries(s, ts, logOf, idx(s.axis))),
    ...(bands.length > 0 ? [bandSeries(bands, ts)] : []),
    ...events,
  ];
  const legendNames = [
    ...bars.filter((b) => b.legend !== false && hasValues(b.points)).map((b) => b.name),
    ...lines.filter((s) => s.legend !== false && hasValues(s.points)).map((s) => s.name),
    ...events.map((e) => e.name),
  ];
  const [d0, d1] = o.x.domain ?? [0, 1];
  const option: EChartsOption = {
    ...base(o.title),
    title: hasData
      ? undefined
      : {
          text: o.noDataText ?? "no data",
          left: "center",
          top: "middle",
          textStyle: { color: MUTED, fontSize: 14, fontWeight: "normal" },
        },
    legend: legendOf(legendNames),
    grid: { left: 64, right: 64, top: legendNames.length > 6 ? 56 : 34, bottom: o.x.label === "" ? 28 : 80 },
    tooltip: { trigger: "axis", axisPointer: { type: "line" }, confine: true },
    xAxis: {
      type: "value",
      min: naturalMinutes(d0, ts),
      max: naturalMinutes(d1, ts),
      name: o.x.label === "" ? "" : `${o.x.label} (natural minutes)`,
      nameLocation: "middle",
      nameGap: 26,
      nameTextStyle: { color: "#334155" },
      // The domain's end is rarely a round minute: its label would collide with the last tick's.
      axisLabel: { color: MUTED, showMaxLabel: false },
      splitLine: { show: true, lineStyle: { color: "#f1f5f9" } },
    },
    yAxis: [valueAxis(o.y, "left"), ...(o.y2 ? [valueAxis(o.y2, "right")] : [])] as EChartsOption["yAxis"],
    // A panel above another (no axis title) zooms by wheel and drag only: the bottom panel's
    // slider drives every panel of the figure (the page connects them).
    dataZoom: [
      { type: "inside", xAxisIndex: 0, filterMode: "none" },
      ...(o.x.label === ""
        ? []
        : [
            {
              type: "slider" as const,
              xAxisIndex: 0,
              filterMode: "none" as const,
              height: 18,
              bottom: 8,
              showDataShadow: false,
            },
          ]),
    ],
    series: series as EChartsOption["series"],
  };
  return { id: o.id, title: o.title, width, height, option, timeScale: ts };
}

// ---------------------------------------------------------------------------------------------
// Percentile spectrum

/** The percentile at spectrum x, as a label: 1 -> "0%", 10 -> "90%", 1000 -> "99.9%". */
export function percentLabel(x: number): string {
  if (!(x > 1)) return "0%";
  const p = 100 * (1 - 1 / x);
  return `${Number(p.toPrecision(Math.max(2, Math.round(Math.log10(x)) + 1)))}%`;
}

export interface SpectrumChartOptions {
  id: string;
  title: string;
  width?: number;
  height?: number;
  /** Points are [x = 1/(1-p), latency ms]; `axis`, `step`, `maxGap` are ignored. */
  lines: readonly LineSeries[];
  y: AxisOptions;
  noDataText?: string;
}

/**
 * Latency by percentile: x = 1/(1-p) on a log axis (one decade per "nine": 90%, 99%, 99.9%),
 * y on a log axis. Axis labels are the x values; the page script relabels them in percent.
 */
export function spectrumChart(o: SpectrumChartOptions): ChartPanel {
  const width = o.width ?? 1100;
  const height = o.height ?? 340;
  const lines = o.lines.filter((s) => s.points.some(([x, v]) => isNum(x) && x >= 1 && isNum(v) && v > 0));
  let xMax = 1;
  for (const s of lines) for (const [x] of s.points) if (isNum(x) && x > xMax) xMax = x;
  const decades = Math.max(3, Math.ceil(Math.log10(xMax) - 1e-9));
  const option: EChartsOption = {
    ...base(o.title),
    title:
      lines.length > 0
        ? undefined
        : {
            text: o.noDataText ?? "no data",
            left: "center",
            top: "middle",
            textStyle: { color: MUTED, fontSize: 14, fontWeight: "normal" },
          },
    legend: legendOf(lines.filter((s) => s.legend !== false).map((s) => s.name)),
    grid: { left: 64, right: 64, top: 34, bottom: 48 },
    tooltip: { trigger: "axis", confine: true },
    xAxis: {
      type: "log",
      logBase: 10,
      min: 1,
      max: 10 ** decades,
      name: "percentile (x = 1/(1-p), log: 10 = 90%, 100 = 99%, 1000 = 99.9%)",
      nameLocation: "middle",
      nameGap: 26,
      nameTextStyle: { color: "#334155" },
      axisLabel: { color: MUTED },
      splitLine: { show: true, lineStyle: { color: GRID } },
    },
    yAxis: valueAxis({ ...o.y, scale: o.y.scale ?? "log" }, "left") as EChartsOption["yAxis"],
    series: lines.map((s) => ({
      type: "line",
      id: s.id ?? s.name,
      name: s.name,
      color: s.color,
      showSymbol: false,
      data: s.points.filter(([x, v]) => isNum(x) && x >= 1 && isNum(v) && v > 0).map(([x, v]) => [x, v]),
      lineStyle: { width: s.width ?? 1.75, color: s.color, ...(s.dash ? { type: DASH_TYPE[s.dash] } : {}) },
      emphasis: { disabled: true },
      animation: false,
    })) as EChartsOption["series"],
  };
  return { id: o.id, title: o.title, width, height, option, timeScale: null };
}
