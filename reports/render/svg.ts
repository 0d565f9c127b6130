/**
 * Hand-written SVG chart primitives for report.html. Pure string builders: no DOM, no I/O,
 * no chart library, so the report stays a single self-contained file that renders the same
 * in a browser, in a mail client or from a CI artefact.
 */

/** [x, y]; y null means "no value" and breaks a line. */
export type Point = readonly [x: number, y: number | null];

export type AxisSide = "left" | "right";

export interface LineSeries {
  /** Legend label. */
  name: string;
  /** Stable id for `data-series` (tests, CSS); defaults to a slug of the name. */
  id?: string;
  color: string;
  points: readonly Point[];
  axis?: AxisSide;
  dash?: "dashed" | "dotted";
  width?: number;
  /**
   * Break the line when consecutive x values are further apart than this: a second that is
   * missing from the data must not be drawn as a straight interpolation across it.
   */
  maxGap?: number;
  /** Draw a small marker at every point (sparse series such as "oldest stale read"). */
  markers?: boolean;
  legend?: boolean;
  /**
   * Step line (step-after): a value holds until the next point, then jumps. For states such as
   * instance counts, which change at an instant rather than ramp.
   */
  step?: boolean;
}

/** Bars are stacked per x in array order (first series at the bottom). */
export interface BarSeries {
  name: string;
  id?: string;
  color: string;
  /** x is the start of the bar; the bar spans [x, x + barWidth). */
  points: readonly Point[];
  axis?: AxisSide;
  legend?: boolean;
}

/**
 * A vertical line at one x across the plot: an event (scale decision, fault...). Markers of one
 * `kind` share a legend entry (`name`) and style; `title` is the hover tooltip.
 */
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
  /** Force the domain, e.g. 0..100 for a percentage. Ignored on log axes when <= 0. */
  min?: number;
  max?: number;
}

/** A transparent column carrying a native tooltip (no script needed). */
export interface HoverColumn {
  start: number;
  end: number;
  text: string;
}

export interface TimeChartOptions {
  /** Used to make document-unique ids (clip paths) when several charts share one page. */
  id: string;
  /** Accessible name, rendered as the SVG `<title>`. */
  title: string;
  width?: number;
  height?: number;
  /** Time axis in seconds since t0; pass the same domain to every chart so they line up. */
  x: { label: string; domain?: readonly [number, number] };
  y: AxisOptions;
  y2?: AxisOptions;
  lines?: readonly LineSeries[];
  bars?: readonly BarSeries[];
  /** Width of one bar in x units (1 = one second). */
  barWidth?: number;
  bands?: readonly Band[];
  /** Print the band names above the plot (off for a second panel under the first). */
  bandLabels?: boolean;
  hover?: readonly HoverColumn[];
  noDataText?: string;
  /** Vertical event markers, drawn over the data. */
  events?: readonly EventMarker[];
  /** Legend entries for the event kinds (off for a second panel under the first). */
  eventLegend?: boolean;
}

/**
 * The charts' typeface. The PNGs are rendered with the bundled copy in assets/fonts/ (resvg, no
 * system fonts), so they look the same on every machine; a browser uses DejaVu Sans when installed,
 * else Verdana (the same proportions: DejaVu descends from Bitstream Vera), else its sans-serif.
 */
export const FONT_FAMILY = '"DejaVu Sans", Verdana, "Bitstream Vera Sans", sans-serif';
const FONT = FONT_FAMILY;
const INK = "#1e293b";
const MUTED = "#64748b";
const GRID = "#e2e8f0";
const GRID_MINOR = "#f1f5f9";
const AXIS = "#94a3b8";
const BAND_FILLS = ["#f1f5f9", "#f8fafc"];

// Margins are fixed (not fitted to the labels) so that stacked charts share the same plot
// x-range and a second in one chart sits exactly above the same second in the next.
const MARGIN = { left: 64, right: 64, bottom: 44 } as const;
const LEGEND_ROW = 20;
const BAND_STRIP = 18;

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return s === "" ? "series" : s;
}

/** Coordinates are rounded so the markup stays small and diffable; never emits NaN. */
function r(n: number): string {
  const v = Math.round(n * 10) / 10;
  return Object.is(v, -0) ? "0" : String(v);
}

function isNum(v: number | null | undefined): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

// Not Math.min(...xs): spreading a day of per-second points overflows the call stack.
function minOf(xs: readonly number[], empty = 0): number {
  let m = Number.POSITIVE_INFINITY;
  for (const x of xs) if (x < m) m = x;
  return xs.length > 0 ? m : empty;
}

function maxOf(xs: readonly number[], empty = 0): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const x of xs) if (x > m) m = x;
  return xs.length > 0 ? m : empty;
}

/** Rough text width in DejaVu Sans (mean advance ~0.6 em); only used to avoid overlaps, not to align. */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

// ---------------------------------------------------------------------------------------------
// Ticks

export interface LinearTicks {
  domain: [number, number];
  ticks: number[];
  step: number;
}

const NICE_MANTISSAS = [1, 2, 2.5, 5, 10] as const;

/** Smallest 1/2/2.5/5 x 10^n that is >= raw. */
export function niceStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  for (const m of NICE_MANTISSAS) {
    // The epsilon absorbs float noise such as 0.30000000000000004 / 0.1.
    if (m * base >= raw * (1 - 1e-9)) return cleanFloat(m * base);
  }
  return cleanFloat(10 * base);
}

function cleanFloat(v: number): number {
  return Number(v.toPrecision(12));
}

/** "Nice" linear ticks covering [min, max] with about `target` intervals. */
export function linearTicks(min: number, max: number, target = 5): LinearTicks {
  let lo = isNum(min) ? min : 0;
  let hi = isNum(max) ? max : 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) hi = lo === 0 ? 1 : lo + Math.abs(lo);
  const step = niceStep((hi - lo) / Math.max(1, target));
  const start = Math.floor(lo / step + 1e-9) * step;
  const end = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; start + i * step <= end + step * 1e-9; i++) ticks.push(cleanFloat(start + i * step));
  return { domain: [cleanFloat(start), cleanFloat(end)], ticks, step };
}

/**
 * Ticks for a secondary axis that land on the primary axis' gridlines: same number of
 * intervals, nice step. Two unrelated sets of gridlines would be unreadable.
 */
export function alignedTicks(min: number, max: number, intervals: number): LinearTicks {
  const n = Math.max(1, Math.round(intervals));
  const lo = isNum(min) ? Math.min(0, min) : 0;
  const hi = isNum(max) && max > lo ? max : lo + 1;
  const step = niceStep((hi - lo) / n);
  const start = lo === 0 ? 0 : Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let i = 0; i <= n; i++) ticks.push(cleanFloat(start + i * step));
  return { domain: [cleanFloat(start), cleanFloat(start + n * step)], ticks, step };
}

export interface LogTicks {
  domain: [number, number];
  /** Labelled ticks (1, 2, 5 x 10^n on short ranges, 10^n only on long ones). */
  major: number[];
  /** Unlabelled gridlines between majors. */
  minor: number[];
}

const LOG_MANTISSAS = [1, 2, 5] as const;

function logCandidates(lo: number, hi: number): number[] {
  const out: number[] = [];
  const e0 = Math.floor(Math.log10(lo)) - 1;
  const e1 = Math.ceil(Math.log10(hi)) + 1;
  for (let e = e0; e <= e1; e++) for (const m of LOG_MANTISSAS) out.push(cleanFloat(m * 10 ** e));
  return out;
}

/**
 * Log10 ticks at 1, 2, 5 x 10^n. The domain snaps outwards to that same grid, so the axis
 * always starts and ends on a labelled value.
 */
export function logTicks(min: number, max: number): LogTicks {
  let lo = isNum(min) && min > 0 ? min : 1;
  let hi = isNum(max) && max > 0 ? max : lo * 10;
  if (hi < lo) [lo, hi] = [hi, lo];
  const cands = logCandidates(lo, hi);
  const dLo = [...cands].reverse().find((c) => c <= lo * (1 + 1e-9)) ?? lo;
  let dHi = cands.find((c) => c >= hi * (1 - 1e-9)) ?? hi;
  if (dHi <= dLo) dHi = cands.find((c) => c > dLo) ?? dLo * 2;
  const inside = cands.filter((c) => c >= dLo * (1 - 1e-9) && c <= dHi * (1 + 1e-9));
  const decades = Math.log10(dHi / dLo);
  if (decades <= 2.5) return { domain: [dLo, dHi], major: inside, minor: [] };
  // On long ranges labelling 2 and 5 crowds the axis; keep them as faint gridlines.
  const isPow10 = (v: number) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
  return { domain: [dLo, dHi], major: inside.filter(isPow10), minor: inside.filter((v) => !isPow10(v)) };
}

/** Compact tick label: 0.05, 2.5, 500, 2k, 1.5M. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${cleanFloat(v / 1e6)}M`;
  if (a >= 1e4 || (a >= 1e3 && cleanFloat(v / 1e3) === Math.round(v / 1e3))) return `${cleanFloat(v / 1e3)}k`;
  return String(cleanFloat(v));
}

const TIME_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 3600, 7200];

function timeTicks(lo: number, hi: number, target: number): number[] {
  const raw = (hi - lo) / Math.max(1, target);
  const step = TIME_STEPS.find((s) => s >= raw) ?? Math.ceil(raw / 3600) * 3600;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(t);
  return out;
}

function formatClock(s: number): string {
  const sign = s < 0 ? "-" : "";
  const a = Math.round(Math.abs(s));
  const m = Math.floor(a / 60);
  return `${sign}${m}:${String(a % 60).padStart(2, "0")}`;
}

// ---------------------------------------------------------------------------------------------
// Scales

interface Scale {
  kind: "linear" | "log";
  domain: [number, number];
  major: number[];
  minor: number[];
  /** Pixel y for a value, clamped into the plot (log axes cannot show <= 0). */
  y(v: number): number;
}

function makeScale(
  kind: "linear" | "log",
  domain: [number, number],
  major: number[],
  minor: number[],
  top: number,
  bottom: number,
): Scale {
  const [lo, hi] = domain;
  const span = kind === "log" ? Math.log10(hi / lo) : hi - lo;
  const y = (v: number): number => {
    const c = Math.min(hi, Math.max(lo, v));
    const f = kind === "log" ? Math.log10(c / lo) / span : (c - lo) / span;
    return bottom - f * (bottom - top);
  };
  return { kind, domain, major, minor, y };
}

function axisValues(axis: AxisSide, lines: readonly LineSeries[], bars: readonly BarSeries[]): number[] {
  const out: number[] = [];
  for (const s of lines) {
    if ((s.axis ?? "left") !== axis) continue;
    for (const [x, v] of s.points) if (isNum(x) && isNum(v)) out.push(v);
  }
  for (const total of stackTotals(bars.filter((b) => (b.axis ?? "left") === axis)).values()) out.push(total);
  return out;
}

function stackTotals(bars: readonly BarSeries[]): Map<number, number> {
  const totals = new Map<number, number>();
  for (const b of bars)
    for (const [x, v] of b.points) if (isNum(x) && isNum(v) && v > 0) totals.set(x, (totals.get(x) ?? 0) + v);
  return totals;
}

function buildScale(
  opts: AxisOptions,
  values: number[],
  top: number,
  bottom: number,
  alignTo: Scale | null,
): Scale {
  if (opts.scale === "log") {
    const pos = values.filter((v) => v > 0);
    const lo = isNum(opts.min) && opts.min > 0 ? opts.min : minOf(pos, 1);
    const hi = isNum(opts.max) && opts.max > 0 ? opts.max : maxOf(pos, 1000);
    const t = logTicks(lo, Math.max(hi, lo));
    return makeScale("log", t.domain, t.major, t.minor, top, bottom);
  }
  const lo = isNum(opts.min) ? opts.min : Math.min(0, minOf(values, 0));
  const hi = isNum(opts.max) ? opts.max : maxOf(values, 1);
  const t =
    alignTo && alignTo.kind === "linear" && alignTo.major.length > 1
      ? alignedTicks(lo, hi, alignTo.major.length - 1)
      : linearTicks(lo, hi, Math.max(3, Math.round((bottom - top) / 50)));
  return makeScale("linear", t.domain, t.ticks, [], top, bottom);
}

// ---------------------------------------------------------------------------------------------
// Chart

interface LegendItem {
  label: string;
  color: string;
  kind: "line" | "bar" | "dot" | "vline";
  dash?: "dashed" | "dotted";
}

const DASHES = { dashed: "6 4", dotted: "1.5 3" } as const;

function layoutLegend(items: LegendItem[], left: number, maxRight: number): { x: number; row: number }[] {
  const out: { x: number; row: number }[] = [];
  let x = left;
  let row = 0;
  for (const it of items) {
    const w = 22 + textWidth(it.label, 12) + 18;
    if (x > left && x + w > maxRight) {
      row++;
      x = left;
    }
    out.push({ x, row });
    x += w;
  }
  return out;
}

function linePath(
  points: readonly Point[],
  sx: (x: number) => number,
  sy: (v: number) => number,
  maxGap: number,
  step = false,
) {
  const sorted = points.filter((p) => isNum(p[0])).sort((a, b) => a[0] - b[0]);
  let d = "";
  const isolated: [number, number][] = [];
  let runLen = 0;
  let prevX: number | null = null;
  let last: [number, number] | null = null;
  const closeRun = () => {
    if (runLen === 1 && last) isolated.push(last);
    runLen = 0;
  };
  for (const [x, v] of sorted) {
    if (!isNum(v)) {
      closeRun();
      prevX = null;
      continue;
    }
    if (prevX !== null && x - prevX > maxGap) closeRun();
    const px = sx(x);
    const py = sy(v);
    if (runLen === 0) d += `M${r(px)} ${r(py)}`;
    else if (step) d += `H${r(px)}V${r(py)}`;
    else d += `L${r(px)} ${r(py)}`;
    runLen++;
    last = [px, py];
    prevX = x;
  }
  closeRun();
  return { d, isolated };
}

// ---------------------------------------------------------------------------------------------
// Downsampling for drawing

/**
 * A line reduced to the lowest and the highest value of each pixel column (in x order), for
 * drawing only: an hour of per-second points is ~3.7 points per column of a 1100 px chart, more
 * than a screen or a PNG can show. Nothing is averaged (an averaged percentile is not a
 * percentile): every drawn point is a real value, and each column keeps its extremes, so spikes
 * and dips stay visible. Gaps (null values, or x steps wider than `maxGap`) become explicit null
 * points, so the caller draws the result with no gap rule of its own.
 */
export function minMaxPerColumn(
  points: readonly Point[],
  column: (x: number) => number,
  maxGap = Number.POSITIVE_INFINITY,
): Point[] {
  const sorted = points.filter((p) => isNum(p[0])).sort((a, b) => a[0] - b[0]);
  const out: Point[] = [];
  let col: number | null = null;
  let lo: [number, number] | null = null;
  let hi: [number, number] | null = null;
  let prevX: number | null = null;
  const flush = () => {
    if (lo && hi) {
      if (lo === hi) out.push(lo);
      else if (lo[0] <= hi[0]) out.push(lo, hi);
      else out.push(hi, lo);
    }
    lo = null;
    hi = null;
    col = null;
  };
  for (const [x, v] of sorted) {
    if (!isNum(v)) {
      flush();
      out.push([x, null]);
      prevX = null;
      continue;
    }
    if (prevX !== null && x - prevX > maxGap) {
      flush();
      out.push([(x + prevX) / 2, null]);
    }
    const c = column(x);
    if (c !== col) {
      flush();
      col = c;
    }
    const p: [number, number] = [x, v];
    if (lo === null || v < lo[1]) lo = p;
    if (hi === null || v > hi[1]) hi = p;
    prevX = x;
  }
  flush();
  return out;
}

function countValues(points: readonly Point[]): number {
  let n = 0;
  for (const [x, v] of points) if (isNum(x) && isNum(v)) n++;
  return n;
}

export function timeChart(o: TimeChartOptions): string {
  const width = o.width ?? 1100;
  const height = o.height ?? 320;
  const lines = o.lines ?? [];
  const bars = o.bars ?? [];
  const barWidth = o.barWidth ?? 1;
  const bands = (o.bands ?? []).filter((b) => isNum(b.start) && isNum(b.end) && b.end > b.start);
  const uid = slug(o.id);
  const events = (o.events ?? []).filter((e) => isNum(e.x));

  const legend: LegendItem[] = [];
  for (const b of bars)
    if (b.legend !== false)
      legend.push({
        label: b.name + (b.axis === "right" ? " (right axis)" : ""),
        color: b.color,
        kind: "bar",
      });
  for (const s of lines)
    if (s.legend !== false)
      legend.push({
        label: s.name + (s.axis === "right" ? " (right axis)" : ""),
        color: s.color,
        kind: s.width === 0 ? "dot" : "line",
        ...(s.dash ? { dash: s.dash } : {}),
      });
  if (o.eventLegend !== false) {
    const seen = new Set<string>();
    for (const e of events) {
      if (seen.has(e.kind)) continue;
      seen.add(e.kind);
      legend.push({ label: e.name, color: e.color, kind: "vline", ...(e.dash ? { dash: e.dash } : {}) });
    }
  }

  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const leftValues = axisValues("left", lines, bars);
  const rightValues = axisValues("right", lines, bars);
  const hasData = leftValues.length + rightValues.length > 0;
  // A legend for series that draw nothing is noise.
  if (!hasData) legend.length = 0;
  const legendPos = layoutLegend(legend, left, right);
  const legendRows = legend.length > 0 ? Math.max(...legendPos.map((p) => p.row)) + 1 : 0;
  const showBandLabels = (o.bandLabels ?? true) && bands.length > 0;
  const top = 8 + legendRows * LEGEND_ROW + (showBandLabels ? BAND_STRIP : 4);
  const bottom = height - MARGIN.bottom;

  // x domain: explicit, else the data's extent (bars occupy [x, x + barWidth)).
  const xs: number[] = [];
  for (const s of lines) for (const [x] of s.points) if (isNum(x)) xs.push(x);
  for (const b of bars)
    for (const [x] of b.points)
      if (isNum(x)) {
        xs.push(x);
        xs.push(x + barWidth);
      }
  for (const b of bands) xs.push(b.start, b.end);
  let [x0, x1] = o.x.domain ?? [minOf(xs, 0), maxOf(xs, 1)];
  if (!isNum(x0)) x0 = 0;
  if (!isNum(x1) || x1 <= x0) x1 = x0 + 1;
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * (right - left);

  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${uid}-title" font-family="${escapeXml(FONT)}" data-chart-id="${escapeXml(uid)}">`,
    `<title id="${uid}-title">${escapeXml(o.title)}</title>`,
    `<defs><clipPath id="${uid}-clip"><rect x="${left}" y="${top}" width="${r(right - left)}" height="${r(bottom - top)}"/></clipPath></defs>`,
  );

  // Phase bands go first so every mark sits on top of them.
  if (bands.length > 0) {
    const stripTop = showBandLabels ? top - BAND_STRIP : top;
    parts.push('<g class="bands">');
    bands.forEach((b, i) => {
      const bx0 = sx(Math.max(x0, b.start));
      const bx1 = sx(Math.min(x1, b.end));
      if (bx1 <= bx0) return;
      parts.push(
        `<rect x="${r(bx0)}" y="${r(stripTop)}" width="${r(bx1 - bx0)}" height="${r(bottom - stripTop)}" fill="${BAND_FILLS[i % 2]}"/>`,
      );
      if (b.start > x0)
        parts.push(
          `<line x1="${r(bx0)}" x2="${r(bx0)}" y1="${r(stripTop)}" y2="${r(bottom)}" stroke="#cbd5e1" stroke-width="1"/>`,
        );
      if (showBandLabels && textWidth(b.name, 11) + 8 <= bx1 - bx0) {
        parts.push(
          `<text x="${r((bx0 + bx1) / 2)}" y="${r(stripTop + 13)}" text-anchor="middle" font-size="11" fill="${MUTED}">${escapeXml(b.name)}</text>`,
        );
      }
    });
    parts.push("</g>");
  }

  // Legend.
  if (legend.length > 0) {
    parts.push('<g class="legend" font-size="12">');
    legend.forEach((it, i) => {
      const pos = legendPos[i];
      if (!pos) return;
      const cy = 8 + pos.row * LEGEND_ROW + 10;
      if (it.kind === "vline") {
        const dash = it.dash ? ` stroke-dasharray="${it.dash === "dotted" ? "1.5 2" : "3 2"}"` : "";
        parts.push(
          `<line x1="${r(pos.x + 8)}" x2="${r(pos.x + 8)}" y1="${r(cy - 7)}" y2="${r(cy + 7)}" stroke="${escapeXml(it.color)}" stroke-width="2"${dash}/>`,
        );
      } else if (it.kind === "dot") {
        parts.push(`<circle cx="${r(pos.x + 8)}" cy="${r(cy)}" r="3" fill="${escapeXml(it.color)}"/>`);
      } else if (it.kind === "bar") {
        parts.push(
          `<rect x="${r(pos.x + 3)}" y="${r(cy - 5)}" width="10" height="10" rx="1.5" fill="${escapeXml(it.color)}"/>`,
        );
      } else {
        const dash = it.dash ? ` stroke-dasharray="${DASHES[it.dash]}"` : "";
        parts.push(
          `<line x1="${r(pos.x)}" x2="${r(pos.x + 16)}" y1="${r(cy)}" y2="${r(cy)}" stroke="${escapeXml(it.color)}" stroke-width="2"${dash} stroke-linecap="round"/>`,
        );
      }
      parts.push(`<text x="${r(pos.x + 22)}" y="${r(cy + 4)}" fill="${INK}">${escapeXml(it.label)}</text>`);
    });
    parts.push("</g>");
  }

  // x axis: light vertical gridlines help line up an event across the stacked charts.
  const xt = timeTicks(x0, x1, Math.max(4, Math.round((right - left) / 90)));
  const clock = x1 - x0 > 600;
  parts.push(`<g class="x-axis" font-size="11" fill="${MUTED}">`);
  for (const t of xt) {
    const px = sx(t);
    parts.push(`<line x1="${r(px)}" x2="${r(px)}" y1="${r(top)}" y2="${r(bottom)}" stroke="${GRID_MINOR}"/>`);
    parts.push(
      `<line x1="${r(px)}" x2="${r(px)}" y1="${r(bottom)}" y2="${r(bottom + 4)}" stroke="${AXIS}"/>`,
    );
    parts.push(
      `<text x="${r(px)}" y="${r(bottom + 16)}" text-anchor="middle">${clock ? formatClock(t) : String(t)}</text>`,
    );
  }
  if (o.x.label !== "")
    parts.push(
      `<text x="${r((left + right) / 2)}" y="${r(height - 8)}" text-anchor="middle" fill="#334155">${escapeXml(`${o.x.label} (${clock ? "m:ss" : "s"})`)}</text>`,
    );
  parts.push("</g>");

  if (!hasData) {
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${r(bottom)}" y2="${r(bottom)}" stroke="${AXIS}"/>`,
      `<text class="no-data" x="${r((left + right) / 2)}" y="${r((top + bottom) / 2)}" text-anchor="middle" font-size="14" fill="${MUTED}">${escapeXml(o.noDataText ?? "no data")}</text>`,
      "</svg>",
    );
    return parts.join("");
  }

  const yL = buildScale(o.y, leftValues, top, bottom, null);
  const yR = o.y2 ? buildScale(o.y2, rightValues, top, bottom, yL) : null;

  // Horizontal gridlines follow the left axis only; the right axis is aligned onto them.
  parts.push(`<g class="y-axis" font-size="11" fill="${MUTED}">`);
  for (const v of yL.minor)
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${r(yL.y(v))}" y2="${r(yL.y(v))}" stroke="${GRID_MINOR}"/>`,
    );
  for (const v of yL.major) {
    const py = yL.y(v);
    parts.push(`<line x1="${left}" x2="${right}" y1="${r(py)}" y2="${r(py)}" stroke="${GRID}"/>`);
    parts.push(`<text x="${left - 8}" y="${r(py + 4)}" text-anchor="end">${escapeXml(formatTick(v))}</text>`);
  }
  parts.push(
    `<text transform="translate(16 ${r((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#334155">${escapeXml(o.y.label + (yL.kind === "log" ? ", log scale" : ""))}</text>`,
  );
  if (yR && o.y2) {
    for (const v of yR.major) {
      const py = yR.y(v);
      parts.push(`<line x1="${right}" x2="${right + 4}" y1="${r(py)}" y2="${r(py)}" stroke="${AXIS}"/>`);
      parts.push(
        `<text x="${right + 8}" y="${r(py + 4)}" text-anchor="start">${escapeXml(formatTick(v))}</text>`,
      );
    }
    parts.push(
      `<line x1="${right}" x2="${right}" y1="${r(top)}" y2="${r(bottom)}" stroke="${AXIS}"/>`,
      `<text transform="translate(${width - 14} ${r((top + bottom) / 2)}) rotate(90)" text-anchor="middle" fill="#334155">${escapeXml(o.y2.label + (yR.kind === "log" ? ", log scale" : ""))}</text>`,
    );
  }
  parts.push("</g>");

  const scaleOf = (axis: AxisSide | undefined) => (axis === "right" && yR ? yR : yL);

  // Bars narrower than a pixel: per pixel column, only the x with the tallest stack is drawn,
  // one column wide (what the overlapping sub-pixel bars would have shown as their envelope).
  const columns = Math.max(1, Math.floor(right - left));
  const column = (x: number) => Math.floor(sx(x) - left);
  let drawnFrom = 0;
  let barColumns: Map<string, number> | null = null;
  if (bars.length > 0 && sx(x0 + barWidth) - sx(x0) < 1) {
    barColumns = new Map();
    for (const axis of ["left", "right"] as const) {
      const best = new Map<number, { x: number; total: number }>();
      for (const [x, total] of stackTotals(bars.filter((b) => (b.axis ?? "left") === axis))) {
        const c = column(x);
        const cur = best.get(c);
        if (!cur || total > cur.total) best.set(c, { x, total });
      }
      for (const [c, { x }] of best) barColumns.set(`${axis}:${x}`, c);
    }
    for (const b of bars) drawnFrom = Math.max(drawnFrom, countValues(b.points));
  }

  // Stacked bars: one path per series (one subpath per bar) keeps the markup small.
  parts.push(`<g class="marks" clip-path="url(#${uid}-clip)">`);
  const base = new Map<string, number>();
  for (const b of bars) {
    const sc = scaleOf(b.axis);
    let d = "";
    for (const [x, v] of b.points) {
      if (!isNum(x) || !isNum(v) || v <= 0) continue;
      const key = `${b.axis ?? "left"}:${x}`;
      const col = barColumns?.get(key);
      if (barColumns && col === undefined) continue;
      const below = base.get(key) ?? 0;
      base.set(key, below + v);
      const px0 = col === undefined ? sx(x) : left + col;
      const px1 = col === undefined ? sx(x + barWidth) : left + col + 1;
      const gap = px1 - px0 > 4 ? 1 : 0;
      const y0 = sc.y(sc.kind === "log" ? Math.max(below, sc.domain[0]) : below);
      const y1 = sc.y(below + v);
      if (y0 - y1 < 0.05) continue;
      d += `M${r(px0 + gap / 2)} ${r(y1)}H${r(px1 - gap / 2)}V${r(y0)}H${r(px0 + gap / 2)}Z`;
    }
    if (d !== "")
      parts.push(
        `<path data-series="${escapeXml(b.id ?? slug(b.name))}" d="${d}" fill="${escapeXml(b.color)}" shape-rendering="crispEdges"/>`,
      );
  }

  for (const s of lines) {
    const sc = scaleOf(s.axis);
    const n = countValues(s.points);
    const reduce = n > columns;
    if (reduce) drawnFrom = Math.max(drawnFrom, n);
    const points = reduce ? minMaxPerColumn(s.points, column, s.maxGap) : s.points;
    const { d, isolated } = linePath(
      points,
      sx,
      sc.y,
      reduce ? Number.POSITIVE_INFINITY : (s.maxGap ?? Number.POSITIVE_INFINITY),
      s.step === true,
    );
    if (d === "") continue;
    const w = s.width ?? 1.75;
    const dash = s.dash ? ` stroke-dasharray="${DASHES[s.dash]}"` : "";
    const color = escapeXml(s.color);
    // width 0 = markers only (a scatter of sparse events).
    if (w > 0)
      parts.push(
        `<path data-series="${escapeXml(s.id ?? slug(s.name))}" d="${d}" fill="none" stroke="${color}" stroke-width="${w}"${dash} stroke-linejoin="round" stroke-linecap="round"/>`,
      );
    // A value with no neighbour would be an invisible zero-length path: show it as a dot.
    const dots = s.markers ? linePoints(points, sx, sc.y) : isolated;
    if (dots.length > 0) {
      const rad = s.markers ? 2.5 : 2;
      parts.push(`<g data-series-markers="${escapeXml(s.id ?? slug(s.name))}" fill="${color}">`);
      for (const [px, py] of dots) parts.push(`<circle cx="${r(px)}" cy="${r(py)}" r="${rad}"/>`);
      parts.push("</g>");
    }
  }
  parts.push("</g>");

  parts.push(`<line x1="${left}" x2="${right}" y1="${r(bottom)}" y2="${r(bottom)}" stroke="${AXIS}"/>`);
  // Said once per figure: under the panel that carries the time axis title.
  if (drawnFrom > 0 && o.x.label !== "")
    parts.push(
      `<text class="downsampled" x="${right}" y="${r(height - 8)}" text-anchor="end" font-size="10" fill="${MUTED}">${escapeXml(`drawn as min/max per pixel column (${formatTick(drawnFrom)} points in ${columns} px)`)}</text>`,
    );

  if (o.hover && o.hover.length > 0) {
    parts.push('<g class="hover">');
    for (const h of o.hover) {
      if (!isNum(h.start) || !isNum(h.end) || h.end <= h.start) continue;
      const hx0 = sx(Math.max(x0, h.start));
      const hx1 = sx(Math.min(x1, h.end));
      if (hx1 <= hx0) continue;
      parts.push(
        `<rect x="${r(hx0)}" y="${r(top)}" width="${r(hx1 - hx0)}" height="${r(bottom - top)}" fill="transparent"><title>${escapeXml(h.text)}</title></rect>`,
      );
    }
    parts.push("</g>");
  }

  // Event markers last, so their tooltips win over the hover columns under them.
  if (events.length > 0) {
    parts.push('<g class="events">');
    for (const e of events) {
      if (e.x < x0 || e.x > x1) continue;
      const px = r(sx(e.x));
      const dash = e.dash ? ` stroke-dasharray="${DASHES[e.dash]}"` : "";
      parts.push(
        `<line data-event="${escapeXml(e.kind)}" x1="${px}" x2="${px}" y1="${r(top)}" y2="${r(bottom)}" stroke="${escapeXml(e.color)}" stroke-width="${e.width ?? 1.5}"${dash}><title>${escapeXml(e.title)}</title></line>`,
      );
    }
    parts.push("</g>");
  }

  parts.push("</svg>");
  return parts.join("");
}

function linePoints(
  points: readonly Point[],
  sx: (x: number) => number,
  sy: (v: number) => number,
): [number, number][] {
  const out: [number, number][] = [];
  for (const [x, v] of points) if (isNum(x) && isNum(v)) out.push([sx(x), sy(v)]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Percentile spectrum

/**
 * x of a percentile on a spectrum chart, HdrHistogram plotter convention: x = 1/(1-p) with p a
 * fraction, on a log axis, so 0% -> 1, 90% -> 10, 99% -> 100, 99.9% -> 1,000: every "nine"
 * gets the same width. p >= 1 (the maximum) has no finite x: Infinity.
 */
export function spectrumX(p: number): number {
  return p >= 1 ? Number.POSITIVE_INFINITY : 1 / (1 - Math.max(0, p));
}

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
  /** Points are [x = 1/(1-p), latency]; `axis`, `step`, `maxGap` are ignored. */
  lines: readonly LineSeries[];
  y: AxisOptions;
  noDataText?: string;
}

/**
 * Latency by percentile: x = 1/(1-p) on a log axis labelled in percent (one decade per "nine"),
 * y on a log axis. Same frame, fonts and legend as `timeChart`.
 */
export function spectrumChart(o: SpectrumChartOptions): string {
  const width = o.width ?? 1100;
  const height = o.height ?? 340;
  const uid = slug(o.id);
  const left = MARGIN.left;
  const right = width - MARGIN.right;
  const lines = o.lines.filter((s) => s.points.some(([x, v]) => isNum(x) && x >= 1 && isNum(v) && v > 0));
  const legend: LegendItem[] = lines
    .filter((s) => s.legend !== false)
    .map((s) => ({ label: s.name, color: s.color, kind: "line", ...(s.dash ? { dash: s.dash } : {}) }));
  const legendPos = layoutLegend(legend, left, right);
  const legendRows = legend.length > 0 ? Math.max(...legendPos.map((p) => p.row)) + 1 : 0;
  const top = 8 + legendRows * LEGEND_ROW + 8;
  const bottom = height - MARGIN.bottom;
  const parts: string[] = [
    `<svg class="chart spectrum" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${uid}-title" font-family="${escapeXml(FONT)}" data-chart-id="${escapeXml(uid)}">`,
    `<title id="${uid}-title">${escapeXml(o.title)}</title>`,
    `<defs><clipPath id="${uid}-clip"><rect x="${left}" y="${r(top - 2)}" width="${r(right - left + 2)}" height="${r(bottom - top + 4)}"/></clipPath></defs>`,
  ];
  // x: whole decades from 0% (x = 1) to the first decade past the data, at least 99.9%.
  let xMaxData = 1;
  const ys: number[] = [];
  for (const s of lines)
    for (const [x, v] of s.points)
      if (isNum(x) && x >= 1 && isNum(v) && v > 0) {
        if (x > xMaxData) xMaxData = x;
        ys.push(v);
      }
  const decades = Math.max(3, Math.ceil(Math.log10(xMaxData) - 1e-9));
  const sx = (x: number) => left + (Math.log10(Math.max(1, x)) / decades) * (right - left);
  parts.push(`<g class="x-axis" font-size="11" fill="${MUTED}">`);
  for (let k = 0; k <= decades; k++) {
    const x = 10 ** k;
    const px = r(sx(x));
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${r(top)}" y2="${r(bottom)}" stroke="${GRID}"/>`,
      `<line x1="${px}" x2="${px}" y1="${r(bottom)}" y2="${r(bottom + 4)}" stroke="${AXIS}"/>`,
      `<text data-x="${x}" x="${px}" y="${r(bottom + 16)}" text-anchor="middle">${percentLabel(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${r((left + right) / 2)}" y="${r(height - 8)}" text-anchor="middle" fill="#334155">percentile (x = 1/(1-p), log scale)</text>`,
    "</g>",
  );
  if (lines.length === 0) {
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${r(bottom)}" y2="${r(bottom)}" stroke="${AXIS}"/>`,
      `<text class="no-data" x="${r((left + right) / 2)}" y="${r((top + bottom) / 2)}" text-anchor="middle" font-size="14" fill="${MUTED}">${escapeXml(o.noDataText ?? "no data")}</text>`,
      "</svg>",
    );
    return parts.join("");
  }
  const y = buildScale({ ...o.y, scale: o.y.scale ?? "log" }, ys, top, bottom, null);
  parts.push(`<g class="y-axis" font-size="11" fill="${MUTED}">`);
  for (const v of y.minor)
    parts.push(
      `<line x1="${left}" x2="${right}" y1="${r(y.y(v))}" y2="${r(y.y(v))}" stroke="${GRID_MINOR}"/>`,
    );
  for (const v of y.major) {
    const py = y.y(v);
    parts.push(`<line x1="${left}" x2="${right}" y1="${r(py)}" y2="${r(py)}" stroke="${GRID}"/>`);
    parts.push(`<text x="${left - 8}" y="${r(py + 4)}" text-anchor="end">${escapeXml(formatTick(v))}</text>`);
  }
  parts.push(
    `<text transform="translate(16 ${r((top + bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#334155">${escapeXml(o.y.label + (y.kind === "log" ? ", log scale" : ""))}</text>`,
    "</g>",
  );
  if (legend.length > 0) {
    parts.push('<g class="legend" font-size="12">');
    legend.forEach((it, i) => {
      const pos = legendPos[i];
      if (!pos) return;
      const cy = 8 + pos.row * LEGEND_ROW + 10;
      const dash = it.dash ? ` stroke-dasharray="${DASHES[it.dash]}"` : "";
      parts.push(
        `<line x1="${r(pos.x)}" x2="${r(pos.x + 16)}" y1="${r(cy)}" y2="${r(cy)}" stroke="${escapeXml(it.color)}" stroke-width="2"${dash} stroke-linecap="round"/>`,
        `<text x="${r(pos.x + 22)}" y="${r(cy + 4)}" fill="${INK}">${escapeXml(it.label)}</text>`,
      );
    });
    parts.push("</g>");
  }
  parts.push(`<g class="marks" clip-path="url(#${uid}-clip)">`);
  for (const s of lines) {
    const pts = s.points.filter(([x, v]) => isNum(x) && x >= 1 && isNum(v) && v > 0);
    const { d, isolated } = linePath(pts, sx, y.y, Number.POSITIVE_INFINITY);
    const id = escapeXml(s.id ?? slug(s.name));
    const color = escapeXml(s.color);
    const dash = s.dash ? ` stroke-dasharray="${DASHES[s.dash]}"` : "";
    // Tooltip: the value at each labelled percentile the line reaches.
    const tip = [1, 2, 10, 100, 1000, 1e4, 1e5, 1e6]
      .map((m) => pts.find(([x]) => Math.abs(x / m - 1) < 1e-6))
      .filter((p): p is Point => p !== undefined)
      .map(
        ([x, v]) =>
          `${x === 2 ? "50%" : percentLabel(x)}: ${formatTick(Number((v as number).toPrecision(3)))}`,
      )
      .join(", ");
    parts.push(
      `<path data-series="${id}" d="${d}" fill="none" stroke="${color}" stroke-width="${s.width ?? 1.75}"${dash} stroke-linejoin="round" stroke-linecap="round"><title>${escapeXml(`${s.name}: ${tip}`)}</title></path>`,
    );
    if (isolated.length > 0) {
      parts.push(`<g data-series-markers="${id}" fill="${color}">`);
      for (const [px, py] of isolated) parts.push(`<circle cx="${r(px)}" cy="${r(py)}" r="2"/>`);
      parts.push("</g>");
    }
  }
  parts.push(
    "</g>",
    `<line x1="${left}" x2="${right}" y1="${r(bottom)}" y2="${r(bottom)}" stroke="${AXIS}"/>`,
    "</svg>",
  );
  return parts.join("");
}
