import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Checks of a report page as a user sees it (shared by the browser test and the end-to-end drill).
 * report.html and comparison.html as a user sees them: opened from file:// in headless Chromium
 * (Debian's `chromium` at /usr/bin/chromium, driven by playwright-core; .ci/run installs it with
 * apt when missing). Fails on console errors, page errors, any request that is not file:// or
 * data: (the reports must open offline), and any expected chart that is missing, hidden or
 * empty. Saves full-page screenshots: into the temporary folder by default, into
 * docs/screenshots/ with STAMPEDE_UPDATE_SCREENSHOTS=1.
 */

export const CHROMIUM = "/usr/bin/chromium";
const ROOT = join(import.meta.dirname, "..", "..");
const RENDER = join(ROOT, "reports", "render");
const UPDATE_SCREENSHOTS = process.env.STAMPEDE_UPDATE_SCREENSHOTS === "1";

// ---------------------------------------------------------------------------------------------
// The charts each page must show. One place to change: when reports/render exports its list of
// chart ids (CHARTS), it is used; until then the ids are read from the render sources, so a chart
// the code emits cannot silently go missing from the page.

export interface ExpectedCharts {
  report: string[];
  comparison: string[];
}

/** A CHARTS export as ids: `["latency", ...]`, `[{ id: "latency", ... }, ...]` or `{ latency: ... }`. */
function chartIdsOf(value: unknown): string[] | null {
  if (value === null || typeof value !== "object") return null;
  if (!Array.isArray(value)) return Object.keys(value);
  const ids = value.map((c: unknown) => (typeof c === "string" ? c : (c as { id?: unknown } | null)?.id));
  return ids.every((id) => typeof id === "string") ? (ids as string[]) : null;
}

/** Literal ids in a render source: `figure("id", ...)`, `data-chart="id"`, `<figure id="id">`. */
function idsInSource(file: string): string[] {
  const src = readFileSync(join(RENDER, file), "utf8");
  const ids = new Set<string>();
  for (const re of [/\bfigure\(\s*"([\w-]+)"/g, /data-chart="([\w-]+)"/g, /<figure id="([\w-]+)"/g])
    for (const m of src.matchAll(re)) if (m[1] !== undefined) ids.add(m[1]);
  return [...ids];
}

export async function expectedCharts(): Promise<ExpectedCharts> {
  const html = (await import("../../reports/render/html.ts")) as Record<string, unknown>;
  const cmp = (await import("../../reports/render/compareHtml.ts")) as Record<string, unknown>;
  return {
    report: chartIdsOf(html.CHARTS) ?? idsInSource("html.ts"),
    comparison: chartIdsOf(cmp.COMPARE_CHARTS ?? cmp.CHARTS) ?? idsInSource("compareHtml.ts"),
  };
}

// ---------------------------------------------------------------------------------------------
// In-page probes. The project compiles without the DOM library, so the page functions describe
// the little of the DOM they use themselves.

interface Box {
  width: number;
  height: number;
}
interface PageElement {
  tagName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  querySelector(selector: string): PageElement | null;
  closest(selector: string): PageElement | null;
  getBoundingClientRect(): Box;
}

/** One ECharts panel (`[data-panel]`) of a figure, read from its chart instance. */
interface PanelProbe {
  id: string;
  width: number;
  height: number;
  /** False when the page's ECharts did not draw into the panel. */
  hasInstance: boolean;
  /** Series (data series, not phase or event carriers) that hold at least one value. */
  drawnSeries: number;
  /** The panel's no-data title, or null. */
  noData: string | null;
}

interface ChartProbe {
  id: string;
  width: number;
  height: number;
  visibility: string;
  panels: PanelProbe[];
}

interface EChartsInstance {
  getOption(): {
    series?: Array<{ id?: string; data?: unknown[] }>;
    title?: Array<{ text?: string }>;
  };
}

/** Every chart figure on the page: `figure[data-chart]`, and comparison figures by id. */
export async function probeCharts(page: Page): Promise<ChartProbe[]> {
  return page.evaluate(() => {
    const g = globalThis as unknown as {
      document: PageElement;
      getComputedStyle(e: PageElement): { visibility: string; display: string };
      echarts?: { getInstanceByDom(el: PageElement): EChartsInstance | undefined };
    };
    const hasValue = (d: unknown) =>
      Array.isArray(d) ? typeof d[1] === "number" : typeof d === "number" && Number.isFinite(d);
    const figures = Array.from(g.document.querySelectorAll("figure[data-chart], figure[id]"));
    return figures.map((fig): ChartProbe => {
      const box = fig.getBoundingClientRect();
      const panels = Array.from(fig.querySelectorAll("[data-panel]")).map((el): PanelProbe => {
        const b = el.getBoundingClientRect();
        const chart = g.echarts?.getInstanceByDom(el);
        const option = chart?.getOption();
        const series = (option?.series ?? []).filter(
          (s) => s.id !== "phases" && !String(s.id ?? "").startsWith("event-"),
        );
        const title = option?.title?.[0]?.text;
        return {
          id: el.getAttribute("data-panel") ?? "",
          width: b.width,
          height: b.height,
          hasInstance: chart !== undefined,
          drawnSeries: series.filter((s) => (s.data ?? []).some(hasValue)).length,
          noData: typeof title === "string" && title !== "" ? title : null,
        };
      });
      return {
        id: fig.getAttribute("data-chart") ?? fig.getAttribute("id") ?? "",
        width: box.width,
        height: box.height,
        visibility: g.getComputedStyle(fig).visibility,
        panels,
      };
    });
  });
}

// ---------------------------------------------------------------------------------------------

export interface Problems {
  console: string[];
  pageErrors: string[];
  requests: string[];
}

/** Opens a file in a fresh page, recording everything that must not happen. */
export async function openOffline(
  browser: Browser,
  file: string,
): Promise<{ page: Page; problems: Problems }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const problems: Problems = { console: [], pageErrors: [], requests: [] };
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.console.push(msg.text());
  });
  page.on("pageerror", (err) => problems.pageErrors.push(String(err)));
  page.on("requestfailed", (req) =>
    problems.requests.push(`${req.url()} failed: ${req.failure()?.errorText ?? "?"}`),
  );
  // Anything but the file itself and inline data would need the network (or another file).
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("data:") || url.startsWith("file:")) return route.continue();
    problems.requests.push(`${url} (not file:// or data:, blocked)`);
    return route.abort("blockedbyclient");
  });
  const response = await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  expect(response === null || response.ok()).toBe(true);
  return { page, problems };
}

export function screenshotPath(tmp: string, name: string): string {
  if (!UPDATE_SCREENSHOTS) return join(tmp, name);
  const dir = join(ROOT, "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/**
 * Charts that may show their no-data placeholder in a simulated run, and why. Anything else
 * showing one fails.
 */
export const EMPTY_IN_SIMULATION: Record<string, string> = {
  generator: "a simulation has no load generator (no k6, no generator.jsonl)",
};

export function checkCharts(
  probes: ChartProbe[],
  expected: string[],
  mayBeEmpty: Record<string, string> = {},
): void {
  const byId = new Map(probes.map((p) => [p.id, p]));
  const missing = expected.filter((id) => !byId.has(id));
  expect(missing, `charts missing from the page (expected ${expected.join(", ")})`).toEqual([]);
  // Every expected chart, and any other chart figure the page has, is visible and drawn.
  for (const p of probes) {
    const where = `chart "${p.id}"`;
    expect(p.visibility, where).toBe("visible");
    expect(p.width * p.height, `${where} has an empty box`).toBeGreaterThan(0);
    expect(p.panels.length, `${where} has no chart panel`).toBeGreaterThan(0);
    const emptyOk = Object.hasOwn(mayBeEmpty, p.id);
    p.panels.forEach((s, i) => {
      const panel = `${where}, panel ${i + 1} (${s.id})`;
      expect(s.hasInstance, `${panel}: ECharts drew nothing into it`).toBe(true);
      expect(s.width * s.height, `${panel} has an empty box`).toBeGreaterThan(0);
      if (emptyOk && s.noData !== null) return;
      expect(s.noData, `${panel} shows a no-data placeholder`).toBeNull();
    });
    // Zero-valued series draw flat; but a chart whose every panel has no series with data is empty.
    if (emptyOk) continue;
    expect(
      p.panels.reduce((a, s) => a + s.drawnSeries, 0),
      `${where} draws no data series`,
    ).toBeGreaterThan(0);
  }
}
