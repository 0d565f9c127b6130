import type { Profile } from "../profiles/types.ts";
import { TRAFFIC_CLASSES, type TrafficClass } from "../vocabulary/traffic.ts";
import { type ClassMix, classMix, LIQUIDATION_WATCHER } from "./behaviours.ts";
import type { ClassPlan, DrillPlan } from "./plan.ts";

/**
 * What the k6 script runs, decided by the orchestrator and handed over as one JSON file
 * (`k6-plan.json` in the run folder, STAMPEDE_PLAN_FILE): the scenarios k6 executes and the few
 * profile facts an iteration needs. Pure and free of k6 imports.
 *
 * Why a file and not the profile: k6 evaluates the script's whole module graph once per VU, so a
 * script that imported every profile and planned the drill itself paid for it thousands of times
 * (the profiles alone added about 0.16 MB of k6 RSS per VU: 1,500 VUs of a bare script with and
 * without importing them, `/usr/bin/time`, 2026-12-04). A file profile (`--profile ./x.yaml`) and a
 * built-in one reach k6 the same way, and the file in the run folder reproduces the run with
 * plain k6 (README "Reproducing a run by hand").
 */

/**
 * Bumped when the file's shape changes: a script meeting another refuses to run. 2: the class
 * mixes, computed here, replace the profile's behaviour weights (the script no longer carries the
 * behaviour table).
 */
export const K6_PLAN_FORMAT = 2;

/** One k6 scenario as k6's `options.scenarios` takes it. */
export interface K6Scenario {
  executor: "ramping-arrival-rate";
  exec: string;
  startRate: number;
  timeUnit: "1m";
  preAllocatedVUs: number;
  maxVUs: number;
  stages: Array<{ target: number; duration: string }>;
  tags: Record<string, string>;
}

export interface K6DrillPlan {
  format: typeof K6_PLAN_FORMAT;
  profile: string;
  /** Accounts the drill uses (the profile's clients). */
  clients: number;
  /** Seeds each VU's random stream. */
  seed: number;
  /**
   * Each class's behaviours with cumulative weights (classMix of the profile's mix): a VU's client
   * picks its behaviour from it (clientBehaviour), so k6 needs no behaviour table.
   */
  mix: Record<TrafficClass, ClassMix>;
  scenarios: Record<string, K6Scenario>;
  /** Present with the liquidation-stream watchers' scenario: how long each connection is held, wall ms. */
  watcherHoldWallMs?: number;
}

function arrivalScenario(exec: string, p: ClassPlan, tags: Record<string, string>): K6Scenario {
  return {
    executor: "ramping-arrival-rate",
    exec,
    startRate: p.startRatePerMin,
    timeUnit: "1m",
    preAllocatedVUs: p.preAllocatedVUs,
    maxVUs: p.maxVUs,
    stages: p.stages,
    tags,
  };
}

/** The k6 plan of a drill plan: one open-model scenario per class, and the watchers' when planned. */
export function k6DrillPlan(plan: DrillPlan, profile: Profile, seed: number): K6DrillPlan {
  const scenarios: Record<string, K6Scenario> = {};
  for (const cls of TRAFFIC_CLASSES) scenarios[cls] = arrivalScenario(cls, plan.classes[cls], { class: cls });
  const watchers = plan.watchers?.liquidationStream;
  if (watchers !== undefined)
    scenarios.liquidation_watchers = arrivalScenario("liquidationWatchers", watchers, {
      behaviour: LIQUIDATION_WATCHER,
    });
  return {
    format: K6_PLAN_FORMAT,
    profile: profile.name,
    clients: profile.clients,
    seed,
    mix: Object.fromEntries(TRAFFIC_CLASSES.map((cls) => [cls, classMix(profile.behaviours, cls)])) as Record<
      TrafficClass,
      ClassMix
    >,
    scenarios,
    ...(watchers === undefined ? {} : { watcherHoldWallMs: Math.round(watchers.holdWallS * 1000) }),
  };
}

/** Problems with a parsed plan file, empty when k6 can run it (the script checks before running). */
export function k6PlanProblems(plan: unknown): string[] {
  const p = plan as Partial<K6DrillPlan> | null;
  if (typeof p !== "object" || p === null) return ["the plan file must hold a JSON object"];
  if (p.format !== K6_PLAN_FORMAT) return [`format must be ${K6_PLAN_FORMAT} (got ${String(p.format)})`];
  const problems: string[] = [];
  if (!(Number.isInteger(p.clients) && (p.clients as number) >= 1))
    problems.push("clients must be an integer >= 1");
  if (!Number.isInteger(p.seed)) problems.push("seed must be an integer");
  if (typeof p.scenarios !== "object" || p.scenarios === null) problems.push("scenarios must be an object");
  for (const cls of TRAFFIC_CLASSES) {
    const m = p.mix?.[cls];
    if (
      !(
        m !== undefined &&
        Array.isArray(m.names) &&
        m.names.length > 0 &&
        m.names.length === m.cumulative?.length
      )
    )
      problems.push(`mix.${cls} must list behaviours with their cumulative weights`);
  }
  return problems;
}
