import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Summary } from "../../reports/model.ts";
import { OPTIONAL_CHARTS } from "../../reports/render/charts.ts";
import { renderRun } from "../../reports/report.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { runSimulation } from "../../scripts/simulate/run.ts";
import { addSyntheticMarket } from "../fixtures/market/marketRun.ts";
import { validate } from "./summarySchema.ts";

/**
 * The report of a run with market seconds (a simulated smoke run given a synthetic market, as the
 * venue's market model is not there yet) against the same run without them.
 */

const MARKET_CHARTS = OPTIONAL_CHARTS.map((c) => c.id).filter((id) => id.startsWith("market-"));

describe("report.html and charts/ with market seconds", () => {
  const tmp = mkdtempSync(join(tmpdir(), "stampede-market-report-"));
  let plainDir = "";
  let marketDir = "";
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  beforeAll(async () => {
    const sim = (out: string) =>
      runSimulation({
        profile: resolveProfile("smoke"),
        strategy: "reactive",
        scale: "drill",
        timeScale: 60,
        seed: 1,
        method: "auto",
        outDir: join(tmp, out),
        log: () => {},
      });
    plainDir = (await sim("plain")).runDir;
    marketDir = (await sim("market")).runDir;
    addSyntheticMarket(marketDir, "index-twap");
    await renderRun(marketDir);
  }, 30_000);

  it("draws the four market charts, as figures and as files, and the Market table", () => {
    expect(MARKET_CHARTS).toEqual(["market-prices", "market-depth", "market-makers", "market-insurance"]);
    const html = readFileSync(join(marketDir, "report.html"), "utf8");
    for (const id of MARKET_CHARTS) {
      expect(html).toContain(`data-chart="${id}"`);
      expect(existsSync(join(marketDir, "charts", `${id}.svg`))).toBe(true);
      expect(existsSync(join(marketDir, "charts", `${id}.png`))).toBe(true);
    }
    // One price panel per perpetual and one for the collateral; the oracle in use is marked.
    expect(html).toContain('data-panel="chart-market-prices-BTCUSDT"');
    expect(html).toContain('data-panel="chart-market-prices-collateral"');
    expect(html).toContain("USDE index-twap (in use)");
    expect(html).toContain('<section id="market">');
    expect(html).toContain('id="market-figures"');
    const summary = JSON.parse(readFileSync(join(marketDir, "summary.json"), "utf8")) as Summary;
    expect(validate(summary)).toEqual([]);
    expect(summary.market?.oracle).toBe("index-twap");
    expect(summary.market?.amplification).not.toBeNull();
  });

  it("leaves a run without a market model as it was: no market chart, table or field", () => {
    const html = readFileSync(join(plainDir, "report.html"), "utf8");
    for (const id of MARKET_CHARTS) {
      expect(html).not.toContain(`data-chart="${id}"`);
      expect(existsSync(join(plainDir, "charts", `${id}.svg`))).toBe(false);
    }
    expect(html).not.toContain('<section id="market">');
    const summary = JSON.parse(readFileSync(join(plainDir, "summary.json"), "utf8")) as Summary;
    expect("market" in summary).toBe(false);
  });
});
