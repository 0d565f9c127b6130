import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { k6DrillPlan } from "../../loadtests/lib/k6Plan.ts";
import { drillRequestBudgetS, naturalDurationS, planDrill, scaleRates } from "../../loadtests/lib/plan.ts";
import { smoke } from "../../loadtests/profiles/smoke.ts";
import { startVenueServer, type VenueServer } from "../../mock-exchange/api/server.ts";
import { writeK6Inputs } from "../../scripts/drillBundle.ts";
import { K6_ENV } from "../../scripts/drillK6.ts";
import { exchangeConfigFor } from "../../scripts/exchangeConfig.ts";
import { ensureK6 } from "../../scripts/k6.ts";

/**
 * The drill script as plain k6 runs it: by hand (README "Reproducing a run by hand") or on a k8s
 * runner, where nobody puts the clients' keys in k6's environment, so setup() reads the accounts
 * from the venue's control plane with the token. `stampede drill` hands k6 the keys instead
 * (scripts/drillVenue.ts venueEnv), so only this test walks that path.
 */

const DURATION_S = 6;
const profile = scaleRates(smoke, 0.05);
const timeScale = naturalDurationS(smoke) / DURATION_S;

let venue: VenueServer;
let dir: string;
let inputs: { script: string; plan: string };
let k6: string;
/** Statuses the venue answered per path. */
const answered = new Map<string, number[]>();

beforeAll(async () => {
  k6 = (await ensureK6()).path;
  const config = exchangeConfigFor(smoke, { timeScale, seed: 1, strategy: "fixed", scale: "drill" });
  venue = await startVenueServer({ config });
  venue.server.on("request", (req, res) => {
    res.on("finish", () => {
      const path = (req.url ?? "").split("?")[0] as string;
      answered.set(path, [...(answered.get(path) ?? []), res.statusCode]);
    });
  });
  dir = mkdtempSync(join(tmpdir(), "stampede-by-hand-"));
  const plan = planDrill(profile, { timeScale, requestBudgetS: drillRequestBudgetS(config.capacity) });
  inputs = await writeK6Inputs(dir, k6DrillPlan(plan, profile, 1));
});

afterAll(async () => {
  await venue?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function runK6(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const { STAMPEDE_API_KEYS: _keys, STAMPEDE_CONTROL_TOKEN: _token, ...inherited } = process.env;
  const child = spawn(
    k6,
    [
      "run",
      "--quiet",
      "--no-thresholds",
      "--summary-mode=disabled",
      "--out",
      `stampede=${dir}`,
      "-e",
      `STAMPEDE_BASE_URL=${venue.url}`,
      "-e",
      `STAMPEDE_PLAN_FILE=${inputs.plan}`,
      inputs.script,
    ],
    { env: { ...inherited, ...K6_ENV, ...env }, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code: code ?? 1, stderr })));
}

describe("the drill script run by plain k6", () => {
  it("without keys in its environment reads the accounts from the control plane and signs with them", {
    timeout: 60_000,
  }, async () => {
    const { code, stderr } = await runK6({ STAMPEDE_CONTROL_TOKEN: venue.controlToken });
    expect(code, stderr).toBe(0);
    expect(answered.get("/__stampede/accounts")).toEqual([200]);
    const reads = answered.get("/fapi/v2/positionRisk") ?? [];
    expect(reads.filter((s) => s === 200).length).toBeGreaterThan(0);
    // A wrong key or signature is a 401 (-2014/-2015): none.
    expect([...answered.values()].flat().filter((s) => s === 401)).toEqual([]);
  });

  it("stops at setup() on a malformed STAMPEDE_API_KEYS entry, naming it", { timeout: 60_000 }, async () => {
    answered.clear();
    const { code, stderr } = await runK6({ STAMPEDE_API_KEYS: "key-a:secret-a,key-b" });
    expect(code).not.toBe(0);
    expect(stderr).toContain("STAMPEDE_API_KEYS entry 2 is not key:secret");
    expect(answered.get("/fapi/v2/positionRisk")).toBeUndefined();
  });
});
