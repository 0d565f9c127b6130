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
import {
  formatHms,
  formatMs,
  offeredMultipleAt,
  placeEvents,
  renderReportHtml,
} from "../../reports/render/html.ts";
import type { Point } from "../../reports/render/svg.ts";
import { alignedTicks, escapeXml, linearTicks, logTicks, timeChart } from "../../reports/render/svg.ts";

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

function seriesPath(html: string, series: string): string {
  return html.match(new RegExp(`<path data-series="${series}" d="([^"]*)"`))?.[1] ?? "";
}

const isLoopback = (url: string) =>
  /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);

function assertClean(html: string): void {
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

  it("renders all five charts as inline SVG with marks and a caption", () => {
    for (const id of CHARTS) {
      const fig = figure(html, id);
      expect(fig, id).toMatch(/<svg[^>]*viewBox="0 0 \d+ \d+"[^>]*role="img"/);
      expect(fig, id).toMatch(/<title[^>]*>[^<]+<\/title>/);
      expect(fig, id).toMatch(/<path data-series=|<rect /);
      expect(fig, id).toMatch(/<figcaption>[\s\S]{80,}<\/figcaption>/);
    }
    const order = CHARTS.map((id) => html.indexOf(`data-chart="${id}"`));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("plots the series the brief asks for", () => {
    for (const s of ["p50", "p90", "p99", "max", "p99-order", "p99-position", "server-p99"])
      expect(seriesPath(figure(html, "latency"), s), s).not.toBe("");
    const thr = figure(html, "throughput");
    for (const s of ["served", "rejected-rate_limited", "rejected-overloaded", "requests", "offered"])
      expect(seriesPath(thr, s), s).not.toBe("");
    // A reason that never occurred in a second-level point gets no legend entry.
    expect(thr).not.toContain('data-series="rejected-foo"');
    expect(seriesPath(figure(html, "stale"), "stale")).not.toBe("");
    expect(seriesPath(figure(html, "stale"), "replica-lag")).not.toBe("");
    for (const s of ["queue-max", "busy", "workers", "utilisation"])
      expect(seriesPath(figure(html, "capacity"), s), s).not.toBe("");
    for (const s of ["dropped", "k6-cpu", "exchange-cpu"])
      expect(seriesPath(figure(html, "generator"), s), s).not.toBe("");
  });

  it("shades the phases and names them", () => {
    const fig = figure(html, "latency");
    expect(fig).toContain('class="bands"');
    for (const p of ["normal", "ramp", "plateau 100x", "recovery"]) expect(fig).toContain(`>${p}</text>`);
  });

  it("uses a log latency axis labelled on 1-2-5 x 10^n", () => {
    const fig = figure(html, "latency");
    expect(fig).toContain("latency (ms), log scale");
    const yAxis = fig.match(/<g class="y-axis"[\s\S]*?<\/g>/)?.[0] ?? "";
    const labels = [...yAxis.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1] ?? "");
    expect(labels.length).toBeGreaterThan(2);
    const value = (s: string) => (s.endsWith("k") ? Number(s.slice(0, -1)) * 1000 : Number(s));
    for (const l of labels) {
      const v = value(l);
      const mant = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
      expect([1, 2, 5], l).toContain(Math.round(mant * 1e6) / 1e6);
    }
  });

  it("breaks lines at null seconds and never prints NaN", () => {
    assertClean(html);
    const p50 = seriesPath(figure(html, "latency"), "p50");
    // Runs: 0-49, 52 (alone, so also drawn as a dot), 54-59.
    expect(p50.match(/M/g)?.length).toBe(3);
    expect(figure(html, "latency")).toMatch(/<g data-series-markers="p50"[^>]*><circle /);
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
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<b>");
    expect(out).toContain("&lt;/pre&gt;&lt;script&gt;");
  });

  it("references nothing outside the file", () => {
    const urls = html.match(/https?:\/\/[^\s"'<>)&]+/gi) ?? [];
    expect(urls.length).toBeGreaterThan(0); // the exchange URL from run.json is shown...
    for (const u of urls) expect(isLoopback(u), u).toBe(true); // ...and it is loopback
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|\ssrc=|\shref=/i);
    expect(html.match(/url\(([^)]*)\)/g)?.every((u) => u.startsWith("url(#"))).toBe(true);
  });

  it("renders an empty model with 'no data' instead of throwing", () => {
    const out = renderReportHtml(emptyModel());
    assertClean(out);
    for (const id of CHARTS) {
      const fig = figure(out, id);
      expect(fig, id).toContain("<svg");
      expect(fig, id).toContain("no data");
    }
    expect(out).not.toContain('class="banner"');
    expect(out).not.toMatch(/https?:\/\//);
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
    expect(figure(out, "capacity")).toContain("no data");
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
    const fig = figure(html, "capacity");
    for (const s of ["gateway-ready", "gateway-booting", "read-ready", "read-booting"])
      expect(seriesPath(fig, s), s).not.toBe("");
    // Steps, not ramps: horizontal then vertical moves only.
    expect(seriesPath(fig, "gateway-ready")).toMatch(/^M[\d.]+ [\d.]+(H[\d.]+V[\d.]+)+$/);
    for (const s of ["queue-max", "read-queue", "capacity-replica-lag", "busy", "workers", "utilisation"])
      expect(seriesPath(fig, s), s).not.toBe("");
    expect(fig).toContain(">gateway ready<");
    expect(fig).toContain(">read booting<");
  });

  it("marks scale decisions, capacity arriving and faults on the capacity and latency charts, with a legend", () => {
    for (const id of ["capacity", "latency"]) {
      const fig = figure(html, id);
      for (const kind of ["scale-out", "instances-ready", "fault-start", "fault-end"])
        expect(fig, `${id} ${kind}`).toMatch(new RegExp(`<line data-event="${kind}"[^>]*><title>`));
      for (const label of ["scale-out decision", "instances ready", "fault start", "fault end"])
        expect(fig, `${id} ${label}`).toContain(`>${label}</text>`);
    }
    const cap = figure(html, "capacity");
    // Three panels, one marker per event in each; the legend only once.
    expect(cap.match(/<line data-event="scale-out"/g)).toHaveLength(3);
    expect(cap.match(/>scale-out decision<\/text>/g)).toHaveLength(1);
    // Distinct styles: the decision dashed, capacity arriving solid, the fault's end dotted.
    const style = (kind: string) => cap.match(new RegExp(`<line data-event="${kind}"[^>]*>`))?.[0] ?? "";
    expect(style("scale-out")).toContain('stroke-dasharray="6 4"');
    expect(style("instances-ready")).not.toContain("stroke-dasharray");
    expect(style("fault-end")).toContain('stroke-dasharray="1.5 3"');
    // Tooltip: natural time and the escaped detail.
    expect(cap).toContain("natural 0:30:15, t = 30.3 s");
    expect(cap).toContain("33% of instances &lt;lost&gt;");
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
    expect(plain).not.toContain("data-event=");
    expect(plain).not.toContain('id="events"');
    expect(seriesPath(figure(plain, "capacity"), "gateway-ready")).toBe("");
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
    expect(figure(out, "capacity")).toContain("data-event=");
    // An old summary.json without the new fields renders too.
    const old = capacityModel();
    const { cost: _c, events: _e, strategy: _s, simulated: _m, ...summary } = old.summary;
    old.summary = summary as typeof old.summary;
    old.run = {};
    assertClean(renderReportHtml(old));
  });
});

describe("svg primitives", () => {
  const isOneTwoFive = (v: number) => {
    const mant = v / 10 ** Math.floor(Math.log10(v) + 1e-9);
    return [1, 2, 5].includes(Math.round(mant * 1e9) / 1e9);
  };

  it("log ticks sit on 1, 2, 5 x 10^n and cover the data", () => {
    for (const [lo, hi] of [
      [0.3, 4500],
      [1, 10],
      [0.02, 70_000],
      [3, 3],
      [12, 480],
    ] as const) {
      const t = logTicks(lo, hi);
      expect(t.domain[0]).toBeLessThanOrEqual(lo);
      expect(t.domain[1]).toBeGreaterThanOrEqual(hi);
      for (const v of [...t.major, ...t.minor, ...t.domain]) expect(isOneTwoFive(v), `${v}`).toBe(true);
      expect(t.major.length).toBeGreaterThanOrEqual(2);
    }
    // Wide ranges label the decades only.
    const wide = logTicks(0.02, 70_000);
    expect(wide.major).toEqual(expect.arrayContaining([0.1, 1, 10, 100, 1000, 10_000]));
    expect(wide.major).not.toContain(200);
    expect(wide.minor).toContain(200);
    expect(logTicks(12, 480).major).toEqual([10, 20, 50, 100, 200, 500]);
  });

  it("linear ticks are nice and aligned secondary ticks share the gridlines", () => {
    expect(linearTicks(0, 1873, 5)).toEqual({
      domain: [0, 2000],
      ticks: [0, 500, 1000, 1500, 2000],
      step: 500,
    });
    expect(linearTicks(0, 0.7, 4).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8]);
    expect(linearTicks(0, 0).domain).toEqual([0, 1]);
    const a = alignedTicks(0, 100, 4);
    expect(a.ticks).toEqual([0, 25, 50, 75, 100]);
    expect(alignedTicks(0, 230, 4).ticks).toEqual([0, 100, 200, 300, 400]);
  });

  it("escapes text and breaks lines on nulls and missing seconds", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    const svg = timeChart({
      id: "t",
      title: "a <title> & more",
      x: { label: "time" },
      y: { label: "ms", scale: "log" },
      lines: [
        {
          name: "s",
          color: "#000",
          maxGap: 1.5,
          points: [
            [0, 1],
            [1, 2],
            [2, null],
            [3, 4],
            [4, 5],
            [7, 6], // seconds 5-6 missing entirely
            [8, 0], // <= 0 on a log axis is clamped, not NaN
          ],
        },
      ],
    });
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 1100 320"[^>]*role="img"/);
    expect(svg).toContain('<title id="t-title">a &lt;title&gt; &amp; more</title>');
    expect(svg).not.toContain("NaN");
    expect(seriesPath(svg, "s").match(/M/g)?.length).toBe(3);
  });

  it("copes with a day of per-second points", () => {
    const points: Point[] = Array.from({ length: 200_000 }, (_, i) => [i, 1 + (i % 100)]);
    const svg = timeChart({
      id: "big",
      title: "big",
      x: { label: "time" },
      y: { label: "ms", scale: "log" },
      lines: [{ name: "s", color: "#000", points }],
    });
    expect(svg).toContain("(m:ss)");
    expect(svg).not.toContain("NaN");
  });

  it("says 'no data' when there is nothing to plot", () => {
    const svg = timeChart({ id: "e", title: "empty", x: { label: "time" }, y: { label: "x" }, lines: [] });
    expect(svg).toContain("no data");
    expect(svg).not.toContain("NaN");
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
