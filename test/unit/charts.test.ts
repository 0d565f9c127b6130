import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { TimelinePoint, WallPhase } from "../../loadtests/vocabulary/runFolder.ts";
import type { PhaseSpan, ReportModel, SecondPoint, Summary } from "../../reports/model.ts";
import { CHARTS, OPTIONAL_CHARTS, percentileSpectrum } from "../../reports/render/charts.ts";
import {
  type ChartPanel,
  FONT_FAMILY,
  type Point,
  percentLabel,
  spectrumChart,
} from "../../reports/render/echarts.ts";
import { liquidationSeconds, renderReportHtml, reportCharts } from "../../reports/render/html.ts";
import { CHARTS_DIR, FONT_FILE, renderSvg } from "../../reports/render/png.ts";
import { panelSvg, standaloneSvg } from "../../reports/render/ssr.ts";
import { renderRun } from "../../reports/report.ts";
import { SparseHistogram } from "../../reports/sparse.ts";

interface Series {
  id: string;
  data: Array<[number, number | null]>;
}

function seriesOf(panel: ChartPanel | undefined): Series[] {
  return (panel?.option.series ?? []) as unknown as Series[];
}

// ---------------------------------------------------------------------------------------------
// A synthetic model: `n` seconds, a burst in the middle, optional liquidation fields.

const PHASES: PhaseSpan[] = [
  { name: "normal", startS: 0, endS: 0.3, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 0.3, endS: 0.7, fromMultiple: 1, toMultiple: 100 },
  { name: "recovery", startS: 0.7, endS: 1, fromMultiple: 100, toMultiple: 1 },
];

function histogramOf(valuesUs: number[]): SparseHistogram {
  const h = new SparseHistogram();
  for (const v of valuesUs) h.recordValue(v);
  return h;
}

const T0_MS = Date.UTC(2025, 9, 10, 21, 0, 0);

/** What second t offers and how it fares: a burst in the middle 40% of the run. */
function loadAt(t: number, n: number) {
  const burst = t >= 0.3 * n && t < 0.7 * n;
  const p50 = burst ? 40 + (t % 7) * 5 : 2 + (t % 3);
  const requests = burst ? 4000 : 400;
  const rejected = burst ? { rate_limited: 300 + (t % 5) * 20, overloaded: 50 } : {};
  return { burst, p50, requests, rejected };
}

function secondAt(t: number, n: number): SecondPoint {
  const { burst, p50, requests, rejected } = loadAt(t, n);
  return {
    t,
    requests,
    latencyMs: { p50, p90: p50 * 2, p99: p50 * 5, p999: p50 * 9, max: p50 * 14 },
    byClass: {
      order: { requests: requests / 2, p99Ms: p50 * 6 },
      position: { requests: requests / 2, p99Ms: p50 * 4 },
    },
    rejectedByReason: rejected,
    staleReads: burst ? 10 + (t % 4) : 0,
    staleChecked: requests / 4,
    staleAgeMaxMs: burst ? 200 + (t % 9) * 30 : null,
    droppedIterations: burst && t % 10 === 0 ? 5 : 0,
  };
}

function timelineAt(t: number, n: number, liquidations: boolean): TimelinePoint & { t: number } {
  const { burst, p50, requests, rejected } = loadAt(t, n);
  const line = {
    t,
    tsMs: T0_MS + (t + 1) * 1000,
    tWallS: t + 1,
    offered: requests,
    admitted: requests,
    served: requests,
    rejected,
    byClass: {},
    queueDepth: burst ? 200 : 0,
    queueDepthMax: burst ? 400 : 3,
    busyWorkers: burst ? 8 : 2,
    workers: 8,
    utilisation: burst ? 1 : 0.25,
    // A malformed negative lag: the right axis must still start at 0.
    replicaLagMs: t === 1 ? -5 : burst ? 300 + (t % 5) * 50 : 10,
    replicaBacklog: 0,
    staleReadsServed: 0,
    serverP99Ms: p50 * 3,
    ...(liquidations
      ? { liquidations: burst ? 40 + (t % 6) * 10 : 0, liquidationsShown: burst ? 1 : 0 }
      : {}),
  };
  return line as unknown as TimelinePoint & { t: number };
}

/** Percentile spectra of a spread of 20,000 latencies; orders 1.5x slower than position reads. */
function syntheticSpectrum(): ReportModel["spectrum"] {
  const all = Array.from({ length: 20_000 }, (_, i) => 500 + ((i * 7919) % 20_000) * 10);
  return {
    overall: percentileSpectrum(histogramOf(all)),
    byClass: {
      order: percentileSpectrum(histogramOf(all.filter((_, i) => i % 2 === 0).map((v) => v * 1.5))),
      position: percentileSpectrum(histogramOf(all.filter((_, i) => i % 2 === 1))),
    },
  };
}

function syntheticSummary(n: number, requests: number): Summary {
  return {
    requests,
    latencyMs: { p50: 3, p90: 80, p99: 250, p999: 400, max: 900 },
    byClass: {},
    byPhase: [],
    rejected: { total: 1000, rate: 0.01, byReason: { rate_limited: 900, overloaded: 100 } },
    staleReads: { count: 40, checked: 4000, rate: 0.01, ageMs: { p50: 200, p99: 400, max: 460 } },
    droppedIterations: 10,
    generator: {
      k6CpuCores: 0.5,
      k6CpuCoresMax: 1.2,
      exchangeCpuCoresMax: 0.5,
      k6RssMbMax: 300,
      bottleneck: false,
      warnings: [],
    },
    durationS: n,
    strategy: "reactive",
    simulated: true,
    cost: { instanceMinutes: { gateway: 10, read: 5, total: 15 } },
    events: [],
  } as Summary;
}

function syntheticModel(n = 90, opts: { liquidations?: boolean } = {}): ReportModel {
  const phases = PHASES.map((p) => ({ ...p, startS: p.startS * n, endS: p.endS * n }));
  const seconds: SecondPoint[] = [];
  const timeline: ReportModel["timeline"] = [];
  const generator: ReportModel["generator"] = [];
  for (let t = 0; t < n; t++) {
    seconds.push(secondAt(t, n));
    timeline.push(timelineAt(t, n, opts.liquidations === true));
    const { burst } = loadAt(t, n);
    generator.push({ t, tsMs: T0_MS + (t + 1) * 1000, k6CpuCores: burst ? 1.2 : 0.3, exchangeCpuCores: 0.5 });
  }
  const summary = syntheticSummary(
    n,
    seconds.reduce((a, s) => a + s.requests, 0),
  );
  return {
    runId: "synthetic",
    run: { id: "synthetic" },
    summary,
    seconds,
    timeline,
    generator,
    phases,
    spectrum: syntheticSpectrum(),
  };
}

// ---------------------------------------------------------------------------------------------
// PNG helpers

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function pngSize(png: Buffer): { width: number; height: number } {
  // IHDR is the first chunk: length(4) "IHDR"(4) width(4) height(4).
  expect(png.subarray(12, 16).toString("latin1")).toBe("IHDR");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Share of pixels that are not white, and of pixels that are clearly coloured (not grey). */
function inkOf(pixels: Buffer): { ink: number; colour: number } {
  let ink = 0;
  let colour = 0;
  const n = pixels.length / 4;
  for (let i = 0; i < pixels.length; i += 4) {
    const r = pixels[i] as number;
    const g = pixels[i + 1] as number;
    const b = pixels[i + 2] as number;
    if (r < 245 || g < 245 || b < 245) ink++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
  }
  return { ink: ink / n, colour: colour / n };
}

function svgSize(svg: string): { width: number; height: number } {
  const m = svg.match(/^<svg\b[^>]*\bwidth="(\d+)" height="(\d+)"/);
  return { width: Number(m?.[1]), height: Number(m?.[2]) };
}

// ---------------------------------------------------------------------------------------------

describe("chart list", () => {
  it("lists every chart once, with a title, and report.html carries each as data-chart", () => {
    const ids = [...CHARTS, ...OPTIONAL_CHARTS].map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of [...CHARTS, ...OPTIONAL_CHARTS]) expect(c.title.length).toBeGreaterThan(5);
    const model = syntheticModel();
    expect(reportCharts(model).map((f) => f.id)).toEqual(CHARTS.map((c) => c.id));
    const html = renderReportHtml(model);
    for (const c of CHARTS) expect(html, c.id).toContain(`<figure data-chart="${c.id}">`);
  });

  it("draws the liquidations chart only when the timeline carries liquidations", () => {
    const without = syntheticModel();
    expect(liquidationSeconds(without)).toEqual([]);
    expect(renderReportHtml(without)).not.toContain('data-chart="liquidations"');
    const withLiq = syntheticModel(90, { liquidations: true });
    expect(reportCharts(withLiq).map((f) => f.id)).toEqual([...CHARTS.map((c) => c.id), "liquidations"]);
    expect(renderReportHtml(withLiq)).toContain('<figure data-chart="liquidations">');
    const panel = reportCharts(withLiq).find((f) => f.id === "liquidations")?.panels[0];
    const series = seriesOf(panel);
    for (const id of [
      "liquidations",
      "liquidations-shown",
      "liquidations-total",
      "liquidations-shown-total",
    ]) {
      const s = series.find((x) => x.id === id);
      expect(
        s?.data.some(([, v]) => v !== null && v > 0),
        id,
      ).toBe(true);
    }
    // The totals are cumulative: never decreasing.
    const total = series.find((x) => x.id === "liquidations-total")?.data.map(([, v]) => v as number) ?? [];
    for (let i = 1; i < total.length; i++) expect(total[i]).toBeGreaterThanOrEqual(total[i - 1] as number);
  });

  it("draws the lateness chart only when the run measured lateness", () => {
    const without = syntheticModel();
    expect(reportCharts(without).map((f) => f.id)).not.toContain("lateness");
    const measured = syntheticModel();
    measured.seconds = measured.seconds.map((s) => ({
      ...s,
      lateMs: { p99: 2 + (s.t % 7), max: 9 + (s.t % 5) },
    }));
    expect(reportCharts(measured).map((f) => f.id)).toEqual([...CHARTS.map((c) => c.id), "lateness"]);
    const series = seriesOf(reportCharts(measured).find((f) => f.id === "lateness")?.panels[0]);
    for (const id of ["late-p99", "late-max"]) {
      const line = series.find((x) => x.id === id);
      expect(
        line?.data.some(([, v]) => v !== null && v > 0),
        id,
      ).toBe(true);
    }
    expect(renderReportHtml(measured)).toContain('<figure data-chart="lateness">');
  });

  it("says how k6 collected garbage when run.json records it", () => {
    const before = syntheticModel();
    expect(renderReportHtml(before)).not.toContain("k6 garbage collector");
    const off = syntheticModel();
    off.run = {
      ...off.run,
      k6: { collector: { mode: "off", predictedCoreShare: 0.873, memoryLimitMiB: 11743 } },
    };
    expect(renderReportHtml(off)).toContain("off below 11,743 MiB, peak predicted at 87.3 % of the cores");
    const paced = syntheticModel();
    paced.run = {
      ...paced.run,
      k6: { collector: { mode: "paced", predictedCoreShare: 0.437, memoryLimitMiB: null } },
    };
    expect(renderReportHtml(paced)).toContain("paced by Go, peak predicted at 43.7 % of the cores");
  });

  it("keeps the stale chart's right axis at or above 0", () => {
    const panel = reportCharts(syntheticModel()).find((f) => f.id === "stale")?.panels[0];
    const axes = panel?.option.yAxis as Array<{ min?: number; name: string }>;
    expect(axes[1]?.name).toBe("age / lag (ms)");
    expect(axes[1]?.min).toBe(0);
  });
});

describe("every chart as SVG and PNG", () => {
  const figures = reportCharts(syntheticModel(90, { liquidations: true }));

  it.each(figures.map((f) => [f.id, f] as const))("%s", async (_id, fig) => {
    const svg = standaloneSvg(fig, "synthetic");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(`data-chart="${fig.id}"`);
    expect(svg).toContain(fig.heading);
    // Every font in the file is the bundled font's family first (ECharts writes it into styles).
    const decoded = svg.replace(/&#39;/g, "'");
    const families = [...decoded.matchAll(/font-family(?:=|:)"?([^";]+)/g)].map((m) => m[1]);
    expect(families.length).toBeGreaterThan(1);
    for (const f of families) expect(f).toBe(FONT_FAMILY);
    // One nested <svg> per panel, and no zoom slider in a static picture.
    expect(svg.match(/<svg /g)).toHaveLength(fig.panels.length + 1);
    expect(svg).toMatch(/<path d="M[^"]+" fill="none"[^>]*stroke="#/);

    const image = await renderSvg(svg, 1);
    const png = image.asPng();
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const size = svgSize(svg);
    expect(pngSize(png)).toEqual(size);
    expect({ width: image.width, height: image.height }).toEqual(size);
    const { ink, colour } = inkOf(image.pixels);
    expect(ink).toBeGreaterThan(0.02); // text, axes, grid and marks...
    expect(ink).toBeLessThan(0.9); // ...on a white page
    expect(colour).toBeGreaterThan(0.001); // the coloured series were drawn
  });

  it("renders at 2x and gives the same bytes on every run (bundled font, no system fonts)", async () => {
    expect(existsSync(FONT_FILE)).toBe(true);
    const fig = figures[0];
    if (!fig) throw new Error("no figure");
    const svg = standaloneSvg(fig, "synthetic");
    const a = (await renderSvg(svg)).asPng();
    const b = (await renderSvg(svg)).asPng();
    expect(pngSize(a)).toEqual({ width: svgSize(svg).width * 2, height: svgSize(svg).height * 2 });
    expect(a.equals(b)).toBe(true);
  });

  it("draws text with the bundled font (a heading-only SVG is not blank)", async () => {
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" font-family="${FONT_FAMILY}"><text x="4" y="28" font-size="24">Latency</text></svg>`;
    expect(inkOf((await renderSvg(svg, 1)).pixels).ink).toBeGreaterThan(0.03);
  });
});

describe("percentile spectrum", () => {
  it("labels x = 1/(1-p) in percent", () => {
    expect(["0%", "90%", "99%", "99.9%", "99.99%"]).toEqual([1, 10, 100, 1000, 10_000].map(percentLabel));
  });

  it("puts x = 1/(1-p) on a log axis of whole decades, at least to 99.9%", () => {
    const points: Point[] = [
      [1, 1],
      [100, 10],
      [1000, 50],
      [2000, 0], // a 0 ms latency cannot sit on a log axis: dropped, not NaN
    ];
    const panel = spectrumChart({
      id: "t",
      title: "t",
      lines: [{ name: "a", color: "#000", points }],
      y: { label: "ms" },
    });
    const x = panel.option.xAxis as { type: string; min: number; max: number };
    expect(x).toMatchObject({ type: "log", min: 1, max: 10_000 });
    expect(seriesOf(panel)[0]?.data).toEqual([
      [1, 1],
      [100, 10],
      [1000, 50],
    ]);
    expect((panel.option.yAxis as { type: string }).type).toBe("log");
    expect(panel.timeScale).toBeNull();
    // Server-side the x labels read as percentiles.
    const svg = panelSvg(panel);
    for (const label of ["0%", "90%", "99%", "99.9%"]) expect(svg).toContain(`>${label}</text>`);
  });

  it("reads the spectrum from the merged histogram", () => {
    // 1..10,000 µs, once each: p99 = 9.9 ms, max = 10 ms (3 significant digits).
    const h = histogramOf(Array.from({ length: 10_000 }, (_, i) => i + 1));
    const s = percentileSpectrum(h);
    const at = (x: number) => s.find(([px]) => Math.abs(px / x - 1) < 1e-9)?.[1];
    expect(at(1)).toBeCloseTo(0.001, 6);
    expect(at(2)).toBeCloseTo(5, 1);
    expect(at(1024)).toBeCloseTo(9.99, 1);
    const last = s[s.length - 1] as [number, number];
    expect(last[0]).toBe(10_000);
    expect(last[1]).toBeCloseTo(10, 1);
    for (let i = 1; i < s.length; i++) {
      expect((s[i] as [number, number])[0]).toBeGreaterThan((s[i - 1] as [number, number])[0]);
      expect((s[i] as [number, number])[1]).toBeGreaterThanOrEqual((s[i - 1] as [number, number])[1]);
    }
    expect(percentileSpectrum(new SparseHistogram())).toEqual([]);
  });
});

describe("long runs", () => {
  it("an hour of seconds keeps every point and is drawn with LTTB sampling", () => {
    const long = reportCharts(syntheticModel(3600));
    const p99 = seriesOf(long.find((f) => f.id === "latency")?.panels[0]).find((s) => s.id === "p99") as
      | (Series & { sampling?: string })
      | undefined;
    expect(p99?.data.length).toBe(3600);
    expect(p99?.sampling).toBe("lttb");
  });
});

// ---------------------------------------------------------------------------------------------
// renderRun on a run folder (same fixture shape as hlog.test.ts)

const HEADER =
  "metric_name,timestamp,metric_value,error_code,expected_response,method,name,scenario,status,extra_tags,metadata";
const T0 = 1_800_000_000_000_000; // unix µs
const RUN_PHASES: WallPhase[] = [
  { name: "normal", startS: 0, endS: 2, fromMultiple: 1, toMultiple: 1 },
  { name: "burst", startS: 2, endS: 4, fromMultiple: 1, toMultiple: 100 },
];

function fixtureRun(opts: { liquidations?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "stampede-charts-"));
  const classes = ["class=position", "class=order", "class=depth"];
  const rows = Array.from({ length: 400 }, (_, i) => {
    const ms = 0.3 + ((i * 37) % 200) * 1.3;
    return `http_req_duration,${T0 + i * 10_000},${ms.toFixed(6)},,true,GET,GET /x,order,200,${classes[i % 3]},`;
  });
  const lines = [
    `stampede_setup_done,${T0},1.000000,,,,,,,,`,
    ...rows,
    `stampede_rejects,${T0 + 2_500_000},1.000000,,true,GET,,order,429,class=order&reason=rate_limited,`,
  ];
  writeFileSync(join(dir, "k6.csv.gz"), gzipSync(`${[HEADER, ...lines].join("\n")}\n`));
  writeFileSync(
    join(dir, "run.json"),
    JSON.stringify({ id: "fixture", plan: { phases: RUN_PHASES, durationS: 4 } }, null, 2),
  );
  const tl = Array.from({ length: 4 }, (_, t) =>
    JSON.stringify({
      tsMs: T0 / 1000 + (t + 1) * 1000,
      tWallS: t + 1,
      offered: 100,
      admitted: 100,
      served: 100,
      rejected: {},
      byClass: {},
      queueDepth: t,
      queueDepthMax: 2 * t,
      busyWorkers: 2,
      workers: 4,
      utilisation: 0.5,
      replicaLagMs: 10 * t,
      replicaBacklog: 0,
      staleReadsServed: 0,
      serverP99Ms: 5,
      ...(opts.liquidations ? { liquidations: 30 * t, liquidationsShown: t > 0 ? 1 : 0 } : {}),
    }),
  );
  writeFileSync(join(dir, "timeline.jsonl"), `${tl.join("\n")}\n`);
  return dir;
}

describe("renderRun writes charts/<id>.svg|png", () => {
  it("for every chart of the list, next to report.html", async () => {
    const dir = fixtureRun();
    await renderRun(dir);
    const html = readFileSync(join(dir, "report.html"), "utf8");
    for (const c of CHARTS) {
      const svg = readFileSync(join(dir, CHARTS_DIR, `${c.id}.svg`), "utf8");
      expect(svg, c.id).toContain(`data-chart="${c.id}"`);
      const png = readFileSync(join(dir, CHARTS_DIR, `${c.id}.png`));
      expect([...png.subarray(0, 8)], c.id).toEqual(PNG_SIGNATURE);
      const size = svgSize(svg);
      expect(pngSize(png), c.id).toEqual({ width: size.width * 2, height: size.height * 2 });
      expect(html).toContain(`data-chart="${c.id}"`);
    }
    // The run's spectrum comes from its histograms: one line per class present, plus overall.
    const spectrum = readFileSync(join(dir, CHARTS_DIR, "spectrum.svg"), "utf8");
    for (const name of ["all requests", "order", "position", "depth"])
      expect(spectrum, name).toContain(`>${name}</text>`);
    expect(existsSync(join(dir, CHARTS_DIR, "liquidations.svg"))).toBe(false);
    expect(html).not.toContain('data-chart="liquidations"');
  });

  it("adds the liquidations chart when timeline.jsonl carries liquidations", async () => {
    const dir = fixtureRun({ liquidations: true });
    await renderRun(dir);
    expect(existsSync(join(dir, CHARTS_DIR, "liquidations.svg"))).toBe(true);
    expect(existsSync(join(dir, CHARTS_DIR, "liquidations.png"))).toBe(true);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain('data-chart="liquidations"');
  });
});
