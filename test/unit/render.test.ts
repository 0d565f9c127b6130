import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CapacityEvent } from "../../loadtests/vocabulary/capacity.ts";
import type { TimelinePoint } from "../../loadtests/vocabulary/runFolder.ts";
import type { RejectReason } from "../../loadtests/vocabulary/traffic.ts";
import type {
  ClassSummary,
  LatencyPercentilesMs,
  PhaseSpan,
  ReportModel,
  SecondPoint,
} from "../../reports/model.ts";
import type { ChartPanel, Point } from "../../reports/render/echarts.ts";
import { escapeXml, naturalMinutes, seriesData, timeChart } from "../../reports/render/echarts.ts";
import {
  formatHms,
  formatMs,
  offeredMultipleAt,
  placeEvents,
  renderReportHtml,
  reportCharts,
} from "../../reports/render/html.ts";

const CHARTS = ["latency", "throughput", "stale", "capacity", "generator"] as const;

const PHASES: PhaseSpan[] = [
  { name: "normal", startS: 0, endS: 15, fromMultiple: 1, toMultiple: 1 },
  { name: "ramp", startS: 15, endS: 25, fromMultiple: 1, toMultiple: 100 },
  { name: "plateau 100x", startS: 25, endS: 45, fromMultiple: 100, toMultiple: 100 },
  { name: "recovery", startS: 45, endS: 60, fromMultiple: 100, toMultiple: 1 },
];

/** Seconds with no completed request: 50-51 make a gap, 52 is an isolated value, 53 another gap. */
const SILENT = new Set([50, 51, 53]);

function lat(p50: number): LatencyPercentilesMs {
  return { p50, p90: p50 * 2.2, p99: p50 * 6, p999: p50 * 11, max: p50 * 20 };
}

function cls(requests: number, p50: number, rejected = 0): ClassSummary {
  return {
    requests,
    latencyMs: lat(p50),
    rejected: { total: rejected, byReason: rejected ? { rate_limited: rejected } : {} },
  };
}

const T0_MS = Date.UTC(2025, 10, 23, 16, 45, 0);
const WORKERS = 8;
/** Offered requests per second above this are refused. */
const CAPACITY_PER_S = 1500;

/** What second t offers and how it fares: 40/s times the phase's multiple, refused past capacity. */
function loadAt(t: number) {
  const mult = offeredMultipleAt(PHASES, t + 0.5) ?? 1;
  const offered = Math.round(40 * mult);
  const overload = Math.max(0, offered - CAPACITY_PER_S);
  const rejectedByReason: Partial<Record<RejectReason, number>> =
    overload > 0
      ? {
          rate_limited: Math.round(overload * 0.5),
          overloaded: Math.round(overload * 0.3),
          timeout: Math.round(overload * 0.15),
          banned: t > 35 ? 20 : 0,
          order_rejected: 3,
        }
      : t === 5
        ? { order_rejected: 2, error: 1 }
        : {};
  const silent = SILENT.has(t);
  const p50 = 0.8 + (overload > 0 ? 40 + overload / 20 : mult / 10);
  const stale = t >= 28 && t < 44 ? 5 + (t % 7) * 3 : 0;
  return { mult, offered, overload, rejectedByReason, silent, p50, stale };
}

function secondAt(t: number): SecondPoint {
  const { offered, rejectedByReason, silent, p50, stale } = loadAt(t);
  return {
    t,
    requests: silent ? 0 : offered,
    latencyMs: silent ? null : lat(p50),
    byClass: silent
      ? {}
      : {
          order: { requests: Math.round(offered * 0.5), p99Ms: p50 * 7 },
          position: { requests: Math.round(offered * 0.3), p99Ms: p50 * 4 },
        },
    rejectedByReason: silent ? {} : rejectedByReason,
    staleReads: stale,
    staleChecked: Math.round(offered * 0.3),
    staleAgeMaxMs: stale > 0 ? 80 + (t % 5) * 40 : null,
    droppedIterations: t >= 30 && t < 36 ? 12 * (t - 29) : 0,
  };
}

/** An old-style line: written before the capacity fields (tiers, cost, events) existed. */
function timelineAt(t: number): TimelinePoint & { t: number } {
  const { offered, overload, rejectedByReason, silent, p50, stale } = loadAt(t);
  const util = Math.min(1, offered / CAPACITY_PER_S);
  return {
    t,
    tsMs: T0_MS + (t + 1) * 1000,
    tWallS: t + 3,
    offered,
    admitted: offered - overload,
    served: offered - overload,
    rejected: rejectedByReason,
    byClass: {},
    queueDepth: overload > 0 ? 300 + (t % 4) * 50 : 0,
    queueDepthMax: overload > 0 ? 512 : Math.round(util * 10),
    busyWorkers: Math.round(util * WORKERS),
    workers: WORKERS,
    utilisation: util,
    replicaLagMs: 20 + (stale > 0 ? 150 + (t % 6) * 25 : 0),
    replicaBacklog: stale * 10,
    staleReadsServed: stale,
    serverP99Ms: silent ? null : p50 * 3,
  } as TimelinePoint & { t: number };
}

function generatorAt(t: number): ReportModel["generator"][number] {
  const { mult } = loadAt(t);
  return {
    t,
    tsMs: T0_MS + (t + 1) * 1000,
    k6CpuCores: 0.2 + Math.min(1.8, mult / 50),
    exchangeCpuCores: 0.3 + Math.min(2.5, mult / 40),
  };
}

/** The summary's figures per phase, summed from the seconds in it. */
function phaseSummaries(seconds: readonly SecondPoint[]): ReportModel["summary"]["byPhase"] {
  return PHASES.map((p) => {
    const inPhase = seconds.filter((s) => s.t >= p.startS && s.t < p.endS);
    const req = inPhase.reduce((a, s) => a + s.requests, 0);
    const rej = inPhase.reduce(
      (a, s) => a + Object.values(s.rejectedByReason).reduce((x, y) => x + (y ?? 0), 0),
      0,
    );
    return {
      ...cls(req, 0.8 + p.toMultiple / 4, rej),
      name: p.name,
      startS: p.startS,
      endS: p.endS,
      multiple: p.toMultiple,
    };
  });
}

function syntheticSummary(seconds: readonly SecondPoint[]): ReportModel["summary"] {
  const sumReason = (r: RejectReason) => seconds.reduce((a, s) => a + (s.rejectedByReason[r] ?? 0), 0);
  const byReason: Partial<Record<RejectReason, number>> = {};
  for (const r of ["rate_limited", "banned", "overloaded", "timeout", "order_rejected", "error"] as const)
    byReason[r] = sumReason(r);
  const rejectedTotal = Object.values(byReason).reduce((a, b) => a + (b ?? 0), 0);
  const requests = seconds.reduce((a, s) => a + s.requests, 0);
  return {
    requests,
    latencyMs: { p50: 1.234, p90: 48.7, p99: 312.4, p999: 905.1, max: 12345.6 },
    byClass: {
      order: cls(Math.round(requests * 0.5), 1.5, 4000),
      position: cls(Math.round(requests * 0.3), 0.9),
    },
    byPhase: phaseSummaries(seconds),
    rejected: { total: rejectedTotal, rate: rejectedTotal / requests, byReason },
    staleReads: {
      count: 412,
      checked: 25_000,
      rate: 412 / 25_000,
      ageMs: { p50: 120, p99: 240, max: 260 },
    },
    droppedIterations: 252,
    generator: {
      k6CpuCores: 0.9,
      k6CpuCoresMax: 2,
      exchangeCpuCoresMax: 0.7,
      k6RssMbMax: 1_234,
      bottleneck: true,
      warnings: ["252 iterations dropped: k6 could not keep up with the arrival rate (preAllocatedVUs 200)"],
    },
    durationS: 60,
    strategy: "shed-oldest",
    simulated: false,
    cost: { instanceMinutes: { gateway: 0, read: 0, total: 0 } },
    events: [],
  };
}

/** A 60 s run of a 100x burst: refusals past capacity, a stale-read window, gaps of silence. */
function syntheticModel(runId = "2025-11-23T16-45-00Z-burst"): ReportModel {
  const seconds: SecondPoint[] = [];
  const timeline: Array<TimelinePoint & { t: number }> = [];
  const generator: ReportModel["generator"] = [];
  for (let t = 0; t < 60; t++) {
    seconds.push(secondAt(t));
    timeline.push(timelineAt(t));
    generator.push(generatorAt(t));
  }
  return {
    runId,
    run: {
      runId,
      profile: { name: "burst-100x", description: "normal → 100x in 10 s → recovery" },
      strategy: "shed-oldest",
      timeScale: 0.1,
      startedAt: new Date(T0_MS).toISOString(),
      exchangeUrl: "http://127.0.0.1:43817",
      k6: { version: "v1.3.0", executor: "ramping-arrival-rate", preAllocatedVUs: 200 },
    },
    summary: syntheticSummary(seconds),
    seconds,
    timeline,
    generator,
    phases: PHASES,
  };
}

function emptyModel(): ReportModel {
  return {
    runId: "empty",
    run: {},
    summary: {
      requests: 0,
      latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 },
      byClass: {},
      byPhase: [],
      rejected: { total: 0, rate: 0, byReason: {} },
      staleReads: { count: 0, checked: 0, rate: 0, ageMs: { p50: 0, p99: 0, max: 0 } },
      droppedIterations: 0,
      generator: {
        k6CpuCores: 0,
        k6CpuCoresMax: 0,
        exchangeCpuCoresMax: 0,
        k6RssMbMax: 0,
        bottleneck: false,
        warnings: [],
      },
      durationS: 0,
      strategy: null,
      simulated: false,
      cost: { instanceMinutes: { gateway: 0, read: 0, total: 0 } },
      events: [],
    },
    seconds: [],
    timeline: [],
    generator: [],
    phases: [],
  };
}

function figure(html: string, id: string): string {
  const m = html.match(new RegExp(`<figure data-chart="${id}">([\\s\\S]*?)</figure>`));
  return m?.[1] ?? "";
}

/** The parts of an ECharts series the tests read. */
interface Series {
  id: string;
  name: string;
  type: string;
  yAxisIndex?: number;
  step?: string;
  stack?: string;
  data: Array<[number, number | null]>;
  lineStyle?: { type?: string };
  markLine?: { lineStyle: { type: string }; data: Array<{ name: string; xAxis: number }> };
  markArea?: { data: Array<[{ name: string; xAxis: number }, { xAxis: number }]> };
}

function panelsOf(model: ReportModel, id: string): ChartPanel[] {
  return reportCharts(model).find((f) => f.id === id)?.panels ?? [];
}

function seriesOf(panel: ChartPanel | undefined): Series[] {
  return (panel?.option.series ?? []) as unknown as Series[];
}

/** A chart's series by id, from every panel (undefined when absent). */
function seriesIn(model: ReportModel, chart: string, id: string): Series | undefined {
  return panelsOf(model, chart)
    .flatMap(seriesOf)
    .find((s) => s.id === id);
}

/** Values a series draws (non-null y). */
function drawn(s: Series | undefined): number {
  return (s?.data ?? []).filter(([, v]) => v !== null).length;
}

const isLoopback = (url: string) =>
  /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);

/** The page without the inlined ECharts library (its source has words like NaN and undefined). */
function withoutLibrary(html: string): string {
  return html.replace(/<script>(?!\(function)[\s\S]*?<\/script>/, "");
}

function assertClean(page: string): void {
  const html = withoutLibrary(page);
  expect(html).not.toContain("NaN");
  expect(html).not.toContain("Infinity");
  expect(html).not.toContain("undefined");
  expect(html).not.toContain("[object Object]");
}

describe("renderReportHtml", () => {
  const model = syntheticModel();
  const html = renderReportHtml(model);

  if (process.env.RENDER_PREVIEW) writeFileSync(process.env.RENDER_PREVIEW, html);

  it("is one HTML document with the sections in order", () => {
    expect(html.startsWith("<!doctype html>")).toBe(true);
    const order = ["<header>", 'id="summary"', 'id="charts"', 'id="config"'].map((s) => html.indexOf(s));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(html).toContain("stampede drill");
    expect(html).toContain("burst-100x");
    expect(html).toContain("shed-oldest");
    expect(html).toContain("2025-11-23 16:45:00 UTC");
    expect(html).toContain("1 min 00 s");
  });

  it("renders all five charts as ECharts panels with a caption, options embedded as JSON", () => {
    for (const id of CHARTS) {
      const fig = figure(html, id);
      expect(fig, id).toMatch(/<div class="echart" data-panel="chart-[\w-]+" role="img" aria-label="[^"]+"/);
      expect(fig, id).toMatch(/<figcaption>[\s\S]{80,}<\/figcaption>/);
      for (const p of panelsOf(model, id)) expect(html).toContain(`"${p.id}":{"option":`);
    }
    const order = CHARTS.map((id) => html.indexOf(`data-chart="${id}"`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("plots the series the brief asks for", () => {
    for (const s of ["p50", "p90", "p99", "max", "p99-order", "p99-position", "server-p99"])
      expect(drawn(seriesIn(model, "latency", s)), s).toBeGreaterThan(0);
    for (const s of ["served", "rejected-rate_limited", "rejected-overloaded", "requests", "offered"])
      expect(drawn(seriesIn(model, "throughput", s)), s).toBeGreaterThan(0);
    // Rejects stack on served OK; the offered multiple has the right axis.
    expect(seriesIn(model, "throughput", "served")?.stack).toBe(
      seriesIn(model, "throughput", "rejected-overloaded")?.stack,
    );
    expect(seriesIn(model, "throughput", "offered")?.yAxisIndex).toBe(1);
    expect(drawn(seriesIn(model, "stale", "stale"))).toBeGreaterThan(0);
    expect(drawn(seriesIn(model, "stale", "replica-lag"))).toBeGreaterThan(0);
    for (const s of ["queue-max", "busy", "workers", "utilisation"])
      expect(drawn(seriesIn(model, "capacity", s)), s).toBeGreaterThan(0);
    for (const s of ["dropped", "k6-cpu", "exchange-cpu"])
      expect(drawn(seriesIn(model, "generator", s)), s).toBeGreaterThan(0);
  });

  it("shades the phases as a markArea and names them", () => {
    const phases = seriesIn(model, "latency", "phases");
    const names = phases?.markArea?.data.map(([a]) => a.name);
    expect(names).toEqual(["normal", "ramp", "plateau 100x", "recovery"]);
    // Natural minutes: run.json timeScale 0.1, so the ramp at wall 15..25 s is 0.025..0.0417 min.
    const ramp = phases?.markArea?.data[1];
    expect(ramp?.[0].xAxis).toBeCloseTo((15 * 0.1) / 60, 4);
    expect(ramp?.[1].xAxis).toBeCloseTo((25 * 0.1) / 60, 4);
  });

  it("reads time in natural minutes and latency on a log axis", () => {
    const option = panelsOf(model, "latency")[0]?.option as unknown as {
      xAxis: { type: string; name: string; min: number; max: number };
      yAxis: Array<{ type: string; name: string }>;
      dataZoom: Array<{ type: string }>;
      tooltip: { trigger: string };
    };
    expect(option.xAxis.name).toBe("time since start (natural minutes)");
    expect(option.xAxis.min).toBe(0);
    expect(option.xAxis.max).toBeCloseTo((60 * 0.1) / 60, 4);
    expect(option.yAxis[0]?.type).toBe("log");
    expect(option.yAxis[0]?.name).toBe("latency (ms), log");
    expect(option.dataZoom.map((d) => d.type)).toEqual(["inside", "slider"]);
    expect(option.tooltip.trigger).toBe("axis");
    expect(panelsOf(model, "latency")[0]?.timeScale).toBe(0.1);
  });

  it("breaks lines at null seconds and never prints NaN", () => {
    assertClean(html);
    const p50 = seriesIn(model, "latency", "p50")?.data ?? [];
    // Seconds 50, 51 and 53 had no request: nulls there, values either side.
    const nulls = p50.filter(([, v]) => v === null).length;
    expect(nulls).toBe(3);
    expect(p50.length).toBe(60);
  });

  it("shows the generator warning banner and the summary rows", () => {
    expect(html).toContain('class="banner"');
    expect(html).toContain("252 iterations dropped");
    const table = html.match(/<table class="summary">[\s\S]*?<\/table>/)?.[0] ?? "";
    expect(table).toContain(">overall<");
    expect(table).toContain(">order<");
    // depth has no data in the model: a row that says so, not a crash or zeros.
    expect(table).toMatch(/>depth<\/th><td colspan="8" class="nodata">no data</);
    for (const p of PHASES) expect(table).toContain(`>${p.name}<`);
    // 3 significant digits.
    expect(table).toContain(">1.23<");
    expect(table).toContain(">312<");
    expect(table).toContain(">12,300<");
    expect(html).toContain("412 / 25,000");
    expect(html).toContain("1,234 MB");
  });

  it("escapes the run id and the config", () => {
    const evil = syntheticModel("<x>&");
    evil.run = { note: '</pre><script>alert("x")</script>' };
    evil.phases = [{ name: "<b>", startS: 0, endS: 60, fromMultiple: 1, toMultiple: 1 }];
    const out = renderReportHtml(evil);
    expect(out).toContain("&lt;x&gt;&amp;");
    expect(out).not.toContain("<x>&");
    // Only the three scripts of the page; the run's text is escaped everywhere, options included.
    expect(out.match(/<script/g)).toHaveLength(3);
    expect(out).not.toContain('alert("x")</script>');
    expect(out).not.toContain("<b>");
    expect(out).toContain("&lt;/pre&gt;&lt;script&gt;");
  });

  it("references nothing outside the file", () => {
    // ECharts is inlined: its source names XML namespaces and its licence, which load nothing.
    const scripts = html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? [];
    expect(scripts).toHaveLength(3);
    for (const tag of scripts)
      expect(tag).toMatch(/^<script(?: type="application\/json" id="chart-options")?>/);
    const page = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, "");
    const urls = page.match(/https?:\/\/[^\s"'<>)&]+/gi) ?? [];
    expect(urls.length).toBeGreaterThan(0); // the exchange URL from run.json is shown...
    for (const u of urls) expect(isLoopback(u), u).toBe(true); // ...and it is loopback
    expect(page).not.toMatch(/<link|<img|<iframe|@import|\ssrc=|\shref=/i);
    expect(page.match(/url\(([^)]*)\)/g) ?? []).toEqual([]);
    // The embedded options name no URL at all.
    expect(scripts[0]).not.toMatch(/https?:\/\//);
  });

  it("renders an empty model with 'no data' instead of throwing", () => {
    const out = renderReportHtml(emptyModel());
    assertClean(out);
    for (const id of CHARTS) {
      const panels = panelsOf(emptyModel(), id);
      expect(panels.length, id).toBeGreaterThan(0);
      const title = (panels[0]?.option.title as { text?: string } | undefined)?.text;
      expect(title, id).toBe("no data");
    }
    expect(out).not.toContain('class="banner"');
  });

  it("survives a model with a missing class and phase data", () => {
    const m = syntheticModel();
    m.summary.byClass = {};
    m.summary.byPhase = [];
    m.phases = [];
    m.timeline = [];
    const out = renderReportHtml(m);
    assertClean(out);
    expect(out).toContain("no data");
    expect((panelsOf(m, "capacity")[0]?.option.title as { text?: string } | undefined)?.text).toBe("no data");
  });
});

/**
 * The synthetic drill with the capacity fields on every timeline line: time scale 60 (one wall
 * second = one natural minute), a reactive gateway that decides at t 20.5 and has capacity at
 * t 24.5, a read tier that loses a replica to a zone outage at t 30.25 and gets it back at 40.
 */
function capacityModel(): ReportModel {
  const m = syntheticModel("sim-reactive");
  const at: Record<number, CapacityEvent[]> = {
    20: [
      {
        atS: 1230,
        kind: "scale-out",
        tier: "gateway",
        instances: 6,
        detail: "utilisation 0.97 > target 0.6",
      },
    ],
    24: [{ atS: 1470, kind: "instances-ready", tier: "gateway", instances: 6, detail: "2 instances ready" }],
    30: [{ atS: 1815, kind: "fault-start", tier: "read", detail: "zone-outage: 33% of instances <lost>" }],
    40: [{ atS: 2400, kind: "fault-end", tier: "read", detail: "zone-outage over" }],
  };
  let gatewayMin = 0;
  let readMin = 0;
  m.timeline = m.timeline.map((p) => {
    const gw =
      p.t < 20 ? { ready: 4, booting: 0 } : p.t < 24 ? { ready: 4, booting: 2 } : { ready: 6, booting: 0 };
    const rd = p.t >= 30 && p.t < 40 ? { ready: 2, booting: 0 } : { ready: 3, booting: 0 };
    gatewayMin += gw.ready + gw.booting;
    readMin += rd.ready;
    return {
      ...p,
      tNaturalS: (p.t + 1) * 60,
      rejectedByClass: {},
      tiers: {
        gateway: { ...gw, workers: gw.ready * 8, utilisation: p.utilisation, queueDepth: p.queueDepth },
        read: { ...rd, workers: rd.ready * 4, utilisation: 0.4, queueDepth: p.t >= 30 && p.t < 40 ? 90 : 0 },
      },
      costInstanceMinutes: { gateway: gatewayMin, read: readMin },
      events: at[p.t] ?? [],
    };
  });
  m.run = { ...m.run, simulated: true, strategy: { name: "reactive" } };
  m.summary = {
    ...m.summary,
    strategy: "reactive",
    simulated: true,
    cost: { instanceMinutes: { gateway: gatewayMin, read: readMin, total: gatewayMin + readMin } },
    events: Object.values(at).flat(),
  };
  return m;
}

describe("capacity: instances, events, cost", () => {
  const model = capacityModel();
  const html = renderReportHtml(model);
  if (process.env.RENDER_PREVIEW_CAPACITY) writeFileSync(process.env.RENDER_PREVIEW_CAPACITY, html);

  it("places natural-time events on the wall axis", () => {
    const placed = placeEvents(model);
    expect(placed.map((p) => [p.event.kind, p.t])).toEqual([
      ["scale-out", 20.5],
      ["instances-ready", 24.5],
      ["fault-start", 30.25],
      ["fault-end", 40],
    ]);
    expect(formatHms(1230)).toBe("0:20:30");
    expect(formatHms(7384)).toBe("2:03:04");
  });

  it("draws ready and booting instances per tier as step lines", () => {
    for (const id of ["gateway-ready", "gateway-booting", "read-ready", "read-booting"]) {
      const s = seriesIn(model, "capacity", id);
      expect(drawn(s), id).toBeGreaterThan(0);
      expect(s?.step, id).toBe("end");
    }
    expect(seriesIn(model, "capacity", "gateway-booting")?.lineStyle?.type).toBe("dashed");
    for (const s of ["queue-max", "read-queue", "capacity-replica-lag", "busy", "workers", "utilisation"])
      expect(drawn(seriesIn(model, "capacity", s)), s).toBeGreaterThan(0);
    expect(panelsOf(model, "capacity")).toHaveLength(3);
  });

  it("marks scale decisions, capacity arriving and faults on the capacity and latency charts, with a legend", () => {
    for (const id of ["capacity", "latency"]) {
      for (const kind of ["scale-out", "instances-ready", "fault-start", "fault-end"]) {
        const s = seriesIn(model, id, `event-${kind}`);
        expect(s?.markLine?.data.length, `${id} ${kind}`).toBeGreaterThan(0);
      }
      const legend = (panelsOf(model, id)[0]?.option.legend as { data: string[] } | undefined)?.data;
      for (const label of ["scale-out decision", "instances ready", "fault start", "fault end"])
        expect(legend, `${id} ${label}`).toContain(label);
    }
    // Distinct styles: the decision dashed, capacity arriving solid, the fault's end dotted.
    const style = (kind: string) => seriesIn(model, "capacity", `event-${kind}`)?.markLine?.lineStyle.type;
    expect(style("scale-out")).toBe("dashed");
    expect(style("instances-ready")).toBe("solid");
    expect(style("fault-end")).toBe("dotted");
    // At the event's natural time: run.json says nothing of the time scale here (1), t 30.25 s.
    const fault = seriesIn(model, "capacity", "event-fault-start")?.markLine?.data[0];
    expect(fault?.xAxis).toBeCloseTo(naturalMinutes(30.25, 0.1), 4);
    expect(fault?.name).toContain("natural 0:30:15, t = 30.3 s");
    expect(fault?.name).toContain("33% of instances <lost>");
    // In the page the detail is escaped (JSON with \u003c).
    expect(html).not.toContain("<lost>");
    assertClean(html);
  });

  it("lists the events in a table with natural and wall time", () => {
    const section = html.match(/<section id="events">[\s\S]*?<\/section>/)?.[0] ?? "";
    const rows = section.match(/<tr data-event-kind="[^"]+">[\s\S]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(
      />0:20:30<\/td><td class="num">20.5<\/td>.*>scale-out<\/th><td>gateway<\/td><td class="num">6<\/td>/,
    );
    expect(rows[1]).toContain(">0:24:30<");
    expect(rows[2]).toContain("zone-outage: 33% of instances &lt;lost&gt;");
    const order = ['id="charts"', 'id="events"', 'id="config"'].map((x) => html.indexOf(x));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("shows strategy, cost and the simulated badge at the top", () => {
    const head = html.match(/<header>[\s\S]*?<\/header>/)?.[0] ?? "";
    expect(head).toContain('<span class="badge simulated"');
    expect(head).toContain("stampede simulation");
    expect(head).toContain("<dd>reactive</dd>");
    const total = model.summary.cost.instanceMinutes.total;
    expect(head).toContain(`<dd>${total} instance-min</dd>`);
    const table =
      html.match(/<table class="mini kv"><caption>Capacity<\/caption>[\s\S]*?<\/table>/)?.[0] ?? "";
    expect(table).toContain(">reactive<");
    expect(table).toContain(`${model.summary.cost.instanceMinutes.gateway} instance-min`);
    expect(table).toMatch(/faults<\/th><td class="num warn">1</);
    expect(table).toContain("simulated (virtual time)");
  });

  it("a drill without capacity fields has no badge, no markers and no events section", () => {
    const plain = renderReportHtml(syntheticModel());
    expect(plain).not.toContain("badge simulated");
    expect(seriesIn(syntheticModel(), "capacity", "event-scale-out")).toBeUndefined();
    expect(plain).not.toContain('id="events"');
    expect(seriesIn(syntheticModel(), "capacity", "gateway-ready")).toBeUndefined();
  });

  it("survives timelines mixing old and new lines, and malformed capacity fields", () => {
    const m = capacityModel();
    m.timeline = m.timeline.map((p, i) => {
      if (i % 3 === 0) {
        const { tiers: _t, events: _e, costInstanceMinutes: _c, tNaturalS: _n, ...old } = p;
        return old as typeof p;
      }
      if (i === 31) return { ...p, tiers: null, events: "nope" } as unknown as typeof p;
      return p;
    });
    const out = renderReportHtml(m);
    assertClean(out);
    expect(seriesIn(m, "capacity", "event-scale-out")?.markLine?.data.length).toBe(1);
    // An old summary.json without the new fields renders too.
    const old = capacityModel();
    const { cost: _c, events: _e, strategy: _s, simulated: _m, ...summary } = old.summary;
    old.summary = summary as typeof old.summary;
    old.run = {};
    assertClean(renderReportHtml(old));
  });
});

describe("chart options", () => {
  it("maps wall seconds to natural minutes, breaks lines at gaps and hides <= 0 on log axes", () => {
    expect(naturalMinutes(90, 60)).toBe(90);
    expect(naturalMinutes(1, 1)).toBeCloseTo(1 / 60, 4);
    const points: Point[] = [
      [0, 1],
      [1, 2],
      [2, null],
      [3, 4],
      [7, 6], // seconds 4-6 missing entirely
      [8, 0],
    ];
    expect(seriesData(points, 60, 1.5, true)).toEqual([
      [0, 1],
      [1, 2],
      [2, null],
      [3, 4],
      [5, null],
      [7, 6],
      [8, null],
    ]);
    expect(seriesData(points, 60).at(-1)).toEqual([8, 0]);
  });

  it("escapes text for SVG and HTML", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });

  it("builds a plain JSON option: lines, stacked bars, a right axis", () => {
    const panel = timeChart({
      id: "t",
      title: "a title",
      x: { label: "time", domain: [0, 10], timeScale: 60 },
      y: { label: "requests / s" },
      y2: { label: "multiple", min: 0 },
      bars: [
        { name: "ok", color: "#0f0", points: [[0, 3]] },
        { name: "rejected", color: "#f00", points: [[0, 1]] },
      ],
      lines: [{ name: "offered", color: "#000", axis: "right", points: [[0.5, 2]] }],
    });
    expect(JSON.parse(JSON.stringify(panel.option))).toEqual(panel.option);
    const series = seriesOf(panel);
    expect(series.map((s) => [s.type, s.stack ?? null, s.yAxisIndex])).toEqual([
      ["bar", "bars-0", 0],
      ["bar", "bars-0", 0],
      ["line", null, 1],
    ]);
    // A bar of the second [0, 1) sits at its middle, in natural minutes.
    expect(series[0]?.data).toEqual([[0.5, 3]]);
    expect((panel.option.yAxis as Array<{ min?: number }>)[1]?.min).toBe(0);
    expect((panel.option.xAxis as { max: number }).max).toBe(10);
  });

  it("copes with a day of per-second points", () => {
    const points: Point[] = Array.from({ length: 200_000 }, (_, i) => [i, 1 + (i % 100)]);
    const panel = timeChart({
      id: "big",
      title: "big",
      x: { label: "time", domain: [0, 200_000], timeScale: 1 },
      y: { label: "ms", scale: "log" },
      lines: [{ name: "s", color: "#000", points }],
    });
    const s = seriesOf(panel)[0] as Series & { sampling?: string };
    expect(s.data).toHaveLength(200_000);
    // Drawn with LTTB sampling, which keeps real points, never averages of percentiles.
    expect(s.sampling).toBe("lttb");
  });

  it("says 'no data' when there is nothing to plot", () => {
    const panel = timeChart({
      id: "e",
      title: "empty",
      x: { label: "time", timeScale: 1 },
      y: { label: "x" },
      lines: [],
    });
    expect((panel.option.title as { text: string }).text).toBe("no data");
    expect(JSON.stringify(panel.option)).not.toContain("NaN");
  });

  it("formats milliseconds to 3 significant digits", () => {
    expect(formatMs(1.23456)).toBe("1.23");
    expect(formatMs(0.012345)).toBe("0.0123");
    expect(formatMs(312.4)).toBe("312");
    expect(formatMs(12_345.6)).toBe("12,300");
    expect(formatMs(Number.NaN)).toBe("—");
    expect(formatMs(null)).toBe("—");
  });

  it("interpolates the offered multiple within a phase", () => {
    expect(offeredMultipleAt(PHASES, 20)).toBeCloseTo(50.5);
    expect(offeredMultipleAt(PHASES, 30)).toBe(100);
    expect(offeredMultipleAt(PHASES, 61)).toBeNull();
  });
});

describe("scaling lag, burst and endpoint tables", () => {
  const m = syntheticModel();
  m.run = { ...m.run, scales: { timeScale: 60 } };
  m.summary = {
    ...m.summary,
    capacity: {
      scaleOuts: [
        {
          tier: "gateway",
          target: 0.6,
          demandCrossedAtNaturalS: 600,
          decidedAtNaturalS: 780,
          readyAtNaturalS: 990,
          lagMinutes: 6.5,
        },
        {
          tier: "read",
          target: null,
          demandCrossedAtNaturalS: null,
          decidedAtNaturalS: 1080,
          readyAtNaturalS: null,
          lagMinutes: null,
        },
      ],
    },
    burst: {
      phase: "plateau 100x",
      startS: 25,
      endS: 45,
      preBurstPhase: "normal",
      riseStartS: 15,
      p99Ms: 155,
      preBurstP99Ms: 6.3,
      timeToFirstRejectS: 2,
      timeToRecoverS: 7,
      backlogDrainS: 44,
      peakReplicaLagMs: 5172,
    },
    byEndpoint: {
      "GET /fapi/v2/positionRisk": cls(900, 2, 0),
      "POST /fapi/v1/order": cls(1000, 5, 40),
    },
  };
  const out = renderReportHtml(m);

  it("lists each scale-out in natural m:ss with its boot time and lag in minutes", () => {
    const table = out.match(/<table class="mini scale-outs"[\s\S]*?<\/table>/)?.[0] ?? "";
    const rows = table.match(/<tr data-tier=[\s\S]*?<\/tr>/g) ?? [];
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/>10:00<.*>13:00<.*>16:30<.*>3.5<.*>6.5</);
    expect(rows[1]).toContain("not before the end");
  });

  it("gives the burst's figures in natural minutes, wall seconds beside them", () => {
    const table = out.match(/<table class="mini kv" id="burst-figures">[\s\S]*?<\/table>/)?.[0] ?? "";
    expect(table).toContain("<strong>7 min</strong>");
    expect(table).toContain("44 min");
    expect(table).toContain("5.2 min");
    expect(table).toContain("7 s wall");
  });

  it("has a row per endpoint with requests, percentiles and rejects", () => {
    const table = out.match(/<table class="summary endpoints"[\s\S]*?<\/table>/)?.[0] ?? "";
    const order = table.match(/<tr data-endpoint="POST \/fapi\/v1\/order">[\s\S]*?<\/tr>/)?.[0] ?? "";
    expect(order).toContain(">1,000<");
    expect(order).toContain(">40<");
    expect(order).toContain("4 %");
    expect(table).toContain('data-endpoint="GET /fapi/v2/positionRisk"');
    expect(renderReportHtml(syntheticModel())).toContain("no per-endpoint data");
  });
});

describe("the exchange's clock against the charts'", () => {
  it("is the timeline's natural time minus the client's wall time × time scale", async () => {
    const { exchangeClockOffsetS } = await import("../../reports/render/tables.ts");
    // The exchange started 7.5 wall seconds before k6: its line for client second 12 ends at 20.5 s.
    expect(exchangeClockOffsetS([{ t: 12, tNaturalS: 20.5 * 60 }], 60)).toBe(450);
    expect(exchangeClockOffsetS([{ t: 0, tNaturalS: 60 }], 60)).toBe(0);
    expect(exchangeClockOffsetS([], 60)).toBe(0);
  });
});
