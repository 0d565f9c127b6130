import type { Profile, ProfilePhase } from "../profiles/types.ts";
import { faultProblems } from "../vocabulary/capacity.ts";
import { marketScenarioProblems } from "../vocabulary/market.ts";
import { marketEventProblems } from "../vocabulary/marketEvents.ts";
import type { WallPhase } from "../vocabulary/runFolder.ts";
import { TRAFFIC_CLASSES, type TrafficClass } from "../vocabulary/traffic.ts";
import { behaviourProblems, classMeanRequestsPerIteration } from "./behaviours.ts";

/**
 * Turns a profile (natural time, multiples of normal) into what k6 runs (wall time, absolute
 * arrival rates). Pure and free of k6 imports: the orchestrator, the reporter and the tests
 * use the same function, so run.json, the report's phase bands and k6's stages agree.
 */

// Moved to the vocabulary (run.json's plan is read by the reporter); re-exported for one step.
export type { WallPhase } from "../vocabulary/runFolder.ts";

export interface ClassPlan {
  /** Iterations per minute at the start (k6 `startRate` with timeUnit 1m). */
  startRatePerMin: number;
  stages: Array<{ target: number; duration: string }>;
  peakRatePerS: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

/** The liquidation-stream watchers' scenario: connections per minute, each held holdWallS. */
export interface WatcherPlan extends ClassPlan {
  /** How long each connection stays open, wall seconds. */
  holdWallS: number;
}

export interface DrillPlan {
  profile: string;
  timeScale: number;
  durationS: number;
  phases: WallPhase[];
  classes: Record<TrafficClass, ClassPlan>;
  /** Present when the profile has liquidation-stream watchers at a rate above 0. */
  watchers?: { liquidationStream: WatcherPlan };
}

export interface PlanOptions {
  timeScale: number;
  /**
   * How long one request may hold a VU at the peak, seconds. Arrival-rate executors drop an
   * iteration when no VU is free, so a class gets VUs by Little's law: peak rate x this x the
   * requests its iterations send on average, with VU_HEADROOM (docs/facts.md "k6"). Every VU
   * costs k6 memory and the garbage collector's time on the cores the venue needs.
   */
  requestBudgetS: number;
}

/**
 * The request budget a drill plans with: a request may wait the full queue timeout plus a few
 * service times (the venue answers every request by then, served or timed out).
 */
export function drillRequestBudgetS(capacity: {
  queueTimeoutMs: number;
  serviceTimeMs: Record<string, number>;
}): number {
  const slowestServiceMs = Math.max(...Object.values(capacity.serviceTimeMs));
  return (capacity.queueTimeoutMs + 3 * slowestServiceMs) / 1000;
}

/**
 * Problems with a profile, empty when it is valid. Messages name the field. `venueSymbols`: the
 * symbols of the venue the profile will run against (its market events must name them); the
 * caller passes them because this module loads in k6 and knows no venue. Without them (the
 * simulators, which model no prices) a market event's symbol is not checked against a list.
 */
export function validateProfile(profile: Profile, venueSymbols?: readonly string[]): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9-]*$/.test(profile.name))
    problems.push(`name "${profile.name}" must be lower-case words joined by -`);
  for (const cls of Object.keys(profile.normalRatePerS)) {
    if (!(TRAFFIC_CLASSES as readonly string[]).includes(cls))
      problems.push(`normalRatePerS: unknown class "${cls}"`);
  }
  for (const cls of TRAFFIC_CLASSES) {
    const rate = profile.normalRatePerS[cls];
    if (!(typeof rate === "number" && Number.isFinite(rate) && rate >= 0))
      problems.push(`normalRatePerS.${cls} must be a number >= 0`);
  }
  if (!(Number.isInteger(profile.clients) && profile.clients >= 1))
    problems.push("clients must be an integer >= 1");
  if (!(profile.defaultTimeScale > 0)) problems.push("defaultTimeScale must be > 0");
  if (profile.phases.length === 0) problems.push("phases must not be empty");
  profile.phases.forEach((p, i) => {
    const where = `phases[${i}] (${p.name})`;
    if (!(p.durationS > 0)) problems.push(`${where}: durationS must be > 0`);
    if (!(p.from >= 0) || !(p.to >= 0)) problems.push(`${where}: from and to must be multiples >= 0`);
    for (const [cls, m] of Object.entries(p.byClass ?? {})) {
      if (!(TRAFFIC_CLASSES as readonly string[]).includes(cls))
        problems.push(`${where}: byClass has unknown class "${cls}"`);
      else if (!(m !== undefined && m.from >= 0 && m.to >= 0))
        problems.push(`${where}: byClass.${cls} from and to must be multiples >= 0`);
    }
  });
  const naturalS = profile.phases.reduce((sum, p) => sum + (p.durationS > 0 ? p.durationS : 0), 0);
  problems.push(...faultProblems(profile.faults ?? [], naturalS));
  if (profile.marketEvents !== undefined)
    problems.push(...marketEventProblems(profile.marketEvents, venueSymbols, naturalS));
  if (profile.market !== undefined)
    problems.push(...marketScenarioProblems(profile.market, venueSymbols, naturalS));
  problems.push(...behaviourProblems(profile.behaviours));
  problems.push(...watcherProblems(profile.watchers));
  return problems;
}

/** Problems with a profile's `watchers`, empty when valid. */
function watcherProblems(watchers: unknown): string[] {
  if (watchers === undefined) return [];
  if (typeof watchers !== "object" || watchers === null || Array.isArray(watchers))
    return ["watchers must be an object, e.g. { liquidationStream: { normalPerS, holdS } }"];
  const problems: string[] = [];
  for (const [kind, spec] of Object.entries(watchers)) {
    if (kind !== "liquidationStream") {
      problems.push(`watchers: unknown watcher "${kind}"; known: liquidationStream`);
      continue;
    }
    const w = spec as { normalPerS?: unknown; holdS?: unknown } | null;
    if (!(typeof w?.normalPerS === "number" && Number.isFinite(w.normalPerS) && w.normalPerS >= 0))
      problems.push("watchers.liquidationStream.normalPerS must be a number >= 0");
    if (!(typeof w?.holdS === "number" && Number.isFinite(w.holdS) && w.holdS > 0))
      problems.push("watchers.liquidationStream.holdS must be a number > 0 (natural seconds)");
  }
  return problems;
}

/**
 * The profile with every class's normal rate multiplied by `rateScale` (docs/architecture.md: "the normal
 * rate itself is a parameter"): the same shape at a size the machine drives without saturating.
 */
export function scaleRates(profile: Profile, rateScale: number): Profile {
  if (rateScale === 1) return profile;
  const normalRatePerS = { ...profile.normalRatePerS };
  for (const cls of TRAFFIC_CLASSES) normalRatePerS[cls] = profile.normalRatePerS[cls] * rateScale;
  const stream = profile.watchers?.liquidationStream;
  if (stream === undefined) return { ...profile, normalRatePerS };
  const liquidationStream = { ...stream, normalPerS: stream.normalPerS * rateScale };
  return { ...profile, normalRatePerS, watchers: { ...profile.watchers, liquidationStream } };
}

export function naturalDurationS(profile: Profile): number {
  return profile.phases.reduce((sum, p) => sum + p.durationS, 0);
}

export function planDrill(profile: Profile, options: PlanOptions): DrillPlan {
  const { timeScale, requestBudgetS } = options;
  const phases: WallPhase[] = [];
  let t = 0;
  for (const p of profile.phases) {
    const wallS = p.durationS / timeScale;
    // A phase's multiple is its highest over the classes: a profile whose surge is in one class
    // (the airdrop herd's reads, the cascade's 1000x position reads) still shows where it is.
    let fromMultiple = p.from;
    let toMultiple = p.to;
    for (const cls of TRAFFIC_CLASSES) {
      const m = classMultiple(p, cls);
      fromMultiple = Math.max(fromMultiple, m.from);
      toMultiple = Math.max(toMultiple, m.to);
    }
    phases.push({ name: p.name, startS: t, endS: t + wallS, fromMultiple, toMultiple });
    t += wallS;
  }
  const classes = {} as Record<TrafficClass, ClassPlan>;
  for (const cls of TRAFFIC_CLASSES) {
    // Behaviours sending several requests in a row (an order and its read-back) hold their VU longer.
    const holdS = requestBudgetS * classMeanRequestsPerIteration(profile.behaviours, cls, profile.clients);
    const normal = profile.normalRatePerS[cls];
    classes[cls] = rampPlan(profile, phases, normal, (p) => classMultiple(p, cls), holdS);
  }
  const plan: DrillPlan = { profile: profile.name, timeScale, durationS: t, phases, classes };
  const stream = profile.watchers?.liquidationStream;
  if (stream !== undefined && stream.normalPerS > 0) {
    const holdWallS = stream.holdS / timeScale;
    const base = (p: ProfilePhase) => ({ from: p.from, to: p.to });
    // A connection holds its VU for the hold, plus the budget of one request to open it.
    const ramp = rampPlan(profile, phases, stream.normalPerS, base, holdWallS + requestBudgetS);
    plan.watchers = { liquidationStream: { ...ramp, holdWallS } };
  }
  return plan;
}

/**
 * VUs beyond Little's law. The hold it multiplies is already a worst case per request (every
 * request waiting the full queue timeout and then some); what it covers is the mix: how many
 * iterations in flight send a second request (a trader's read-back after a fill) varies around
 * the mean. 1.25 before 2026-12-05: the default drill ran 1,365 VUs, k6 RSS 1.1 GB with
 * garbage-collector bursts of 1.4 cores; 0.7x those VUs dropped no iteration in the same drill
 * (heap and CPU profiles, docs/facts.md "k6").
 */
export const VU_HEADROOM = 1.1;

/**
 * Stages of a ramping-arrival-rate scenario for a normal rate and a multiple per phase, with
 * VUs for the peak rate when each iteration holds its VU `holdS` wall seconds.
 */
function rampPlan(
  profile: Profile,
  phases: readonly WallPhase[],
  normalPerS: number,
  multiple: (p: ProfilePhase) => { from: number; to: number },
  holdS: number,
): ClassPlan {
  const normalPerMin = normalPerS * 60;
  const first = profile.phases[0];
  const stages: ClassPlan["stages"] = [];
  let current = first === undefined ? 0 : multiple(first).from;
  const startMultiple = current;
  let peak = current;
  profile.phases.forEach((p, i) => {
    const wp = phases[i] as WallPhase;
    const m = multiple(p);
    if (m.from !== current) stages.push({ target: Math.round(normalPerMin * m.from), duration: "0s" });
    stages.push({ target: Math.round(normalPerMin * m.to), duration: `${msString(wp.endS - wp.startS)}` });
    current = m.to;
    peak = Math.max(peak, m.from, m.to);
  });
  const peakRatePerS = normalPerS * peak;
  const preAllocatedVUs = Math.max(2, Math.ceil(peakRatePerS * holdS * VU_HEADROOM));
  return {
    startRatePerMin: Math.round(normalPerMin * startMultiple),
    stages,
    peakRatePerS,
    preAllocatedVUs,
    maxVUs: preAllocatedVUs,
  };
}

/** A phase's multiple for one class: its own override, or the phase's. */
export function classMultiple(phase: ProfilePhase, cls: TrafficClass): { from: number; to: number } {
  return phase.byClass?.[cls] ?? { from: phase.from, to: phase.to };
}

/** k6 duration string in whole milliseconds ("1500ms"), exact for compressed phases. */
function msString(seconds: number): string {
  return `${Math.round(seconds * 1000)}ms`;
}

/** The profile's load multiple at wall time t (seconds since start): linear within a phase. */
export function multipleAt(phases: readonly WallPhase[], t: number): number {
  for (const p of phases) {
    if (t >= p.startS && t < p.endS) {
      const f = p.endS > p.startS ? (t - p.startS) / (p.endS - p.startS) : 0;
      return p.fromMultiple + (p.toMultiple - p.fromMultiple) * f;
    }
  }
  return 0;
}
