import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPTIONAL_CHARTS } from "../../reports/render/charts.ts";
import { renderRun } from "../../reports/report.ts";
import { runCompare } from "../../scripts/compare.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { runSimulation } from "../../scripts/simulate/run.ts";
import { addSyntheticMarket } from "../fixtures/market/marketRun.ts";
import {
  CHROMIUM,
  checkCharts,
  EMPTY_IN_SIMULATION,
  type ExpectedCharts,
  expectedCharts,
  openOffline,
  probeCharts,
  screenshotPath,
} from "./pageChecks.ts";

/** The charts a run with market seconds adds (its fixture also carries the liquidation counts). */
const MARKET_RUN_CHARTS = OPTIONAL_CHARTS.map((c) => c.id as string).filter(
  (id) => id === "liquidations" || id.startsWith("market-"),
);

describe("reports in headless Chromium (file://, offline)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "stampede-browser-"));
  let browser: Browser | undefined;
  let reportHtml = "";
  let comparisonHtml = "";
  let marketReportHtml = "";
  let expected: ExpectedCharts = { report: [], comparison: [] };
  /** A failed check keeps the temporary folder (and its screenshots) for a look. */
  let keep = false;

  /** Why there is no browser: every test fails with it (a throwing beforeAll reads as "skipped"). */
  let setupError: Error | undefined;
  const ready = (): Browser => {
    if (setupError) throw setupError;
    if (browser === undefined) throw new Error("Chromium did not start");
    return browser;
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      setupError = new Error(
        `${CHROMIUM} not found: the browser test needs Debian's chromium. Install it with ` +
          "`apt-get install -y --no-install-recommends chromium` (.ci/run does this in CI).",
      );
      return;
    }
    expected = await expectedCharts();
    // Launched first and kept in `browser` at once, so afterAll closes it whatever fails next.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--font-render-hinting=none"],
    });
    const sim = await runSimulation({
      profile: resolveProfile("smoke"),
      strategy: "reactive",
      scale: "drill",
      timeScale: 60,
      seed: 1,
      method: "auto",
      outDir: join(tmp, "sim"),
      log: () => {},
    });
    reportHtml = join(sim.runDir, "report.html");
    const market = await runSimulation({
      profile: resolveProfile("smoke"),
      strategy: "reactive",
      scale: "drill",
      timeScale: 60,
      seed: 1,
      method: "auto",
      outDir: join(tmp, "market"),
      log: () => {},
    });
    addSyntheticMarket(market.runDir, "index-twap");
    await renderRun(market.runDir);
    marketReportHtml = join(market.runDir, "report.html");
    const cmp = await runCompare({
      simulate: true,
      profile: resolveProfile("smoke"),
      strategies: ["fixed", "overprovisioned", "priority-shedding"],
      repeat: 1,
      timeScale: 60,
      seed: 1,
      outDir: join(tmp, "compare"),
      runs: [],
      groupBy: "run",
      log: () => {},
      progress: "none",
    });
    comparisonHtml = join(cmp.dir, "comparison.html");
  }, 30_000);

  afterAll(async () => {
    try {
      await browser?.close();
    } finally {
      if (keep) console.error(`browser test: screenshots and run folders kept in ${tmp}`);
      else rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("has Chromium at /usr/bin/chromium and finds the chart ids to expect", () => {
    ready();
    expect(expected.report.length).toBeGreaterThanOrEqual(5);
    expect(expected.comparison.length).toBeGreaterThanOrEqual(5);
  });

  it.each([
    ["report.html", () => reportHtml, () => expected.report, "report.png", EMPTY_IN_SIMULATION],
    ["comparison.html", () => comparisonHtml, () => expected.comparison, "comparison.png", {}],
    [
      "report.html with market seconds",
      () => marketReportHtml,
      () => [...expected.report, ...MARKET_RUN_CHARTS],
      "report-market.png",
      EMPTY_IN_SIMULATION,
    ],
  ] as const)("%s opens offline with every chart drawn", async (_name, file, ids, png, mayBeEmpty) => {
    const { page, problems } = await openOffline(ready(), file());
    try {
      const probes = await probeCharts(page);
      expect(problems.pageErrors, "page errors").toEqual([]);
      expect(problems.console, "console errors").toEqual([]);
      expect(problems.requests, "requests other than file:// and data:").toEqual([]);
      checkCharts(probes, ids(), mayBeEmpty);
    } catch (err) {
      keep = true;
      throw err;
    } finally {
      // Saved even when a check failed: the picture is what explains the failure.
      const shot = page.screenshot({ path: screenshotPath(tmp, png), fullPage: true });
      // After a failed check, a failing screenshot must not hide the check's own error.
      await (keep ? shot.catch(() => undefined) : shot);
      await page.close();
    }
  });

  it("zooms a time axis and hides a series with a legend click, with the network off", async () => {
    const { page, problems } = await openOffline(ready(), reportHtml);
    try {
      await page.context().setOffline(true);
      const read = () =>
        page.evaluate(() => {
          const g = globalThis as unknown as {
            document: { querySelector(s: string): unknown };
            echarts: { getInstanceByDom(el: unknown): LatencyChart };
          };
          const chart = g.echarts.getInstanceByDom(g.document.querySelector('[data-panel="chart-latency"]'));
          const option = chart.getOption();
          return {
            extent: chart.getModel().getComponent("xAxis").axis.scale.getExtent(),
            zoom: { start: option.dataZoom[0]?.start, end: option.dataZoom[0]?.end },
            legend: option.legend[0]?.data?.[0] ?? null,
            selected: option.legend[0]?.selected ?? {},
          };
        });
      const before = await read();
      await page.evaluate(() => {
        const g = globalThis as unknown as {
          document: { querySelector(s: string): unknown };
          echarts: { getInstanceByDom(el: unknown): LatencyChart };
        };
        const chart = g.echarts.getInstanceByDom(g.document.querySelector('[data-panel="chart-latency"]'));
        chart.dispatchAction({ type: "dataZoom", start: 20, end: 60 });
      });
      const zoomed = await read();
      const [lo, hi] = before.extent;
      expect(hi).toBeGreaterThan(lo);
      expect(zoomed.zoom).toEqual({ start: 20, end: 60 });
      expect(zoomed.extent[0]).toBeCloseTo(lo + 0.2 * (hi - lo), 1);
      expect(zoomed.extent[1]).toBeCloseTo(lo + 0.6 * (hi - lo), 1);

      // The legend's first entry (p50) sits at the panel's top left: left 56 px, top 4 px.
      expect(before.legend).toBe("p50");
      expect(before.selected.p50).not.toBe(false);
      const panel = page.locator('[data-panel="chart-latency"]');
      await panel.scrollIntoViewIfNeeded();
      const box = await panel.boundingBox();
      if (box === null) throw new Error("latency panel has no box");
      await page.mouse.click(box.x + 56 + 9, box.y + 4 + 6);
      const clicked = await read();
      expect(clicked.selected.p50).toBe(false);
      expect(problems.pageErrors).toEqual([]);
      expect(problems.requests).toEqual([]);
    } catch (err) {
      keep = true;
      throw err;
    } finally {
      await page.close();
    }
  });
});

/** The little of an ECharts instance the interaction test reads. */
interface LatencyChart {
  getOption(): {
    dataZoom: Array<{ start?: number; end?: number }>;
    legend: Array<{ data?: string[]; selected?: Record<string, boolean> }>;
  };
  getModel(): { getComponent(main: string): { axis: { scale: { getExtent(): [number, number] } } } };
  dispatchAction(action: Record<string, unknown>): void;
}
