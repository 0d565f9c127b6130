import type { WallPhase } from "../loadtests/lib/plan.ts";
import type { CapacityEvent } from "../mock-exchange/capacity/types.ts";
import type { Ingested, Tally } from "./ingest.ts";
import type {
  ClassSummary,
  GeneratorPoint,
  LatencyPercentilesMs,
  RejectReason,
  SecondPoint,
  Summary,
  TimelinePoint,
  TrafficClass,
} from "./model.ts";
import type { Percentiles, SparseHistogram } from "./sparse.ts";

/** Turns ingested histograms and the server/generator files into summary.json and chart series. */

/** Cores of the machine k6 and the exchange share (DEVELOPERS.md "The machine"). */
const MACHINE_CORES = 2;
/** Fraction of a core (or of all cores) above which a process counts as saturated. */
const SATURATED = 0.95;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function percentilesMs(h: Percentiles): LatencyPercentilesMs {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    p50: round3(h.getValueAtPercentile(50) / 1000),
    p90: round3(h.getValueAtPercentile(90) / 1000),
    p99: round3(h.getValueAtPercentile(99) / 1000),
    p999: round3(h.getValueAtPercentile(99.9) / 1000),
    // The top bucket's highest equivalent value, as HdrHistogram reports max, so max >= p99.9 always.
    max: round3(h.getValueAtPercentile(100) / 1000),
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
  };
}

/** What the summary takes from run.json and the server timeline besides the client data. */
export interface SummaryContext {
  run?: Record<string, unknown>;
  /** timeline.jsonl lines; old lines without the capacity fields are fine. */
  timeline?: ReadonlyArray<Partial<TimelinePoint>>;
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

export function buildSummary(
  ingested: Ingested,
  phases: readonly WallPhase[],
  generator: readonly GeneratorPoint[],
  durationS: number,
  context: SummaryContext = {},
): Summary {
  const requests = ingested.overall.latencyUs.totalCount;
  const rejectedTotal = sumCounts(ingested.overall.rejected);
  const byClass: Summary["byClass"] = {};
  for (const [cls, tally] of Object.entries(ingested.byClass) as Array<[TrafficClass, Tally]>)
    byClass[cls] = classSummary(tally);
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
  if (machineMax >= MACHINE_CORES * SATURATED) {
    warnings.push(
      `CPU was saturated: k6 used up to ${k6CpuCoresMax.toFixed(2)} cores and k6 + exchange up to ${machineMax.toFixed(2)} of ${MACHINE_CORES}; the generator may have been the bottleneck.`,
    );
  }
  const exchangeMax = generator.length > 0 ? Math.max(...generator.map((g) => g.exchangeCpuCores)) : 0;
  if (exchangeMax >= SATURATED) {
    warnings.push(
      `The mock exchange's event loop used up to ${exchangeMax.toFixed(2)} of its one core: Node itself, not only the capacity model, limited throughput in those seconds.`,
    );
  }
  const staleAge = ingested.staleAgeMs;
  return {
    requests,
    latencyMs: percentilesMs(ingested.overall.latencyUs),
    byClass,
    byPhase: phases.map((p, i) => ({
      name: p.name,
      startS: round3(p.startS),
      endS: round3(p.endS),
      multiple: p.toMultiple,
      ...classSummary(ingested.byPhase[i] as Tally),
    })),
    rejected: {
      total: rejectedTotal,
      rate: requests > 0 ? round3(rejectedTotal / requests) : 0,
      byReason: { ...ingested.overall.rejected },
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
    generator: {
      k6CpuCores: round3(k6CpuCores),
      k6CpuCoresMax: round3(k6CpuCoresMax),
      exchangeCpuCoresMax: round3(exchangeMax),
      k6RssMbMax: generator.reduce((m, g) => Math.max(m, g.k6RssMb ?? 0), 0),
      bottleneck: warnings.length > 0,
      warnings,
    },
    durationS: round3(durationS),
    strategy: strategyName(context.run),
    simulated: context.run?.simulated === true,
    cost: costOf(context.timeline ?? []),
    events: eventsOf(context.timeline ?? []),
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
    points.push({
      t,
      requests: s.latencyUs.totalCount,
      latencyMs: s.latencyUs.totalCount > 0 ? percentilesMs(s.latencyUs) : null,
      byClass,
      rejectedByReason: { ...s.rejected },
      staleReads: s.staleReads,
      staleChecked: s.staleChecked,
      staleAgeMaxMs: s.staleAgeMaxMs,
      droppedIterations: s.droppedIterations,
    });
  }
  return points;
}
