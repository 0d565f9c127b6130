import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { k6DrillPlan } from "../../loadtests/lib/k6Plan.ts";
import { drillRequestBudgetS, planDrill } from "../../loadtests/lib/plan.ts";
import { liquidationCascade20251010 } from "../../loadtests/profiles/liquidationCascade20251010.ts";
import { smoke } from "../../loadtests/profiles/smoke.ts";
import type { Profile } from "../../loadtests/profiles/types.ts";
import { EXCHANGE_DEFAULTS } from "../../mock-exchange/defaults.ts";
import { bundleDrillScript, writeK6Inputs } from "../../scripts/drillBundle.ts";
import { ROOT } from "../../scripts/paths.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function bundleFor(profile: Profile): Promise<{ script: string; plan: Record<string, unknown> }> {
  const dir = mkdtempSync(join(tmpdir(), "stampede-bundle-"));
  dirs.push(dir);
  const plan = planDrill(profile, {
    timeScale: profile.defaultTimeScale,
    requestBudgetS: drillRequestBudgetS(EXCHANGE_DEFAULTS.capacity),
  });
  const inputs = await writeK6Inputs(dir, k6DrillPlan(plan, profile, 1));
  return {
    script: readFileSync(inputs.script, "utf8"),
    plan: JSON.parse(readFileSync(inputs.plan, "utf8")) as Record<string, unknown>,
  };
}

/** A bench script of loadtests/bench/ bundled as the generator bench bundles it; its text. */
async function benchBundle(entry: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "stampede-bundle-"));
  dirs.push(dir);
  const file = join(dir, "bench.js");
  await bundleDrillScript(file, join(ROOT, "loadtests", "bench", entry));
  return readFileSync(file, "utf8");
}

describe("the drill bundle", () => {
  it("leaves the WebSocket module out of a drill without watchers", async () => {
    const { script, plan } = await bundleFor(smoke);
    expect(plan.watcherHoldWallMs).toBeUndefined();
    expect(script).not.toMatch(/from "k6\/websockets"/);
    expect(script).not.toMatch(/stampede_force_orders/);
    expect(script).not.toMatch(/function liquidationWatchers\b/);
    expect(script).toMatch(/export \{[^}]*\border\b[^}]*\}/s);
  });

  it("bundles the watchers' scenario when the profile has watchers", async () => {
    const { script, plan } = await bundleFor(liquidationCascade20251010);
    expect(plan.watcherHoldWallMs).toBeGreaterThan(0);
    expect(script).toMatch(/from "k6\/websockets"/);
    expect(script).toMatch(/function liquidationWatchers\b/);
    // The scenario k6 runs names an export the bundle has.
    const scenarios = plan.scenarios as Record<string, { exec: string }>;
    for (const s of Object.values(scenarios)) expect(script).toMatch(new RegExp(`\\b${s.exec}\\b`));
  });

  it("bundles the bench's harness with every export the plan's scenarios run, each sending a ping", async () => {
    const script = await benchBundle("drillHarness.ts");
    const { plan } = await bundleFor(smoke);
    const scenarios = plan.scenarios as Record<string, { exec: string }>;
    const exported = /export \{([^}]*)\}/s.exec(script)?.[1] ?? "";
    for (const name of ["options", "setup", ...Object.values(scenarios).map((s) => s.exec)])
      expect(exported).toMatch(new RegExp(`\\b${name}\\b`));
    // The behaviours stay in the bundle (VUs the drill's size) but every iteration sends the ping.
    expect(script).toMatch(/function trader\b/);
    for (const cls of ["order", "position", "depth"])
      expect(script).toMatch(new RegExp(`iterate\\("${cls}", data, ping\\)`));
  });

  it("bundles the bench's fixed requests: every class sends its request through the session, no behaviour runs", async () => {
    const script = await benchBundle("drillFixedRequests.ts");
    const exported = /export \{([^}]*)\}/s.exec(script)?.[1] ?? "";
    for (const name of ["options", "setup", "order", "position", "depth"])
      expect(exported).toMatch(new RegExp(`\\b${name}\\b`));
    for (const [cls, body] of [
      ["order", "newOrder"],
      ["position", "positionRead"],
      ["depth", "depthRead"],
    ])
      expect(script).toMatch(new RegExp(`iterate\\("${cls}", data, ${body}\\)`));
    // Signed as a drill signs: the session's send is the one that runs.
    expect(script).toMatch(/signature=\$\{hmac\(/);
  });
});
