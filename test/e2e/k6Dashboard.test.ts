import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const CLI = join(import.meta.dirname, "..", "..", "bin", "stampede.js");

describe("stampede drill --k6-dashboard (real k6)", () => {
  const out = mkdtempSync(join(tmpdir(), "stampede-dashboard-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("saves k6's web dashboard export in the run folder", { timeout: 120_000 }, async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [
        CLI,
        "drill",
        "--profile",
        "smoke",
        "--duration",
        "8",
        "--rate-scale",
        "0.3",
        "--k6-dashboard",
        "--out",
        out,
        "--json",
      ],
      { timeout: 110_000, env: { ...process.env, CI: "true" } },
    );
    const runDir = (JSON.parse(stdout) as { runDir: string }).runDir;
    expect(stderr).toMatch(/k6 web dashboard: http:\/\/127\.0\.0\.1:\d+/);
    expect(stderr).toMatch(/Trend value in memory/);
    const exported = join(runDir, "k6-dashboard.html");
    expect(existsSync(exported)).toBe(true);
    const html = readFileSync(exported, "utf8");
    expect(html.length).toBeGreaterThan(1000);
    expect(html).toMatch(/<html/i);
    // The drill itself is unchanged: its own samples and report are there.
    for (const file of ["latency.hlog", "summary.json", "report.html"])
      expect(existsSync(join(runDir, file)), file).toBe(true);
  });
});
