import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Comparison } from "../../reports/compare.ts";
import { runCompare } from "../../scripts/compare.ts";

describe("stampede compare end to end (simulated smoke, three strategies, two repeats)", () => {
  const out = mkdtempSync(join(tmpdir(), "stampede-compare-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("runs every strategy twice and writes comparison.json and comparison.html", {
    timeout: 30_000,
  }, async () => {
    const strategies = ["fixed", "overprovisioned", "priority-shedding"];
    const result = await runCompare({
      profileName: "smoke",
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
  });
});
