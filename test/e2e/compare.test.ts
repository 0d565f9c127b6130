import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Comparison } from "../../reports/compare.ts";
import { runCompare } from "../../scripts/compare.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

describe("stampede compare end to end (simulated smoke, three strategies, two repeats)", () => {
  const out = mkdtempSync(join(tmpdir(), "stampede-compare-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("runs every strategy twice and writes comparison.json and comparison.html", {
    timeout: 30_000,
  }, async () => {
    const strategies = ["fixed", "overprovisioned", "priority-shedding"];
    const result = await runCompare({
      profile: resolveProfile("smoke"),
      strategies,
      simulate: true,
      repeat: 2,
      timeScale: 60,
      seed: 1,
      outDir: out,
    });
    expect(result.exitCode).toBe(0);
    expect(result.dir.startsWith(join(out, "compare-"))).toBe(true);
    const jsonPath = join(result.dir, "comparison.json");
    const htmlPath = join(result.dir, "comparison.html");
    expect(existsSync(jsonPath)).toBe(true);
    expect(existsSync(htmlPath)).toBe(true);

    const c = JSON.parse(readFileSync(jsonPath, "utf8")) as Comparison;
    expect(c.groups.map((g) => g.label)).toEqual(strategies);
    expect(c.baseline).toBe("fixed");
    expect(c.repeats).toBe(2);
    for (const g of c.groups) {
      expect(g.runs.map((r) => r.seed)).toEqual([1, 2]);
      expect(g.burstPhase).toBe("burst");
      // Every run folder the comparison names exists (paths are relative to the comparison).
      for (const r of g.runs) expect(existsSync(join(result.dir, r.runDir, "summary.json"))).toBe(true);
    }
    const [fixed, over, shedding] = c.groups;
    const rejected = (g: typeof fixed) => g?.metrics.rejectedPct.value as number;
    const cost = (g: typeof fixed) => g?.metrics.costInstanceMinutes.value as number;
    expect(rejected(over)).toBeLessThan(rejected(fixed));
    expect(over?.verdicts.rejectedPct.verdict).toBe("better");
    expect(cost(over) / cost(fixed)).toBeGreaterThan(8);
    expect(cost(over) / cost(fixed)).toBeLessThan(12);
    expect(over?.verdicts.costInstanceMinutes.verdict).toBe("worse");
    // Same fleet as fixed: the cost spreads overlap.
    expect(shedding?.verdicts.costInstanceMinutes.verdict).toBe("no difference");

    const html = readFileSync(htmlPath, "utf8");
    const table = html.slice(html.indexOf('<table id="comparison-table"'), html.indexOf("</table>"));
    expect(table.match(/<tr data-strategy="/g)).toHaveLength(3);
    for (const s of strategies) {
      expect(table).toContain(`data-strategy="${s}"`);
      expect(html).toContain(`"id":"spectrum-overall-${s}"`);
      expect(html).toContain(`"id":"spectrum-burst-${s}"`);
    }
    // Self-contained: ECharts and the options inlined, no other script, no external resource.
    const page = html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, "");
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(page).not.toMatch(/<script|<link|src="http|href="http/);
    // Two repeats: min..max spreads, and the note that intervals need five.
    expect(c.intervals).toBeNull();
    expect(c.noise).toMatch(/need >= 5 repeats/);
  });

  it("with 5 repeats: 95 % intervals, capacity and policy rejects apart, cost in USD", {
    timeout: 120_000,
  }, async () => {
    const result = await runCompare({
      profile: resolveProfile("smoke"),
      strategies: ["fixed", "overprovisioned"],
      simulate: true,
      repeat: 5,
      timeScale: 60,
      seed: 1,
      outDir: out,
      pricesUsdPerInstanceHour: { gateway: 0.19, read: 0.38 },
    });
    const c = JSON.parse(readFileSync(join(result.dir, "comparison.json"), "utf8")) as Comparison;
    expect(c.intervals).toMatchObject({ resamples: 2000, level: 0.95 });
    expect(c.pricesUsdPerInstanceHour).toEqual({ gateway: 0.19, read: 0.38 });
    const [fixed, over] = c.groups;
    for (const g of [fixed, over]) {
      const m = g?.metrics;
      // Kinds add up to the total (each rounded to 3 decimals).
      const kinds =
        (m?.capacityRejectedPct.value ?? 0) +
        (m?.policyRejectedPct.value ?? 0) +
        (m?.businessRejectedPct.value ?? 0);
      expect(Math.abs(kinds - (m?.rejectedPct.value ?? 0))).toBeLessThan(0.01);
      for (const key of ["p99BurstMs", "rejectedPct", "capacityRejectedPct", "costUsd"] as const) {
        const ci = m?.[key].ci95;
        expect(ci, `${g?.label} ${key}`).not.toBeNull();
        expect((ci?.lo ?? 0) <= (ci?.hi ?? -1)).toBe(true);
      }
      // USD = instance-minutes priced per tier; with instance-minutes > 0 it is > 0.
      expect(m?.costUsd.value).toBeGreaterThan(0);
    }
    expect(over?.metrics.capacityRejectedPct.value).toBeLessThan(
      fixed?.metrics.capacityRejectedPct.value as number,
    );
    expect(over?.verdicts.costUsd.verdict).toBe("worse");
    expect(over?.verdicts.costUsd.note).toMatch(/95 % intervals/);
    const html = readFileSync(join(result.dir, "comparison.html"), "utf8");
    expect(html).toContain("95 % CI");
    expect(html).toContain('data-metric="capacityRejectedPct"');
  });
});
