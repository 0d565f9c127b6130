import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCompare } from "../../scripts/compare.ts";
import { runSimulation } from "../../scripts/simulate/run.ts";
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

describe("reports in headless Chromium (file://, offline)", () => {
  const tmp = mkdtempSync(join(tmpdir(), "stampede-browser-"));
  let browser: Browser | undefined;
  let reportHtml = "";
  let comparisonHtml = "";
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
      profileName: "smoke",
      strategy: "reactive",
      scale: "drill",
      timeScale: 60,
      seed: 1,
      method: "auto",
      outDir: join(tmp, "sim"),
      log: () => {},
    });
    reportHtml = join(sim.runDir, "report.html");
    const cmp = await runCompare({
      simulate: true,
      profileName: "smoke",
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
});
