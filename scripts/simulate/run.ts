import { mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { naturalDurationS, planDrill, validateProfile } from "../../loadtests/lib/plan.ts";
import type { OracleMode } from "../../loadtests/vocabulary/market.ts";
import { simulateAggregate } from "../../mock-exchange/simulate/aggregate.ts";
import { simulatePerRequest } from "../../mock-exchange/simulate/perRequest.ts";
import { SimulationRecorder } from "../../mock-exchange/simulate/recorder.ts";
import type { SimulationInput } from "../../mock-exchange/simulate/types.ts";
import { writeIngested } from "../../reports/hlog.ts";
import type { Summary } from "../../reports/model.ts";
import { renderRun } from "../../reports/report.ts";
import { StampedeError } from "../errors.ts";
import { exchangeConfigFor, normalRatesFor, type Scale } from "../exchangeConfig.ts";
import type { ResolvedProfile } from "../profileSource.ts";
import { packageVersion, runId } from "../runFolder.ts";
import { type LoadedVenue, venueSource } from "../venue.ts";

/**
 * `stampede simulate --profile P --strategy S`: the same profile and capacity model as a drill,
 * in virtual time, written as the same run folder (timeline.jsonl, latency.hlog, client.jsonl,
 * summary.json, report.html) with `simulated: true` in run.json.
 */

export type SimulationMethod = "auto" | "requests" | "aggregate";

export interface SimulateOptions {
  /** The profile, resolved from `--profile NAME|FILE` (profileSource.ts). */
  profile: ResolvedProfile;
  strategy: string;
  /** `--oracle`: how the market model values collateral; default the profile's (needs its `market`). */
  oracle?: OracleMode | undefined;
  scale: Scale;
  /** Natural seconds per virtual wall second; default 1 (the profile's own clock). */
  timeScale?: number | undefined;
  /** Multiplies every class's normal rate (default 1), as `drill --rate-scale`. */
  rateScale?: number | undefined;
  seed: number;
  method: SimulationMethod;
  /** `--venue FILE`, loaded and validated: the venue the profile is played against. */
  venue?: LoadedVenue | undefined;
  outDir: string;
  log: (line: string) => void;
}

export interface SimulateResult {
  runDir: string;
  summary: Summary;
  method: "requests" | "aggregate";
  /** Wall-clock seconds the simulation itself took (not the report). */
  elapsedS: number;
  requests: number;
}

/** Above this many expected requests, `auto` uses the aggregate approximation. */
export const PER_REQUEST_LIMIT = 5_000_000;

export async function runSimulation(opts: SimulateOptions): Promise<SimulateResult> {
  const { profile, source: profileSource } = opts.profile;
  const problems = validateProfile(profile);
  if (problems.length > 0)
    throw new StampedeError("E_BAD_PROFILE", `profile ${profile.name} is invalid: ${problems.join("; ")}`);
  if (opts.timeScale !== undefined && !(opts.timeScale > 0))
    throw new StampedeError("E_USAGE", "--time-scale must be > 0");
  if (!Number.isInteger(opts.seed)) throw new StampedeError("E_USAGE", "--seed must be an integer");
  if (opts.rateScale !== undefined && !(opts.rateScale > 0 && Number.isFinite(opts.rateScale)))
    throw new StampedeError("E_USAGE", "--rate-scale must be a number > 0");
  const rateScale = opts.rateScale ?? 1;
  const timeScale = opts.timeScale ?? 1;
  const config = exchangeConfigFor(profile, {
    timeScale,
    seed: opts.seed,
    strategy: opts.strategy,
    scale: opts.scale,
    venue: opts.venue?.file,
    oracle: opts.oracle,
  });
  const baseRates = normalRatesFor(profile, opts.scale);
  const normalRatePerS = { ...baseRates };
  for (const cls of Object.keys(baseRates) as Array<keyof typeof baseRates>)
    normalRatePerS[cls] = baseRates[cls] * rateScale;
  const plan = planDrill({ ...profile, normalRatePerS }, { timeScale, requestBudgetS: 0 });
  const expectedRequests = expectedRequestCount(plan.classes);
  const method =
    opts.method === "auto" ? (expectedRequests > PER_REQUEST_LIMIT ? "aggregate" : "requests") : opts.method;

  const outDir = resolve(opts.outDir);
  await mkdir(outDir, { recursive: true });
  const id = runId(`sim-${profile.name}-${opts.strategy.replace(/\+/g, "_")}`, outDir);
  const runDir = join(outDir, id);

  const startedAt = new Date();
  // Virtual time starts at the real start, so timestamps in the files look like a drill's.
  const t0Ms = startedAt.getTime();
  const input: SimulationInput = {
    profile,
    config,
    normalRatePerS,
    clients:
      opts.scale === "production" && profile.production !== undefined
        ? profile.production.clients
        : profile.clients,
    timeScale,
    durationS: plan.durationS,
    seed: opts.seed,
  };
  const recorder = new SimulationRecorder(t0Ms);
  opts.log(
    `simulating ${profile.name} with ${opts.strategy} at ${opts.scale} size, ${method === "requests" ? "per request" : "aggregate"}, ~${formatCount(expectedRequests)} requests...`,
  );
  const began = process.hrtime.bigint();
  try {
    if (method === "requests") simulatePerRequest(input, recorder);
    else simulateAggregate(input, recorder);
  } catch (err) {
    throw new StampedeError("E_SIMULATION_FAILED", `simulation failed: ${(err as Error).stack ?? err}`);
  }
  const elapsedS = Number(process.hrtime.bigint() - began) / 1e9;

  const run = {
    id,
    command: `stampede ${process.argv.slice(2).join(" ")}`,
    startedAt: startedAt.toISOString(),
    mode: "simulate",
    simulated: true,
    method,
    t0Ms,
    seed: opts.seed,
    profile,
    profileSource,
    strategy: config.capacity.strategy,
    /** How the market model valued collateral; null: no market model. */
    oracle: config.market?.oracle ?? null,
    venue: venueSource(opts.venue),
    scale: opts.scale,
    scales: {
      timeScale,
      naturalDurationS: naturalDurationS(profile),
      rateScale,
      wallDurationS: plan.durationS,
      normalRatePerS,
      peakRatePerS: Object.fromEntries(Object.entries(plan.classes).map(([c, p]) => [c, p.peakRatePerS])),
    },
    plan: { phases: plan.phases, durationS: plan.durationS },
    exchange: { config },
    versions: { stampede: await packageVersion(), node: process.version },
    simulation: { elapsedS: Math.round(elapsedS * 1000) / 1000, expectedRequests },
    endedAt: new Date().toISOString(),
  };
  // Written under <id>.partial/ and renamed once the report is there: a simulation stopped by a
  // signal (it has no handler: the process just ends) leaves no folder that looks like a run.
  const partialDir = `${runDir}.partial`;
  await mkdir(partialDir);
  await writeFile(join(partialDir, "run.json"), `${JSON.stringify(run, null, 2)}\n`);
  await writeFile(
    join(partialDir, "timeline.jsonl"),
    recorder.timelinePoints.map((p) => JSON.stringify(p)).join("\n") +
      (recorder.timelinePoints.length > 0 ? "\n" : ""),
  );
  await writeIngested(partialDir, recorder.ingested(plan.phases));
  const summary = await renderRun(partialDir);
  await rename(partialDir, runDir);
  return { runDir, summary, method, elapsedS, requests: summary.requests };
}

function expectedRequestCount(classes: ReturnType<typeof planDrill>["classes"]): number {
  let total = 0;
  for (const c of Object.values(classes)) {
    // Stages are in per-minute targets, linear within each stage.
    let rate = c.startRatePerMin;
    for (const s of c.stages) {
      const durS = Number.parseInt(s.duration, 10) / 1000;
      total += ((rate + s.target) / 2 / 60) * durS;
      rate = s.target;
    }
  }
  return Math.round(total);
}

function formatCount(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}
