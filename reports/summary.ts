import type { CapacityEvent } from "../loadtests/vocabulary/capacity.ts";
import type { WallPhase } from "../loadtests/vocabulary/runFolder.ts";
import { completenessOf, phaseCoverage } from "./completeness.ts";
import type { Ingested, Tally } from "./ingest.ts";
import { latenessFigures, latenessWarning } from "./lateness.ts";
import { marketSummary } from "./market.ts";
import {
  type ClassSummary,
  type GeneratorPoint,
  type LatencyPercentilesMs,
  type OutcomeBreakdown,
  type OutcomeSummary,
  type PhaseCoverage,
  type PhaseSummary,
  REJECT_REASONS,
  type RejectReason,
  type SecondPoint,
  type Summary,
  type TimelinePoint,
  type TrafficClass,
} from "./model.ts";
import { CAPACITY_REASONS, OUTCOMES, type OutcomeTally, outcomeTotals, POLICY_REASONS } from "./outcomes.ts";
import { scaleOutLags } from "./scalingLag.ts";
import type { Percentiles, SparseHistogram } from "./sparse.ts";

/** Turns ingested histograms and the server/generator files into summary.json and chart series. */

/**
 * Cores of the machine k6 and the exchange share, for runs whose run.json does not record them
 * (drills before `machine.cores`): the 2-core machine they were made on.
 */
export const DEFAULT_MACHINE_CORES = 2;

/** run.json `machine.cores` (scripts/machineCores.ts), else DEFAULT_MACHINE_CORES. */
export function machineCoresOf(run: Record<string, unknown> | undefined): number {
  const machine = run?.machine;
  const cores =
    machine !== null && typeof machine === "object" ? (machine as Record<string, unknown>).cores : undefined;
  return typeof cores === "number" && Number.isFinite(cores) && cores > 0 ? cores : DEFAULT_MACHINE_CORES;
}
/** Fraction of a core (or of all cores) above which a process counts as saturated. */
const SATURATED = 0.95;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function percentilesMs(h: Percentiles): LatencyPercentilesMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    p50: round3(h.getValueAtPercentile(50) / 1000),
    p90: round3(h.getValueAtPercentile(90) / 1000),
    p95: round3(h.getValueAtPercentile(95) / 1000),
    p99: round3(h.getValueAtPercentile(99) / 1000),
    p999: round3(h.getValueAtPercentile(99.9) / 1000),
    // The top bucket's highest equivalent value, as HdrHistogram reports max, so max >= p99.9 always.
    max: round3(h.getValueAtPercentile(100) / 1000),
    mean: round3((h.mean ?? 0) / 1000),
  };
}

/** Served and per-outcome figures of a tally; empty when it has no outcome data (old logs, endpoints). */
export function outcomeBreakdown(byOutcome: OutcomeTally | undefined): OutcomeBreakdown {
  const present = OUTCOMES.filter((o) => (byOutcome?.[o]?.totalCount ?? 0) > 0);
  if (byOutcome === undefined || present.length === 0) return {};
  const of = (h: Percentiles | undefined): OutcomeSummary =>
    h === undefined
      ? { requests: 0, latencyMs: percentilesMs({ totalCount: 0, getValueAtPercentile: () => 0 }) }
      : { requests: h.totalCount, latencyMs: percentilesMs(h) };
  return {
    served: of(byOutcome.served),
    byOutcome: Object.fromEntries(present.map((o) => [o, of(byOutcome[o])])),
  };
}

/**
 * Refusals by policy and by capacity: counted from the requests' outcomes (their statuses), or,
 * for client data without outcomes, from the reject reasons (reports/outcomes.ts POLICY_REASONS,
 * CAPACITY_REASONS).
 */
export function refusals(
  byOutcome: OutcomeTally | undefined,
  rejected: Partial<Record<RejectReason, number>>,
  requests: number,
): { policy: { total: number; rate: number }; capacity: { total: number; rate: number } } {
  const known = OUTCOMES.some((o) => (byOutcome?.[o]?.totalCount ?? 0) > 0);
  const count = (o: "policy" | "capacity", reasons: readonly RejectReason[]) =>
    known ? (byOutcome?.[o]?.totalCount ?? 0) : reasons.reduce((n, r) => n + (rejected[r] ?? 0), 0);
  const entry = (total: number) => ({ total, rate: requests > 0 ? round3(total / requests) : 0 });
  return {
    policy: entry(count("policy", POLICY_REASONS)),
    capacity: entry(count("capacity", CAPACITY_REASONS)),
  };
}

/** Total of per-reason counts (absent reasons count 0). */
export function sumCounts(counts: Partial<Record<RejectReason, number>> | undefined): number {
  let total = 0;
  for (const n of Object.values(counts ?? {})) total += n ?? 0;
  return total;
}

function classSummary(t: Tally): ClassSummary {
  return {
    requests: t.latencyUs.totalCount,
    latencyMs: percentilesMs(t.latencyUs),
    rejected: { total: sumCounts(t.rejected), byReason: { ...t.rejected } },
    ...outcomeBreakdown(t.byOutcome),
  };
}

/** What the summary takes from run.json and the server timeline besides the client data. */
export interface SummaryContext {
  run?: Record<string, unknown>;
  /**
   * timeline.jsonl lines; old lines without the capacity fields are fine. `t` (seconds since t0,
   * the second [t, t+1), as reports/report.ts re-bases them) is used when present; otherwise it
   * is derived from `tsMs` (the end of the second) and `t0Ms`.
   */
  timeline?: ReadonlyArray<Partial<TimelinePoint> & { t?: number }>;
  /** Unix ms of t0 for lines without `t`; default the client data's t0. */
  t0Ms?: number;
}

/** run.json `strategy`: a name, or an object with a `name`. */
export function strategyName(run: Record<string, unknown> | undefined): string | null {
  const v = run?.strategy;
  if (typeof v === "string" && v !== "") return v;
  if (v !== null && typeof v === "object") {
    const name = (v as Record<string, unknown>).name;
    if (typeof name === "string" && name !== "") return name;
  }
  return null;
}

const finite = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Cost from the last timeline line that carries the cumulative instance-minutes. */
export function costOf(timeline: ReadonlyArray<Partial<TimelinePoint>>): Summary["cost"] {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const c = timeline[i]?.costInstanceMinutes;
    if (c !== null && typeof c === "object") {
      const gateway = round3(finite(c.gateway));
      const read = round3(finite(c.read));
      return { instanceMinutes: { gateway, read, total: round3(gateway + read) } };
    }
  }
  return { instanceMinutes: { gateway: 0, read: 0, total: 0 } };
}

/** All capacity events of the timeline, in timeline order (old lines without events add none). */
export function eventsOf(timeline: ReadonlyArray<Partial<TimelinePoint>>): CapacityEvent[] {
  const out: CapacityEvent[] = [];
  for (const p of timeline) if (Array.isArray(p.events)) out.push(...p.events);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Burst-scoped figures (docs/summary.md "burst"). reports/compare.ts uses the same rules
// (burstPhaseOf, preBurstPhaseOf, timeToRecoverS), so a summary and a comparison agree.

/** A phase's highest multiple of normal load. */
const level = (p: WallPhase) => Math.max(p.fromMultiple, p.toMultiple);

/** Tolerance for phase boundaries (seconds) that are not whole. */
const EPS = 1e-9;

/**
 * The burst phase: the phase named "burst", else the first phase reaching the highest multiple;
 * -1 when there are no phases or the load never rises above its lowest multiple.
 */
export function burstPhaseOf(phases: readonly WallPhase[]): number {
  const named = phases.findIndex((p) => p.name === "burst");
  if (named >= 0) return named;
  if (phases.length === 0) return -1;
  const peak = Math.max(...phases.map(level));
  const low = Math.min(...phases.map((p) => Math.min(p.fromMultiple, p.toMultiple)));
  if (!(peak > low)) return -1;
  return phases.findIndex((p) => level(p) === peak);
}

/** The pre-burst phase: of the phases ending by the burst's start, the last at the lowest multiple; -1 if none. */
export function preBurstPhaseOf(phases: readonly WallPhase[], burst: number): number {
  const b = phases[burst];
  if (b === undefined) return -1;
  let best = -1;
  let bestLevel = Number.POSITIVE_INFINITY;
  phases.forEach((p, i) => {
    if (i === burst || p.endS > b.startS + EPS) return;
    if (level(p) <= bestLevel) {
      best = i;
      bestLevel = level(p);
    }
  });
  return best;
}

/**
 * Start of the rise: the first phase after the pre-burst one (up to the burst) whose multiple
 * grows, over the phase (a ramp) or at its start (a step up from the previous phase's end);
 * the burst's start when none does.
 */
export function riseStartOf(phases: readonly WallPhase[], preBurst: number, burst: number): number {
  for (let i = preBurst + 1; i <= burst; i++) {
    const p = phases[i] as WallPhase;
    const before = i > 0 ? (phases[i - 1] as WallPhase).toMultiple : p.fromMultiple;
    if (p.toMultiple > p.fromMultiple || p.fromMultiple > before) return p.startS;
  }
  return (phases[burst] as WallPhase).startS;
}

/**
 * Reasons that count for the time to first reject: refusals of capacity (limits, bans, shed
 * load, timeouts, errors), not the engine's own 400s (unknown order, ...) which normal load has.
 */
export const CAPACITY_REJECT_REASONS: readonly RejectReason[] = REJECT_REASONS.filter(
  (r) => r !== "order_rejected",
);

/** What the burst figures need from one second of client data. */
export interface BurstSecond {
  t: number;
  latencyUs: Percentiles;
  rejected: Partial<Record<RejectReason, number>>;
}

/** One timeline second for the burst figures: t = seconds since t0, the second [t, t+1). */
export interface BurstTimelineSecond {
  t: number;
  /** Gateway queue depth at the end of the second. */
  queueDepth: number;
  /** Replica lag at the end of the second, ms. */
  replicaLagMs: number;
}

/** Seconds from `fromS` to the first second overlapping [fromS, ...) with a capacity reject; null if none. */
export function timeToFirstRejectS(seconds: readonly BurstSecond[], fromS: number): number | null {
  const sorted = [...seconds].sort((a, b) => a.t - b.t);
  for (const s of sorted) {
    if (s.t + 1 <= fromS + EPS) continue;
    let n = 0;
    for (const r of CAPACITY_REJECT_REASONS) n += s.rejected[r] ?? 0;
    if (n > 0) return round3(Math.max(0, s.t - fromS));
  }
  return null;
}

/**
 * Seconds from `burstEndS` to the first second starting at or after it whose p99 is at or under
 * `baselineUs` (µs, from the pre-burst histogram); seconds without requests do not count; null
 * when that never happens or there is no baseline.
 */
export function timeToRecoverS(
  seconds: readonly BurstSecond[],
  burstEndS: number,
  baselineUs: number | null,
): number | null {
  if (baselineUs === null) return null;
  const sorted = [...seconds].sort((a, b) => a.t - b.t);
  for (const s of sorted) {
    if (s.t < burstEndS - EPS || s.latencyUs.totalCount === 0) continue;
    if (s.latencyUs.getValueAtPercentile(99) <= baselineUs) return round3(Math.max(0, s.t - burstEndS));
  }
  return null;
}

/**
 * Seconds from `burstEndS` until the backlog is gone: the first timeline second ending at or
 * after the burst's end with queue depth 0 and replica lag <= `lagLimitMs`, measured at that
 * second's end (t + 1); null when the timeline is empty or it never drains.
 */
export function backlogDrainS(
  timeline: readonly BurstTimelineSecond[],
  burstEndS: number,
  lagLimitMs: number,
): number | null {
  const sorted = [...timeline].sort((a, b) => a.t - b.t);
  for (const p of sorted) {
    if (p.t + 1 < burstEndS - EPS) continue;
    if (p.queueDepth <= 0 && p.replicaLagMs <= lagLimitMs) return round3(Math.max(0, p.t + 1 - burstEndS));
  }
  return null;
}

/** Timeline lines with a queue depth, as seconds since t0 (old or foreign lines are skipped). */
export function burstTimeline(
  timeline: ReadonlyArray<Partial<TimelinePoint> & { t?: number }>,
  t0Ms: number | null,
): BurstTimelineSecond[] {
  const out: BurstTimelineSecond[] = [];
  for (const p of timeline) {
    if (typeof p.queueDepth !== "number" || !Number.isFinite(p.queueDepth)) continue;
    let t: number;
    if (typeof p.t === "number" && Number.isFinite(p.t)) t = p.t;
    else if (typeof p.tsMs === "number" && t0Ms !== null) t = (p.tsMs - 1000 - t0Ms) / 1000;
    else continue;
    out.push({ t, queueDepth: p.queueDepth, replicaLagMs: finite(p.replicaLagMs) });
  }
  return out;
}

/**
 * The burst figures of a run; null when the profile has no burst. With `coverage` (a run cut
 * short, see `phaseCoverage`), a figure anchored in a phase the run did not reach is null: the
 * burst's p99 without the burst, the pre-burst p99 without that phase, the time to first reject
 * and the peak lag without the rise, and the times counted from the burst's end unless the
 * whole burst ran.
 */
export function burstSummary(
  phases: readonly WallPhase[],
  byPhase: readonly Tally[],
  seconds: readonly BurstSecond[],
  timeline: readonly BurstTimelineSecond[],
  coverage?: readonly PhaseCoverage[],
): NonNullable<Summary["burst"]> | null {
  const b = burstPhaseOf(phases);
  if (b < 0) return null;
  const burst = phases[b] as WallPhase;
  const pre = preBurstPhaseOf(phases, b);
  const prePhase = pre >= 0 ? (phases[pre] as WallPhase) : undefined;
  const riseStartS = riseStartOf(phases, pre, b);
  const ran = (i: number) => coverage === undefined || (i >= 0 && coverage[i] !== "none");
  const riseRan = ran(phases.findIndex((p) => p.startS === riseStartS));
  const burstEnded = coverage === undefined || coverage[b] === "full";
  const p99Us = (h: Percentiles | undefined) =>
    h !== undefined && h.totalCount > 0 ? h.getValueAtPercentile(99) : null;
  const burstP99 = p99Us(byPhase[b]?.latencyUs);
  const preP99 = pre >= 0 ? p99Us(byPhase[pre]?.latencyUs) : null;
  const ms = (us: number | null) => (us === null ? null : round3(us / 1000));
  // Replica lag the pre-burst phase already had (seconds whose middle lies in it); 0 without one.
  let preLagMaxMs = 0;
  if (prePhase !== undefined)
    for (const p of timeline)
      if (p.t + 0.5 >= prePhase.startS && p.t + 0.5 < prePhase.endS)
        preLagMaxMs = Math.max(preLagMaxMs, p.replicaLagMs);
  const fromRise = timeline.filter((p) => p.t + 1 > riseStartS + EPS);
  return {
    phase: burst.name,
    startS: round3(burst.startS),
    endS: round3(burst.endS),
    preBurstPhase: prePhase?.name ?? null,
    riseStartS: round3(riseStartS),
    p99Ms: ran(b) ? ms(burstP99) : null,
    preBurstP99Ms: ran(pre) ? ms(preP99) : null,
    timeToFirstRejectS: riseRan ? timeToFirstRejectS(seconds, riseStartS) : null,
    timeToRecoverS: burstEnded ? timeToRecoverS(seconds, burst.endS, preP99) : null,
    backlogDrainS:
      burstEnded && timeline.length > 0 ? backlogDrainS(timeline, burst.endS, preLagMaxMs) : null,
    peakReplicaLagMs:
      riseRan && fromRise.length > 0 ? round3(Math.max(...fromRise.map((p) => p.replicaLagMs))) : null,
  };
}

/**
 * A phase's figures; a phase the run did not reach has none (null), not zeros, and so has one it
 * only entered without a request completing in it (not measured is not zero either).
 */
function phaseSummary(p: WallPhase, tally: Tally, coverage: PhaseCoverage): PhaseSummary {
  const head = {
    name: p.name,
    startS: round3(p.startS),
    endS: round3(p.endS),
    multiple: p.toMultiple,
    coverage,
  };
  if (coverage === "none" || (coverage === "partial" && tally.latencyUs.totalCount === 0))
    return { ...head, requests: 0, latencyMs: null, rejected: null };
  return { ...head, ...classSummary(tally) };
}

export function buildSummary(
  ingested: Ingested,
  phases: readonly WallPhase[],
  generator: readonly GeneratorPoint[],
  durationS: number,
  context: SummaryContext = {},
): Summary {
  const requests = ingested.overall.latencyUs.totalCount;
  const rejectedTotal = sumCounts(ingested.overall.rejected);
  const outcomes = outcomeBreakdown(ingested.overall.byOutcome);
  const byClass: Summary["byClass"] = {};
  for (const [cls, tally] of Object.entries(ingested.byClass) as Array<[TrafficClass, Tally]>)
    byClass[cls] = classSummary(tally);
  // fromEntries: own properties even for a name like "__proto__".
  const byEndpoint: Record<string, ClassSummary> = Object.fromEntries(
    [...ingested.byEndpoint.keys()]
      .sort()
      .map((name) => [name, classSummary(ingested.byEndpoint.get(name) as Tally)]),
  );
  const cpu = generator.map((g) => g.k6CpuCores);
  const k6CpuCores = cpu.length > 0 ? cpu.reduce((a, b) => a + b, 0) / cpu.length : 0;
  const k6CpuCoresMax = cpu.length > 0 ? Math.max(...cpu) : 0;
  const machineMax =
    generator.length > 0 ? Math.max(...generator.map((g) => g.k6CpuCores + g.exchangeCpuCores)) : 0;
  const warnings: string[] = [];
  if (ingested.droppedIterations > 0) {
    warnings.push(
      `k6 dropped ${ingested.droppedIterations} iterations: the generator could not keep the arrival schedule, so offered load was lower than the profile and latencies in those seconds are understated.`,
    );
  }
  const machineCores = machineCoresOf(context.run);
  // Measured lateness (k6 output extension) decides; CPU is then only the evidence quoted.
  const lateness = latenessFigures(ingested, percentilesMs);
  const late = latenessWarning(lateness.lateMs, { k6CpuCoresMax, machineMax, machineCores });
  if (late !== undefined) warnings.push(late);
  if (lateness.lateMs === null && machineMax >= machineCores * SATURATED) {
    warnings.push(
      `CPU was saturated: k6 used up to ${k6CpuCoresMax.toFixed(2)} cores and k6 + exchange up to ${machineMax.toFixed(2)} of ${machineCores}; the generator may have been the bottleneck.`,
    );
  }
  const exchangeMax = generator.length > 0 ? Math.max(...generator.map((g) => g.exchangeCpuCores)) : 0;
  if (exchangeMax >= SATURATED) {
    warnings.push(
      `The mock exchange's event loop used up to ${exchangeMax.toFixed(2)} of its one core: Node itself, not only the capacity model, limited throughput in those seconds.`,
    );
  }
  const staleAge = ingested.staleAgeMs;
  const completeness = completenessOf({
    run: context.run,
    truncatedFiles: ingested.truncatedFiles,
    clientRequests: requests,
    timeline: context.timeline,
  });
  const coverage = phaseCoverage(phases, durationS, completeness.complete);
  const market = marketSummary(context.timeline ?? [], context.run);
  return {
    complete: completeness.complete,
    ...(completeness.complete
      ? {}
      : {
          incompleteReason: completeness.reasons.join("; "),
          incompleteReasons: completeness.reasons,
        }),
    interrupted: completeness.interrupted,
    requests,
    latencyMs: percentilesMs(ingested.overall.latencyUs),
    served: outcomes.served ?? null,
    ...(outcomes.byOutcome === undefined ? {} : { byOutcome: outcomes.byOutcome }),
    byClass,
    byEndpoint,
    byPhase: phases.map((p, i) =>
      phaseSummary(p, ingested.byPhase[i] as Tally, coverage[i] as PhaseCoverage),
    ),
    burst: burstSummary(
      phases,
      ingested.byPhase,
      [...ingested.seconds].map(([t, s]) => ({ t, latencyUs: s.latencyUs, rejected: s.rejected })),
      burstTimeline(
        context.timeline ?? [],
        context.t0Ms ?? (ingested.t0Us === null ? null : ingested.t0Us / 1000),
      ),
      coverage,
    ),
    rejected: {
      total: rejectedTotal,
      rate: requests > 0 ? round3(rejectedTotal / requests) : 0,
      byReason: { ...ingested.overall.rejected },
      ...refusals(ingested.overall.byOutcome, ingested.overall.rejected, requests),
    },
    staleReads: {
      count: ingested.staleReads,
      checked: ingested.staleChecked,
      rate: ingested.staleChecked > 0 ? round3(ingested.staleReads / ingested.staleChecked) : 0,
      ageMs: {
        p50: staleAge.totalCount > 0 ? staleAge.getValueAtPercentile(50) : 0,
        p99: staleAge.totalCount > 0 ? staleAge.getValueAtPercentile(99) : 0,
        max: staleAge.totalCount > 0 ? staleAge.getValueAtPercentile(100) : 0,
      },
    },
    droppedIterations: ingested.droppedIterations,
    correctedLatencyMs: lateness.correctedLatencyMs,
    generator: {
      k6CpuCores: round3(k6CpuCores),
      k6CpuCoresMax: round3(k6CpuCoresMax),
      exchangeCpuCoresMax: round3(exchangeMax),
      k6RssMbMax: generator.reduce((m, g) => Math.max(m, g.k6RssMb ?? 0), 0),
      lateMs: lateness.lateMs,
      bottleneck: warnings.length > 0,
      warnings,
    },
    durationS: round3(durationS),
    strategy: strategyName(context.run),
    simulated: context.run?.simulated === true,
    cost: costOf(context.timeline ?? []),
    capacity: { scaleOuts: scaleOutLags(context.timeline ?? []) },
    events: eventsOf(context.timeline ?? []),
    ...(market === undefined ? {} : { market }),
  };
}

export function secondPoints(ingested: Ingested): SecondPoint[] {
  const last = Math.max(-1, ...ingested.seconds.keys());
  const points: SecondPoint[] = [];
  for (let t = 0; t <= last; t++) {
    const s = ingested.seconds.get(t);
    if (s === undefined) {
      points.push({
        t,
        requests: 0,
        latencyMs: null,
        byClass: {},
        rejectedByReason: {},
        staleReads: 0,
        staleChecked: 0,
        staleAgeMaxMs: null,
        droppedIterations: 0,
      });
      continue;
    }
    const byClass: SecondPoint["byClass"] = {};
    for (const [cls, h] of Object.entries(s.byClass) as Array<[TrafficClass, SparseHistogram]>) {
      byClass[cls] = {
        requests: h.totalCount,
        p99Ms: h.totalCount > 0 ? round3(h.getValueAtPercentile(99) / 1000) : null,
      };
    }
    const totals = outcomeTotals(s.byOutcome);
    const byOutcome: SecondPoint["byOutcome"] = {};
    for (const o of OUTCOMES) {
      const h = totals[o];
      if (h !== undefined && h.totalCount > 0)
        byOutcome[o] = { requests: h.totalCount, p99Ms: round3(h.getValueAtPercentile(99) / 1000) };
    }
    points.push({
      t,
      requests: s.latencyUs.totalCount,
      latencyMs: s.latencyUs.totalCount > 0 ? percentilesMs(s.latencyUs) : null,
      byClass,
      ...(Object.keys(byOutcome).length > 0 ? { byOutcome } : {}),
      rejectedByReason: { ...s.rejected },
      staleReads: s.staleReads,
      staleChecked: s.staleChecked,
      staleAgeMaxMs: s.staleAgeMaxMs,
      droppedIterations: s.droppedIterations,
      ...(s.latenessUs != null && s.latenessUs.totalCount > 0
        ? {
            lateMs: {
              p99: round3(s.latenessUs.getValueAtPercentile(99) / 1000),
              max: s.lateMsMax ?? round3(s.latenessUs.getValueAtPercentile(100) / 1000),
            },
          }
        : {}),
    });
  }
  return points;
}
