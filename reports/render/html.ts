/**
 * report.html: one self-contained document (inline CSS, the charts' ECharts options and ECharts
 * itself inlined, no external resource) so a drill's report can be archived or opened from CI
 * offline.
 */

import type { CapacityEvent, CapacityEventKind, TierName } from "../../loadtests/vocabulary/capacity.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import {
  REJECT_REASONS,
  type RejectReason,
  TRAFFIC_CLASSES,
  type TrafficClass,
} from "../../loadtests/vocabulary/traffic.ts";
import type { ClassSummary, LatencyPercentilesMs, PhaseSpan, ReportModel } from "../model.ts";
import { sumCounts } from "../summary.ts";
import type { ChartFigure, ChartId } from "./charts.ts";
import { CHARTS, OPTIONAL_CHARTS } from "./charts.ts";
import type { Band, BarSeries, ChartPanel, EventMarker, LineSeries, Point } from "./echarts.ts";
import { escapeXml, spectrumChart, timeChart } from "./echarts.ts";
import { formatCount, formatMs, formatPct, formatSig3 } from "./format.ts";
import { marketCharts } from "./marketCharts.ts";
import { CHART_CSS, chartScripts, figureHtml } from "./page.ts";
import { burstTable, endpointTable, exchangeClockOffsetS, marketTable, scaleOutTable } from "./tables.ts";

export { CHARTS, OPTIONAL_CHARTS } from "./charts.ts";
export { formatCount, formatMs, formatPct, formatSig3 } from "./format.ts";

/**
 * Colours are distinct within each chart, and the series that recur (percentiles, reject
 * reasons, classes) keep theirs in every chart and table.
 */
export const COLORS = {
  p50: "#2563eb",
  p90: "#0d9488",
  p99: "#ea580c",
  p999: "#c026d3",
  max: "#dc2626",
  serverP99: "#475569",
  served: "#94c5ae",
  total: "#0f172a",
  offered: "#64748b",
  stale: "#0ea5e9",
  replicaLag: "#334155",
  staleAge: "#be185d",
  queueMax: "#1e293b",
  queueEnd: "#94a3b8",
  busy: "#0f766e",
  workers: "#64748b",
  utilisation: "#c2410c",
  dropped: "#e11d48",
  k6Cpu: "#4338ca",
  exchangeCpu: "#0891b2",
  readQueue: "#a16207", // = TIER_COLORS.read
  liquidations: "#b91c1c",
  liquidationsShown: "#0284c7",
} as const;

/** Each provisioned tier keeps its colour: solid = ready instances, dashed = booting. */
export const TIER_COLORS: Record<TierName, string> = {
  gateway: "#0369a1",
  read: "#a16207",
};

/** Event markers: decisions dashed, capacity arriving solid, faults red. */
export const EVENT_STYLES: Record<
  CapacityEventKind,
  { name: string; color: string; dash?: "dashed" | "dotted"; width: number }
> = {
  "scale-out": { name: "scale-out decision", color: "#2563eb", dash: "dashed", width: 1.5 },
  "scale-in": { name: "scale-in decision", color: "#94a3b8", dash: "dashed", width: 1.5 },
  "instances-ready": { name: "instances ready", color: "#16a34a", width: 1.75 },
  "fault-start": { name: "fault start", color: "#dc2626", width: 2.25 },
  "fault-end": { name: "fault end", color: "#dc2626", dash: "dotted", width: 2.25 },
  failover: { name: "failover", color: "#9333ea", width: 2 },
};

export const REASON_COLORS: Record<RejectReason, string> = {
  rate_limited: "#f59e0b",
  banned: "#7f1d1d",
  overloaded: "#7c3aed",
  timeout: "#ef4444",
  order_rejected: "#9ca3af",
  error: "#111827",
};

export const CLASS_COLORS: Record<TrafficClass, string> = {
  order: "#7c3aed",
  position: "#16a34a",
  depth: "#db2777",
};

const CHART_WIDTH = 1100;
const DASH = "—";

// ---------------------------------------------------------------------------------------------
// Formatting

function isNum(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function formatSeconds(s: number): string {
  return isNum(s) ? String(Math.round(s * 10) / 10) : DASH;
}

function ratio(num: number, den: number): number {
  return isNum(num) && isNum(den) && den > 0 ? num / den : Number.NaN;
}

function formatDuration(s: number): string {
  if (!isNum(s)) return DASH;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min ${String(sec).padStart(2, "0")} s`;
  if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
  return `${sec} s`;
}

function formatUtc(ms: number): string {
  const d = new Date(ms);
  if (!isNum(d.getTime())) return DASH;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

const esc = escapeXml;

// ---------------------------------------------------------------------------------------------
// run.json is free-form: look fields up under the names the drill runner is likely to use.

function lookup(run: Record<string, unknown>, paths: string[][]): unknown {
  for (const path of paths) {
    let cur: unknown = run;
    for (const key of path) {
      cur = cur !== null && typeof cur === "object" ? (cur as Record<string, unknown>)[key] : undefined;
    }
    if (cur !== undefined && cur !== null && cur !== "") return cur;
  }
  return undefined;
}

function asText(v: unknown): string | null {
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "boolean") return String(v);
  return null;
}

function runStartMs(model: ReportModel): number | null {
  const v = lookup(model.run, [
    ["startedAt"],
    ["startedAtMs"],
    ["startTime"],
    ["start"],
    ["t0Ms"],
    ["t0"],
    ["date"],
    ["createdAt"],
  ]);
  if (typeof v === "number" && Number.isFinite(v)) return v > 1e11 ? v : v * 1000;
  if (typeof v === "string") {
    const p = Date.parse(v);
    if (Number.isFinite(p)) return p;
  }
  // timeline tsMs marks the end of second t, so t0 = tsMs - (t + 1) s.
  const first = model.timeline.find((p) => isNum(p.tsMs) && isNum(p.t));
  if (first) return first.tsMs - (first.t + 1) * 1000;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Model helpers

/** Natural seconds per wall second: run.json's `scales.timeScale`; 1 when absent or not positive. */
export function timeScaleOf(model: ReportModel): number {
  const v = lookup(model.run, [["scales", "timeScale"], ["timeScale"]]);
  return typeof v === "number" && Number.isFinite(v) && v > 0 ? v : 1;
}

/** Offered load multiple at time t: linear within a phase, as the profile defines it. */
export function offeredMultipleAt(phases: readonly PhaseSpan[], t: number): number | null {
  for (const p of phases) {
    if (t >= p.startS && t < p.endS) {
      const f = p.endS > p.startS ? (t - p.startS) / (p.endS - p.startS) : 0;
      return p.fromMultiple + f * (p.toMultiple - p.fromMultiple);
    }
  }
  return null;
}

/** The piecewise-linear offered-load line, exact at phase boundaries. */
function offeredPoints(phases: readonly PhaseSpan[]): Point[] {
  const out: Point[] = [];
  const sorted = [...phases]
    .filter((p) => isNum(p.startS) && isNum(p.endS))
    .sort((a, b) => a.startS - b.startS);
  let prevEnd: number | null = null;
  for (const p of sorted) {
    // A hole between phases is unknown load, not a ramp.
    if (prevEnd !== null && p.startS > prevEnd) out.push([prevEnd, null]);
    out.push([p.startS, p.fromMultiple], [p.endS, p.toMultiple]);
    prevEnd = p.endS;
  }
  return out;
}

function xDomain(model: ReportModel): [number, number] {
  let hi = isNum(model.summary.durationS) ? model.summary.durationS : 0;
  let lo = 0;
  for (const s of model.seconds) if (isNum(s.t)) hi = Math.max(hi, s.t + 1);
  for (const s of model.timeline) if (isNum(s.t)) hi = Math.max(hi, s.t + 1);
  for (const s of model.generator) if (isNum(s.t)) hi = Math.max(hi, s.t + 1);
  for (const p of model.phases) {
    if (isNum(p.endS)) hi = Math.max(hi, p.endS);
    if (isNum(p.startS)) lo = Math.min(lo, p.startS);
  }
  return [lo, hi > lo ? hi : lo + 1];
}

// ---------------------------------------------------------------------------------------------
// Capacity fields of the timeline. Lines written before they existed lack them: read them
// through these helpers, which treat anything missing or malformed as absent.

type TimelineRow = ReportModel["timeline"][number];

function tierOf(p: TimelineRow, tier: TierName): Partial<TimelinePoint["tiers"][TierName]> | undefined {
  const tiers = (p as Partial<TimelinePoint>).tiers;
  const t = tiers !== null && typeof tiers === "object" ? tiers[tier] : undefined;
  return t !== null && typeof t === "object" ? t : undefined;
}

function eventsOf(p: TimelineRow): CapacityEvent[] {
  const ev = (p as Partial<TimelinePoint>).events;
  return Array.isArray(ev) ? ev.filter((e) => e !== null && typeof e === "object") : [];
}

function hasTiers(model: ReportModel): boolean {
  return model.timeline.some((p) => tierOf(p, "gateway") !== undefined || tierOf(p, "read") !== undefined);
}

export interface PlacedEvent {
  event: CapacityEvent;
  /** Report time (seconds since t0, wall) at which the event happened. */
  t: number;
}

/**
 * Every timeline event with its report time. An event's `atS` is natural time; the timeline
 * line that carries it covers wall second [t, t+1) ending at natural `tNaturalS`, so the event
 * sits (tNaturalS - atS) / (natural seconds per wall second) before t + 1.
 */
export function placeEvents(model: ReportModel): PlacedEvent[] {
  const out: PlacedEvent[] = [];
  let prev: TimelineRow | undefined;
  for (const p of model.timeline) {
    const events = eventsOf(p);
    if (events.length > 0 && isNum(p.t)) {
      const natural = (p as Partial<TimelinePoint>).tNaturalS;
      const prevNatural = prev ? (prev as Partial<TimelinePoint>).tNaturalS : undefined;
      let rate: number | null = null;
      if (prev && isNum(natural) && isNum(prevNatural) && isNum(prev.t) && p.t > prev.t)
        rate = (natural - prevNatural) / (p.t - prev.t);
      else if (isNum(natural) && isNum(p.tWallS) && p.tWallS > 0) rate = natural / p.tWallS;
      for (const event of events) {
        let t = p.t + 0.5;
        if (rate !== null && rate > 0 && isNum(natural) && isNum(event.atS))
          t = Math.min(p.t + 1, Math.max(p.t, p.t + 1 - (natural - event.atS) / rate));
        out.push({ event, t });
      }
    }
    prev = p;
  }
  return out;
}

function eventMarkers(placed: readonly PlacedEvent[]): EventMarker[] {
  return placed.map(({ event, t }) => {
    const style = EVENT_STYLES[event.kind] ?? { name: String(event.kind), color: "#334155", width: 1.5 };
    const what = [event.kind, event.tier, isNum(event.instances) ? `→ ${event.instances} instances` : ""]
      .filter((x) => typeof x === "string" && x !== "")
      .join(" ");
    return {
      x: t,
      kind: String(event.kind),
      name: style.name,
      color: style.color,
      ...(style.dash ? { dash: style.dash } : {}),
      width: style.width,
      title: `${what}\nnatural ${formatHms(event.atS)}, t = ${formatSeconds(t)} s\n${typeof event.detail === "string" ? event.detail : ""}`,
    };
  });
}

/** Natural time as h:mm:ss. */
export function formatHms(s: number): string {
  if (!isNum(s)) return DASH;
  const sign = s < 0 ? "-" : "";
  const a = Math.round(Math.abs(s));
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return `${sign}${h}:${String(m).padStart(2, "0")}:${String(a % 60).padStart(2, "0")}`;
}

// A per-second bucket [t, t+1) is drawn at its middle, so lines sit over their bars.
const mid = (t: number) => t + 0.5;

interface ChartContext {
  /** Natural seconds per wall second (run.json scales.timeScale; 1 when it does not say). */
  timeScale: number;
  domain: [number, number];
  bands: Band[];
  /** Capacity events as chart markers (empty when the timeline has none). */
  events: EventMarker[];
}

const CHART_TITLES = new Map<string, string>([...CHARTS, ...OPTIONAL_CHARTS].map((c) => [c.id, c.title]));

/** A chart of the list (reports/render/charts.ts), titled as the list says. */
function figure(id: ChartId, svgs: ChartPanel[], caption: string): ChartFigure {
  return { id, heading: CHART_TITLES.get(id) ?? id, panels: svgs, caption };
}

// ---------------------------------------------------------------------------------------------
// Charts

function latencyChart(model: ReportModel, ctx: ChartContext): ChartFigure {
  const secs = model.seconds;
  const pick = (k: keyof LatencyPercentilesMs) =>
    secs.map((s): Point => [mid(s.t), s.latencyMs?.[k] ?? null]);
  const lines: LineSeries[] = [
    { id: "p50", name: "p50", color: COLORS.p50, points: pick("p50"), maxGap: 1.5 },
    { id: "p90", name: "p90", color: COLORS.p90, points: pick("p90"), maxGap: 1.5 },
    { id: "p99", name: "p99", color: COLORS.p99, points: pick("p99"), maxGap: 1.5, width: 2 },
    { id: "max", name: "max", color: COLORS.max, points: pick("max"), maxGap: 1.5, width: 1.25 },
  ];
  const classes = TRAFFIC_CLASSES.filter((c) => secs.some((s) => isNum(s.byClass[c]?.p99Ms)));
  for (const c of classes) {
    lines.push({
      id: `p99-${c}`,
      name: `${c} p99`,
      color: CLASS_COLORS[c],
      points: secs.map((s): Point => [mid(s.t), s.byClass[c]?.p99Ms ?? null]),
      dash: "dashed",
      width: 1.25,
      maxGap: 1.5,
    });
  }
  const server = model.timeline.filter((p) => isNum(p.serverP99Ms));
  if (server.length > 0) {
    lines.push({
      id: "server-p99",
      name: "server p99 (queue + service)",
      color: COLORS.serverP99,
      points: model.timeline.map((p): Point => [mid(p.t), p.serverP99Ms]),
      dash: "dotted",
      width: 1.5,
      maxGap: 1.5,
    });
  }
  const svg = timeChart({
    id: "chart-latency",
    title: "Client latency per second: p50, p90, p99 and max, log scale",
    width: CHART_WIDTH,
    height: 340,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "latency (ms)", scale: "log" },
    lines,
    bands: ctx.bands,
    events: ctx.events,
  });
  const extra: string[] = [];
  if (classes.length > 0)
    extra.push("Dashed: p99 of each traffic class, from that class's own per-second histogram.");
  if (server.length > 0)
    extra.push(
      "Dotted: the exchange's own p99 time in system (queue + service) from timeline.jsonl; the distance to the client p99 is time spent outside the server's queue (network, accept backlog, k6 scheduling).",
    );
  if (ctx.events.length > 0) extra.push(EVENTS_CAPTION);
  const caption = [
    "Per-second HDR histograms of k6 <code>http_req_duration</code>; each percentile is read from that second's histogram, percentiles are never averaged.",
    ...extra,
    "Gaps are seconds in which no request completed. Log scale; shaded bands are the profile's phases.",
  ].join(" ");
  return figure("latency", [svg], caption);
}

function throughputChart(model: ReportModel, ctx: ChartContext): ChartFigure {
  const secs = model.seconds;
  const reasons = REJECT_REASONS.filter((r) => secs.some((s) => (s.rejectedByReason[r] ?? 0) > 0));
  const bars: BarSeries[] = [
    {
      id: "served",
      name: "served OK",
      color: COLORS.served,
      points: secs.map((s): Point => [s.t, Math.max(0, s.requests - sumCounts(s.rejectedByReason))]),
    },
    ...reasons.map(
      (r): BarSeries => ({
        id: `rejected-${r}`,
        name: r,
        color: REASON_COLORS[r],
        points: secs.map((s): Point => [s.t, s.rejectedByReason[r] ?? 0]),
      }),
    ),
  ];
  const lines: LineSeries[] = [
    {
      id: "requests",
      name: "all requests",
      color: COLORS.total,
      points: secs.map((s): Point => [mid(s.t), s.requests]),
      width: 1.25,
      maxGap: 1.5,
    },
  ];
  const offered = offeredPoints(model.phases);
  if (offered.length > 0)
    lines.push({
      id: "offered",
      name: "offered load, × normal",
      color: COLORS.offered,
      points: offered,
      axis: "right",
      dash: "dashed",
      width: 1.25,
    });
  const svg = timeChart({
    id: "chart-throughput",
    title: "Requests per second: served and rejected by reason, with the offered load multiple",
    width: CHART_WIDTH,
    height: 320,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "requests / s" },
    ...(offered.length > 0 ? { y2: { label: "offered load (× normal)" } } : {}),
    bars,
    lines,
    bands: ctx.bands,
  });
  const caption = [
    "Requests completed per second as seen by k6, stacked: served OK (all requests minus rejects) at the bottom, then rejects by reason.",
    "Solid line: all requests per second.",
    offered.length > 0
      ? "Dashed line (right axis): the load the profile offered, as a multiple of normal, linear within each phase."
      : "",
    reasons.length === 0 ? "No request was rejected." : "",
  ]
    .filter((s) => s !== "")
    .join(" ");
  return figure("throughput", [svg], caption);
}

function staleSummary(st: ReportModel["summary"]["staleReads"]): string {
  if (!(st.checked > 0)) return "No read had an acknowledged change to check against.";
  const share = `of ${formatCount(st.checked)} checked reads (${formatPct(ratio(st.count, st.checked))})`;
  if (!(st.count > 0)) return `Over the run: no stale read ${share}.`;
  return `Over the run: <strong>${formatCount(st.count)}</strong> stale ${share}; stale age p50 ${formatMs(st.ageMs.p50)} ms, p99 ${formatMs(st.ageMs.p99)} ms, <strong>max ${formatMs(st.ageMs.max)} ms</strong>.`;
}

function staleChart(model: ReportModel, ctx: ChartContext): ChartFigure {
  const secs = model.seconds;
  const st = model.summary.staleReads;
  const lines: LineSeries[] = [];
  if (model.timeline.length > 0)
    lines.push({
      id: "replica-lag",
      name: "replica lag, ms",
      color: COLORS.replicaLag,
      points: model.timeline.map((p): Point => [mid(p.t), p.replicaLagMs]),
      axis: "right",
      maxGap: 1.5,
      width: 1.5,
    });
  if (secs.some((s) => isNum(s.staleAgeMaxMs)))
    lines.push({
      id: "stale-age-max",
      name: "oldest stale read, ms",
      color: COLORS.staleAge,
      points: secs.filter((s) => isNum(s.staleAgeMaxMs)).map((s): Point => [mid(s.t), s.staleAgeMaxMs]),
      axis: "right",
      markers: true,
      width: 0,
      legend: true,
    });
  const svg = timeChart({
    id: "chart-stale",
    title: "Stale reads per second and replica lag",
    width: CHART_WIDTH,
    height: 280,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "stale reads / s" },
    // Ages and lags are never negative: the right axis starts at 0 whatever the left one does.
    ...(lines.length > 0 ? { y2: { label: "age / lag (ms)", min: 0 } } : {}),
    bars: [
      {
        id: "stale",
        name: "stale reads / s",
        color: COLORS.stale,
        points: secs.map((s): Point => [s.t, s.staleReads]),
      },
    ],
    lines,
    bands: ctx.bands,
  });
  const caption = [
    "Bars: reads per second whose returned position was older than a change the client had already seen acknowledged.",
    "Line (right axis): the exchange's replica lag from timeline.jsonl; dots: the oldest stale read in that second.",
    staleSummary(st),
  ].join(" ");
  return figure("stale", [svg], caption);
}

const EVENTS_CAPTION =
  "Vertical lines: capacity events from the timeline: dashed blue a scale-out decision, solid green the launched instances becoming ready, red a fault starting (solid) and ending (dotted), purple a failover; hover a line for its detail, and see the table of events below.";

function instancesPanel(model: ReportModel, ctx: ChartContext): ChartPanel {
  const tl = model.timeline;
  const lines: LineSeries[] = [];
  for (const tier of ["gateway", "read"] as const) {
    if (!tl.some((p) => tierOf(p, tier) !== undefined)) continue;
    // The state at the end of second t, held until the next line changes it.
    const at = (k: "ready" | "booting") => {
      const value = (p: TimelineRow) => {
        const v = tierOf(p, tier)?.[k];
        return isNum(v) ? v : null;
      };
      const first = tl[0];
      const points = tl.map((p): Point => [p.t + 1, value(p)]);
      return first ? [[first.t, value(first)] as Point, ...points] : points;
    };
    lines.push(
      {
        id: `${tier}-ready`,
        name: `${tier} ready`,
        color: TIER_COLORS[tier],
        points: at("ready"),
        step: true,
        maxGap: 1.5,
        width: 2,
      },
      {
        id: `${tier}-booting`,
        name: `${tier} booting`,
        color: TIER_COLORS[tier],
        points: at("booting"),
        step: true,
        maxGap: 1.5,
        dash: "dashed",
        width: 1.25,
      },
    );
  }
  return timeChart({
    id: "chart-capacity-instances",
    title: "Provisioned instances per tier: ready and booting, with scale and fault events",
    width: CHART_WIDTH,
    height: 250,
    x: { label: "", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "instances", min: 0 },
    lines,
    bands: ctx.bands,
    events: ctx.events,
  });
}

function capacityChart(model: ReportModel, ctx: ChartContext): ChartFigure {
  const tl = model.timeline;
  const tiers = hasTiers(model);
  const queueLines: LineSeries[] = [
    {
      id: "queue-max",
      name: tiers ? "gateway queue, max in second" : "queue depth, max in second",
      color: COLORS.queueMax,
      points: tl.map((p): Point => [mid(p.t), p.queueDepthMax]),
      maxGap: 1.5,
      width: 2,
    },
    {
      id: "queue-end",
      name: tiers ? "gateway queue at end of second" : "queue depth at end of second",
      color: COLORS.queueEnd,
      points: tl.map((p): Point => [mid(p.t), p.queueDepth]),
      maxGap: 1.5,
      width: 1,
    },
  ];
  if (tl.some((p) => isNum(tierOf(p, "read")?.queueDepth)))
    queueLines.push({
      id: "read-queue",
      name: "read tier queue at end of second",
      color: COLORS.readQueue,
      points: tl.map((p): Point => [mid(p.t), tierOf(p, "read")?.queueDepth ?? null]),
      maxGap: 1.5,
      width: 1.25,
    });
  const lag = tl.some((p) => isNum(p.replicaLagMs));
  if (lag)
    queueLines.push({
      id: "capacity-replica-lag",
      name: "replica lag, ms",
      color: COLORS.replicaLag,
      points: tl.map((p): Point => [mid(p.t), p.replicaLagMs]),
      axis: "right",
      dash: "dotted",
      maxGap: 1.5,
      width: 1.5,
    });
  const panels: ChartPanel[] = [];
  if (tiers) panels.push(instancesPanel(model, ctx));
  panels.push(
    timeChart({
      id: "chart-capacity-queue",
      title: "Exchange queue depth per second, and replica lag",
      width: CHART_WIDTH,
      height: 216,
      // The panel below carries the time axis title for all.
      x: { label: "", domain: ctx.domain, timeScale: ctx.timeScale },
      y: { label: "queued requests" },
      ...(lag ? { y2: { label: "replica lag (ms)", min: 0 } } : {}),
      lines: queueLines,
      bands: ctx.bands,
      events: ctx.events,
    }),
  );
  panels.push(
    timeChart({
      id: "chart-capacity-workers",
      title: "Exchange workers: busy, pool size and utilisation",
      width: CHART_WIDTH,
      height: 230,
      x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
      y: { label: "workers", min: 0 },
      y2: { label: "utilisation (%)", min: 0, max: 100 },
      lines: [
        {
          id: "workers",
          name: "worker pool",
          color: COLORS.workers,
          points: tl.map((p): Point => [mid(p.t), p.workers]),
          maxGap: 1.5,
          dash: "dashed",
          width: 1.25,
        },
        {
          id: "busy",
          name: "busy workers",
          color: COLORS.busy,
          points: tl.map((p): Point => [mid(p.t), p.busyWorkers]),
          maxGap: 1.5,
          width: 1.75,
        },
        {
          id: "utilisation",
          name: "utilisation, %",
          color: COLORS.utilisation,
          points: tl.map((p): Point => [mid(p.t), isNum(p.utilisation) ? p.utilisation * 100 : null]),
          axis: "right",
          maxGap: 1.5,
          width: 1.25,
        },
      ],
      bands: ctx.bands,
      events: ctx.events,
    }),
  );
  const caption = [
    "Server side, from the exchange's timeline.jsonl, one sample per wall second.",
    tiers
      ? "Top: instances of each tier, ready (solid) and booting (dashed), as step lines: a scale-out decision adds booting instances at once, and they turn ready only after boot and warm-up, so the gap between a dashed blue and the next solid green line is the scaling lag."
      : "",
    `${tiers ? "Middle" : "Top"}: the deepest the request queue got within each second and its depth at the end of the second${lag ? "; dotted (right axis): replica lag" : ""}.`,
    `Bottom: busy workers and pool size${tiers ? " (gateway)" : ""}, and utilisation = fraction of worker-time busy during the second (right axis).`,
    ctx.events.length > 0 ? EVENTS_CAPTION : "",
  ]
    .filter((x) => x !== "")
    .join(" ");
  return figure("capacity", panels, caption);
}

function eventsSection(model: ReportModel, placed: readonly PlacedEvent[]): string {
  if (placed.length === 0 && !hasTiers(model)) return "";
  const head =
    '<section id="events"><h2>Capacity events</h2><p class="hint">Scale decisions, instances becoming ready and faults from timeline.jsonl. Natural time is the profile\'s clock (h:mm:ss since the start); t is wall seconds since t0, as on the charts.</p>';
  if (placed.length === 0) return `${head}<p class="nodata">No capacity event in this run.</p></section>`;
  const rows = placed.map(({ event, t }) => {
    const style = EVENT_STYLES[event.kind];
    const swatch = style
      ? `<span class="swatch" style="background:${style.color}"></span>`
      : '<span class="swatch"></span>';
    return `<tr data-event-kind="${esc(String(event.kind))}"><td class="num">${formatHms(event.atS)}</td><td class="num">${formatSeconds(t)}</td><th scope="row">${swatch}${esc(String(event.kind))}</th><td>${event.tier ? esc(String(event.tier)) : DASH}</td><td class="num">${isNum(event.instances) ? formatCount(event.instances) : DASH}</td><td class="detail">${esc(typeof event.detail === "string" ? event.detail : "")}</td></tr>`;
  });
  return [
    head,
    '<table class="mini events"><thead><tr><th scope="col" class="num">natural</th><th scope="col" class="num">t (s)</th><th scope="col">event</th><th scope="col">tier</th><th scope="col" class="num">instances</th><th scope="col">detail</th></tr></thead>',
    `<tbody>${rows.join("")}</tbody></table></section>`,
  ].join("");
}

function generatorChart(model: ReportModel, ctx: ChartContext): ChartFigure {
  const secs = model.seconds;
  const gen = model.generator;
  const dropped = model.summary.droppedIterations;
  const lines: LineSeries[] = [];
  if (gen.length > 0) {
    lines.push(
      {
        id: "k6-cpu",
        name: "k6 CPU, cores",
        color: COLORS.k6Cpu,
        points: gen.map((g): Point => [mid(g.t), g.k6CpuCores]),
        axis: "right",
        maxGap: 1.5,
      },
      {
        id: "exchange-cpu",
        name: "exchange CPU, cores",
        color: COLORS.exchangeCpu,
        points: gen.map((g): Point => [mid(g.t), g.exchangeCpuCores]),
        axis: "right",
        maxGap: 1.5,
      },
    );
  }
  const svg = timeChart({
    id: "chart-generator",
    title: "Load generator health: dropped iterations and CPU",
    width: CHART_WIDTH,
    height: 260,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "dropped iterations / s" },
    ...(lines.length > 0 ? { y2: { label: "CPU (cores)", min: 0 } } : {}),
    bars: [
      {
        id: "dropped",
        name: "dropped iterations / s",
        color: COLORS.dropped,
        points: secs.map((s): Point => [s.t, s.droppedIterations]),
      },
    ],
    lines,
    bands: ctx.bands,
  });
  const caption = [
    "Bars: k6 <code>dropped_iterations</code> per second, iterations the arrival-rate executor could not start on time; those requests were never sent, so latency for that second is understated.",
    isNum(dropped) && dropped === 0 ? "<strong>No iteration was dropped.</strong>" : "",
    "Lines (right axis): CPU used by the k6 process and by the stampede process (mock exchange + orchestrator), in cores, from generator.jsonl. Both run on the same host, so they compete for cores.",
  ]
    .filter((s) => s !== "")
    .join(" ");
  return figure("generator", [svg], caption);
}

function spectrumFigure(model: ReportModel): ChartFigure {
  const sp = model.spectrum;
  const lines: LineSeries[] = [];
  if (sp && sp.overall.length > 0)
    lines.push({
      id: "spectrum-overall",
      name: "all requests",
      color: COLORS.total,
      points: sp.overall,
      width: 2.25,
    });
  for (const c of TRAFFIC_CLASSES) {
    const points = sp?.byClass[c];
    if (points && points.length > 0)
      lines.push({
        id: `spectrum-${c}`,
        name: c,
        color: CLASS_COLORS[c],
        points,
        width: 1.5,
        dash: "dashed",
      });
  }
  const svg = spectrumChart({
    id: "chart-spectrum",
    title: "Latency by percentile over the whole run, per traffic class and overall, log-log",
    width: CHART_WIDTH,
    height: 340,
    lines,
    y: { label: "latency (ms)", scale: "log" },
    noDataText: "no data",
  });
  const caption = [
    "Latency at each percentile over the whole run, from the run's merged HDR histograms (per-second histograms added with <code>add</code>; percentiles are never averaged).",
    "x = 1/(1-p) on a log axis, as HdrHistogram's plotter draws it: each step right is one more nine (90%, 99%, 99.9%...); a line ends at the highest percentile its request count resolves, at the maximum.",
    "Solid: all requests; dashed: each traffic class from its own histogram.",
  ].join(" ");
  return figure("spectrum", [svg], caption);
}

/** One second of liquidation data from timeline.jsonl (see OPTIONAL_CHARTS in charts.ts). */
export interface LiquidationSecond {
  t: number;
  happened: number;
  shown: number;
}

/** Timeline seconds that carry both `liquidations` and `liquidationsShown` numbers. */
export function liquidationSeconds(model: ReportModel): LiquidationSecond[] {
  const out: LiquidationSecond[] = [];
  for (const p of model.timeline) {
    const row = p as Partial<Record<"liquidations" | "liquidationsShown", unknown>>;
    if (isNum(p.t) && isNum(row.liquidations) && isNum(row.liquidationsShown))
      out.push({ t: p.t, happened: row.liquidations, shown: row.liquidationsShown });
  }
  return out;
}

/** Lateness per second (ms behind schedule, p99 and max), when the run measured it. */
function latenessChart(model: ReportModel, ctx: ChartContext): ChartFigure | null {
  const rows = model.seconds.filter((s) => s.lateMs !== undefined);
  if (rows.length === 0) return null;
  const late = model.summary.generator.lateMs;
  const svg = timeChart({
    id: "chart-lateness",
    title: "Generator lateness: how far behind schedule k6 started iterations",
    width: CHART_WIDTH,
    height: 240,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "ms behind schedule", min: 0 },
    lines: [
      {
        id: "late-p99",
        name: "p99",
        color: COLORS.p99,
        points: rows.map((s): Point => [mid(s.t), s.lateMs?.p99 ?? 0]),
        maxGap: 1.5,
        width: 2,
      },
      {
        id: "late-max",
        name: "max",
        color: COLORS.p999,
        points: rows.map((s): Point => [mid(s.t), s.lateMs?.max ?? 0]),
        maxGap: 1.5,
        dash: "dashed",
      },
    ],
    bands: ctx.bands,
  });
  const caption = [
    "Per second, how far behind its arrival schedule k6 started the iterations (actual start minus the time the scenario's rate integral reached the iteration's number), from the k6 output's lateness histograms.",
    late == null
      ? ""
      : `Over the run: p50 ${formatSig3(late.p50)} ms, p99 <strong>${formatSig3(late.p99)} ms</strong>, max ${formatSig3(late.max)} ms; above 10 ms at p99 the generator, not the venue, limited the run.`,
  ]
    .filter((s) => s !== "")
    .join(" ");
  return figure("lateness", [svg], caption);
}

function liquidationsChart(model: ReportModel, ctx: ChartContext): ChartFigure | null {
  const rows = liquidationSeconds(model);
  if (rows.length === 0) return null;
  let happened = 0;
  let shown = 0;
  const cumulative = rows.map((row) => {
    happened += row.happened;
    shown += row.shown;
    return { t: row.t, happened, shown };
  });
  const svg = timeChart({
    id: "chart-liquidations",
    title: "Liquidations per second: happened vs shown by the throttled notification stream",
    width: CHART_WIDTH,
    height: 280,
    x: { label: "time since start", domain: ctx.domain, timeScale: ctx.timeScale },
    y: { label: "liquidations / s", min: 0 },
    y2: { label: "since start (count)", min: 0 },
    bars: [
      {
        id: "liquidations",
        name: "liquidated / s",
        color: COLORS.liquidations,
        points: rows.map((row): Point => [row.t, row.happened]),
      },
    ],
    lines: [
      {
        id: "liquidations-shown",
        name: "shown by the stream / s",
        color: COLORS.liquidationsShown,
        points: rows.map((row): Point => [mid(row.t), row.shown]),
        maxGap: 1.5,
        width: 2,
      },
      {
        id: "liquidations-total",
        name: "liquidated, total",
        color: COLORS.liquidations,
        points: cumulative.map((c): Point => [c.t + 1, c.happened]),
        axis: "right",
        dash: "dashed",
        maxGap: 1.5,
        width: 1.5,
      },
      {
        id: "liquidations-shown-total",
        name: "shown, total",
        color: COLORS.liquidationsShown,
        points: cumulative.map((c): Point => [c.t + 1, c.shown]),
        axis: "right",
        dash: "dashed",
        maxGap: 1.5,
        width: 1.5,
      },
    ],
    bands: ctx.bands,
    events: ctx.events,
  });
  const caption = [
    "From timeline.jsonl: bars, positions the margin system liquidated each second (<code>liquidations</code>); solid line, the liquidation notifications the throttled public stream delivered in that second (<code>liquidationsShown</code>).",
    "Dashed (right axis): both since the start; the distance between them is the severity users could not see.",
    `Over the run: <strong>${formatCount(happened)}</strong> liquidated, ${formatCount(shown)} shown (${formatPct(ratio(shown, happened))}).`,
  ].join(" ");
  return figure("liquidations", [svg], caption);
}

// ---------------------------------------------------------------------------------------------
// Tables

function latencyCells(requests: number, l: LatencyPercentilesMs | undefined): string {
  // Percentiles of zero requests are not zero, they do not exist.
  const has = isNum(requests) && requests > 0 && l !== undefined;
  const cell = (v: number | undefined) => `<td class="num">${has ? formatMs(v) : DASH}</td>`;
  return `<td class="num">${formatCount(requests)}</td>${cell(l?.p50)}${cell(l?.p90)}${cell(l?.p99)}${cell(l?.p999)}${cell(l?.max)}`;
}

function rejectCells(total: number, requests: number): string {
  const cls = isNum(total) && total > 0 ? "num warn" : "num";
  return `<td class="${cls}">${formatPct(ratio(total, requests))}</td><td class="${cls}">${formatCount(total)}</td>`;
}

function classRow(label: string, sub: string, c: ClassSummary | undefined, rowClass = ""): string {
  const head = `<th scope="row">${esc(label)}${sub ? `<span class="sub">${esc(sub)}</span>` : ""}</th>`;
  if (!c) return `<tr class="missing ${rowClass}">${head}<td colspan="8" class="nodata">no data</td></tr>`;
  return `<tr class="${rowClass}">${head}${latencyCells(c.requests, c.latencyMs)}${rejectCells(c.rejected.total, c.requests)}</tr>`;
}

function multiple(v: number): string {
  return isNum(v) ? `×${Number(v.toPrecision(3))}` : DASH;
}

function summaryTable(model: ReportModel): string {
  const s = model.summary;
  const spans = new Map(model.phases.map((p) => [p.name, p]));
  const th = (label: string, color?: string) =>
    `<th scope="col" class="num"${color ? ` style="box-shadow: inset 0 -2px 0 ${color}"` : ""}>${label}</th>`;
  const rows: string[] = [];
  rows.push(
    "<tbody>",
    classRow(
      "overall",
      "",
      { requests: s.requests, latencyMs: s.latencyMs, rejected: s.rejected },
      "overall",
    ),
    "</tbody>",
  );
  rows.push('<tbody><tr class="group"><th colspan="9">by traffic class</th></tr>');
  for (const c of TRAFFIC_CLASSES) rows.push(classRow(c, "", s.byClass[c]));
  rows.push("</tbody>");
  rows.push('<tbody><tr class="group"><th colspan="9">by phase</th></tr>');
  if (s.byPhase.length === 0)
    rows.push(
      '<tr class="missing"><th scope="row">phases</th><td colspan="8" class="nodata">no data</td></tr>',
    );
  for (const p of s.byPhase) {
    const span = spans.get(p.name);
    const load =
      span && span.fromMultiple !== span.toMultiple
        ? `${multiple(span.fromMultiple)} → ${multiple(span.toMultiple)}`
        : multiple(span ? span.toMultiple : p.multiple);
    const sub = `${formatSeconds(p.startS)}–${formatSeconds(p.endS)} s · ${load}`;
    if (p.coverage === "none" || p.latencyMs === null || p.rejected === null)
      rows.push(
        `<tr class="missing not-run"><th scope="row">${esc(p.name)}<span class="sub">${esc(sub)}</span></th><td colspan="8" class="nodata">${p.coverage === "partial" ? "not measured: the run ended as this phase began" : "did not run: the run ended before this phase"}</td></tr>`,
      );
    else
      rows.push(
        classRow(
          p.name,
          p.coverage === "partial" ? `${sub} · partial: the run ended inside it` : sub,
          { requests: p.requests, latencyMs: p.latencyMs, rejected: p.rejected },
          p.coverage === "partial" ? "partial" : "",
        ),
      );
  }
  rows.push("</tbody>");
  return [
    '<table class="summary">',
    "<thead><tr>",
    '<th scope="col"></th>',
    th("requests"),
    th("p50 ms", COLORS.p50),
    th("p90 ms", COLORS.p90),
    th("p99 ms", COLORS.p99),
    th("p99.9 ms", COLORS.p999),
    th("max ms", COLORS.max),
    th("rejected %"),
    th("rejected"),
    "</tr></thead>",
    ...rows,
    "</table>",
  ].join("");
}

function rejectsTable(model: ReportModel): string {
  const s = model.summary;
  const total = s.rejected.total;
  const rows = REJECT_REASONS.map((r) => {
    const n = s.rejected.byReason[r] ?? 0;
    const cls = n > 0 ? "" : ' class="zero"';
    return `<tr${cls}><th scope="row"><span class="swatch" style="background:${REASON_COLORS[r]}"></span>${r}</th><td class="num">${formatCount(n)}</td><td class="num">${formatPct(ratio(n, s.requests))}</td><td class="num">${formatPct(ratio(n, total))}</td></tr>`;
  });
  return [
    '<table class="mini"><caption>Rejects by reason</caption>',
    '<thead><tr><th scope="col">reason</th><th scope="col" class="num">count</th><th scope="col" class="num">of requests</th><th scope="col" class="num">of rejects</th></tr></thead>',
    `<tbody>${rows.join("")}</tbody>`,
    `<tfoot><tr><th scope="row">total</th><td class="num">${formatCount(total)}</td><td class="num">${formatPct(ratio(total, s.requests))}</td><td class="num"></td></tr></tfoot>`,
    "</table>",
  ].join("");
}

function kvTable(caption: string, rows: [string, string, boolean?][]): string {
  const body = rows
    .map(
      ([k, v, warn]) =>
        `<tr><th scope="row">${esc(k)}</th><td class="num${warn ? " warn" : ""}">${v}</td></tr>`,
    )
    .join("");
  return `<table class="mini kv"><caption>${esc(caption)}</caption><tbody>${body}</tbody></table>`;
}

/** Cost is a sum, not an HDR reading: exact to the instance-minute (one decimal below 100). */
function formatCost(v: number): string {
  return Math.abs(v) >= 100 ? formatCount(v) : String(Math.round(v * 10) / 10);
}

function instanceMinutes(v: number | undefined): string {
  return isNum(v) ? `${formatCost(v)} instance-min` : DASH;
}

function capacityTable(model: ReportModel): string {
  const s = model.summary;
  // summary.json written before these fields existed has none of them.
  const cost = s.cost?.instanceMinutes;
  const events = Array.isArray(s.events) ? s.events : [];
  const count = (kinds: string[]) => events.filter((e) => kinds.includes(e.kind)).length;
  return kvTable("Capacity", [
    ["strategy", s.strategy ? esc(s.strategy) : DASH],
    ["cost, gateway", instanceMinutes(cost?.gateway)],
    ["cost, read tier", instanceMinutes(cost?.read)],
    ["cost, total", `<strong>${instanceMinutes(cost?.total)}</strong>`],
    ["scale-outs / scale-ins", `${formatCount(count(["scale-out"]))} / ${formatCount(count(["scale-in"]))}`],
    ["faults", formatCount(count(["fault-start"])), count(["fault-start"]) > 0],
    ["run", s.simulated ? "simulated (virtual time)" : "drill"],
  ]);
}

function detailTables(model: ReportModel): string {
  const s = model.summary;
  const st = s.staleReads;
  const g = s.generator;
  const stale = kvTable("Stale reads", [
    ["stale / checked", `${formatCount(st.count)} / ${formatCount(st.checked)}`, st.count > 0],
    ["rate", formatPct(ratio(st.count, st.checked)), st.count > 0],
    ["age p50", `${st.count > 0 ? formatMs(st.ageMs.p50) : DASH} ms`],
    ["age p99", `${st.count > 0 ? formatMs(st.ageMs.p99) : DASH} ms`],
    ["age max", `${st.count > 0 ? formatMs(st.ageMs.max) : DASH} ms`],
  ]);
  const gen = kvTable("Load generator", [
    ["dropped iterations", formatCount(s.droppedIterations), s.droppedIterations > 0],
    ["k6 CPU mean", `${formatSig3(g.k6CpuCores)} cores`],
    ["k6 CPU max (1 s)", `${formatSig3(g.k6CpuCoresMax)} cores`],
    [
      "exchange CPU max (1 s)",
      // drill --target: the exchange runs elsewhere, its CPU is not ours to read.
      (model.run as { exchange?: { target?: unknown } }).exchange?.target === undefined
        ? `${formatSig3(g.exchangeCpuCoresMax)} cores`
        : "not measured (external target)",
    ],
    ["k6 memory max", `${formatCount(g.k6RssMbMax)} MB`],
    ...collectorRow(model),
    ["generator bottleneck", g.bottleneck ? "yes" : "no", g.bottleneck],
  ]);
  return `<div class="details">${rejectsTable(model)}${stale}${gen}${capacityTable(model)}</div>`;
}

/** How k6 collected garbage (run.json k6.collector, scripts/k6Collector.ts); no row for runs that predate it. */
function collectorRow(model: ReportModel): Array<[string, string]> {
  const c = (model.run as { k6?: { collector?: unknown } }).k6?.collector as
    | { mode?: unknown; predictedCoreShare?: unknown; memoryLimitMiB?: unknown }
    | undefined;
  if (c === undefined || typeof c.mode !== "string") return [];
  const share =
    typeof c.predictedCoreShare === "number"
      ? `, peak predicted at ${formatPct(c.predictedCoreShare)} of the cores`
      : "";
  if (c.mode === "off")
    return [["k6 garbage collector", `off below ${formatCount(Number(c.memoryLimitMiB))} MiB${share}`]];
  if (c.mode === "caller") return [["k6 garbage collector", "as the caller's GOGC / GOMEMLIMIT set it"]];
  return [["k6 garbage collector", `paced by Go${share}`]];
}

// ---------------------------------------------------------------------------------------------
// Page

function simulated(model: ReportModel): boolean {
  return model.summary.simulated === true || model.run.simulated === true;
}

/** k6 aggregated inside itself (its stampede output): the report was read from latency.hlog. */
function k6Aggregated(model: ReportModel): boolean {
  const outputs = (model.run.k6 as { outputs?: unknown } | undefined)?.outputs;
  return Array.isArray(outputs) && outputs.includes("stampede");
}

function header(model: ReportModel): string {
  const run = model.run;
  const text = (paths: string[][]) => {
    const v = asText(lookup(run, paths));
    return v === null ? DASH : esc(v);
  };
  const start = runStartMs(model);
  const strategy = model.summary.strategy;
  const cost = model.summary.cost?.instanceMinutes;
  const meta: [string, string][] = [
    ["profile", text([["profile", "name"], ["profileName"], ["profile"]])],
    [
      "strategy",
      typeof strategy === "string" && strategy !== ""
        ? esc(strategy)
        : text([["strategy", "name"], ["strategy"], ["exchange", "strategy"], ["overloadStrategy"]]),
    ],
    ["time scale", text([["scales", "timeScale"], ["timeScale"]])],
    ["started", start === null ? DASH : formatUtc(start)],
    ["duration", formatDuration(model.summary.durationS)],
    ["requests", formatCount(model.summary.requests)],
  ];
  // The headline: served requests' own p99 (refusals answered at once do not pull it down) and
  // the two kinds of refusal; absent for runs whose client data carry no outcomes.
  const served = model.summary.served;
  const { policy, capacity } = model.summary.rejected;
  if (served) meta.push(["served p99", `${esc(String(served.latencyMs.p99))} ms`]);
  if (policy && capacity)
    meta.push([
      "refused policy / capacity",
      `${(policy.rate * 100).toFixed(1)}% / ${(capacity.rate * 100).toFixed(1)}%`,
    ]);
  if (cost && isNum(cost.total) && cost.total > 0) meta.push(["cost", instanceMinutes(cost.total)]);
  const g = model.summary.generator;
  const warnings = g.warnings.filter((w) => typeof w === "string" && w !== "");
  let banner = "";
  if (warnings.length > 0 || g.bottleneck) {
    const items = warnings.length > 0 ? `<ul>${warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : "";
    banner = `<div class="banner" role="alert"><strong>The load generator was a bottleneck in this run.</strong> Requests k6 could not send on time were never measured, so the latencies below are understated (coordinated omission) and the offered load was not fully delivered.${items}</div>`;
  }
  // Cut short (a signal, k6 failed, samples truncated): every figure below covers part of the plan.
  const s = model.summary;
  const reasons = s.incompleteReasons ?? (s.incompleteReason ? [s.incompleteReason] : []);
  if (s.complete === false)
    banner = `<div class="banner incomplete" role="alert"><strong>Incomplete run.</strong> The figures below cover only what was measured before the run was cut short; phases it did not reach are marked.<ul>${reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul></div>${banner}`;
  return [
    "<header>",
    `<h1><span class="brand">stampede ${simulated(model) ? "simulation" : "drill"}</span> <span class="sep">—</span> <span class="run-id">${esc(model.runId)}</span>${simulated(model) ? ' <span class="badge simulated" title="stampede simulate: virtual time, no k6 samples">simulated</span>' : ""}</h1>`,
    `<dl class="meta">${meta.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("")}</dl>`,
    banner,
    "</header>",
  ].join("");
}

function configSection(model: ReportModel): string {
  let json: string;
  try {
    json = JSON.stringify(model.run, null, 2) ?? "{}";
  } catch {
    json = "(run.json could not be serialised)";
  }
  return `<section id="config"><h2>Run configuration</h2><p class="hint">run.json as recorded by the drill.</p><pre>${esc(json)}</pre></section>`;
}

const CSS = `
:root {
  color-scheme: light;
  --ink: #0f172a; --ink-2: #334155; --muted: #64748b; --line: #e2e8f0; --bg: #f8fafc;
  --warn-bg: #fffbeb; --warn-line: #f59e0b; --warn-ink: #78350f;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1160px; margin: 0 auto; padding: 28px 24px 48px; }
code, pre, .run-id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
h1 { font-size: 22px; font-weight: 600; margin: 0 0 14px; letter-spacing: -0.01em; }
h1 .brand { color: var(--muted); font-weight: 500; }
h1 .sep { color: #cbd5e1; }
h1 .run-id { font-size: 20px; }
.badge {
  display: inline-block; margin-left: 8px; padding: 1px 8px; border-radius: 999px; vertical-align: 3px;
  font-size: 12px; font-weight: 600; letter-spacing: 0.04em; text-transform: uppercase;
}
.badge.simulated { background: #ede9fe; color: #5b21b6; border: 1px solid #c4b5fd; }
table.events td.detail { white-space: normal; min-width: 280px; }
h2 { font-size: 16px; font-weight: 600; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; font-weight: 600; margin: 0 0 4px; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 0; }
.meta div { min-width: 90px; }
.meta dt { font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
.meta dd { margin: 0; font-weight: 500; font-variant-numeric: tabular-nums; }
.banner {
  margin-top: 18px; padding: 12px 16px; background: var(--warn-bg); color: var(--warn-ink);
  border: 1px solid #fde68a; border-left: 4px solid var(--warn-line); border-radius: 6px;
}
.banner ul { margin: 6px 0 0; padding-left: 20px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; text-align: left; white-space: nowrap; }
.num { text-align: right; }
table.summary { width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
table.summary thead th { font-size: 12px; font-weight: 600; color: var(--ink-2); background: #f1f5f9; padding-top: 8px; padding-bottom: 7px; }
table.summary tbody th[scope="row"] { font-weight: 500; }
table.summary tbody tr + tr td, table.summary tbody tr + tr th { border-top: 1px solid #f1f5f9; }
table.summary tr.overall th, table.summary tr.overall td { font-weight: 600; }
table.summary tr.group th {
  font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted);
  font-weight: 600; padding-top: 12px; border-top: 1px solid var(--line);
}
.sub { display: inline-block; margin-left: 10px; font-size: 12px; color: var(--muted); font-weight: 400; }
td.warn { color: #b45309; }
.nodata, tr.zero td, tr.zero th { color: #94a3b8; }
td.nodata { text-align: left; font-style: italic; }
.details { display: grid; grid-template-columns: 1.45fr 1fr 1fr; gap: 16px; margin-top: 20px; align-items: start; }
.details.two { grid-template-columns: 1.6fr 1fr; margin-top: 0; }
td.strong { font-weight: 600; }
@media (max-width: 900px) { .details { grid-template-columns: 1fr; } }
table.mini { width: 100%; background: #fff; border: 1px solid var(--line); border-radius: 8px; font-size: 13px; }
table.mini caption { text-align: left; font-weight: 600; font-size: 13px; padding: 0 0 6px; }
table.mini thead th { font-size: 12px; font-weight: 600; color: var(--ink-2); background: #f1f5f9; }
table.mini tbody tr + tr > * { border-top: 1px solid #f1f5f9; }
table.mini tbody th { font-weight: 400; }
table.mini tfoot > * > * { border-top: 1px solid var(--line); font-weight: 600; }
table.kv tbody th { color: var(--ink-2); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 8px; vertical-align: -1px; }
figure { margin: 0 0 20px; padding: 16px 18px 14px; background: #fff; border: 1px solid var(--line); border-radius: 8px; break-inside: avoid; }
figure svg.chart { display: block; width: 100%; height: auto; }
figure svg.chart + svg.chart { margin-top: 4px; }
figcaption { margin-top: 8px; font-size: 12.5px; line-height: 1.55; color: var(--ink-2); max-width: 980px; }
figcaption code { font-size: 12px; background: #f1f5f9; padding: 0 4px; border-radius: 3px; }
.hint { color: var(--muted); margin: 0 0 8px; font-size: 13px; }
pre {
  margin: 0; padding: 14px 16px; background: #fff; border: 1px solid var(--line); border-radius: 8px;
  font-size: 12px; line-height: 1.5; overflow: auto; max-height: 560px;
}
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print {
  body { background: #fff; }
  main { max-width: none; padding: 0; }
  figure, table, .banner { break-inside: avoid; }
  pre { max-height: none; }
}
`;

/**
 * Every chart of the report, in page order: the CHARTS list, then the OPTIONAL_CHARTS the run has
 * data for. report.html and charts/<id>.svg|png are drawn from these same figures.
 */
export function reportCharts(model: ReportModel): ChartFigure[] {
  const ctx: ChartContext = {
    timeScale: timeScaleOf(model),
    domain: xDomain(model),
    bands: model.phases.map((p) => ({ name: p.name, start: p.startS, end: p.endS })),
    events: eventMarkers(placeEvents(model)),
  };
  const figures = [
    latencyChart(model, ctx),
    spectrumFigure(model),
    throughputChart(model, ctx),
    staleChart(model, ctx),
    capacityChart(model, ctx),
    generatorChart(model, ctx),
  ];
  const liquidations = liquidationsChart(model, ctx);
  if (liquidations) figures.push(liquidations);
  const lateness = latenessChart(model, ctx);
  if (lateness) figures.push(lateness);
  figures.push(...marketCharts(model, ctx));
  return figures;
}

export function renderReportHtml(
  model: ReportModel,
  figures: readonly ChartFigure[] = reportCharts(model),
): string {
  const placed = placeEvents(model);
  const title = `stampede ${simulated(model) ? "simulation" : "drill"} — ${model.runId}`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="generator" content="stampede reporter">',
    `<title>${esc(title)}</title>`,
    `<style>${CSS}${CHART_CSS}</style>`,
    "</head><body><main>",
    header(model),
    '<section id="summary"><h2>Summary</h2>',
    '<p class="hint">Latency in ms from the run\'s merged HDR histograms (3 significant digits); rejected % is rejects / requests.</p>',
    summaryTable(model),
    detailTables(model),
    "</section>",
    '<section id="scaling"><h2>Scaling lag and burst</h2><p class="hint">In the profile\'s natural time (wall seconds × time scale): how long each scale-out took from demand crossing the strategy\'s target to the new capacity being ready, and how the burst ended.</p>',
    `<div class="details two">${scaleOutTable(model.summary, exchangeClockOffsetS(model.timeline, timeScaleOf(model)))}${burstTable(model.summary, timeScaleOf(model))}</div>`,
    "</section>",
    ...(model.summary.market === undefined
      ? []
      : [
          '<section id="market"><h2>Market</h2><p class="hint">The market model\'s outcome from timeline.jsonl: forced selling against the shock that started it, stop-losses that did not protect, who paid (insurance fund, ADL), and makers the venue refused. Money in USDT.</p>',
          `<div class="details">${marketTable(model.summary)}</div>`,
          "</section>",
        ]),
    '<section id="endpoints"><h2>By endpoint</h2><p class="hint">Per k6 request name, from the run\'s merged histograms; rejects count here when the reject sample carries the name.</p>',
    endpointTable(model.summary),
    "</section>",
    '<section id="charts"><h2>Charts</h2>',
    ...figures.map((f) => figureHtml(f)),
    "</section>",
    eventsSection(model, placed),
    configSection(model),
    `<footer>Generated by stampede from runs/${esc(model.runId)}/ (${simulated(model) || k6Aggregated(model) ? "latency.hlog, client.jsonl" : "k6.csv.gz"}, timeline.jsonl, generator.jsonl, run.json). Self-contained: no scripts, no external resources. Hover a chart for per-second values.</footer>`,
    "</main>",
    chartScripts(figures),
    "</body></html>",
    "",
  ].join("\n");
}
