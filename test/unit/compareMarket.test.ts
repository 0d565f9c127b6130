import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OracleMode } from "../../loadtests/vocabulary/market.ts";
import {
  buildComparison,
  groupByRun,
  groupByStrategy,
  type LoadedRun,
  loadRun,
  MARKET_METRICS,
  METRICS,
} from "../../reports/compare.ts";
import { renderComparisonHtml } from "../../reports/render/compareHtml.ts";
import { renderRun } from "../../reports/report.ts";
import { formatComparison, runCompare } from "../../scripts/compare.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";
import { runSimulation } from "../../scripts/simulate/run.ts";
import { addSyntheticMarket } from "../fixtures/market/marketRun.ts";

/**
 * compare with the market: runs differing in oracle are different columns (and so different
 * pools of repeats), the market figures sit beside latency and cost, and runs without a market
 * model compare as before.
 */

describe("compare: the market outcome and the oracle", () => {
  const tmp = mkdtempSync(join(tmpdir(), "stampede-compare-market-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let spot: LoadedRun;
  let twap: LoadedRun;
  let plain: LoadedRun;

  /** A simulated smoke run of `strategy`, given a synthetic market valued by `oracle` (none: as simulated). */
  async function run(name: string, strategy: string, oracle: OracleMode | null): Promise<LoadedRun> {
    const sim = await runSimulation({
      profile: resolveProfile("smoke"),
      strategy,
      scale: "drill",
      timeScale: 60,
      seed: 1,
      method: "auto",
      outDir: join(tmp, name),
      log: () => {},
    });
    if (oracle !== null) {
      addSyntheticMarket(sim.runDir, oracle);
      await renderRun(sim.runDir);
    }
    return loadRun(sim.runDir);
  }

  beforeAll(async () => {
    spot = await run("spot", "reactive", "internal-spot");
    twap = await run("twap", "reactive", "index-twap");
    plain = await run("plain", "reactive", null);
  }, 30_000);

  it("groups runs by strategy and oracle, so repeats pool per pair", () => {
    const groups = groupByStrategy([spot, twap, spot, twap]);
    expect(groups.map((g) => [g.label, g.runs.length])).toEqual([
      ["reactive · internal-spot", 2],
      ["reactive · index-twap", 2],
    ]);
    expect(groupByRun([spot, twap]).map((g) => g.label)).toEqual([
      "reactive · internal-spot",
      "reactive · index-twap",
    ]);
    // Without an oracle anywhere the labels are the strategies, as before.
    expect(groupByStrategy([plain, plain]).map((g) => g.label)).toEqual(["reactive"]);
  });

  it("puts the market figures beside latency and cost, per oracle", () => {
    const c = buildComparison(groupByStrategy([spot, twap]), new Date(0));
    expect(c.metrics.map((m) => m.key)).toEqual([...METRICS, ...MARKET_METRICS].map((m) => m.key));
    const [s, t] = c.groups;
    expect(s?.oracle).toBe("internal-spot");
    expect(t?.oracle).toBe("index-twap");
    const m = spot.market;
    if (m === undefined) throw new Error("the fixture run has no market");
    expect(s?.metrics.liquidatedNotionalUsdt?.value).toBe(m.liquidatedNotional);
    expect(s?.metrics.amplification?.value).toBe(m.amplification);
    expect(s?.metrics.failedStops?.value).toBe(
      m.stopLosses.refused + m.stopLosses.late + m.stopLosses.triggered - m.stopLosses.filled,
    );
    expect(s?.metrics.adlEvents?.value).toBe(m.adl.events);
    expect(s?.metrics.adlNotionalUsdt?.value).toBe(m.adl.notional);
    expect(s?.metrics.makerRefusedPct?.value).toBeCloseTo(
      (100 * m.makerRequestsRefused) / m.makerRequests,
      3,
    );
    expect(s?.metrics.burstDepthUsdt?.value).toBeGreaterThan(0);
    // The fixture liquidates three times as much under the venue's own spot price.
    expect(t?.verdicts.liquidatedNotionalUsdt?.verdict).toBe("better");
    expect(t?.verdicts.amplification?.verdict).toBe("better");
    // The same depth: no difference either way (more depth would be "better").
    expect(t?.verdicts.burstDepthUsdt?.verdict).toBe("no difference");
    expect(c.metrics.find((x) => x.key === "burstDepthUsdt")?.better).toBe("higher");
    const html = renderComparisonHtml(c, "market");
    expect(html).toContain('data-metric="liquidatedNotionalUsdt"');
    expect(html).toContain('data-strategy="reactive · index-twap"');
    expect(formatComparison(c)).toContain("liquidated notional (USDT)");
  });

  it("pools amplification over repeats and gives market figures 95 % intervals from 5 repeats", () => {
    const c = buildComparison(groupByStrategy([spot, spot, spot, spot, spot]), new Date(0));
    const g = c.groups[0];
    expect(g?.metrics.amplification?.value).toBe(spot.market?.amplification);
    for (const { key } of MARKET_METRICS) {
      const ci = g?.metrics[key]?.ci95;
      // Identical repeats: a zero-width interval at the value.
      expect(ci, key).not.toBeNull();
      expect(ci?.lo, key).toBeCloseTo(g?.metrics[key]?.value as number, 6);
    }
  });

  it("gives a run without market figures a dash beside runs that have them, and leaves plain comparisons as they were", () => {
    const mixed = buildComparison(groupByRun([spot, plain]), new Date(0));
    expect(mixed.groups.map((g) => g.label)).toEqual(["reactive · internal-spot", "reactive · no market"]);
    expect(mixed.groups[1]?.metrics.liquidatedNotionalUsdt?.value).toBeNull();

    const old = buildComparison(groupByRun([plain]), new Date(0));
    expect(old.metrics).toEqual(METRICS.map((m) => ({ key: m.key, label: m.label, unit: m.unit })));
    const g = old.groups[0];
    expect(g !== undefined && "oracle" in g).toBe(false);
    expect(Object.keys(g?.metrics ?? {})).toEqual(METRICS.map((m) => m.key));
    expect(Object.keys(g?.runs[0]?.metrics ?? {}).some((k) => MARKET_METRICS.some((m) => m.key === k))).toBe(
      false,
    );
  });

  it("runs every strategy x oracle pair (--oracles) and labels the columns by both", {
    timeout: 30_000,
  }, async () => {
    const smoke = resolveProfile("smoke");
    const withMarket = {
      ...smoke,
      profile: { ...smoke.profile, market: { oracle: "internal-spot" as const, shocks: [] } },
    };
    const r = await runCompare({
      profile: withMarket,
      strategies: ["fixed", "reactive"],
      oracles: ["internal-spot", "conversion-rate"],
      simulate: true,
      timeScale: 60,
      outDir: join(tmp, "pairs"),
    });
    expect(r.comparison.groups.map((g) => [g.label, g.oracle])).toEqual([
      ["fixed · internal-spot", "internal-spot"],
      ["fixed · conversion-rate", "conversion-rate"],
      ["reactive · internal-spot", "internal-spot"],
      ["reactive · conversion-rate", "conversion-rate"],
    ]);
  });

  it("refuses oracles it cannot run, before running anything (E_USAGE)", async () => {
    const smoke = resolveProfile("smoke");
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: { code?: string }) => e.code,
      );
    const base = { strategies: ["fixed"], simulate: true, outDir: join(tmp, "refused") };
    // smoke has no market model: an oracle has nothing to value.
    expect(await code(runCompare({ ...base, profile: smoke, oracles: ["index-twap"] }))).toBe("E_USAGE");
    expect(await code(runCompare({ ...base, profile: smoke, oracles: ["median"] }))).toBe("E_USAGE");
    expect(await code(runCompare({ runs: [plain.runDir], oracles: ["index-twap"] }))).toBe("E_USAGE");
  });
});
