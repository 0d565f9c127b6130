import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { profileYaml } from "../../scripts/cliProfile.ts";
import { runDrill } from "../../scripts/drill.ts";
import { prepareDrill } from "../../scripts/drillPlan.ts";
import { ensureK6 } from "../../scripts/k6.ts";
import { resolveProfile } from "../../scripts/profileSource.ts";

describe("drill --profile FILE (a profile written by profile show, outside the repository)", () => {
  it("runs the built-in's phases and records the file and its sha256 in run.json", {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "stampede-profile-file-e2e-"));
    const file = join(dir, "smoke.yaml");
    writeFileSync(file, profileYaml("smoke"));
    const args = { durationS: 10, rateScale: 0.3, seed: 1, strategy: "fixed" };
    const result = await runDrill({
      ...args,
      profile: resolveProfile(file),
      outDir: join(dir, "runs"),
      k6: await ensureK6(),
      log: () => {},
      progress: "none",
    });
    expect(result.exitCode).toBe(0);
    const run = JSON.parse(readFileSync(join(result.runDir, "run.json"), "utf8"));
    expect(run.profileSource).toMatchObject({ kind: "file", path: file });
    expect(run.profileSource.sha256).toMatch(/^[0-9a-f]{64}$/);
    const builtin = prepareDrill({ ...args, profile: resolveProfile("smoke") });
    expect(run.plan.phases).toEqual(builtin.plan.phases);
    expect(result.summary.byPhase.map((p) => p.name)).toEqual(builtin.plan.phases.map((p) => p.name));
    expect(result.summary.requests).toBeGreaterThan(0);
  });
});
