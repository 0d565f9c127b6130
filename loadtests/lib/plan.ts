import { TRAFFIC_CLASSES, type TrafficClass } from "../../reports/model.ts";
import type { Profile } from "../profiles/types.ts";

/**
 * Turns a profile (natural time, multiples of normal) into what k6 runs (wall time, absolute
 * arrival rates). Pure and free of k6 imports: the orchestrator, the reporter and the tests
 * use the same function, so run.json, the report's phase bands and k6's stages agree.
 */

export interface WallPhase {
  name: string;
  startS: number;
  endS: number;
  fromMultiple: number;
  toMultiple: number;
}

export interface ClassPlan {
  /** Iterations per minute at the start (k6 `startRate` with timeUnit 1m). */
  startRatePerMin: number;
  stages: Array<{ target: number; duration: string }>;
  peakRatePerS: number;
  preAllocatedVUs: number;
  maxVUs: number;
}

export interface DrillPlan {
  profile: string;
  timeScale: number;
  durationS: number;
  phases: WallPhase[];
  classes: Record<TrafficClass, ClassPlan>;
}

export interface PlanOptions {
  timeScale: number;
  /**
   * How long one iteration may hold a VU at the peak, seconds. Arrival-rate executors drop an
   * iteration when no VU is free, so VUs = peak rate x this, with headroom (reference.md "k6").
   */
  iterationBudgetS: number;
}

/** Problems with a profile, empty when it is valid. Messages name the field. */
export function validateProfile(profile: Profile): string[] {
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
  });
  return problems;
}

export function naturalDurationS(profile: Profile): number {
  return profile.phases.reduce((sum, p) => sum + p.durationS, 0);
}

export function planDrill(profile: Profile, options: PlanOptions): DrillPlan {
  const { timeScale, iterationBudgetS } = options;
  const phases: WallPhase[] = [];
  let t = 0;
  for (const p of profile.phases) {
    const wallS = p.durationS / timeScale;
    phases.push({ name: p.name, startS: t, endS: t + wallS, fromMultiple: p.from, toMultiple: p.to });
    t += wallS;
  }
  const classes = {} as Record<TrafficClass, ClassPlan>;
  for (const cls of TRAFFIC_CLASSES) {
    const normalPerMin = profile.normalRatePerS[cls] * 60;
    const first = profile.phases[0];
    const stages: ClassPlan["stages"] = [];
    let current = first === undefined ? 0 : first.from;
    let peak = current;
    for (const wp of phases) {
      if (wp.fromMultiple !== current)
        stages.push({ target: Math.round(normalPerMin * wp.fromMultiple), duration: "0s" });
      stages.push({
        target: Math.round(normalPerMin * wp.toMultiple),
        duration: `${msString(wp.endS - wp.startS)}`,
      });
      current = wp.toMultiple;
      peak = Math.max(peak, wp.fromMultiple, wp.toMultiple);
    }
    const peakRatePerS = profile.normalRatePerS[cls] * peak;
    const preAllocatedVUs = Math.max(2, Math.ceil(peakRatePerS * iterationBudgetS * 1.25));
    classes[cls] = {
      startRatePerMin: Math.round(normalPerMin * (first?.from ?? 0)),
      stages,
      peakRatePerS,
      preAllocatedVUs,
      maxVUs: preAllocatedVUs,
    };
  }
  return { profile: profile.name, timeScale, durationS: t, phases, classes };
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
